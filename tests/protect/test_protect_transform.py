"""Pseudonyms, generalisation and masks: properties over arbitrary values."""

from __future__ import annotations

import datetime as dt
import hmac
import os
import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from vigile.protect.pseudonym import Pseudonymiser
from vigile.protect.transform import department, masked, month, year

SECRET = os.urandom(32)
P = Pseudonymiser(SECRET)
# No control or separator characters: what "whitespace" means differs between libraries.
texts = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=30
)


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=40))
def test_hex_pseudonym_is_the_keyed_hmac(values):
    out = P.hex(pl.Series(values)).to_list()
    for v, h in zip(values, out, strict=True):
        assert h == hmac.new(SECRET, v.strip().encode(), "sha256").hexdigest()[:32]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.from_regex(r"[12]\d{14}", fullmatch=True), min_size=1, max_size=40))
def test_nir_pseudonyms_are_valid_nirs_and_never_the_input(values):
    out = P.nir(pl.Series(values)).to_list()
    for v, n in zip(values, out, strict=True):
        assert stdnum_nir.is_valid(n)
        assert n != v
        assert 20 <= int(n[3:5]) <= 42  # fictitious month: rarely a real person's number


def test_pseudonyms_are_consistent_across_tables_and_depend_on_the_secret():
    a = P.nir(pl.Series(["1 85 05 75 123 456 78", None]))
    b = P.nir(pl.Series(["185057512345678"]))
    assert a[0] == b[0] and a[1] is None
    other = Pseudonymiser(os.urandom(32))
    assert other.hex(pl.Series(["DUPONT"]))[0] != P.hex(pl.Series(["DUPONT"]))[0]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_dates_generalise_to_year_and_month_in_every_layout(d):
    layouts = [d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%Y%m%d"), d.strftime("%d.%m.%Y")]
    df = pl.DataFrame({"d": layouts})
    assert df.select(year(pl.col("d"))).to_series().to_list() == [str(d.year)] * 4
    months = df.select(month(pl.col("d"))).to_series().to_list()
    assert months[0] == months[1] == f"{d.year}-{d.month:02d}"


def test_postcodes_generalise_to_departements():
    codes = ["75012", "01000", "20000", "20290", "97411", "98800", " 29 200", "abc", None]
    out = pl.DataFrame({"p": codes}).select(department(pl.col("p"))).to_series().to_list()
    assert out == ["75", "01", "2A", "2B", "974", "988", "29", None, None]


@given(st.text(alphabet="abcXYZéÀç0129 -./@_'", max_size=40), st.integers(0, 6))
def test_mask_hides_every_letter_and_digit_but_the_allowed_tail(v, keep):
    out = pl.DataFrame({"v": [v]}).select(masked(pl.col("v"), keep)).item()
    shown = keep if len(v) > 2 * keep else 0
    cut = len(v) - shown
    assert out[:cut] == re.sub(r"[^\W_]", "*", v[:cut])
    assert out[cut:] == v[cut:]
