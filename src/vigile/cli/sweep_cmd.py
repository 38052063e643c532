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
from rich.text import Text

from ..scan.sweep import SAMPLE_ROWS, SweepResult, default_index, sweep
from .app import app, console, fail, require_paths, spark_or_fail
from .progress import count_progress

EXIT_FOUND = 1
EXIT_NOT_FULLY_READ = 3


class SweepFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


CSV_FIELDS = ("path", "categories", "persons", "owner", "age_days", "modified", "size",
              "encrypted", "status", "not_read")  # fmt: skip


def _listed(f, include_all: bool) -> bool:
    """Found, not fully read, or (with --all) encrypted or in no supported format."""
    return f.status == "found" or not f.complete or (include_all and f.status != "clean")


def _csv(result: SweepResult, include_all: bool) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for f in result.files:
        if _listed(f, include_all):
            d = f.to_json()
            d["categories"] = " ".join(f.categories)
            d["not_read"] = " | ".join(f.not_read)
            w.writerow([d[k] if d[k] is not None else "" for k in CSV_FIELDS])
    return buf.getvalue()


def _table(result: SweepResult, include_all: bool) -> None:
    t = Table(title=f"{len(result.found)} file(s) with personal or health data")
    t.add_column("file", overflow="fold")
    for col in ("categories", "persons", "owner", "age (days)", "encrypted"):
        t.add_column(col)
    for f in result.files:
        if f.status == "found" or (include_all and f.status in ("encrypted", "unsupported")):
            # Text cells: a file name is never read as rich markup.
            t.add_row(Text(f.path), Text(", ".join(f.categories) or f.status),
                      f"~{f.persons:,}", Text(f.owner), str(f.age_days),
                      f.encrypted or "no")  # fmt: skip
    console.print(t)
    unread = result.not_fully_read
    if unread or result.errors:
        console.print(
            f"Not fully read: {len(unread)} file(s) and {len(result.errors)} folder(s) could not"
            " be read completely; they may hold personal data:",
            markup=False,
            highlight=False,
        )
        lines = [r for f in unread for r in _first(f.not_read)] + result.errors
        for line in lines:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"{result.seen} files seen, {result.inspected} new contents inspected", markup=False
    )
    if not result.found:
        console.print(
            "No personal or health data found."
            if result.complete
            else "No personal or health data found in what could be read, but not everything"
            " could be read (see 'Not fully read'): this does not show that the folders are"
            " clean.",
            markup=False,
            highlight=False,
        )


PARTS_SHOWN = 3  # parts not read listed per file in the table (JSON and CSV list them all)


def _first(parts: tuple[str, ...]) -> list[str]:
    if len(parts) <= PARTS_SHOWN:
        return list(parts)
    return [*parts[:PARTS_SHOWN], f"... and {len(parts) - PARTS_SHOWN} more part(s) of that file"]


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
    include_all: bool = typer.Option(
        False, "--all", help="Also list encrypted files and files in no supported format."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local (a process pool on this machine) or spark (the files are read on Spark's "
        "executors, which must see the folders at the same paths; the index stays here); "
        "spark needs `pip install 'vigile[spark]'` and Java 17+.",
    ),
    spark_master: str | None = typer.Option(
        None,
        "--spark-master",
        help="With --engine spark: spark://host:7077, yarn, k8s://…, local[4]; default: the "
        "spark-submit session, else local[*].",
    ),
) -> None:
    """Walk folders and report every file holding personal or health data.

    Exit code: 0 nothing found and everything read, 1 personal or health data found,
    2 bad arguments, 3 nothing found but some file or folder could not be read completely.
    Unchanged files (same size and mtime as in the index) are not read again.
    """
    if engine not in ("local", "spark"):
        fail(f"--engine must be local or spark, not {engine!r}")
    if engine == "local" and spark_master:
        fail("--spark-master needs --engine spark")
    if engine == "spark" and workers is not None:
        fail("--workers sizes the local pool: with --engine spark, size the executors instead")
    require_paths(folders)
    spark = spark_or_fail(spark_master) if engine == "spark" else None
    with count_progress(
        "inspecting", None, enabled=not quiet and sys.stderr.isatty(), unit="files"
    ) as advance:
        if spark is not None:
            from ..scan.sweep_spark import sweep_spark

            try:
                result = sweep_spark(
                    folders, spark, index=index, sample_rows=rows, progress=advance
                )
            except Exception as e:  # noqa: BLE001 - a JVM error text can quote paths
                fail(
                    f"the sweep on Spark failed ({type(e).__name__}); the files inspected "
                    "before are kept in the index: run the same command again to go on"
                )
        else:
            result = sweep(
                folders, index=index, workers=workers, sample_rows=rows, progress=advance
            )
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
        raise typer.Exit(EXIT_FOUND)
    if not result.complete:
        raise typer.Exit(EXIT_NOT_FULLY_READ)
