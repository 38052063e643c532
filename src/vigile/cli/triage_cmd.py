"""`vigile triage`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from .app import app, emit, fail, require_paths
from .progress import byte_progress


class TriageFormat(StrEnum):
    html = "html"
    json = "json"
    markdown = "markdown"


@app.command()
def triage(
    paths: list[Path] = typer.Argument(
        ..., help="The leaked file(s) or folder(s), any format scan reads."
    ),
    fmt: TriageFormat = typer.Option(
        TriageFormat.markdown,
        "--format",
        "-f",
        help="html (one self-contained file), json (vigile.triage/1) or markdown.",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    malicious: bool = typer.Option(
        True,
        "--malicious/--not-malicious",
        help="ENISA circumstances: the breach was malicious (+0.5).",
    ),
    unknown_recipients: bool = typer.Option(
        True,
        "--unknown-recipients/--known-recipients",
        help="ENISA circumstances: data disclosed to unknown recipients (+0.5).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Profile a leaked file without spreading it: persons, categories, geography, origin,
    time span, ENISA severity, and whether CNIL notification and information of persons are due.
    Only aggregates; cells under 10 persons are shown as <10."""
    from ..triage import Circumstances, render, triage_path

    require_paths(paths)
    if fmt is TriageFormat.html and output is None and sys.stdout.isatty():
        fail("the HTML report goes to a file: add --output report.html")
    circ = Circumstances(unknown_recipients=unknown_recipients, malicious=malicious)
    with byte_progress(enabled=not quiet and sys.stderr.isatty()) as progress:
        result = triage_path(paths, circumstances=circ, progress=progress)
    text = render(result, fmt.value)
    emit(text, output)
