"""Excel (xlsx, xlsm, xlsb, xls) and ODS workbooks through python-calamine (Rust, never
runs macros), in an isolated child process (`vigile.read.isolate`): calamine allocates a
sheet as a whole rectangle and aborts the process when it cannot, so it never runs in
the process of a scan, a triage or a sweep. Each sheet is its own table; its header is
the first non-empty row. Zipped workbooks are checked first (`workbook_guard`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from vigile.read.isolate import run_worker
from vigile.read.limits import Limits
from vigile.read.names import unique_names
from vigile.read.table import Table
from vigile.read.worker import cell_text

__all__ = ["cell_text", "sheet_batches", "sheet_names"]


def sheet_names(path: Path, display: str, limits: Limits) -> list[str]:
    """Raw sheet names, in workbook order (raises ReadError)."""
    for msg in run_worker(
        path, {"op": "sheets"}, display, limits.worker_memory, limits.worker_seconds
    ):
        if "sheets" in msg:
            return [str(n) for n in msg["sheets"]]
    return []


def sheet_batches(table: Table, path: Path, index: int, limits: Limits) -> Iterator[pl.DataFrame]:
    request = {"op": "sheet", "index": index, "max_cells": limits.max_sheet_cells}
    names: list[str] | None = None
    schema: dict[str, pl.DataType] = {}
    parts: list[list[list[str | None]]] = []
    rows = 0
    for msg in run_worker(
        path, request, table.source.path, limits.worker_memory, limits.worker_seconds
    ):
        if "header" in msg:
            names = unique_names(msg["header"])
            schema = {n: pl.String for n in names}
        elif "cols" in msg and names is not None:
            parts.append(msg["cols"])
            rows += len(msg["cols"][0]) if msg["cols"] else 0
            if rows >= limits.batch_rows:
                yield _frame(names, schema, parts)
                parts, rows = [], 0
        elif "warn" in msg:
            table.warn(msg["warn"])
        elif "partial" in msg:
            table.incomplete(msg["partial"])
    if names is not None and parts:
        yield _frame(names, schema, parts)
    table.bytes_read = table.source.size or table.bytes_read


def _frame(names: list[str], schema: dict, parts: list[list[list[str | None]]]) -> pl.DataFrame:
    frames = [pl.DataFrame(dict(zip(names, cols, strict=True)), schema=schema) for cols in parts]
    return pl.concat(frames, rechunk=False) if len(frames) > 1 else frames[0]
