"""Self-contained HTML report: inline CSS and SVG, no script, no external request.

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
from .labels import HEALTH_KIND_LABELS, KEY_LABELS, LEVEL_LABELS, category_label, fmt_int, pct
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


def _shape(code: str, d: str, n: int, bounds: list[int]) -> str:
    title = f"{code} {DEPARTEMENTS[code][0]}: {fmt_int(suppress(n))} persons"
    return (
        f'<path d="{d}" fill="{_colour(n, bounds)}" stroke="#7d8798" stroke-width="0.6" '
        f'vector-effect="non-scaling-stroke"><title>{_e(title)}</title></path>'
    )


def map_svg(departements: dict[str, int]) -> str:
    """Choropleth of persons by département: metropolitan outlines, an Île-de-France
    zoom, and one square per overseas département."""
    data = _outlines()
    paths: dict[str, str] = data["paths"]
    bounds = _buckets(list(departements.values()))
    w, h = 613, 585
    parts = [
        f'<svg role="img" aria-label="Persons by département" viewBox="0 0 {w + 170} {h}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">'
    ]
    parts += [_shape(c, d, departements.get(c, 0), bounds) for c, d in sorted(paths.items())]
    # Île-de-France zoom: Paris and its ring are a few pixels wide on the main map.
    idf = [c for c in ("75", "77", "78", "91", "92", "93", "94", "95") if c in paths]
    x0, y0, x1, y1 = _bbox([paths[c] for c in idf])
    scale = 150 / max(x1 - x0, y1 - y0)
    parts.append(
        f'<text x="{w + 10}" y="16" font-size="12" fill="#5b6475">Île-de-France</text>'
        f'<g transform="translate({w + 10} 24) scale({scale:.3f}) translate({-x0} {-y0})">'
    )
    parts += [_shape(c, paths[c], departements.get(c, 0), bounds) for c in idf]
    parts.append("</g>")
    parts.append(f'<text x="{w + 10}" y="210" font-size="12" fill="#5b6475">Outre-mer</text>')
    for i, code in enumerate(("971", "972", "973", "974", "976")):
        n = departements.get(code, 0)
        x, y = w + 10 + (i % 3) * 50, 220 + (i // 3) * 50
        title = f"{code} {DEPARTEMENTS[code][0]}: {fmt_int(suppress(n))} persons"
        parts.append(
            f'<g><title>{_e(title)}</title><rect x="{x}" y="{y}" width="44" height="44" rx="4" '
            f'fill="{_colour(n, bounds)}" stroke="#7d8798" stroke-width="0.6"/>'
            f'<text x="{x + 22}" y="{y + 26}" font-size="11" text-anchor="middle" '
            f'fill="{"#fff" if _colour(n, bounds) in PALETTE[3:] else "#1d2330"}">{code}</text></g>'
        )
    parts.append("</svg>")
    legend = ['<p class="legend muted">']
    lo = SMALL_CELL
    for colour, hi in zip(PALETTE, bounds, strict=False):
        if hi >= lo:
            legend.append(f'<span style="background:{colour}"></span>{fmt_int(lo)}–{fmt_int(hi)}')
            lo = hi + 1
    legend.append(f'<span style="background:{SMALL_COLOUR}"></span>&lt;10')
    legend.append(f'<span style="background:{EMPTY_COLOUR}"></span>none')
    legend.append(f"<br><small>{_e(data['source'])}.</small></p>")
    return "".join(parts) + "".join(legend)


def timeline_svg(by_year: dict[str, dict]) -> str:
    if not by_year:
        return '<p class="muted">No event date found.</p>'
    years = list(by_year)
    top = max(v["rows"] for v in by_year.values()) or 1
    w, h, bw = 60 * len(years) + 20, 180, 44
    parts = [f'<svg role="img" aria-label="Rows by year" viewBox="0 0 {w} {h + 40}" '
             f'width="{min(w, 900)}" xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    for i, y in enumerate(years):
        n = by_year[y]["rows"]
        bh = max(1.0, h * n / top)
        x = 10 + 60 * i
        parts.append(
            f"<g><title>{_e(y)}: {fmt_int(n)} rows, {fmt_int(by_year[y]['persons'])} persons"
            f'</title><rect x="{x}" y="{h - bh + 16:.1f}" width="{bw}" height="{bh:.1f}" '
            f'fill="#1f4e9c" rx="2"/><text x="{x + bw / 2}" y="{h + 32}" font-size="12" '
            f'text-anchor="middle">{_e(y)}</text><text x="{x + bw / 2}" y="{h - bh + 12:.1f}" '
            f'font-size="10" text-anchor="middle">{_e(fmt_int(n))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(r: TriageResult) -> str:
    s = r.severity
    b: list[str] = []
    add = b.append
    name = ", ".join(i.path.rsplit("/", 1)[-1] for i in r.inputs) or "—"
    add(f"<h1>Triage de fuite — {_e(name)}</h1>")
    add(f'<p class="sub">vigile {_e(r.vigile_version)} · analysed {_e(r.analysed_at)} · '
        f"schema {_e(TRIAGE_SCHEMA)} · no personal value appears in this report</p>")  # fmt: skip
    cards = [
        ("persons", fmt_int(r.persons), "distinct persons"),
        ("rows", fmt_int(r.rows), "rows"),
        ("minors", fmt_int(r.minors), "minors (< 18)"),
        ("over75", fmt_int(r.over_75), "aged 75 or more"),
        ("severity", f'<span class="level-{s.level}">{LEVEL_LABELS[s.level]}</span>',
         f"severity · ENISA {s.score:g} · gravité {s.gravite}"),
    ]  # fmt: skip
    add('<div class="cards">')
    for cid, v, k in cards:
        add(
            f'<div class="card" id="card-{cid}"><div class="v">{v}</div><div class="k">{_e(k)}</div></div>'
        )
    add("</div>")

    add("<section><h2>Preuve / Evidence</h2><table><tr><th>file</th><th>sha256</th>"
        '<th class="n">bytes</th><th class="n">rows</th></tr>')  # fmt: skip
    for i in r.inputs:
        add(f"<tr><td><code>{_e(i.path)}</code></td><td><code>{_e(i.sha256)}</code></td>"
            f'<td class="n">{fmt_int(i.size)}</td><td class="n">{fmt_int(i.rows)}</td></tr>')  # fmt: skip
    add("</table></section>")

    cov = r.person_key.get("row_coverage", {})
    add("<section><h2>Personnes / Persons</h2>")
    add(f"<p>Person key: <strong>{_e(r.person_key['key'])}</strong>. Rows keyed by: "
        + ", ".join(f"{_e(KEY_LABELS[k])} {v:.1%}" for k, v in cov.items() if v) + ".</p>")  # fmt: skip
    add(f"<p>Ages on {_e(r.age_reference_date)}: {fmt_int(r.minors)} minors, "
        f"{fmt_int(r.over_75)} persons aged 75 or more.</p></section>")  # fmt: skip

    add("<section><h2>Données exposées / Exposure by category</h2><table>"
        '<tr><th>category</th><th class="n">persons</th><th class="n">share</th><th></th></tr>')  # fmt: skip
    for c, n in sorted(r.categories.items(), key=lambda kv: -kv[1]):
        if n:
            add(f"<tr><td><code>{_e(c)}</code> {_e(category_label(c))}</td>"
                f'<td class="n">{fmt_int(n)}</td><td class="n">{pct(n, r.persons)}</td>'
                f"<td>{_bar(n, r.persons)}</td></tr>")  # fmt: skip
    add("</table>")
    if any(r.health_mentions.values()):
        add('<h3>Mentions de santé / Health mentions</h3><table><tr><th>kind</th>'
            '<th class="n">persons</th><th></th></tr>')  # fmt: skip
        for k, n in sorted(r.health_mentions.items(), key=lambda kv: -kv[1]):
            if n:
                add(f"<tr><td>{_e(HEALTH_KIND_LABELS.get(k, k))}</td><td class=\"n\">{fmt_int(n)}</td>"
                    f"<td>{_bar(n, r.persons)}</td></tr>")  # fmt: skip
        add("</table>")
    cr = r.credentials
    if cr.get("persons_with_password"):
        add(f"<p><strong>Credentials</strong>: {fmt_int(cr['persons_with_password'])} persons with a "
            f"password exposed — {fmt_int(cr['plain_text'])} in plain text, "
            f"{fmt_int(cr['hashed_only'])} hashed only.</p>")  # fmt: skip
    add("</section>")

    add('<section><h2>Géographie / Geography</h2><div class="grid2"><div>')
    add(map_svg(r.departements))
    add('</div><div><table><tr><th>région</th><th class="n">persons</th></tr>')
    for reg, n in r.regions.items():
        add(f'<tr><td>{_e(reg)}</td><td class="n">{fmt_int(suppress(n))}</td></tr>')
    add("</table>")
    src = r.departement_sources
    add(f'<p class="muted">Département from postcode for {fmt_int(src.get("postcode", 0))} persons, '
        f'from the NIR birth département for {fmt_int(src.get("nir", 0))}; '
        f'{fmt_int(src.get("without_departement", 0))} without one.</p>')  # fmt: skip
    if r.top_towns:
        add('<table><tr><th>town (≥ 10 persons)</th><th class="n">persons</th></tr>')
        for t, n in r.top_towns:
            add(f'<tr><td>{_e(t)}</td><td class="n">{fmt_int(n)}</td></tr>')
        add("</table>")
    add("</div></div>")
    add('<details><summary>All départements</summary><table><tr><th>département</th>'
        '<th class="n">persons</th></tr>')  # fmt: skip
    for d, n in sorted(r.departements.items(), key=lambda kv: -kv[1]):
        add(
            f'<tr><td>{_e(d)} {_e(departement_name(d))}</td><td class="n">{fmt_int(suppress(n))}</td></tr>'
        )
    add("</table></details></section>")

    add("<section><h2>Origine / Origin</h2>")
    if r.establishments:
        add('<table><tr><th>establishment</th><th class="n">persons</th></tr>')
        for e, n in r.establishments:
            add(f'<tr><td>{_e(e)}</td><td class="n">{fmt_int(suppress(n))}</td></tr>')
        add("</table>")
    else:
        add("<p>No establishment column found.</p>")
    add(f"<p>Prescribers: {fmt_int(r.prescribers)} distinct (names not reported).</p></section>")

    ts = r.time_span
    add("<section><h2>Période / Time span</h2>")
    if ts.get("earliest"):
        add(
            f"<p>Events from <strong>{_e(ts['earliest'])}</strong> to <strong>{_e(ts['latest'])}</strong>.</p>"
        )
    add(timeline_svg(ts.get("by_year", {})))
    add("</section>")

    add("<section><h2>Gravité / Severity (ENISA 2013)</h2>")
    add(f'<p class="formula">SE = DPC × EI + CB = {_e(s.formula)} → '
        f'<span class="level-{s.level}">{LEVEL_LABELS[s.level]}</span> · gravité CNIL : {_e(s.gravite)}</p>')  # fmt: skip
    add('<table><tr><th>factor</th><th class="n">value</th><th>why</th></tr>')
    for f in (s.dpc, s.ei, s.cb):
        reasons = "<br>".join(_e(x) for x in f.reasons)
        add(f'<tr><td>{_e(f.name)}</td><td class="n">{f.value:g}</td><td>{reasons}</td></tr>')
    add("</table><p class=\"muted\">Bands: low &lt; 2 ≤ medium &lt; 3 ≤ high &lt; 4 ≤ very high. "
        "CNIL gravité: négligeable, limité, important, maximal.</p></section>")  # fmt: skip

    add("<section><h2>Obligations / Duties</h2><table>")
    for d in r.duties:
        status = '<span class="due">DUE</span>' if d.due else '<span class="notdue">not due</span>'
        deadline = f"<br><em>{_e(d.deadline)}</em>" if d.due and d.deadline else ""
        reasons = "<br>".join(_e(x) for x in d.reasons)
        add(f'<tr id="duty-{_e(d.id)}"><td>{status}</td><td><strong>{_e(d.title)}</strong>{deadline}'
            f"</td><td>{reasons}</td></tr>")  # fmt: skip
    add("</table></section>")

    add("<section><h2>Non trouvé / What was not found</h2>")
    if r.not_found:
        add(
            "<p>"
            + ", ".join(f"<code>{_e(c)}</code> {_e(category_label(c))}" for c in r.not_found)
            + "</p>"
        )
    else:
        add("<p>Every category of the catalogue was found.</p>")
    missing = [k for k, n in r.health_mentions.items() if not n]
    if missing:
        add(
            "<p>Health mentions not found: "
            + _e(", ".join(HEALTH_KIND_LABELS.get(k, k) for k in missing))
            + ".</p>"
        )
    for n in r.notes:
        add(f'<p class="muted">{_e(n)}</p>')
    for e in r.errors:
        add(f'<p class="muted">error: {_e(e)}</p>')
    add("</section>")
    return _template().substitute(title=_e(name), body="\n".join(b))
