"""Excel (xlsx, xlsb, xls) and ODS workbooks through python-calamine (Rust, never runs
macros). Each sheet is its own table; its header is the first non-empty row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
from python_calamine import CalamineWorkbook

from vigile.read.limits import Limits
from vigile.read.names import unique_names
from vigile.read.table import Table


def cell_text(v: object) -> str | None:
    """Excel stores numbers as floats: 1.23e14 must read back as the 15 digits of a NIR."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e18:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ") if v.time() != dt.time(0) else v.date().isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


def sheet_names(path: Path) -> list[str]:
    with open(path, "rb") as f:
        wb = CalamineWorkbook.from_filelike(f)
        try:
            return list(wb.sheet_names)
        finally:
            wb.close()


def sheet_batches(table: Table, path: Path, sheet: str, limits: Limits) -> Iterator[pl.DataFrame]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        rows = wb.get_sheet_by_name(sheet).iter_rows()
        names: list[str] | None = None
        buf: list[list[str | None]] = []
        for row in rows:
            cells = [cell_text(v) for v in row]
            if names is None:
                if not any(cells):
                    continue
                while cells and cells[-1] is None:
                    cells.pop()
                names = unique_names(cells)
                continue
            if not any(cells):
                continue
            buf.append(cells)
            if len(buf) >= limits.batch_rows:
                yield _frame(table, names, buf)
                buf = []
        if names is not None and buf:
            yield _frame(table, names, buf)
        table.bytes_read = table.source.size or table.bytes_read
    finally:
        wb.close()


def _frame(table: Table, names: list[str], rows: list[list[str | None]]) -> pl.DataFrame:
    width = len(names)
    wide = sum(1 for r in rows if len(r) > width and any(r[width:]))
    if wide:
        table.warn(f"{wide} row(s) had cells beyond the header; they were dropped")
    cols = {n: [r[i] if i < len(r) else None for r in rows] for i, n in enumerate(names)}
    return pl.DataFrame(cols, schema={n: pl.String for n in names})
