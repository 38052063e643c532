"""The normalisers behind the views: every written form of one value gives one hash."""

from __future__ import annotations

import datetime as dt
import os

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.provenance.fingerprint import (
    EMAIL,
    NAME_DOB,
    NIR,
    PHONE,
    TOKEN,
    Hasher,
    KeyColumns,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_nir,
    normalise_phone,
    view_values,
)
from vigile.synth.mutate import nir_style, phone_style

HASHER = Hasher(os.urandom(32))


def _one(expr, value: str):
    return pl.select(expr(pl.lit(value, pl.String))).item()


@st.composite
def nirs(draw):
    sex = draw(st.sampled_from("12"))
    body = sex + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=2, max_size=2)))
    body += f"{draw(st.integers(1, 12)):02d}{draw(st.integers(1, 95)):02d}"
    body += f"{draw(st.integers(1, 999)):03d}{draw(st.integers(1, 999)):03d}"
    return body + f"{97 - int(body) % 97:02d}"


@settings(deadline=None)  # the machine is shared: timings vary
@given(nirs(), st.integers(0, 4))
def test_nir_grouped_or_not_is_one_value(nir, style):
    grouped = pl.select(nir_style(pl.lit(nir), style)).item()
    assert _one(normalise_nir, grouped) == nir
    assert _one(normalise_nir, f"  {grouped} ") == nir


@settings(deadline=None)  # the machine is shared: timings vary
@given(nirs())
def test_a_nir_with_a_wrong_key_is_no_nir(nir):
    wrong = nir[:13] + f"{(int(nir[13:]) % 97) + 1:02d}"
    assert _one(normalise_nir, wrong) is None


NAME_CHARS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéèêëàâäîïôöûüç"))


@settings(deadline=None)  # the machine is shared: timings vary
@given(st.lists(st.text(NAME_CHARS, min_size=1, max_size=12), min_size=1, max_size=3))
def test_names_in_any_case_and_joiner_are_one_value(words):
    base = _one(normalise_name, " ".join(words))
    assert base is not None
    assert _one(normalise_name, " ".join(words).upper()) == base
    assert _one(normalise_name, "-".join(w.title() for w in words)) == base
    assert _one(normalise_name, "  " + "  ".join(words) + " ") == base


@settings(deadline=None)  # the machine is shared: timings vary
@given(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
       st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d",
                        "%d/%m/%Y 00:00", "%Y-%m-%dT%H:%M:%S"]))  # fmt: skip
def test_dates_in_any_layout_are_one_value(day, fmt):
    assert _one(normalise_date, day.strftime(fmt)) == day.isoformat()


@settings(deadline=None)  # the machine is shared: timings vary
@given(st.sampled_from("67"), st.integers(0, 99_999_999), st.integers(0, 5))
def test_phones_in_any_layout_are_one_value(first, rest, style):
    national = f"0{first}{rest:08d}"
    styled = pl.select(phone_style(pl.lit(national), style)).item()
    assert _one(normalise_phone, styled) == f"+33{first}{rest:08d}"


@settings(deadline=None)  # the machine is shared: timings vary
@given(st.from_regex(r"[a-z][a-z0-9._]{0,15}@[a-z]{2,10}\.(fr|com|net)", fullmatch=True))
def test_emails_in_any_case_are_one_value(email):
    assert _one(normalise_email, email.upper()) == _one(normalise_email, f" {email} ") == email


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.text(min_size=0, max_size=40))
        | st.tuples(st.just(TOKEN), st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
        min_size=1,
        max_size=30,
    )
)
def test_column_hashes_are_the_one_value_hash(pairs):
    views = pl.Series([v for v, _ in pairs], dtype=pl.UInt8)
    values = pl.Series([x for _, x in pairs], dtype=pl.String)
    got = HASHER.hashes(views, values).to_list()
    assert got == [HASHER.digest(v, x) for v, x in pairs]
    assert all(0 <= h < 2**62 for h in got)
    distinct = {(v, x) for v, x in pairs}
    assert len({HASHER.digest(v, x) for v, x in distinct}) == len(distinct)


def test_views_are_domain_separated_and_keyed():
    assert HASHER.digest(NIR, "x") != HASHER.digest(EMAIL, "x")
    assert Hasher(os.urandom(32)).digest(NIR, "x") != HASHER.digest(NIR, "x")


def test_a_row_gives_each_view_it_carries():
    df = pl.DataFrame(
        {
            "nir": ["1 85 05 75 123 456 52", None],
            "nom": ["Dupont", "LÉA"],
            "prenom": ["Jean", "marie"],
            "ddn": ["12/05/1985", "1990-01-02"],
            "tel": ["06 12 34 56 78", None],
            "mail": [None, "Marie.Lea@Exemple.fr"],
        }
    )
    keys = KeyColumns(nir=("nir",), last_names=("nom",), first_name="prenom", birth_date="ddn",
                      phones=("tel",), emails=("mail",))  # fmt: skip
    got = {(r, v) for r, v, _ in view_values(df, keys).iter_rows()}
    assert (0, NAME_DOB) in got and (0, PHONE) in got and (1, EMAIL) in got
    assert (1, NAME_DOB) in got and (1, PHONE) not in got
    assert keys.views() == ["nir", "name_dob", "phone", "email"]
