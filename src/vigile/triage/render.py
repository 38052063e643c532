"""`render(result, fmt, lang)`: one entry point for the three report formats.

HTML and Markdown are read by the DPO: French by default, English with lang="en". JSON is
a machine format and the same in every language: English at the historical keys, the
French wording beside it (`reasons_fr`, `duties.<id>.fr`...)."""

from __future__ import annotations

from .labels import check_lang
from .model import TriageResult
from .report_html import render_html
from .report_json import render_json
from .report_markdown import render_markdown

FORMATS = ("html", "json", "markdown")
LANGS = ("fr", "en")


def render(result: TriageResult, fmt: str = "html", lang: str = "fr") -> str:
    check_lang(lang)
    if fmt == "html":
        return render_html(result, lang)
    if fmt == "json":
        return render_json(result)
    if fmt in ("markdown", "md"):
        return render_markdown(result, lang)
    raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
