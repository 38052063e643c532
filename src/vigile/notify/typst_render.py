"""Typst compilation: one PDF per batch of documents, from a template and JSON input.

Fonts are Typst's embedded ones (Libertinus Serif, DejaVu Sans Mono, shipped inside the
`typst` wheel), with system fonts ignored: the same input gives the same PDF on any machine,
offline. The timestamp is fixed for the same reason.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import typst

TEMPLATES = Path(str(resources.files("vigile.notify") / "templates"))
_EPOCH = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp())
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class RenderError(RuntimeError):
    """Typst refused a document (the message names the template, never the data)."""


def _failed(template: str, e: Exception) -> RenderError:
    # Typst diagnostics can quote the input: keep only the first line of the first message,
    # which names the template construct, never a value.
    first = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
    return RenderError(f"typst failed on template {template}: {first}")


class Template:
    """One template compiled many times with different inputs (fonts loaded once)."""

    def __init__(self, template: str):
        self.template = template
        self._compiler = typst.Compiler(
            str(TEMPLATES / template), root=str(TEMPLATES), ignore_system_fonts=True
        )

    def render(self, data: dict) -> bytes:
        try:
            return self._compiler.compile(
                sys_inputs={"data": _encode(data)}, timestamp=_EPOCH, pdf_tags=False
            )
        except typst.TypstError as e:
            raise _failed(self.template, e) from None


def render_pdf(template: str, data: dict, workdir: Path | None = None) -> bytes:
    """Compile templates/<template> with `data` as sys.inputs.data; return the PDF bytes.

    With `workdir`, the template is compiled from there, so that it can read files written
    there (the profile bodies placed by letter.typ).
    """
    src, root = TEMPLATES / template, TEMPLATES
    if workdir is not None:
        src, root = Path(workdir) / template, Path(workdir)
        if not src.exists():
            shutil.copyfile(TEMPLATES / template, src)
    try:
        return typst.compile(
            str(src),
            root=str(root),
            ignore_system_fonts=True,
            sys_inputs={"data": _encode(data)},
            timestamp=_EPOCH,
            pdf_tags=False,  # print-only output; tagging makes compiles 4x slower, PDFs 3x larger
        )
    except typst.TypstError as e:
        raise _failed(template, e) from None
