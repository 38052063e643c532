import polars as pl
from counted import counted_values, distinct_frame
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir as std_nir

from vigile.detect.validators import finess_valid, luhn_valid, nir_key_valid, rpps_valid

digits = st.text(alphabet="0123456789", min_size=1, max_size=20)


def _eval(expr_fn, values):
    return (
        pl.DataFrame({"x": values}, schema={"x": pl.String})
        .select(expr_fn(pl.col("x")))["x"]
        .to_list()
    )


@st.composite
def nir_like(draw):
    """NIR-shaped strings (with 2A/2B and separators), valid key or not, plus noise."""
    body = draw(st.text(alphabet="0123456789", min_size=13, max_size=13))
    if draw(st.booleans()):
        body = body[:5] + draw(st.sampled_from(["2A", "2B", "2a"])) + body[7:]
    key = (
        std_nir.calc_check_digits(body.upper())
        if draw(st.booleans())
        else draw(st.text(alphabet="0123456789", min_size=2, max_size=2))
    )
    value = body + key
    if draw(st.booleans()):
        value = " ".join(
            [value[:1], value[1:3], value[3:5], value[5:7], value[7:10], value[10:13], value[13:]]
        )
    return draw(
        st.sampled_from(
            [
                value,
                value + "1",
                value[:-1],
                "x" + value,
                value.replace("2", ".", 1),
                value.replace(" ", "-"),
            ]
        )
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(nir_like(), digits, st.text(max_size=20)), min_size=1, max_size=40))
def test_nir_key_expression_equals_stdnum(values):
    # stdnum keeps hyphens; vigile drops them like spaces (1-84-05-...)
    assert _eval(nir_key_valid, values) == [std_nir.is_valid(v.replace("-", "")) for v in values]


def test_nir_key_known_values():
    body = "2850375123456"
    good = body + std_nir.calc_check_digits(body)
    corsica = "185032A123456"
    good_2a = corsica + std_nir.calc_check_digits(corsica)
    bad = body + "00" if std_nir.calc_check_digits(body) != "00" else body + "01"
    assert _eval(nir_key_valid, [good, good_2a, bad, None]) == [True, True, False, False]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=11, max_size=11), min_size=1, max_size=30))
def test_rpps_luhn_equals_stdnum(values):
    assert _eval(rpps_valid, values) == [luhn.is_valid(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(digits, st.text(max_size=12)), min_size=1, max_size=30), st.integers(1, 15)
)
def test_luhn_expression_equals_stdnum_for_any_length(values, length):
    expected = [
        len(v) == length and v.isascii() and v.isdigit() and luhn.is_valid(v) for v in values
    ]
    assert _eval(lambda e: luhn_valid(e, length), values) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_finess_is_luhn_with_a_real_departement(prefix8):
    finess = prefix8 + luhn.calc_check_digit(prefix8)
    dep = finess[:2]
    expected = dep not in ("00", "20", "96", "99")
    assert _eval(finess_valid, [finess]) == [expected]


@settings(max_examples=300, deadline=None)
@given(counted_values(st.one_of(nir_like(), digits)))
def test_engine_nir_validation_counts_valid_cells(pairs):
    # The scan's split path (15-digit integers / the rest) weighs valid candidates by count.
    from vigile.detect import checks as en

    d = distinct_frame(pairs)
    cand = en.candidates_lazy(d, "nir").collect()
    got = sum(int(r.item() or 0) for r in pl.collect_all(en.validation_lazies("nir", cand)))
    expected = sum(
        n
        for v, n in pairs
        if std_nir.is_valid(v.replace("-", ""))
        and pl.Series([v]).str.contains(en.CHECKED["nir"].candidate).item()
    )
    assert got == expected
