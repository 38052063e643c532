"""Check digits and per-value validation, on shape-matching candidates only.

Detectors with a check digit do not count their shape in the first pass: that pass
returns the matching distinct values themselves (the count is their weight), and the
check-digit arithmetic then runs on those values only, and only when there are some.
Python per value runs only on capped distinct candidates (foreign phones).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import polars as pl

from vigile.detect import validators as v
from vigile.detect.distinct import COUNT, VALUE, weighted
from vigile.detect.ids import finess, nir, phone, rpps

INT = "int"  # a NIR candidate read as an integer (validation_lazies)


class Checked(NamedTuple):
    """A detector whose shape alone says little: its check digits decide."""

    candidate: str  # pattern of the values whose key is computed
    valid_key: str  # name of the validated count
    check_from: float  # share of candidate cells from which the keys are computed
    valid: Callable[[pl.Expr], pl.Expr]  # vectorised validator


CHECKED = {  # shape key -> its check (the shape keys of `gates.shape_exprs`)
    "nir": Checked(nir.PATTERN, "nir~valid", nir.CHECK_FROM, nir.key_valid),
    "rpps": Checked(rpps.CANDIDATE, "rpps~valid", rpps.CHECK_FROM, rpps.valid),
    "finess": Checked(finess.PATTERN, "finess~valid", finess.CHECK_FROM, finess.valid),
}


def candidates_lazy(d: pl.DataFrame, key: str) -> pl.LazyFrame:
    return d.lazy().filter(pl.col(VALUE).str.contains(CHECKED[key].candidate).fill_null(False))


def shape_count(key: str, cand: pl.DataFrame) -> int:
    if key == "rpps":  # rpps.PATTERN is an 11-digit candidate starting with 1
        cand = cand.filter(pl.col(VALUE).str.contains(rpps.PATTERN))
    return int(cand[COUNT].sum() or 0)


def validation_lazies(key: str, cand: pl.DataFrame) -> list[pl.LazyFrame]:
    """Lazies of one row each whose counts add up to the validated count."""
    s, lf, out_key = pl.col(VALUE), cand.lazy(), CHECKED[key].valid_key

    def count(part: pl.LazyFrame, check: pl.Expr) -> pl.LazyFrame:
        # Flag first, then weigh: inside an aggregation polars does not share the
        # check's repeated subexpressions (the integer cast, once per Luhn digit).
        ok = part.with_columns(check.alias(out_key))
        return ok.select(weighted(pl.col(out_key)).alias(out_key))

    if key == "nir":  # bare 15-digit values take the integer fast path
        # A candidate (NIR_PATTERN) that reads as an integer has no separator and no 2A/2B:
        # it is 15 digits. The cast is the test (cheaper than a regex) and the number.
        ints = lf.with_columns(pl.col(VALUE).cast(pl.Int64, strict=False).alias(INT))
        bare = pl.col(INT).is_not_null()
        return [
            count(ints.filter(bare), nir.key_matches(pl.col(INT))),
            count(ints.filter(~bare), nir.key_valid(s)),
        ]
    return [count(lf, CHECKED[key].valid(s))]


def validate_distinct(d: pl.DataFrame, pattern: str, check) -> tuple[int, float]:
    """(candidate cells, validated cells extrapolated from at most the cap of distinct values)."""
    cand = d.filter(pl.col(VALUE).str.contains(pattern))
    total = int(cand[COUNT].sum() or 0)
    if not total:
        return 0, 0.0
    head = cand.head(v.MAX_DISTINCT_VALIDATIONS)
    ok = [bool(check(x)) for x in head[VALUE].to_list()]
    valid_cells = int(head.filter(pl.Series(ok, dtype=pl.Boolean))[COUNT].sum() or 0)
    checked_cells = int(head[COUNT].sum() or 0)
    return total, total * valid_cells / checked_cells if checked_cells else 0.0


intl_phone_is_valid = phone.intl_is_valid  # kept for callers


def nir_pair_valid(df: pl.DataFrame, body: str, key: str) -> int:
    from vigile.detect.extract import nir_from_parts

    return int(df.select(nir_from_parts(pl.col(body), pl.col(key)).is_not_null().sum()).item())
