"""Distinct frames: each column of a batch as its stripped distinct values with counts.

Every cell is examined, but through its column's *distinct values with their counts* (a
polars group-by): a sex or city column of 500k cells becomes a few hundred rows, and every
share the detectors compute is weighted by the counts (`weighted`), so it is exact over all
cells. The column names below are those of every frame the detection modules pass around.
"""

from __future__ import annotations

import numpy as np
import numpy.ma  # noqa: F401  numpy 2 imports numpy.random and numpy.ma on first use
import numpy.random  # (16 ms, polars looks numpy.ma up): here, not in the first scan
import polars as pl

VALUE, COUNT = "value", "count"  # a distinct value (stripped) and its count of cells


def collect_eval(lazies: list[pl.LazyFrame], values: int) -> list[pl.DataFrame]:
    """Collect the features and the detector rounds (many regexes and lexicon flags over
    materialised distinct frames) of `values` distinct values. On a large flush polars'
    in-memory engine runs them about 10% faster than its default streaming engine
    (polars 2.1, a 491,840-row scan: 0.35 s against 0.40 s over the detector rounds);
    group-bys, histograms and the other feature passes were as fast or faster on the
    default engine, and stay there. A small flush stays on the default engine too: each
    engine's threads compile every regex for themselves, which cost a sweep's small
    files 14 ms each (38 -> 52 ms a file)."""
    engine = "in-memory" if values >= IN_MEMORY_FROM else "auto"
    return pl.collect_all(lazies, engine=engine)


IN_MEMORY_FROM = 1_000_000  # distinct values in a flush


def distinct_counts(df: pl.DataFrame, unique: frozenset[str] = frozenset()) -> list[pl.DataFrame]:
    """Per column: stripped non-empty distinct values `v` with counts `n` (parallel group-bys).

    The group-by runs on the raw cells; stripping then touches distinct values only, and
    only columns that hold padded or empty values are stripped and grouped again.
    Columns named in `unique` (record numbers, timestamps: nearly every cell differs)
    are not grouped, which would hash every cell for little: each cell is a row of count
    1, so every weighted share stays exact (a repeated value is simply several rows)."""
    raw = pl.collect_all(
        [
            df.lazy()
            .select(pl.col(c).alias(VALUE), pl.lit(1, pl.UInt32).alias(COUNT))
            .drop_nulls(VALUE)
            if c in unique
            else df.lazy().group_by(pl.col(c).alias(VALUE)).len(name=COUNT).drop_nulls(VALUE)
            for c in df.columns
        ]
    )
    padded = pl.collect_all([d.lazy().select(_padded(pl.col(VALUE)).any()) for d in raw])
    redo = [i for i, p in enumerate(padded) if p.item()]
    fixed = pl.collect_all([_stripped(raw[i], df.columns[i] not in unique) for i in redo])
    for i, d in zip(redo, fixed, strict=True):
        raw[i] = d
    return raw


def _stripped(d: pl.DataFrame, regroup: bool) -> pl.LazyFrame:
    lf = (
        d.lazy()
        .with_columns(pl.col(VALUE).str.strip_chars())
        .filter(pl.col(VALUE).str.len_bytes() > 0)
    )
    return lf.group_by(VALUE).agg(pl.col(COUNT).sum()) if regroup else lf


# At most this many repeated values among GATE_CELLS rows drawn at random: the column
# repeats so little (about under 1.7 cells a value on 500k rows) that grouping it costs
# more than examining its repeats.
UNIQUE_REPEATS = 2


def unique_columns(df: pl.DataFrame) -> dict[str, int]:
    """Columns not worth grouping (see `distinct_counts`), each with its estimated number
    of distinct values (HyperLogLog, a fraction of a group-by's cost), which stands for
    the exact count the group-by would have given. Small frames are always grouped."""
    if df.height < 16 * GATE_CELLS:
        return {}
    rows = np.random.default_rng(GATE_SEED).choice(df.height, GATE_CELLS, replace=False)
    sample = df[pl.Series(rows)]
    distinct = sample.select(pl.all().drop_nulls().n_unique()).row(0, named=True)
    cells = sample.select(pl.all().count()).row(0, named=True)
    picked = [
        c
        for c in df.columns
        if cells[c] >= GATE_CELLS // 2 and distinct[c] >= cells[c] - UNIQUE_REPEATS
    ]
    if not picked:
        return {}
    est = df.select(pl.col(c).approx_n_unique() for c in picked).row(0, named=True)
    return {c: int(est[c]) for c in picked}


def _padded(s: pl.Expr) -> pl.Expr:
    """Values that `strip_chars` would change, or empty ones (cheaper than a regex)."""
    length = s.str.len_bytes()
    return (s.str.strip_chars().str.len_bytes() != length) | (length == 0)


def weighted(e: pl.Expr) -> pl.Expr:
    """Sum of counts of the distinct values where the Boolean `e` holds."""
    return pl.col(COUNT).filter(e.fill_null(False)).sum()


COLUMN_ID = "column"  # index of a column, in frames stacking several


FOLDED = "folded"  # folded value (lexicons.fold_expr), for lexicons and free text


GATE_CELLS = 2048  # cells drawn per column to gate its shape detectors and lexicon flags


GATE_SEED = 20210223  # fixed: a scan's result does not depend on the run
