"""`vigile sweep`: find files holding personal or health data on shares and home folders."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from ..protect.sweep import SAMPLE_ROWS, SweepResult, default_index, sweep
from .app import app, console, fail


class SweepFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


CSV_FIELDS = ("path", "categories", "persons", "owner", "age_days", "modified", "size",
              "encrypted", "status")  # fmt: skip


def _csv(result: SweepResult, include_all: bool) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for f in result.files:
        if f.status == "found" or (include_all and f.status != "clean"):
            d = f.to_json()
            d["categories"] = " ".join(f.categories)
            w.writerow([d[k] if d[k] is not None else "" for k in CSV_FIELDS])
    return buf.getvalue()


def _table(result: SweepResult, include_all: bool) -> None:
    t = Table(title=f"{len(result.found)} file(s) with personal or health data")
    for col in ("file", "categories", "persons", "owner", "age (days)", "encrypted"):
        t.add_column(col)
    for f in result.files:
        if f.status == "found" or (include_all and f.status != "clean"):
            t.add_row(f.path, ", ".join(f.categories) or f.status, f"~{f.persons:,}", f.owner,
                      str(f.age_days), f.encrypted or "no")  # fmt: skip
    console.print(t)
    console.print(
        f"{result.seen} files seen, {result.inspected} new contents inspected", markup=False
    )


@app.command("sweep")
def sweep_cmd(
    folders: list[Path] = typer.Argument(..., help="Folders (or files) to sweep."),
    fmt: SweepFormat = typer.Option(SweepFormat.table, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    index: Path | None = typer.Option(
        None,
        "--index",
        help=f"Sweep index (SQLite) remembering files seen (default {default_index()}).",
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Inspecting processes (default: CPUs)."
    ),
    rows: int = typer.Option(SAMPLE_ROWS, "--rows", help="Rows sampled per table."),
    include_all: bool = typer.Option(False, "--all", help="Also list encrypted files."),
) -> None:
    """Walk folders and report every file holding personal or health data.

    Exit code: 0 nothing found, 1 personal or health data found, 2 bad arguments.
    Unchanged files (same size and mtime as in the index) are not read again.
    """
    missing = [str(p) for p in folders if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    result = sweep(folders, index=index, workers=workers, sample_rows=rows)
    if fmt is SweepFormat.table and output is None:
        _table(result, include_all)
    else:
        if fmt is SweepFormat.json:
            text = json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n"
        elif fmt is SweepFormat.csv:
            text = _csv(result, include_all)
        else:
            buf = io.StringIO()
            console.file, old = buf, console.file
            try:
                _table(result, include_all)
            finally:
                console.file = old
            text = buf.getvalue()
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    if result.found:
        raise typer.Exit(1)
