"""The leak as distinct persons: linkage fields plus what each person's own rows expose.

One read per table, as the triage does (`vigile.triage.api`): the first batches are
held while the column profiler classifies their first `profile_rows` rows, then
they and every later batch are reduced to the normalised linkage fields and the
exposure of the row (category mask, health-kind mask, password form). Rows are then
reduced to persons (validated NIR, else normalised last name + first name + birth
date; rows without a NIR join the NIR seen elsewhere with the same identity), and a
person's exposure is the OR of their rows'. Memory stays bounded: per row only the
fields and three small integers are kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from ..detect import ColumnProfiler
from ..read import Limits, ReadError, Table, open_tables
from ..triage.roles import Roles
from .exposure import categories_of, exposure_columns, exposure_plan
from .fields import FIELDS, linkage_fields, tidy
from .roles import IDENTITY_HELP, can_identify, infer_roles

HASH_SEED = 0x11E4  # fixed so that a person's key is the same across batches and tables
_SEP = "\x1f"
PROFILE_ROWS = 100_000  # rows the column classification looks at (as the triage)
ROLE_SAMPLE_ROWS = 2_000  # rows the role rules look at (prescriber by content...)

# progress(display_path, bytes_read, total_bytes_or_None), as in vigile.scan
ProgressFn = Callable[[str, int, int | None], None]

__all__ = ["LeakError", "LeakPersons", "categories_of", "group_persons", "load_leak"]


class LeakError(ValueError):
    """The leak cannot be used for linkage (unreadable, or no identifying column)."""


@dataclass(frozen=True)
class LeakPersons:
    # leak_key (str), FIELDS..., mask (u32), kinds (u16), pw (u8), rows (u32)
    persons: pl.DataFrame
    row_person: pl.Series  # per leak row, in reading order: its leak_key
    roles: dict[str, Roles]  # table path -> roles used
    rows: int
    warnings: tuple[str, ...] = ()
    profiled_rows: int = 0  # rows the column classification looked at (per table, at most)


@dataclass
class _TableRead:
    frames: list[pl.DataFrame]
    roles: Roles | None
    profiled: int
    errors: list[str]


def _read_table(
    table: Table,
    overrides: Mapping[str, str] | None,
    progress: ProgressFn | None,
    profile_rows: int,
) -> _TableRead:
    """Classify on the first rows while holding them, then derive every batch: one read."""
    path = table.partial_source.path  # (`source` would wait for the file's digest)
    held: list[pl.DataFrame] = []
    frames: list[pl.DataFrame] = []
    errors: list[str] = []
    profiler: ColumnProfiler | None = None
    roles: Roles | None = None
    plan = None
    seen = 0
    done = False  # classified: either deriving, or not a person table

    def setup() -> None:
        nonlocal roles, plan, done
        done = True
        if profiler is None or not held:
            return
        findings = profiler.finish()
        r = infer_roles(findings, held[0].head(ROLE_SAMPLE_ROWS), overrides)
        if can_identify(r):
            roles, plan = r, exposure_plan(r, held[0].columns)

    def derive(batch: pl.DataFrame) -> None:
        if any(dtype != pl.String for dtype in batch.dtypes):  # readers give strings
            batch = batch.cast(pl.String)
        frames.append(
            pl.concat(
                [linkage_fields(batch, roles), exposure_columns(batch, plan)], how="horizontal"
            )
        )

    if progress:  # the bar (and its clock) from the start: a reader may yield large blocks
        progress(path, table.bytes_read, table.partial_source.size)
    try:
        for batch in table.batches():
            if not done:
                if profiler is None:
                    profiler = ColumnProfiler(columns=batch.columns, kind="table")
                part = batch.head(profile_rows - seen)
                profiler.update(part)
                seen += part.height
                held.append(batch)
                if seen >= profile_rows:
                    setup()
                    if roles is None:  # no identifying column: stop reading this table
                        break
                    for b in held:
                        derive(b)
                    held.clear()
            else:
                derive(batch)
            if progress:
                progress(path, table.bytes_read, table.partial_source.size)
    except ReadError as err:
        errors.append(str(err))
    if not done:
        setup()
        if roles is not None:
            for b in held:
                derive(b)
    return _TableRead(frames, roles, seen, errors)


def load_leak(
    path: str | os.PathLike,
    overrides: Mapping[str, str] | None = None,
    *,
    progress: ProgressFn | None = None,
    profile_rows: int = PROFILE_ROWS,
    limits: Limits | None = None,
) -> LeakPersons:
    """Read every table of the leak once into per-row fields and exposure, then persons."""
    warnings: list[str] = []
    roles: dict[str, Roles] = {}
    frames: list[pl.DataFrame] = []
    tables = 0
    profiled = 0
    for item in open_tables(path, limits=limits or Limits()):
        if isinstance(item, ReadError):
            warnings.append(str(item))
            continue
        if item.partial_source.kind == "text":  # logs, documents: no columns to link on
            continue
        tables += 1
        got = _read_table(item, overrides, progress, profile_rows)
        warnings.extend(got.errors)
        if got.roles is not None:
            roles[item.partial_source.path] = got.roles
            frames.extend(got.frames)
            profiled = max(profiled, got.profiled)
    if not tables:
        why = f" ({warnings[0]})" if warnings else ""
        raise LeakError(
            f"{path}: not a table vigile can read{why}; linkage needs rows and columns "
            "(CSV, spreadsheet, Parquet, JSON, SQL dump)"
        )
    if not roles:
        raise LeakError(
            f"{path}: no table with identifying columns; linkage needs "
            + IDENTITY_HELP.format(flag="--leak-role")
        )
    if not frames:
        raise LeakError(f"{path}: no readable rows")
    rows = tidy(pl.concat(frames, how="vertical"))
    del frames
    persons, row_person = group_persons(rows)
    return LeakPersons(persons, row_person, roles, rows.height, tuple(warnings), profiled)


def group_persons(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Rows (FIELDS + mask, kinds, pw) -> one row per person, and each row's person key."""
    ident = (
        pl.when(pl.all_horizontal(pl.col("last_name", "first_name", "birth_date").is_not_null()))
        .then(pl.concat_str(["last_name", "first_name", "birth_date"], separator=_SEP))
        .otherwise(None)
    )
    rows = rows.with_row_index("_row").with_columns(ident.alias("_ident"))
    # An identity seen with exactly one NIR lends it to its rows that lack one.
    lend = (
        rows.filter(pl.col("nir").is_not_null() & pl.col("_ident").is_not_null())
        .group_by("_ident")
        .agg(pl.col("nir").unique().alias("_nirs"))
        .filter(pl.col("_nirs").list.len() == 1)
        .select("_ident", pl.col("_nirs").list.first().alias("_lent"))
    )
    rows = rows.join(lend, on="_ident", how="left", maintain_order="left")
    key = pl.coalesce(
        pl.lit("N") + pl.coalesce("nir", "_lent"),
        pl.lit("I") + pl.col("_ident"),
        pl.lit("R") + pl.col("_row").cast(pl.String),
    )
    rows = rows.with_columns(
        key.hash(HASH_SEED).cast(pl.String).alias("leak_key"),
        pl.coalesce("nir", "_lent").alias("nir"),
    )
    persons = (
        rows.group_by("leak_key")
        .agg(
            *(pl.col(f).drop_nulls().first() for f in FIELDS),
            pl.col("mask").bitwise_or().alias("mask"),
            pl.col("kinds").bitwise_or().alias("kinds"),
            pl.col("pw").max().alias("pw"),
            pl.len().cast(pl.UInt32).alias("rows"),
        )
        .sort("leak_key")
    )
    return persons, rows.get_column("leak_key")
