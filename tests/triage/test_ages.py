"""Ages in completed years, and the birth month guessed from a NIR, against plain Python."""

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from vigile.triage.aggregate import _age, _birth_from_nir

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31))


@given(birth=dates, ref=dates)
def test_age_in_completed_years(birth, ref):
    got = pl.select(_age(pl.lit(birth), ref)).item()
    expected = ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))
    assert got == expected


@given(
    yy=st.integers(0, 99),
    mm=st.integers(1, 99),
    ref=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
)
def test_nir_century_never_puts_birth_after_the_reference_year(yy, mm, ref):
    born = pl.select(_birth_from_nir(pl.lit(f"{yy:02d}{mm:02d}"), ref)).item()
    assert born.year % 100 == yy and born.year <= ref.year and born.year > ref.year - 100
    assert born.month == (mm if mm <= 12 else 1)  # 20-99: unknown month codes
