"""`vigile export plan`: profile a sample of each source table and propose an export profile.

The proposal minimises: direct identifiers are pseudonymised, birth dates and
postcodes generalised, addresses, free text and credentials dropped. Every
sensitive column carries a comment saying why, so the reviewer edits knowingly.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from ..categories import CATEGORIES
from ..detect import ColumnProfiler
from ..shapes import ColumnFinding
from .profile import CREDENTIALS, DEFAULT_EXPIRY_DAYS, parse_profile
from .sources import SourceTable, describe, head, open_source

PLAN_SAMPLE_ROWS = 50_000
PSEUDONYMISE = {"nir", "last_name", "first_name", "phone", "email", "iban", "insurance"}
DROP = {"address", "city", "ip_address"}
GENERALISE = {"birth_date": "year", "postcode": "department"}
SENSITIVE_CLASSES = {"identifier", "identity", "contact", "financial", "health", "credential"}


@dataclass(frozen=True)
class TablePlan:
    name: str
    rows_sampled: int
    columns: tuple[ColumnFinding, ...]


def profile_table(table: SourceTable, max_rows: int = PLAN_SAMPLE_ROWS) -> TablePlan:
    """Classify the columns of the first `max_rows` rows of a table."""
    profiler: ColumnProfiler | None = None
    rows = 0
    for batch in head(table, max_rows):
        if profiler is None:
            profiler = ColumnProfiler(columns=batch.columns)
        profiler.update(batch)
        rows += batch.height
    return TablePlan(table.name, rows, tuple(profiler.finish()) if profiler else ())


def propose(c: ColumnFinding) -> tuple[dict, str]:
    """(rule, comment) proposed for one classified column."""
    cat = c.category
    if cat in CREDENTIALS:
        return {"action": "drop"}, "credential: never exported, users reset it on the new system"
    if cat is None and c.text_categories:
        found = ", ".join(f"{k} {v:.0%}" for k, v in sorted(c.text_categories.items()))
        return {"action": "drop"}, f"SENSITIVE free text ({found}): may reveal anything"
    if cat is None:
        return {"action": "keep"}, ""
    cls = CATEGORIES[cat].gdpr_class
    flag = "SENSITIVE " if cls in SENSITIVE_CLASSES else ""
    why = f"{flag}{cls}: {CATEGORIES[cat].label}"
    if cat == "nir" and c.note and "key" in c.note:
        return {"action": "drop", "category": cat}, f"{why} (key of a split NIR)"
    if cat == "nir":
        return {"action": "pseudonymise", "format": "nir", "category": cat}, why
    if cat in PSEUDONYMISE:
        return {"action": "pseudonymise", "category": cat}, why
    if cat in GENERALISE:
        return {"action": "generalise", "to": GENERALISE[cat], "category": cat}, why
    if cat in DROP:
        return {"action": "drop", "category": cat}, why
    return {"action": "keep", "category": cat}, why


def _flow(rule: dict) -> str:
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in rule.items()) + "}"


def render_plan(source: str, plans: list[TablePlan]) -> str:
    """The proposed profile as commented YAML (column names only, never values)."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    lines = [
        f"# vigile export profile proposed on {today} for {describe(source)}",
        "# Review every column: keep only what the receiving system needs.",
        "# Columns missing from a table's list are dropped. Credentials can only be dropped.",
        "# actions: keep | drop | pseudonymise (format: hex | nir) | generalise (to: year |",
        "#          month | department) | mask (keep_last: N)",
        "version: 1",
        f"expires_in_days: {DEFAULT_EXPIRY_DAYS}",
        "tables:",
    ]
    for p in plans:
        lines += [
            f"  {json.dumps(p.name)}:",
            f"    # {p.rows_sampled} rows sampled",
            "    columns:",
        ]
        for c in p.columns:
            rule, comment = propose(c)
            line = f"      {json.dumps(c.name)}: {_flow(rule)}"
            lines.append(f"{line}  # {comment}" if comment else line)
    text = "\n".join(lines) + "\n"
    parse_profile(text, "proposed profile")  # the proposal must always be a valid profile
    return text


def plan_export(source: str, max_rows: int = PLAN_SAMPLE_ROWS) -> str:
    return render_plan(source, [profile_table(t, max_rows) for t in open_source(source)])
