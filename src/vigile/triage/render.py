"""`render(result, fmt)`: one entry point for the three report formats."""

from __future__ import annotations

from .model import TriageResult
from .report_html import render_html
from .report_json import render_json
from .report_markdown import render_markdown

FORMATS = ("html", "json", "markdown")


def render(result: TriageResult, fmt: str = "html") -> str:
    if fmt == "html":
        return render_html(result)
    if fmt == "json":
        return render_json(result)
    if fmt in ("markdown", "md"):
        return render_markdown(result)
    raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
