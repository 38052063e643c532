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
from ..read.names import shown_path
from ..read.table import UNREAD
from ..shapes import SCAN_SCHEMA, Source, TableReport

# progress(display_path, bytes_read, total_bytes_or_None)
ProgressFn = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class ScanResult:
    tables: tuple[TableReport, ...]
    errors: tuple[str, ...]  # inputs that yielded no table at all, as "path: message"
    # (path, message, fully read) of each of those inputs, in the same order: an empty
    # file or a dump without data was read to its end and hides nothing.
    failures: tuple[tuple[str, str, bool], ...] = ()

    @property
    def unread(self) -> list[tuple[str, str]]:
        """(path, reason) of every file, member, sheet or table not (fully) read."""
        out = [(path, msg) for path, msg, read in self.failures if not read]
        for t in self.tables:
            prefix = f"{t.source.path}: "
            out += [(t.source.path, e.removeprefix(prefix)) for e in t.errors]
        return out

    @property
    def complete(self) -> bool:
        """Everything was read: only then may a report say that nothing was found."""
        return not self.unread

    def to_json(self) -> dict:
        files = [t.to_json() for t in self.tables]
        files += [
            {"path": path, "rows": 0, "columns": [], "errors": [f"{path}: {msg}"]}
            for path, msg, _read in self.failures
        ]
        return {
            "schema": SCAN_SCHEMA,
            "vigile_version": __version__,
            "complete": self.complete,
            "not_fully_read": [{"path": p, "reason": r} for p, r in self.unread],
            "files": files,
        }


def iter_files(paths: Iterable[str | os.PathLike | bytes]) -> Iterator[Path]:
    """Expand directories recursively (sorted, symlinks not followed); keep files as given.
    Bytes paths (names that are not valid UTF-8) are decoded as the OS does."""
    for p in (Path(os.fsdecode(x)) for x in paths):
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
    source = table.source
    # Parts not read are errors of the table (a warning says no more than "note this").
    errors += [f"{source.path}: {UNREAD}{reason}" for reason in table.unread]
    return TableReport(
        source=source,
        rows=rows,
        columns=columns,
        errors=tuple(errors),
        warnings=tuple(w for w in table.warnings if not w.startswith(UNREAD)),
    )


def scan_tables(
    paths: Iterable[str | os.PathLike | bytes],
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
            yield ReadError(shown_path(path), err.strerror or type(err).__name__)


def scan_path(
    paths: Iterable[str | os.PathLike | bytes] | str | os.PathLike | bytes,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> ScanResult:
    if isinstance(paths, str | os.PathLike | bytes):
        paths = [paths]
    tables: list[TableReport] = []
    failures: list[ReadError] = []
    for item in scan_tables(paths, limits, progress):
        if isinstance(item, ReadError):
            failures.append(item)
        else:
            tables.append(item)
    return ScanResult(
        tables=tuple(tables),
        errors=tuple(str(e) for e in failures),
        failures=tuple((e.path, e.message, e.read) for e in failures),
    )


__all__ = [
    "ProgressFn",
    "ScanResult",
    "Source",
    "iter_files",
    "scan_path",
    "scan_table",
    "scan_tables",
]
