"""ids.iban: the vectorised IBAN check equals python-stdnum's."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as std_iban

from vigile.detect.ids import iban

COUNTRIES = ["FR", "DE", "GB", "IT", "NL", "MC", "CH", "PT", "LU", "XK", "QQ", "BE", "ES"]


@st.composite
def ibans(draw):
    """Well-formed IBANs with their right check digits, then maybe broken and respaced."""
    cc = draw(st.sampled_from(COUNTRIES))
    bban = draw(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=30))
    if draw(st.booleans()):
        bban = "".join(c for c in bban if c.isdigit()).ljust(23, "0")
    number = cc + std_iban.calc_check_digits(cc + "00" + bban) + bban
    if draw(st.booleans()):  # a typo: one character changed
        i = draw(st.integers(0, len(number) - 1))
        number = number[:i] + draw(st.sampled_from("0123456789AZ")) + number[i + 1 :]
    sep = draw(st.sampled_from(["", " ", "-", "."]))
    number = sep.join(number[i : i + 4] for i in range(0, len(number), 4))
    return number.lower() if draw(st.booleans()) else number


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(ibans(), st.text(max_size=40)), max_size=20))
def test_vectorised_check_equals_stdnum(values):
    want = [
        std_iban.is_valid(v) if v[:2].upper() not in iban.NATIONAL_CHECKS else None for v in values
    ]
    got = iban.is_valid_many(values)
    assert [g for g, w in zip(got, want, strict=True) if w is not None] == [
        w for w in want if w is not None
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(ibans(), st.integers(1, 5)), max_size=20))
def test_valid_count_weighs_and_checks_national_ibans_with_stdnum(rows):
    d = pl.DataFrame(
        {"value": [v for v, _ in rows], "count": [n for _, n in rows]},
        schema={"value": pl.String, "count": pl.Int64},
    )
    assert iban.valid_count(d) == sum(n for v, n in rows if std_iban.is_valid(v))


def test_known_numbers_and_nulls():
    assert iban.is_valid_many(
        ["FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890188", None, ""]
    ) == [True, False, False, False]
