"""A file's tables with their identifying columns: read once with vigile's readers,
classified on the first rows by the detectors (`ColumnProfiler`, then the shared
column roles of `vigile.triage.roles`), then streamed batch by batch."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

from ..detect import ColumnProfiler
from ..read import Limits, ReadError, Table, open_tables
from ..shapes import ColumnFinding
from ..triage.roles import Roles, assign_roles
from .fingerprint import KeyColumns, key_columns_from_roles

PROFILE_ROWS = 20_000  # rows the column classification looks at
SAMPLE_ROWS = 2_000  # rows the role rules and the pseudonym check look at

ProgressFn = Callable[[str, int, int | None], None]


@dataclass
class ClassifiedTable:
    table: Table | None  # None for a frame classified in memory (`classify_frame`)
    findings: list[ColumnFinding]
    roles: Roles
    keys: KeyColumns
    sample: pl.DataFrame
    batches: Iterator[pl.DataFrame]
    errors: list[str] = field(default_factory=list)


def _stream(table: Table, held: list[pl.DataFrame], rest, errors: list[str], progress):
    while held:  # each held batch released once handed on
        yield held.pop(0)
    try:
        for batch in rest:
            yield batch
            if progress:
                progress(table.partial_source.path, table.bytes_read, table.partial_source.size)
    except ReadError as err:
        errors.append(str(err))


def classified_tables(
    path: str | os.PathLike,
    *,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    errors: list[str] | None = None,
) -> Iterator[ClassifiedTable]:
    """Every readable table of `path`; unreadable parts go to `errors` (one line each).
    Consume each table's `batches` before asking for the next table."""
    errors = errors if errors is not None else []
    for item in open_tables(path, limits or Limits()):
        if isinstance(item, ReadError):
            errors.append(str(item))
            continue
        held: list[pl.DataFrame] = []
        profiler: ColumnProfiler | None = None
        seen = 0
        it = item.batches()
        try:
            for batch in it:
                if any(dt != pl.String for dt in batch.dtypes):
                    batch = batch.cast(pl.String)
                if profiler is None:
                    profiler = ColumnProfiler(columns=batch.columns, kind="table")
                part = batch.head(PROFILE_ROWS - seen)
                profiler.update(part)
                seen += part.height
                held.append(batch)
                if seen >= PROFILE_ROWS:
                    break
        except ReadError as err:
            errors.append(str(err))
            it = iter(())
        if profiler is None:
            continue
        findings = profiler.finish()
        sample = held[0].head(SAMPLE_ROWS)
        roles = assign_roles(findings, sample)
        keys = key_columns_from_roles(roles, [f.name for f in findings], sample)
        table_errors: list[str] = []
        yield ClassifiedTable(
            item, findings, roles, keys, sample,
            _stream(item, held, it, table_errors, progress), table_errors,
        )  # fmt: skip
        errors.extend(table_errors)
        errors.extend(w for w in item.warnings if w not in errors)


def classify_frame(frame: pl.DataFrame) -> ClassifiedTable:
    """A frame already in memory (an export's first batch) classified as a file's table
    is: its first PROFILE_ROWS rows profiled, roles and identifying columns assigned."""
    frame = frame.cast(pl.String) if any(dt != pl.String for dt in frame.dtypes) else frame
    profiler = ColumnProfiler(columns=frame.columns, kind="table")
    profiler.update(frame.head(PROFILE_ROWS))
    findings = profiler.finish()
    sample = frame.head(SAMPLE_ROWS)
    roles = assign_roles(findings, sample)
    keys = key_columns_from_roles(roles, [f.name for f in findings], sample)
    return ClassifiedTable(None, findings, roles, keys, sample, iter(()))
