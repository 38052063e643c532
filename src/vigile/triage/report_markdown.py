"""Markdown report, for pasting into a ticket. Aggregates only; small cells as <10."""

from __future__ import annotations

from .geography import departement_name
from .labels import HEALTH_KIND_LABELS, KEY_LABELS, LEVEL_LABELS, category_label, fmt_int, pct
from .model import TRIAGE_SCHEMA, TriageResult, suppress


def render_markdown(r: TriageResult) -> str:
    s = r.severity
    out: list[str] = []
    add = out.append
    add("# Vigile — triage de fuite / leak triage\n")
    add(
        f"**{fmt_int(r.persons)} persons** in {fmt_int(r.rows)} rows · severity "
        f"**{LEVEL_LABELS[s.level]}** (ENISA {s.score:g}, gravité CNIL *{s.gravite}*) · "
        f"{fmt_int(r.minors)} minors · {fmt_int(r.over_75)} aged 75+\n"
    )
    add("## Preuve / Evidence\n")
    add("| file | sha256 | bytes | rows |\n|---|---|---:|---:|")
    for i in r.inputs:
        add(f"| `{i.path}` | `{i.sha256}` | {fmt_int(i.size)} | {fmt_int(i.rows)} |")
    add(
        f"\nAnalysed at {r.analysed_at} with vigile {r.vigile_version} (schema `{TRIAGE_SCHEMA}`).\n"
    )

    add("## Personnes / Persons\n")
    add(f"- Person key: {r.person_key['key']}")
    cov = r.person_key.get("row_coverage", {})
    add("- Row coverage: " + ", ".join(f"{KEY_LABELS[k]} {v:.1%}" for k, v in cov.items() if v))
    add(
        f"- Minors (age < 18 on {r.age_reference_date}): {fmt_int(r.minors)}; aged 75 or more: {fmt_int(r.over_75)}\n"
    )

    add("## Données exposées / Exposure by category\n")
    add("| category | persons exposed | share |\n|---|---:|---:|")
    for c, n in r.categories.items():
        if n:
            add(f"| `{c}` {category_label(c)} | {fmt_int(n)} | {pct(n, r.persons)} |")
    if r.health_mentions:
        add("\n**Health mentions** (free text and structured columns):\n")
        add("| kind | persons |\n|---|---:|")
        for k, n in r.health_mentions.items():
            if n:
                add(f"| {HEALTH_KIND_LABELS.get(k, k)} | {fmt_int(n)} |")
    cr = r.credentials
    if cr.get("persons_with_password"):
        add(
            f"\n**Credentials**: {fmt_int(cr['persons_with_password'])} persons with a password "
            f"exposed — {fmt_int(cr['plain_text'])} in plain text, {fmt_int(cr['hashed_only'])} "
            "hashed only."
        )
    add("")

    add("## Géographie / Geography\n")
    add("| région | persons |\n|---|---:|")
    for reg, n in r.regions.items():
        add(f"| {reg} | {fmt_int(suppress(n))} |")
    add("\n| département | persons |\n|---|---:|")
    for d, n in sorted(r.departements.items(), key=lambda kv: -kv[1]):
        add(f"| {d} {departement_name(d)} | {fmt_int(suppress(n))} |")
    if r.top_towns:
        add(
            "\nTop towns (≥ 10 persons): "
            + ", ".join(f"{t} ({fmt_int(n)})" for t, n in r.top_towns)
        )
    add("")

    add("## Origine / Origin\n")
    if r.establishments:
        add("| establishment | persons |\n|---|---:|")
        for e, n in r.establishments:
            add(f"| {e} | {fmt_int(suppress(n))} |")
    else:
        add("No establishment column found.")
    add(f"\nPrescribers: {fmt_int(r.prescribers)} distinct (names not reported).\n")

    ts = r.time_span
    add("## Période / Time span\n")
    if ts.get("earliest"):
        add(f"From {ts['earliest']} to {ts['latest']}.\n")
        add("| year | rows | persons |\n|---|---:|---:|")
        for y, v in ts["by_year"].items():
            add(f"| {y} | {fmt_int(v['rows'])} | {fmt_int(v['persons'])} |")
    else:
        add("No event date found.")
    add("")

    add("## Gravité / Severity (ENISA 2013)\n")
    add(
        f"SE = DPC × EI + CB = **{s.formula}** → **{LEVEL_LABELS[s.level]}** · gravité CNIL : **{s.gravite}**\n"
    )
    for f in (s.dpc, s.ei, s.cb):
        add(f"- **{f.name} = {f.value:g}**")
        for why in f.reasons:
            add(f"  - {why}")
    add("")

    add("## Obligations / Duties\n")
    for d in r.duties:
        add(
            f"- **{'DUE' if d.due else 'not due'}** — {d.title}"
            + (f" ({d.deadline})" if d.due and d.deadline else "")
        )
        for why in d.reasons:
            add(f"  - {why}")
    add("")

    add("## Non trouvé / Not found\n")
    add(", ".join(f"`{c}`" for c in r.not_found) or "Every category was found.")
    missing_kinds = [k for k, n in r.health_mentions.items() if not n]
    if missing_kinds:
        add(
            "\nHealth mentions not found: "
            + ", ".join(HEALTH_KIND_LABELS.get(k, k) for k in missing_kinds)
        )
    for n in r.notes:
        add(f"\n> {n}")
    for e in r.errors:
        add(f"\n> error: {e}")
    return "\n".join(out) + "\n"
