from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from vigile.link.deterministic import birth_dates_agree, nir_matches

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


def _agree(a: str | None, b: str | None) -> bool:
    df = pl.DataFrame({"a": [a], "b": [b]}, schema={"a": pl.String, "b": pl.String})
    return df.select(birth_dates_agree(pl.col("a"), pl.col("b"))).item()


@given(dates)
def test_same_date_and_missing_agree(d):
    assert _agree(d.isoformat(), d.isoformat())
    assert _agree(None, d.isoformat()) and _agree(d.isoformat(), None)


@given(dates, st.integers(1, 28))
def test_same_year_month_agrees(d, day):
    assert _agree(d.isoformat(), d.replace(day=day).isoformat())


@given(dates)
def test_day_month_swap_agrees(d):
    if d.day <= 12:
        assert _agree(d.isoformat(), d.replace(month=d.day, day=d.month).isoformat())


@given(dates, st.integers(2, 40_000))
def test_other_dates_disagree(d, delta):
    other = d + timedelta(days=delta)
    swapped = other.day <= 12 and d == other.replace(month=other.day, day=other.month)
    same_month = (d.year, d.month) == (other.year, other.month)
    assert _agree(d.isoformat(), other.isoformat()) == (same_month or swapped)


def _frame(rows, id_col):
    return pl.DataFrame(
        rows, schema={id_col: pl.String, "nir": pl.String, "birth_date": pl.String}, orient="row"
    )


def test_shared_nir_is_decided_by_birth_date():
    nir = "185057800608436"
    leak = _frame(
        [("k1", nir, "1985-05-02"), ("k2", nir, "2012-09-30"), ("k3", nir, None)], "leak_key"
    )
    # A parent and a child registered under the parent's NIR.
    pats = _frame([("P1", nir, "1985-05-02"), ("P2", nir, "2012-09-30")], "patient_id")
    got = dict(nir_matches(leak, pats).select("leak_key", "patient_id").rows())
    assert got == {"k1": "P1", "k2": "P2"}  # k3: no birth date, two candidates -> left to Splink


def test_nir_with_a_far_birth_date_is_not_linked():
    leak = _frame([("k1", "185057800608436", "1999-01-01")], "leak_key")
    pats = _frame([("P1", "185057800608436", "1985-05-02")], "patient_id")
    assert nir_matches(leak, pats).height == 0
