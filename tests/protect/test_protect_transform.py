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

from vigile.protect.profile import ColumnRule
from vigile.protect.pseudonym import Pseudonymiser
from vigile.protect.transform import _computed, _expr, apply, department, masked, month, year

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


RULES = [
    ColumnRule("v", "generalise", to="year"),
    ColumnRule("v", "generalise", to="month"),
    ColumnRule("v", "generalise", to="department"),
    ColumnRule("v", "mask", keep_last=2),
]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["75012", " 2A 004", "12/05/1985", "1985-05-12", ""]),
            st.text("0123456789/- .abc", max_size=12),
        ),
        min_size=1,
        max_size=60,
    ),  # fmt: skip
    st.sampled_from(RULES),
)
def test_generalisation_on_distinct_values_is_the_expression_on_every_row(values, rule):
    """Repeated values are generalised once and spread back: same result as row by row
    (both paths: few distinct values, and mostly distinct ones)."""
    col = pl.Series("v", values, pl.String)
    for series in (col, pl.concat([col] * 3)):
        direct = series.to_frame().select(_expr(rule)).to_series()
        assert _computed(series, rule).to_list() == direct.to_list()


def test_apply_keeps_the_order_of_the_columns_and_rows():
    batch = pl.DataFrame(
        {"NOM": ["A", "B", None, "A"], "CP": ["75001", "29200", "75001", None],
         "NIR": ["185057512345678", None, "185057512345678", " "], "X": ["1", "2", "3", "4"]}
    )  # fmt: skip
    rules = [
        ColumnRule("CP", "generalise", to="department"),
        ColumnRule("NOM", "pseudonymise"),
        ColumnRule("X", "keep"),
        ColumnRule("NIR", "pseudonymise", format="nir", category="nir"),
    ]
    out = apply(batch, rules, P)
    assert out.columns == ["CP", "NOM", "X", "NIR"]
    assert out["CP"].to_list() == ["75", "29", "75", None]
    assert out["X"].to_list() == ["1", "2", "3", "4"]
    assert out["NOM"].to_list() == P.hex(batch["NOM"]).to_list()
    assert out["NIR"].to_list() == P.nir(batch["NIR"]).to_list()
    assert out["NIR"][2] == out["NIR"][0] and out["NIR"][3] is None


def test_apply_with_only_pseudonymised_or_only_kept_columns():
    batch = pl.DataFrame({"A": ["x", "y", None], "B": ["1", "2", "3"]})
    only_hashed = apply(batch, [ColumnRule("A", "pseudonymise")], P)
    assert (
        only_hashed.columns == ["A"] and only_hashed["A"].to_list() == P.hex(batch["A"]).to_list()
    )
    assert apply(batch, [ColumnRule("B", "keep")], P).equals(batch.select("B"))
    empty = apply(batch.head(0), [ColumnRule("A", "pseudonymise"), ColumnRule("B", "keep")], P)
    assert empty.columns == ["A", "B"] and empty.height == 0
