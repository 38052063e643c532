"""Wire the readers to the column profiler, one table at a time.

A file that cannot be read, or a table that breaks mid-stream, becomes an
error entry naming the file; the scan goes on with the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..detect import ColumnProfiler
from ..read import Limits, ReadError, Table, open_tables
from ..shapes import SCAN_SCHEMA, Source, TableReport

# progress(display_path, bytes_read, total_bytes_or_None)
ProgressFn = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class ScanResult:
    tables: tuple[TableReport, ...]
    errors: tuple[str, ...]  # inputs that yielded no table at all, as "path: message"

    def to_json(self) -> dict:
        files = [t.to_json() for t in self.tables]
        files += [
            {"path": e.split(": ", 1)[0], "rows": 0, "columns": [], "errors": [e]}
            for e in self.errors
        ]
        return {"schema": SCAN_SCHEMA, "vigile_version": __version__, "files": files}


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Expand directories recursively (sorted, symlinks not followed); keep files as given."""
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    f = Path(root, name)
                    if not f.is_symlink():
                        yield f
        else:
            yield p


def scan_table(table: Table, progress: ProgressFn | None = None) -> TableReport:
    """Stream one table's batches through a profiler. Errors mid-stream keep what was seen."""
    profiler: ColumnProfiler | None = None
    rows = 0
    errors: list[str] = []
    try:
        for batch in table.batches():
            if profiler is None:
                profiler = ColumnProfiler(columns=batch.columns, kind=table.partial_source.kind)
            profiler.update(batch)
            rows += batch.height
            if progress:
                info = table.partial_source  # the sha256 is not waited for here
                progress(info.path, table.bytes_read, info.size)
    except ReadError as err:
        errors.append(str(err))
    columns = tuple(profiler.finish()) if profiler else ()
    return TableReport(
        source=table.source,
        rows=rows,
        columns=columns,
        errors=tuple(errors),
        warnings=tuple(table.warnings),
    )


def scan_tables(
    paths: Iterable[str | os.PathLike],
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> Iterator[TableReport | ReadError]:
    """Yield a report per table, or the ReadError of an input that gave no table."""
    for path in iter_files(paths):
        try:
            items = open_tables(path, limits=limits or Limits())
            for item in items:
                if isinstance(item, ReadError):
                    yield item
                else:
                    yield scan_table(item, progress)
        except OSError as err:  # unreadable path: permissions, vanished file
            yield ReadError(str(path), err.strerror or type(err).__name__)


def scan_path(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> ScanResult:
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    tables: list[TableReport] = []
    errors: list[str] = []
    for item in scan_tables(paths, limits, progress):
        if isinstance(item, ReadError):
            errors.append(str(item))
        else:
            tables.append(item)
    return ScanResult(tables=tuple(tables), errors=tuple(errors))


__all__ = [
    "ProgressFn",
    "ScanResult",
    "Source",
    "iter_files",
    "scan_path",
    "scan_table",
    "scan_tables",
]
