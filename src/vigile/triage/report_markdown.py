"""Markdown report, for pasting into a ticket. Aggregates only; small cells as <10.

French by default (what the DPO reads), English with lang="en"."""

from __future__ import annotations

from .geography import departement_name
from .labels import Words
from .model import TRIAGE_SCHEMA, TriageResult, suppress


def render_markdown(r: TriageResult, lang: str = "fr") -> str:
    w = Words(lang)
    s = r.severity
    out: list[str] = []
    add = out.append
    add(f"# {w.t('title')}\n")
    add(
        w.t(
            "lead",
            persons=w.persons(r.persons),
            rows=w.rows(r.rows),
            level=w.level(s.level),
            score=w.dec(s.score),
            gravite=w.gravite(s.gravite),
            minors=w.tn("minors", r.minors),
            over_75=w.tn("over_75", r.over_75),
        )
        + "\n"
    )

    add(f"## {w.t('h_evidence')}\n")
    add(f"| {w.t('col_file')} | sha256 | {w.t('col_bytes')} | {w.t('col_rows')} |")
    add("|---|---|---:|---:|")
    for i in r.inputs:
        add(f"| `{i.path}` | `{i.sha256}` | {w.n(i.size)} | {w.n(i.rows)} |")
    add(
        "\n"
        + w.t("analysed", at=w.time(r.analysed_at), version=r.vigile_version, schema=TRIAGE_SCHEMA)
        + "\n"
    )

    add(f"## {w.t('h_persons')}\n")
    add("- " + w.t("person_key", key=w.person_key(r.person_key["key"])))
    cov = r.person_key.get("row_coverage", {})
    items = ", ".join(f"{w.key(k)} {w.share(v)}" for k, v in cov.items() if v)
    add("- " + w.t("row_coverage", items=items or "—"))
    add(
        "- "
        + w.t(
            "ages",
            date=w.date(r.age_reference_date),
            minors=w.tn("minors", r.minors),
            over_75=w.tn("over_75", r.over_75),
        )
        + "\n"
    )

    add(f"## {w.t('h_categories')}\n")
    add(f"| {w.t('col_category')} | {w.t('col_persons')} | {w.t('col_share')} |")
    add("|---|---:|---:|")
    for c, n in r.categories.items():
        if n:
            add(f"| `{c}` {w.category(c)} | {w.n(n)} | {w.pct(n, r.persons)} |")
    if any(r.health_mentions.values()):
        add("\n" + w.t("health_intro") + "\n")
        add(f"| {w.t('col_kind')} | {w.t('col_persons')} |\n|---|---:|")
        for k, n in r.health_mentions.items():
            if n:
                add(f"| {w.health_kind(k)} | {w.n(n)} |")
    cr = r.credentials
    if cr.get("persons_with_password"):
        add(
            "\n"
            + w.t(
                "credentials",
                persons=w.persons(cr["persons_with_password"]),
                plain=w.n(cr.get("plain_text", 0)),
                hashed=w.n(cr.get("hashed_only", 0)),
            )
        )
    add("")

    add(f"## {w.t('h_geography')}\n")
    add(f"| {w.t('col_region')} | {w.t('col_persons')} |\n|---|---:|")
    for reg, n in r.regions.items():
        add(f"| {reg} | {w.n(suppress(n))} |")
    add(f"\n| {w.t('col_departement')} | {w.t('col_persons')} |\n|---|---:|")
    for d, n in sorted(r.departements.items(), key=lambda kv: -kv[1]):
        add(f"| {d} {departement_name(d)} | {w.n(suppress(n))} |")
    if r.top_towns:
        add("\n" + w.t("top_towns", items=", ".join(f"{t} ({w.n(n)})" for t, n in r.top_towns)))
    add("")

    add(f"## {w.t('h_origin')}\n")
    if r.establishments:
        add(f"| {w.t('col_establishment')} | {w.t('col_persons')} |\n|---|---:|")
        for e, n in r.establishments:
            add(f"| {e} | {w.n(suppress(n))} |")
    else:
        add(w.t("no_establishment"))
    if r.prescribers is None:
        add("\n" + w.t("no_prescribers") + "\n")
    else:
        add("\n" + w.tn("prescribers", r.prescribers) + "\n")

    ts = r.time_span
    add(f"## {w.t('h_time')}\n")
    if ts.get("earliest"):
        add(w.t("time_range", lo=w.date(ts["earliest"]), hi=w.date(ts["latest"])) + "\n")
        add(f"| {w.t('col_year')} | {w.t('col_rows')} | {w.t('col_persons')} |")
        add("|---|---:|---:|")
        for y, v in ts["by_year"].items():
            add(f"| {y} | {w.n(v['rows'])} | {w.n(v['persons'])} |")
    else:
        add(w.t("no_event_date"))
    add("")

    add(f"## {w.t('h_severity')}\n")
    add(
        w.t("severity_line", formula=s.formula_in(lang), level=w.level(s.level),
            gravite=w.gravite(s.gravite)) + "\n"
    )  # fmt: skip
    for f in (s.dpc, s.ei, s.cb):
        add(f"- **{w.t('factor_' + f.name)} = {w.dec(f.value)}**")
        for why in f.reasons_in(lang):
            add(f"  - {why}")
    add("\n" + w.t("bands") + "\n")

    add(f"## {w.t('h_duties')}\n")
    for d in r.duties:
        text = d.text(lang)
        add(
            f"- **{w.t('due') if d.due else w.t('not_due')}** — {text.title}"
            + (" · " + w.t("deadline", d=text.deadline) if d.due and text.deadline else "")
        )
        for why in text.reasons:
            add(f"  - {why}")
        if d.due and text.description:
            add(f"  - {text.description}")
    add("")

    add(f"## {w.t('h_not_found')}\n")
    add(", ".join(f"`{c}` {w.category(c)}" for c in r.not_found) or w.t("all_found"))
    missing_kinds = [k for k, n in r.health_mentions.items() if not n]
    if missing_kinds:
        add(
            "\n" + w.t("health_not_found", items=", ".join(w.health_kind(k) for k in missing_kinds))
        )
    for n in r.notes:
        add(f"\n> {w.note(n)}")
    for e in r.errors:
        add(f"\n> {w.t('error', e=e)}")
    return "\n".join(out) + "\n"
