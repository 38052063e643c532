import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import nir

from vigile.detect.extract import (
    departement_from_nir,
    departement_from_postcode,
    health_mentions,
    nir_from_parts,
    nir_normalized,
    normalize_email,
    normalize_name,
    normalize_phone,
    parse_date,
    password_kind,
    postcode,
)  # fmt: skip


def ev(fn, values):
    return (
        pl.DataFrame({"x": values}, schema={"x": pl.String})
        .select(fn(pl.col("x")).alias("y"))["y"]
        .to_list()
    )


def test_nir_normalized_and_parts():
    body = "185032A123456"
    key = nir.calc_check_digits(body)
    spaced = nir.format(body + key)
    assert ev(nir_normalized, [spaced, (body + key).lower(), body + "00", "123", None]) == [
        body + key,
        body + key,
        None,
        None,
        None,
    ]
    df = pl.DataFrame({"b": [body, body], "k": [key, "00"]})
    assert df.select(nir_from_parts(pl.col("b"), pl.col("k")))["b"].to_list() == [body + key, None]
    assert ev(departement_from_nir, [body + key, "2850397412345"]) == ["2A", "974"]


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.sampled_from(range(7)),
)
def test_parse_date_formats(d, style):
    text = [
        d.strftime("%d/%m/%Y"),
        d.strftime("%d-%m-%Y"),
        d.strftime("%d.%m.%Y"),
        d.isoformat(),
        d.strftime("%Y%m%d"),
        d.strftime("%d/%m/%Y") + " 10:22",
        d.isoformat() + "T08:15:00",
    ][style]
    assert ev(parse_date, [text]) == [d]


def test_parse_date_rejects_non_dates_and_reads_ddmmyyyy():
    assert ev(parse_date, ["31/02/2019", "hello", "12345678", None, "12031985"]) == [
        None,
        None,
        None,
        None,
        dt.date(1985, 3, 12),
    ]


def test_normalize_name():
    assert ev(normalize_name, ["  Le  Gall-d'Arc ", "Éloïse", "", None]) == [
        "LE GALL D ARC",
        "ELOISE",
        None,
        None,
    ]


def test_normalize_phone():
    values = ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+33 (0)6 12 34 56 78",
              "06.12.34.56.78", "+44 20 7946 0958", "12345", None]  # fmt: skip
    assert ev(normalize_phone, values) == ["+33612345678"] * 5 + [None, None, None]


def test_email_and_postcode():
    assert ev(normalize_email, [" Jean.Dupont@Exemple.FR ", "pas un mail", None]) == [
        "jean.dupont@exemple.fr",
        None,
        None,
    ]
    assert ev(postcode, ["35000", "00100", "96000", "20000", "97400", "3500", "abc"]) == [
        "35000",
        None,
        None,
        "20000",
        "97400",
        "03500",
        None,
    ]
    assert ev(
        departement_from_postcode, ["20000", "20190", "20200", "20600", "97400", "35000", "75001"]
    ) == ["2A", "2A", "2B", "2B", "974", "35", "75"]


def test_password_kind():
    values = [
        "5f4dcc3b5aa765d61d8327deb882cf99",
        "$2y$10$" + "a" * 53,
        "S3cretPass",
        "password",
        "",
        None,
    ]
    assert ev(password_kind, values) == ["hash", "hash", "plain", None, None, None]


def test_health_mentions_with_negation():
    texts = ["Enceinte 12 SA", "pas de grossesse", "Sérologie VIH négative", "VIH positif",
             "Surdité", "Diabète type 2", "LEVOTHYROX 75 µg", "Patient à jeun", None]  # fmt: skip
    df = pl.DataFrame({"x": texts}, schema={"x": pl.String})
    exprs = health_mentions(pl.col("x"))
    out = df.select(**exprs).to_dict(as_series=False)
    assert out["pregnancy"] == [True, False, False, False, False, False, False, False, False]
    assert out["hiv"] == [False, False, False, True, False, False, False, False, False]
    assert out["disability"][4] is True
    assert out["chronic_disease"][5] is True
    assert out["treatment"] == [False] * 6 + [True, False, False]
