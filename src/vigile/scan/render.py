"""Scan output: a rich table for people, JSON for programs, Markdown for tickets.

Only masked samples and aggregates ever reach these renderers.
"""

from __future__ import annotations

import io
import json
from collections import Counter

from rich.console import Console
from rich.table import Table as RichTable

from ..categories import CATEGORIES
from ..shapes import ColumnFinding, TableReport
from .pipeline import ScanResult


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _text_cats(c: ColumnFinding) -> str:
    return ", ".join(
        f"{k} {_pct(v)}" for k, v in sorted(c.text_categories.items(), key=lambda kv: -kv[1])
    )


def category_totals(result: ScanResult) -> Counter:
    """Columns per category across all tables (free-text categories counted once per column)."""
    totals: Counter = Counter()
    for t in result.tables:
        for c in t.columns:
            if c.category:
                totals[c.category] += 1
            for k in c.text_categories:
                if k != c.category:
                    totals[k] += 1
    return totals


def sensitive_columns(table: TableReport) -> int:
    return sum(1 for c in table.columns if c.category or c.text_categories)


def render_json(result: ScanResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2)


def _describe(t: TableReport) -> str:
    s = t.source
    bits = [s.format]
    if s.encoding:
        bits.append(s.encoding)
    if s.delimiter:
        bits.append(f"sep {s.delimiter!r}")
    return f"{s.path} — {t.rows:,} rows, {len(t.columns)} columns ({', '.join(bits)})"


def render_table(result: ScanResult, width: int | None = None) -> str:
    buf = io.StringIO()
    con = Console(file=buf, width=width or 140, force_terminal=False, color_system=None)
    for t in result.tables:
        tab = RichTable(title=_describe(t), title_justify="left", expand=False)
        for h in (
            "column",
            "category",
            "conf.",
            "share",
            "valid.",
            "found in text",
            "masked sample",
        ):
            tab.add_column(h, overflow="fold")
        for c in t.columns:
            tab.add_row(
                c.name,
                c.category or "—",
                f"{c.confidence:.2f}" if c.category else "",
                _pct(c.share) if c.category else "",
                _pct(c.validated_share) if c.validated_share else "",
                _text_cats(c),
                c.masked_samples[0] if c.masked_samples else "",
            )
        con.print(tab)
        for e in t.errors:
            con.print(f"[error] {e}")
        if t.warnings:
            con.print(f"{len(t.warnings)} warning(s): " + "; ".join(t.warnings[:5]))
    for e in result.errors:
        con.print(f"[error] {e}")
    totals = category_totals(result)
    if totals:
        tot = RichTable(title="Totals per category (columns)", title_justify="left")
        tot.add_column("category")
        tot.add_column("class")
        tot.add_column("columns", justify="right")
        for cat, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
            tot.add_row(cat, CATEGORIES[cat].gdpr_class if cat in CATEGORIES else "", str(n))
        con.print(tot)
    else:
        con.print("No sensitive data found.")
    return buf.getvalue()


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: ScanResult) -> str:
    out: list[str] = ["# vigile scan", ""]
    for t in result.tables:
        out += [f"## {_md_escape(_describe(t))}", ""]
        out += [
            "| column | category | confidence | share | found in text | masked sample |",
            "|---|---|---|---|---|---|",
        ]
        for c in t.columns:
            out.append(
                "| "
                + " | ".join(
                    _md_escape(x)
                    for x in (
                        c.name,
                        c.category or "—",
                        f"{c.confidence:.2f}" if c.category else "",
                        _pct(c.share) if c.category else "",
                        _text_cats(c),
                        f"`{c.masked_samples[0]}`" if c.masked_samples else "",
                    )
                )
                + " |"
            )
        out.append("")
        out += [f"- error: {_md_escape(e)}" for e in t.errors]
        out += [f"- warning: {_md_escape(w)}" for w in t.warnings]
    out += [f"- error: {_md_escape(e)}" for e in result.errors]
    totals = category_totals(result)
    out += ["", "## Totals per category", "", "| category | columns |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(out) + "\n"


RENDERERS = {"table": render_table, "json": render_json, "markdown": render_markdown}


def render_scan(result: ScanResult, fmt: str = "table") -> str:
    try:
        return RENDERERS[fmt](result)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(RENDERERS)}") from None
