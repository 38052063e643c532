"""The engine's shortcuts give the same counts as the plain computation they replace."""

import polars as pl
from counted import counted_values, distinct_frame
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir as std_nir

from vigile.detect import dates
from vigile.detect import distinct as dist
from vigile.detect import engine as en
from vigile.detect import features as feat
from vigile.detect.extract import parse_date
from vigile.detect.validators import finess_valid, nir_bare_key_valid

SPACES = [" ", "\t", "\u00a0", "\u2003", "\u3000", "\n"]


def _reference_distinct(s: pl.Series) -> list[tuple[str, int]]:
    """The plain way: strip every cell, drop empties, group."""
    v = s.str.strip_chars()
    return sorted(v.filter(v.str.len_bytes() > 0).value_counts().rows())


cells = st.one_of(
    st.none(),
    st.builds(
        lambda pre, core, post: pre + core + post,
        st.text(alphabet=SPACES, max_size=2),
        st.sampled_from(["a", "b", "a b", "", "x\u00a0y", "1"]),
        st.text(alphabet=SPACES, max_size=2),
    ),
    st.text(max_size=4),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30), st.lists(st.sampled_from(["p", "q"]), max_size=5))
def test_distinct_counts_strip_only_where_needed(column, clean):
    df = pl.DataFrame(
        {"a": column, "b": (clean * 30)[: len(column)] + [None] * (len(column) - len(clean) * 30)},
        schema={"a": pl.String, "b": pl.String},
    )
    got = dist.distinct_counts(df)
    for name, d in zip(df.columns, got, strict=True):
        assert sorted(d.rows()) == _reference_distinct(df[name])


@settings(max_examples=300, deadline=None)
@given(
    counted_values(
        st.one_of(
            st.text(alphabet="0123456789+-() ./:\u00a0\t٣１a", max_size=12), st.text(max_size=8)
        ),
        max_count=5,
    )
)
def test_features_count_numeric_and_spaced_values_like_the_plain_regexes(pairs):
    # Values read as unsigned integers skip the regexes: the counts must not change.
    d = distinct_frame(pairs)
    [f] = feat.features([d])
    plain = d.select(
        dist.weighted(pl.col(dist.VALUE).str.contains(feat.NUMERIC_LIKE)).alias("num"),
        dist.weighted(pl.col(dist.VALUE).str.contains(r"\s")).alias("multiword"),
    ).row(0, named=True)
    assert (f.num, f.multiword) == (plain["num"] or 0, plain["multiword"] or 0)


def _eval(fn, values):
    return pl.DataFrame({"x": values}, schema={"x": pl.String}).select(fn(pl.col("x")))["x"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789", min_size=13, max_size=13).map(
                lambda b: b + std_nir.calc_check_digits(b)
            ),
            st.text(alphabet="0123456789", min_size=15, max_size=15),
            st.text(max_size=16),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_bare_nir_fast_path_equals_stdnum_on_bare_values(values):
    got = _eval(nir_bare_key_valid, values).to_list()
    bare = [v.isascii() and v.isdigit() and len(v) == 15 for v in values]
    assert got == [b and std_nir.is_valid(v) for b, v in zip(bare, values, strict=True)]


def _date_like():
    day = st.integers(0, 39).map(lambda d: f"{d:02d}")
    year = st.sampled_from(["1899", "1950", "2013", "2101", "13", "0000"])
    sep = st.sampled_from(["/", "-", ".", ""])
    time = st.sampled_from(
        ["", " 07:00", "T07:00:12", " 7h05", " 07:00:12.5Z", "  07:00", " 07:00 ", "T25:99", " x"]
    )
    return st.builds(
        lambda d, m, y, s1, s2, t: f"{d}{s1}{m}{s2}{y}{t}", day, day, year, sep, sep, time
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_date_like(), st.text(max_size=20)), min_size=1, max_size=30))
def test_cutting_the_time_never_changes_parse_date(values):
    values = [v.strip() for v in values]  # the engine works on stripped distinct values
    whole = _eval(parse_date, values)
    cut = pl.DataFrame({"x": values}).select(parse_date(dates.date_part(pl.col("x"))))["x"]
    assert whole.to_list() == cut.to_list()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_date_like(), st.text(max_size=20)), min_size=1, max_size=30))
def test_date_parts_of_a_frame_equal_date_part(values):
    values = [v.strip() for v in values]
    df = pl.DataFrame(
        {dist.VALUE: values, dist.COUNT: list(range(len(values)))},
        schema={dist.VALUE: pl.String, dist.COUNT: pl.UInt32},
    )
    v = pl.col(dist.VALUE)
    # a time cut off, unless it is midnight (a spreadsheet's date alone)
    timed = (dates.date_part(v) != v) & ~v.str.contains(dates.MIDNIGHT)
    expected = df.select(dates.date_part(v), dist.COUNT, timed=timed)
    assert (
        dates.date_parts(df.lazy())
        .collect()
        .select(dist.VALUE, dist.COUNT, "timed")
        .sort(dist.COUNT)
        .equals(expected.sort(dist.COUNT))
    )


def test_date_years_counts_each_timestamp_once():
    d = pl.DataFrame(
        {
            dist.VALUE: ["01/02/2013 07:00", "01/02/2013 08:00", "05/06/1950", "31/02/2013 07:00"],
            dist.COUNT: [2, 3, 4, 5],
        }
    )
    assert dates.date_years(d) == {2013: 5, 1950: 4}
    h = dates.year_counts(d).collect()
    assert int(h[dates.TIMES].sum()) == 5  # the valid dates with a time of day


def _counts(df: pl.DataFrame) -> list[dict[str, int]]:
    d = dist.distinct_counts(df)
    return en.run_detectors(d, feat.features(d), text_kind=False)


def test_check_digits_run_on_candidates_and_count_like_stdnum():
    body = "1850375123456"
    nir_ok = body + std_nir.calc_check_digits(body)
    corsica = "185032A123456"
    nir_2a = corsica + std_nir.calc_check_digits(corsica)
    spaced = " ".join([nir_ok[:1], nir_ok[1:3], nir_ok[3:5], nir_ok[5:7], nir_ok[7:10], nir_ok[10:13], nir_ok[13:]])  # fmt: skip
    nirs = [nir_ok] * 4 + [nir_2a, spaced, body + "00", "n/a"]
    # 11 digits with a good Luhn: RPPS-shaped when starting with 1; valid either way.
    r1 = "1000000000" + luhn.calc_check_digit("1000000000")
    r2 = "2000000000" + luhn.calc_check_digit("2000000000")
    rpps = [r1, r1, r2, "10000000001", r1, r1, r1, r1]
    finess = ["750712184", "750712184", "2A0000001", "123", "750712184", "750712184", "x", "y"]
    c = _counts(pl.DataFrame({"NIR": nirs, "RPPS": rpps, "FINESS": finess}))
    assert c[0]["nir"] == 7 and c[0]["nir~valid"] == sum(std_nir.is_valid(v) for v in nirs)
    assert c[1]["rpps"] == 7 and c[1]["rpps~valid"] == sum(luhn.is_valid(v) for v in rpps)
    expected_finess = _eval(finess_valid, finess).sum()
    assert c[2]["finess"] == 5 and c[2]["finess~valid"] == expected_finess


def test_no_candidates_means_zero_counts_present():
    c = _counts(pl.DataFrame({"DT": ["01/02/2013 07:00", "02/02/2013 07:30"] * 10}))
    assert c[0]["nir"] == 0 and c[0]["nir~valid"] == 0 and c[0]["date~shape"] == 20


def test_stacked_word_passes_count_each_column_alone():
    df = pl.DataFrame(
        {
            "NOM": ["DUPONT", "MARTIN", "DURAND", "BERNARD"] * 5,
            "PRENOM": ["Marie", "Jean", "Pierre", "Sophie"] * 5,
            "COMMENT": ["Enceinte 12 SA", "pas de grossesse", "Diabète type 2", "appeler Mme Léa"]
            * 5,
        }
    )
    together = _counts(df)
    for i, name in enumerate(df.columns):
        assert _counts(df.select(name))[0] == together[i]
    assert together[2]["text:health_condition"] == 10 and together[2]["text:nir"] == 0
