"""`vigile scan`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from ..scan import render_scan, scan_path
from .app import app, emit, require_paths
from .progress import byte_progress

EXIT_FOUND = 1
EXIT_NOTHING_READ = 2
EXIT_NOT_FULLY_READ = 3


class ScanFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def scan(
    paths: list[Path] = typer.Argument(
        ...,
        help="Files or folders to scan: CSV/TSV, Excel/ODS, JSON/NDJSON, Parquet, SQL dumps, "
        "text, and zip/gzip/tar archives of them (folders are walked recursively).",
    ),
    fmt: ScanFormat = typer.Option(ScanFormat.table, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    exit_code: bool = typer.Option(
        False,
        "--exit-code",
        help="Exit 1 when sensitive data is found, 3 when nothing was found but some input "
        "could not be read completely (for cron and CI).",
    ),
) -> None:
    """Find and classify sensitive data column by column (masked samples only).

    Exit code: 0 done, 1 sensitive data found (with --exit-code), 2 nothing could be read,
    3 some input not fully read and nothing found (with --exit-code).
    """
    require_paths(paths)
    with byte_progress(enabled=not quiet and sys.stderr.isatty()) as progress:
        result = scan_path(paths, progress=progress)
    text = render_scan(result, fmt.value)
    emit(text, output)
    found = any(c.category or c.text_categories for t in result.tables for c in t.columns)
    if found and exit_code:
        raise typer.Exit(EXIT_FOUND)
    if result.errors and not result.tables and not result.complete:
        raise typer.Exit(EXIT_NOTHING_READ)
    if exit_code and not result.complete:
        raise typer.Exit(EXIT_NOT_FULLY_READ)
