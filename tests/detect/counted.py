"""Distinct frames (value, count) as the engine sees them, for hypothesis tests."""

from __future__ import annotations

import polars as pl
from hypothesis import strategies as st

from vigile.detect import distinct as en


def counted_values(values: st.SearchStrategy[str], max_count: int = 9):
    """Lists of distinct values, each with how many cells hold it."""
    return st.lists(
        st.tuples(values, st.integers(min_value=1, max_value=max_count)),
        min_size=1,
        max_size=40,
        unique_by=lambda t: t[0],
    )


def distinct_frame(pairs: list[tuple[str, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {en.VALUE: [v for v, _ in pairs], en.COUNT: [n for _, n in pairs]},
        schema={en.VALUE: pl.String, en.COUNT: pl.UInt32},
    )
