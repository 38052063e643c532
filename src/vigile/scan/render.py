"""Scan output: a rich table for people, JSON for programs, Markdown for tickets.

Only masked samples and aggregates ever reach these renderers; names (paths, members,
sheets, columns) arrive masked and escaped by the readers (`vigile.read.names`) and are
escaped again here by the same function, so nothing a file holds can drive a terminal
or a Markdown viewer. A scan that could not read everything says so in every format,
and never that nothing was found.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from ..categories import CATEGORIES
from ..read.names import escape
from ..shapes import ColumnFinding, TableReport
from .pipeline import ScanResult

NOTHING_FOUND = "No sensitive data found."


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


def unread_summary(result: ScanResult) -> str:
    n = len(result.unread)
    return (
        f"Not fully read: {n} file(s), sheet(s) or table(s) could not be read completely;"
        " the findings below may be incomplete."
    )


def nothing_found(result: ScanResult) -> str:
    """What to say when no category was found: only a complete scan found nothing."""
    if result.complete:
        return NOTHING_FOUND
    return (
        "No sensitive data found in what could be read, but not everything could be read"
        " (see 'Not fully read'): this does not show that the input is clean."
    )


def render_json(result: ScanResult) -> str:
    doc = result.to_json()
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate slipped through: \u-escape everything
        text = json.dumps(doc, ensure_ascii=True, indent=2)
    return text


def _describe(t: TableReport) -> str:
    s = t.source
    bits = [s.format]
    if s.encoding:
        bits.append(s.encoding)
    if s.delimiter:
        bits.append(f"sep {escape(repr(s.delimiter))}")
    return f"{escape(s.path)} — {t.rows:,} rows, {len(t.columns)} columns ({', '.join(bits)})"


def render_table(result: ScanResult, width: int | None = None) -> str:
    buf = io.StringIO()
    con = Console(file=buf, width=width or 140, force_terminal=False, color_system=None)

    def line(text: str) -> None:
        con.print(Text(escape(text)), markup=False, highlight=False, soft_wrap=True)

    for t in result.tables:
        tab = RichTable(title=Text(_describe(t)), title_justify="left", expand=False)
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
                *(
                    Text(escape(x))
                    for x in (
                        c.name,
                        c.category or "—",
                        f"{c.confidence:.2f}" if c.category else "",
                        _pct(c.share) if c.category else "",
                        _pct(c.validated_share) if c.validated_share else "",
                        _text_cats(c),
                        c.masked_samples[0] if c.masked_samples else "",
                    )
                )
            )
        con.print(tab)
        for e in t.errors:
            line(f"[error] {e}")
        if t.warnings:
            line(f"{len(t.warnings)} warning(s): " + "; ".join(t.warnings[:5]))
    for e in result.errors:
        line(f"[error] {e}")
    if not result.complete:
        line("")
        line(unread_summary(result))
        for path, reason in result.unread:
            line(f"  - {path}: {reason}")
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
        line(nothing_found(result))
    return buf.getvalue()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md_escape(s: str) -> str:
    """Text for a Markdown cell or line: escaped like every shown name, then Markdown's
    own specials backslashed (a masked `D*****` must not turn into emphasis)."""
    return _MD_SPECIAL.sub(r"\\\1", escape(s)).replace("\n", " ")


def _md_code(s: str) -> str:
    s = escape(s)
    return f"`` {s} ``" if "`" in s else f"`{s}`"


def render_markdown(result: ScanResult) -> str:
    out: list[str] = ["# vigile scan", ""]
    if not result.complete:
        out += [f"> **Warning.** {_md_escape(unread_summary(result))}", ""]
    for t in result.tables:
        out += [f"## {_md_escape(_describe(t))}", ""]
        out += [
            "| column | category | confidence | share | found in text | masked sample |",
            "|---|---|---|---|---|---|",
        ]
        for c in t.columns:
            cells = [
                _md_escape(x)
                for x in (
                    c.name,
                    c.category or "—",
                    f"{c.confidence:.2f}" if c.category else "",
                    _pct(c.share) if c.category else "",
                    _text_cats(c),
                )
            ]
            cells.append(
                _md_code(c.masked_samples[0]).replace("|", "\\|") if c.masked_samples else ""
            )
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        out += [f"- error: {_md_escape(e)}" for e in t.errors]
        out += [f"- warning: {_md_escape(w)}" for w in t.warnings]
    out += [f"- error: {_md_escape(e)}" for e in result.errors]
    if not result.complete:
        out += ["", "## Not fully read", ""]
        out += [f"- {_md_escape(p)}: {_md_escape(r)}" for p, r in result.unread]
    totals = category_totals(result)
    out += ["", "## Totals per category", ""]
    if totals:
        out += ["| category | columns |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    else:
        out.append(_md_escape(nothing_found(result)))
    return "\n".join(out) + "\n"


RENDERERS = {"table": render_table, "json": render_json, "markdown": render_markdown}


def render_scan(result: ScanResult, fmt: str = "table") -> str:
    try:
        return RENDERERS[fmt](result)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(RENDERERS)}") from None
