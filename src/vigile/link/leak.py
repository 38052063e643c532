"""The leak as distinct persons: linkage fields plus the categories each person has exposed.

Rows are reduced to persons first (the same key as triage: validated NIR, else
normalised last name + first name + birth date; rows without a NIR join the
NIR seen elsewhere with the same identity). Per row only the normalised
fields and a 32-bit category mask are kept, so memory stays bounded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from ..categories import CATEGORY_IDS
from ..detect.text import text_category_exprs
from ..read import ReadError, open_tables
from ..scan import scan_path
from ..shapes import TableReport
from .fields import FIELDS, linkage_fields, on_distinct, tidy
from .roles import LinkRoles, infer_roles

_BIT = {c: i for i, c in enumerate(CATEGORY_IDS)}
assert len(CATEGORY_IDS) <= 32, "category mask is a UInt32"
HASH_SEED = 0x11E4  # fixed so that a person's key is the same across batches and tables
_SEP = "\x1f"


class LeakError(ValueError):
    """The leak cannot be used for linkage (unreadable, or no identifying column)."""


@dataclass(frozen=True)
class LeakPersons:
    persons: pl.DataFrame  # leak_key (str), FIELDS..., mask (u32), rows (u32)
    row_person: pl.Series  # per leak row, in reading order: its leak_key
    roles: dict[str, LinkRoles]  # table path -> roles used
    rows: int
    warnings: tuple[str, ...] = ()


def categories_of(mask: int) -> frozenset[str]:
    return frozenset(c for c, i in _BIT.items() if mask >> i & 1)


def _present(col: str) -> pl.Expr:
    return (pl.col(col).str.strip_chars().str.len_bytes() > 0).fill_null(False)


def _bits(flags: dict[str, list[pl.Expr]]) -> pl.Expr:
    terms = [
        pl.when(pl.any_horizontal(fs))
        .then(pl.lit(1 << _BIT[cat], pl.UInt32))
        .otherwise(pl.lit(0, pl.UInt32))
        for cat, fs in flags.items()
        if fs and cat in _BIT
    ]
    if not terms:
        return pl.lit(0, pl.UInt32)
    return pl.fold(pl.lit(0, pl.UInt32), lambda acc, x: acc | x, terms).cast(pl.UInt32)


def exposure_mask(df: pl.DataFrame, roles: LinkRoles) -> pl.Series:
    """UInt32 per row: bit i set when the row exposes category CATEGORY_IDS[i].

    A categorised column exposes its category wherever a cell is non-empty; a free-text
    column exposes what its cell mentions (evaluated once per distinct text).
    """
    flags: dict[str, list[pl.Expr]] = {}
    for cat, cols in roles.by_category.items():
        flags.setdefault(cat, []).extend(_present(c) for c in cols if c in df.columns)
    mask = df.select(_bits(flags).alias("mask")).to_series()
    for col, cats in roles.text_columns.items():
        if col not in df.columns:
            continue
        exprs = text_category_exprs(pl.col(col))
        text_bits = _bits({c: [exprs[c]] for c in cats if c in exprs})
        mask = mask | on_distinct(df, [col], text_bits).fill_null(0)
    return mask.cast(pl.UInt32).alias("mask")


def _is_person_table(t: TableReport) -> bool:
    cats = {c.category for c in t.columns}
    return (
        "nir" in cats or {"last_name", "birth_date"} <= cats or {"last_name", "first_name"} <= cats
    )


def load_leak(
    path: str | os.PathLike,
    overrides: Mapping[str, str] | None = None,
) -> LeakPersons:
    """Scan the leak (column categories), then stream it again into per-row fields and masks."""
    result = scan_path([path])
    reports = {t.source.path: t for t in result.tables if _is_person_table(t)}
    if not reports:
        raise LeakError(f"{path}: no table with identifying columns (NIR, or names and birth date)")
    warnings = [e for e in result.errors]
    roles: dict[str, LinkRoles] = {}
    frames: list[pl.DataFrame] = []
    for item in open_tables(path):
        if isinstance(item, ReadError) or item.source.path not in reports:
            continue
        report = reports[item.source.path]
        table_roles: LinkRoles | None = None
        try:
            for batch in item.batches():
                if table_roles is None:
                    table_roles = infer_roles(report.columns, batch.head(2000), overrides)
                    roles[item.source.path] = table_roles
                fields = linkage_fields(batch, table_roles)
                frames.append(fields.with_columns(exposure_mask(batch, table_roles)))
        except ReadError as err:
            warnings.append(str(err))
    if not frames:
        raise LeakError(f"{path}: no readable rows")
    rows = tidy(pl.concat(frames, how="vertical"))
    del frames
    persons, row_person = group_persons(rows)
    return LeakPersons(persons, row_person, roles, rows.height, tuple(warnings))


def group_persons(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Rows (FIELDS + mask) -> one row per person, and each row's person key."""
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
            pl.len().cast(pl.UInt32).alias("rows"),
        )
        .sort("leak_key")
    )
    return persons, rows.get_column("leak_key")
