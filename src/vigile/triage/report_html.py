"""Self-contained HTML report: inline CSS and SVG, no script, no external request.

French by default (what the DPO reads), English with lang="en".

The map is a choropleth drawn from simplified département outlines shipped
in the package (mapdata/, CC BY 4.0, attributed under the map).
"""

from __future__ import annotations

import json
import re
from functools import cache
from html import escape
from importlib import resources
from string import Template

from .geography import DEPARTEMENTS, departement_name
from .labels import Words, fr_typo
from .model import SMALL_CELL, TRIAGE_SCHEMA, TriageResult, suppress

PALETTE = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
SMALL_COLOUR = "#f2f0f7"
EMPTY_COLOUR = "#ffffff"


def _template() -> Template:
    text = resources.files(__package__).joinpath("templates/report.html").read_text("utf-8")
    return Template(text)


def _e(x: object) -> str:
    return escape(str(x), quote=True)


def _bar(part: int, whole: int) -> str:
    w = 100 * part / whole if whole else 0
    return f'<div class="bar"><span style="width:{w:.1f}%"></span></div>'


def _buckets(values: list[int]) -> list[int]:
    """Upper bounds of the colour classes (quantiles of the non-small cells)."""
    vals = sorted(v for v in values if v >= SMALL_CELL)
    if not vals:
        return []
    return [
        vals[min(len(vals) - 1, (len(vals) * (i + 1)) // len(PALETTE))] for i in range(len(PALETTE))
    ]


def _colour(n: int, bounds: list[int]) -> str:
    if n == 0:
        return EMPTY_COLOUR
    if n < SMALL_CELL:
        return SMALL_COLOUR
    for colour, bound in zip(PALETTE, bounds, strict=False):
        if n <= bound:
            return colour
    return PALETTE[-1]


@cache
def _outlines() -> dict:
    text = resources.files(__package__).joinpath("mapdata/departements.json").read_text("utf-8")
    return json.loads(text)


def _bbox(paths: list[str]) -> tuple[float, float, float, float]:
    nums = [float(n) for d in paths for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    xs, ys = nums[0::2], nums[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _area_title(w: Words, code: str, n: int) -> str:
    sep = " : " if w.lang == "fr" else ": "
    return f"{code} {DEPARTEMENTS[code][0]}{sep}{w.persons(suppress(n))}"


def _shape(code: str, d: str, n: int, bounds: list[int], w: Words) -> str:
    return (
        f'<path d="{d}" fill="{_colour(n, bounds)}" stroke="#7d8798" stroke-width="0.6" '
        f'vector-effect="non-scaling-stroke"><title>{_e(_area_title(w, code, n))}</title></path>'
    )


def _source(source: str, lang: str) -> str:
    """The outlines' attribution (licence terms kept as written), in French."""
    head = "Département outlines: "
    if lang != "fr" or not source.startswith(head):
        return source
    rest = source[len(head) :].replace(" by ", ", par ").replace(", simplified", ", simplifiés")
    return "Contours des départements : " + rest


def map_svg(departements: dict[str, int], lang: str = "fr") -> str:
    """Choropleth of persons by département: metropolitan outlines, an Île-de-France
    zoom, and one square per overseas département."""
    w = Words(lang)
    data = _outlines()
    paths: dict[str, str] = data["paths"]
    bounds = _buckets(list(departements.values()))
    width, h = 613, 585
    parts = [
        f'<svg role="img" aria-label="{_e(w.t("map_label"))}" viewBox="0 0 {width + 170} {h}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">'
    ]
    parts += [_shape(c, d, departements.get(c, 0), bounds, w) for c, d in sorted(paths.items())]
    # Île-de-France zoom: Paris and its ring are a few pixels wide on the main map.
    idf = [c for c in ("75", "77", "78", "91", "92", "93", "94", "95") if c in paths]
    x0, y0, x1, y1 = _bbox([paths[c] for c in idf])
    scale = 150 / max(x1 - x0, y1 - y0)
    parts.append(
        f'<text x="{width + 10}" y="16" font-size="12" fill="#5b6475">Île-de-France</text>'
        f'<g transform="translate({width + 10} 24) scale({scale:.3f}) translate({-x0} {-y0})">'
    )
    parts += [_shape(c, paths[c], departements.get(c, 0), bounds, w) for c in idf]
    parts.append("</g>")
    parts.append(
        f'<text x="{width + 10}" y="210" font-size="12" fill="#5b6475">'
        f"{_e(w.t('map_overseas'))}</text>"
    )
    for i, code in enumerate(("971", "972", "973", "974", "976")):
        n = departements.get(code, 0)
        x, y = width + 10 + (i % 3) * 50, 220 + (i // 3) * 50
        parts.append(
            f"<g><title>{_e(_area_title(w, code, n))}</title>"
            f'<rect x="{x}" y="{y}" width="44" height="44" rx="4" '
            f'fill="{_colour(n, bounds)}" stroke="#7d8798" stroke-width="0.6"/>'
            f'<text x="{x + 22}" y="{y + 26}" font-size="11" text-anchor="middle" '
            f'fill="{"#fff" if _colour(n, bounds) in PALETTE[3:] else "#1d2330"}">{code}</text></g>'
        )
    parts.append("</svg>")
    legend = ['<p class="legend muted">']
    lo = SMALL_CELL
    for colour, hi in zip(PALETTE, bounds, strict=False):
        if hi >= lo:
            legend.append(f'<span style="background:{colour}"></span>{w.n(lo)}–{w.n(hi)}')
            lo = hi + 1
    legend.append(f'<span style="background:{SMALL_COLOUR}"></span>&lt;10')
    legend.append(f'<span style="background:{EMPTY_COLOUR}"></span>{_e(w.t("map_none"))}')
    legend.append(f"<br><small>{_e(_source(data['source'], lang))}.</small></p>")
    return "".join(parts) + "".join(legend)


def timeline_svg(by_year: dict[str, dict], lang: str = "fr") -> str:
    w = Words(lang)
    if not by_year:
        return f'<p class="muted">{_e(w.t("no_event_date"))}</p>'
    years = list(by_year)
    top = max(v["rows"] for v in by_year.values()) or 1
    width, h, bw = 60 * len(years) + 20, 180, 44
    parts = [f'<svg role="img" aria-label="{_e(w.t("timeline_label"))}" '
             f'viewBox="0 0 {width} {h + 40}" width="{min(width, 900)}" '
             'xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    for i, y in enumerate(years):
        n = by_year[y]["rows"]
        bh = max(1.0, h * n / top)
        x = 10 + 60 * i
        tip = f"{y} : " if lang == "fr" else f"{y}: "
        tip += f"{w.rows(n)}, {w.persons(by_year[y]['persons'])}"
        parts.append(
            f"<g><title>{_e(tip)}</title>"
            f'<rect x="{x}" y="{h - bh + 16:.1f}" width="{bw}" height="{bh:.1f}" '
            f'fill="#1f4e9c" rx="2"/><text x="{x + bw / 2}" y="{h + 32}" font-size="12" '
            f'text-anchor="middle">{_e(y)}</text><text x="{x + bw / 2}" y="{h - bh + 12:.1f}" '
            f'font-size="10" text-anchor="middle">{_e(w.n(n))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _md(text: str) -> str:
    """The **bold** and *italic* of the shared wording, in HTML (text escaped first)."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", _e(text))
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", text)


_TEXT_NODE = re.compile(r">([^<]+)<")


def render_html(r: TriageResult, lang: str = "fr") -> str:
    w = Words(lang)

    def h(key: str, /, **fields: object) -> str:  # a wording, escaped
        return _e(w.t(key, **fields))

    def th(*keys: str, n: int = 0) -> str:  # header cells; the last n are numeric
        cells = [
            f'<th class="n">{h(k)}</th>' if i >= len(keys) - n else f"<th>{h(k)}</th>"
            for i, k in enumerate(keys)
        ]
        return "<tr>" + "".join(cells) + "</tr>"

    s = r.severity
    b: list[str] = []
    add = b.append
    name = ", ".join(i.path.rsplit("/", 1)[-1] for i in r.inputs) or "—"
    add(f"<h1>{h('html_title', name=name)}</h1>")
    sub = h("sub", version=r.vigile_version, at=w.time(r.analysed_at), schema=TRIAGE_SCHEMA)
    add(f'<p class="sub">{sub}</p>')
    level = f'<span class="level-{s.level}">{_e(w.level(s.level))}</span>'
    cards = [
        ("persons", w.n(r.persons), h(w.form(r.persons, "card_persons"))),
        ("rows", w.n(r.rows), h(w.form(r.rows, "card_rows"))),
        ("minors", w.n(r.minors), h(w.form(r.minors, "card_minors"))),
        ("over75", w.n(r.over_75), h(w.form(r.over_75, "card_over75"))),
        ("severity", level, h("card_severity", score=w.dec(s.score), gravite=w.gravite(s.gravite))),
    ]
    add('<div class="cards">')
    for cid, v, k in cards:
        add(
            f'<div class="card" id="card-{cid}"><div class="v">{v}</div><div class="k">{k}</div></div>'
        )
    add("</div>")

    add(f"<section><h2>{h('h_evidence')}</h2><table>")
    add(
        th("col_file", "col_bytes", "col_rows", n=2).replace(
            "</th><th", "</th><th>sha256</th><th", 1
        )
    )
    for i in r.inputs:
        add(
            f"<tr><td><code>{_e(i.path)}</code></td><td><code>{_e(i.sha256)}</code></td>"
            f'<td class="n">{w.n(i.size)}</td><td class="n">{w.n(i.rows)}</td></tr>'
        )
    add("</table></section>")

    cov = r.person_key.get("row_coverage", {})
    items = ", ".join(f"{w.key(k)} {w.share(v)}" for k, v in cov.items() if v) or "—"
    ages = h(
        "ages",
        date=w.date(r.age_reference_date),
        minors=w.tn("minors", r.minors),
        over_75=w.tn("over_75", r.over_75),
    )
    add(f"<section><h2>{h('h_persons')}</h2>")
    add(
        f"<p>{h('person_key', key=w.person_key(r.person_key['key']))}. {h('row_coverage', items=items)}.</p>"
    )
    add(f"<p>{ages}</p></section>")

    add(f"<section><h2>{h('h_categories')}</h2><table>")
    add(th("col_category", "col_persons", "col_share", n=2).replace("</tr>", "<th></th></tr>"))
    for c, n in sorted(r.categories.items(), key=lambda kv: -kv[1]):
        if n:
            add(
                f"<tr><td><code>{_e(c)}</code> {_e(w.category(c))}</td>"
                f'<td class="n">{w.n(n)}</td><td class="n">{w.pct(n, r.persons)}</td>'
                f"<td>{_bar(n, r.persons)}</td></tr>"
            )
    add("</table>")
    if any(r.health_mentions.values()):
        add(f"<h3>{h('h_health')}</h3><table>")
        add(th("col_kind", "col_persons", n=1).replace("</tr>", "<th></th></tr>"))
        for k, n in sorted(r.health_mentions.items(), key=lambda kv: -kv[1]):
            if n:
                add(
                    f'<tr><td>{_e(w.health_kind(k))}</td><td class="n">{w.n(n)}</td>'
                    f"<td>{_bar(n, r.persons)}</td></tr>"
                )
        add("</table>")
    cr = r.credentials
    if cr.get("persons_with_password"):
        text = w.t(
            "credentials",
            persons=w.persons(cr["persons_with_password"]),
            plain=w.n(cr.get("plain_text", 0)),
            hashed=w.n(cr.get("hashed_only", 0)),
        )
        add(f'<p id="credentials">{_md(text)}</p>')
    add("</section>")

    add(f'<section><h2>{h("h_geography")}</h2><div class="grid2"><div>')
    add(map_svg(r.departements, lang))
    add("</div><div><table>" + th("col_region", "col_persons", n=1))
    for reg, n in r.regions.items():
        add(f'<tr><td>{_e(reg)}</td><td class="n">{w.n(suppress(n))}</td></tr>')
    add("</table>")
    src = r.departement_sources
    sources = h(
        "dep_sources",
        postcode=w.persons(src.get("postcode", 0)),
        nir=w.persons(src.get("nir", 0)),
        without=w.persons(src.get("without_departement", 0)),
    )
    add(f'<p class="muted">{sources}</p>')
    if r.top_towns:
        add("<table>" + th("col_town", "col_persons", n=1))
        for t, n in r.top_towns:
            add(f'<tr><td>{_e(t)}</td><td class="n">{w.n(n)}</td></tr>')
        add("</table>")
    add("</div></div>")
    add(f"<details><summary>{h('all_departements')}</summary><table>")
    add(th("col_departement", "col_persons", n=1))
    for d, n in sorted(r.departements.items(), key=lambda kv: -kv[1]):
        add(
            f"<tr><td>{_e(d)} {_e(departement_name(d))}</td>"
            f'<td class="n">{w.n(suppress(n))}</td></tr>'
        )
    add("</table></details></section>")

    add(f"<section><h2>{h('h_origin')}</h2>")
    if r.establishments:
        add("<table>" + th("col_establishment", "col_persons", n=1))
        for e, n in r.establishments:
            add(f'<tr><td>{_e(e)}</td><td class="n">{w.n(suppress(n))}</td></tr>')
        add("</table>")
    else:
        add(f"<p>{h('no_establishment')}</p>")
    if r.prescribers is None:
        add(f"<p>{h('no_prescribers')}</p></section>")
    else:
        add(f"<p>{_e(w.tn('prescribers', r.prescribers))}</p></section>")

    ts = r.time_span
    add(f"<section><h2>{h('h_time')}</h2>")
    if ts.get("earliest"):
        lo, hi = w.date(ts["earliest"]), w.date(ts["latest"])
        add(f"<p>{_md(w.t('time_range', lo=f'**{lo}**', hi=f'**{hi}**'))}</p>")
    add(timeline_svg(ts.get("by_year", {}), lang))
    add("</section>")

    add(f"<section><h2>{h('h_severity')}</h2>")
    line = w.t(
        "severity_line",
        formula=s.formula_in(lang),
        level=w.level(s.level),
        gravite=w.gravite(s.gravite),
    )
    lvl = _e(w.level(s.level))
    line = _md(line).replace(
        f"<strong>{lvl}</strong>", f'<strong class="level-{s.level}">{lvl}</strong>', 1
    )
    add(f'<p class="formula">{line}</p>')
    add(
        "<table>"
        + th("col_factor", "col_value", n=1).replace("</tr>", f"<th>{h('col_why')}</th></tr>")
    )
    for f in (s.dpc, s.ei, s.cb):
        reasons = "<br>".join(_e(x) for x in f.reasons_in(lang))
        add(
            f'<tr><td>{h("factor_" + f.name)}</td><td class="n">{w.dec(f.value)}</td>'
            f"<td>{reasons}</td></tr>"
        )
    add(f'</table><p class="muted">{h("bands")}</p></section>')

    add(f"<section><h2>{h('h_duties')}</h2><table>")
    for d in r.duties:
        text = d.text(lang)
        if d.due:
            status = f'<span class="due">{h("due")}</span>'
        else:
            status = f'<span class="notdue">{h("not_due")}</span>'
        deadline = ""
        if d.due and text.deadline:
            deadline = f"<br><em>{h('deadline', d=text.deadline)}</em>"
        reasons = "<br>".join(_e(x) for x in text.reasons)
        more = f'<br><span class="muted">{_e(text.description)}</span>' if d.due else ""
        add(
            f'<tr id="duty-{_e(d.id)}"><td>{status}</td><td><strong>{_e(text.title)}</strong>'
            f"{deadline}</td><td>{reasons}{more}</td></tr>"
        )
    add("</table></section>")

    add(f"<section><h2>{h('h_not_found')}</h2>")
    if r.not_found:
        cats = ", ".join(f"<code>{_e(c)}</code> {_e(w.category(c))}" for c in r.not_found)
        add(f"<p>{cats}</p>")
    else:
        add(f"<p>{h('all_found')}</p>")
    missing = [k for k, n in r.health_mentions.items() if not n]
    if missing:
        add(f"<p>{h('health_not_found', items=', '.join(w.health_kind(k) for k in missing))}</p>")
    for n in r.notes:
        add(f'<p class="muted">{_e(w.note(n))}</p>')
    for e in r.errors:
        add(f'<p class="muted">{h("error", e=e)}</p>')
    add("</section>")
    body = "\n".join(b)
    if lang == "fr":  # every text node typeset once more (figures and names put in above)
        body = _TEXT_NODE.sub(lambda m: ">" + fr_typo(m.group(1)) + "<", body)
    page = _template().substitute(title=_e(name), body=body)
    return page if lang == "fr" else page.replace('<html lang="fr">', f'<html lang="{lang}">', 1)
