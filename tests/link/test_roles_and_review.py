from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.detect import classify
from vigile.link.fields import linkage_fields, on_distinct, sex_code
from vigile.link.review import (
    AGREEMENT_KEY,
    CATEGORIES_KEY,
    CLEAR_KEY,
    IDENTITY_KEY,
    VERDICTS_KEY,
    DecisionError,
    edit_distance,
    parse_ids,
    partial,
    read_decisions,
    side_by_side,
    verdict,
)
from vigile.link.roles import RoleError, infer_id_column, infer_roles, parse_role_flags
from vigile.triage.roles import Roles

ident = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


@given(st.dictionaries(ident, ident.map(str.upper), max_size=5))
def test_role_flags_round_trip(d):
    assert parse_role_flags([f"{k}={v}" for k, v in d.items()]) == d


@pytest.mark.parametrize("flag", ["nom", "=NOM", "last_name=", "  =  "])
def test_malformed_role_flag(flag):
    with pytest.raises(RoleError, match="ROLE=COLUMN"):
        parse_role_flags([flag])


@pytest.fixture(scope="module")
def patients_df(pair):
    return pl.read_csv(pair.patients, separator=";", infer_schema=False)


def test_inferred_roles_and_id(patients_df):
    findings = classify(patients_df)
    roles = infer_roles(findings, patients_df)
    assert (roles.last_name, roles.birth_name, roles.first_name) == (
        "NOM",
        "NOM_NAISSANCE",
        "PRENOM",
    )
    assert (roles.birth_date, roles.sex, roles.postcode, roles.email) == (
        "DATE_NAISSANCE",
        "SEXE",
        "CP",
        "MAIL",
    )
    assert roles.nir_full == ("NIR",) and roles.phones == ("TEL_PORT",)
    assert roles.protection is None
    assert infer_id_column(findings, patients_df) == "IPP"


def test_overrides_win_and_are_checked(patients_df):
    findings = classify(patients_df.head(500))
    roles = infer_roles(findings, patients_df, {"last_name": "NOM_NAISSANCE", "phone": "TEL_PORT"})
    assert roles.last_name == "NOM_NAISSANCE"
    with pytest.raises(RoleError, match="no column named"):
        infer_roles(findings, patients_df, {"last_name": "SURNAME"})
    with pytest.raises(RoleError, match="unknown role"):
        infer_roles(findings, patients_df, {"shoe_size": "NOM"})


def test_id_column_taken_for_a_login():
    """An IPP such as P000123 may look like a login to the detector: still the id."""
    from vigile.shapes import ColumnFinding

    df = pl.DataFrame({"LOGIN_PORTAIL": ["jd1", "ab2"], "IPP": ["P000001", "P000002"],
                       "NOM": ["DUPONT", "MARTIN"]})  # fmt: skip
    findings = [
        ColumnFinding("LOGIN_PORTAIL", "login", 0.6, 1.0),
        ColumnFinding("IPP", "login", 0.6, 1.0),
        ColumnFinding("NOM", "last_name", 0.9, 1.0),
    ]
    assert infer_id_column(findings, df) == "IPP"


def test_no_id_column():
    df = pl.DataFrame({"NOM": ["DUPONT", "DUPONT"], "PRENOM": ["JEAN", "JEAN"]})
    with pytest.raises(RoleError, match="--id-column"):
        infer_id_column(classify(df), df)


@given(
    st.lists(
        st.sampled_from(["M", "F", "H", "1", "2", "x", "", None, "Femme", "masculin"]), max_size=30
    )
)
def test_sex_codes(values):
    got = (
        pl.DataFrame({"s": values}, schema={"s": pl.String})
        .select(sex_code(pl.col("s")))
        .to_series()
    )
    for v, g in zip(values, got.to_list(), strict=True):
        first = (v or "").strip().upper()[:1]
        assert g == ("1" if first in "MH1" and first else "2" if first in "F2" and first else None)


@given(
    st.lists(
        st.sampled_from(["06 12 34 56 78", "0612345678", None, "bad", "+33 7 11 22 33 44"]),
        max_size=40,
    )
)
def test_on_distinct_equals_direct(values):
    df = pl.DataFrame({"t": values}, schema={"t": pl.String})
    from vigile.detect.extract import normalize_phone

    direct = df.select(normalize_phone(pl.col("t"))).to_series()
    assert on_distinct(df, ["t"], normalize_phone(pl.col("t"))).to_list() == direct.to_list()


def test_fields_canonical_forms():
    df = pl.DataFrame(
        {"N": ["Lé Gall", "dupont-durand"], "D": ["02/03/1985", "1990-12-31"], "S": ["F", ""],
         "NIR": ["2 85 03 35 238 123 " + "xx", "190123523812345"], "T": ["06.12.34.56.78", None]}
    )  # fmt: skip
    roles = Roles(
        last_name="N", birth_date="D", sex="S", nir_full=("NIR",), phone="T", phones=("T",)
    )
    out = linkage_fields(df, roles)
    assert out.get_column("last_name").to_list() == ["LE GALL", "DUPONT DURAND"]
    assert out.get_column("birth_date").to_list() == ["1985-03-02", "1990-12-31"]
    assert out.get_column("phone").to_list() == ["+33612345678", None]
    assert out.get_column("nir").to_list() == [None, None]  # invalid keys are not NIRs
    assert out.get_column("sex").to_list() == ["2", None]


def test_civility_is_a_sex_code():
    """Regression: "Mme" starts with an M and was read as male."""
    df = pl.DataFrame({"c": ["Mme", "MLLE", "Madame", "M.", "Mr", "Monsieur", "Mrs"]})
    assert df.select(sex_code(pl.col("c"))).to_series().to_list() == [
        "2", "2", "2", "1", "1", "1", "2"
    ]  # fmt: skip


def test_old_queue_items_still_display():
    """Items queued by an older vigile: masked values and agreement marks only."""
    from vigile.case import ReviewItem

    it = ReviewItem(
        id=1, leak_key="k", patient_id="P1", match_probability=0.7,
        leak_masked={"last_name": "D*****", CATEGORIES_KEY: "nir", AGREEMENT_KEY: '{"last_name": "~"}'},
        patient_masked={"last_name": "D*****", IDENTITY_KEY: '{"last_name": "DUPONT"}'},
    )  # fmt: skip
    rows = side_by_side(it)
    assert rows == [("last_name", "D*****", "close", "D*****")]
    assert side_by_side(it, reveal=True) == rows  # nothing in clear to show
    assert "DUPONT" not in repr(rows)


def _item(left: dict, right: dict):
    from vigile.case import ReviewItem

    verdicts = {f: verdict(f, left.get(f), right.get(f), left, right) for f in left | right}
    return ReviewItem(
        id=7, leak_key="k", patient_id="P1", match_probability=0.8,
        leak_masked={**{f: partial(f, v) for f, v in left.items()},
                     VERDICTS_KEY: json.dumps(verdicts), CLEAR_KEY: json.dumps(left)},
        patient_masked={**{f: partial(f, v) for f, v in right.items()},
                        CLEAR_KEY: json.dumps(right), IDENTITY_KEY: "{}"},
    )  # fmt: skip


def test_review_shows_verdicts_and_partial_values():
    left = {"last_name": "DUPONT", "first_name": "JEAN", "birth_date": "1985-03-02", "sex": "1",
            "postcode": "35238", "phone": "+33612345678", "email": "jean.dupont@exemple.fr"}  # fmt: skip
    right = {"last_name": "DUPOND", "first_name": "JEAN PIERRE", "birth_date": "1985-02-03",
             "sex": "1", "postcode": "35000", "phone": "+33612345678"}  # fmt: skip
    rows = {f: (a, v, b) for f, a, v, b in side_by_side(_item(left, right))}
    assert rows["last_name"] == ("DU****", "close: typo", "DU****")
    assert rows["first_name"] == ("JE**", "close: compound name part", "JE** PI****")
    assert rows["birth_date"] == ("1985-**-**", "close: swapped day-month", "1985-**-**")
    assert rows["sex"] == ("M", "same", "M")
    assert rows["postcode"] == ("35***", "close: same département", "35***")
    assert rows["phone"] == ("06 ** ** ** 78", "same", "06 ** ** ** 78")
    assert rows["email"][1:] == ("missing", "")
    shown = repr(rows)
    assert all(v not in shown for v in ("DUPONT", "DUPOND", "1985-03-02", "35238", "612345678"))
    clear = {f: (a, b) for f, a, _, b in side_by_side(_item(left, right), reveal=True)}
    assert clear["last_name"] == ("DUPONT", "DUPOND") and clear["postcode"] == ("35238", "35000")


@pytest.mark.parametrize(
    ("f", "a", "b", "left", "right", "want"),
    [
        ("last_name", "MARTIN", "MARTIN", {}, {}, "same"),
        ("last_name", "MARTIN", None, {}, {}, "missing"),
        ("last_name", "MARTIN", "MRATIN", {}, {}, "close: typo"),
        ("last_name", "MARTIN", "LEROY", {}, {"birth_name": "MARTIN"}, "close: usage/birth name swap"),
        ("last_name", "MARTIN", "DURAND", {}, {}, "differs"),
        ("last_name", "LE GALL", "LE GALL MORVAN", {}, {}, "close: compound name part"),
        ("birth_date", "1985-03-02", "1985-03-20", {}, {}, "close: same year and month"),
        ("birth_date", "1985-03-02", "1986-03-02", {}, {}, "close: typo"),
        ("birth_date", "1985-03-02", "1958-11-20", {}, {}, "differs"),
        ("postcode", "29200", "35000", {}, {}, "differs"),
        ("postcode", "97200", "97100", {}, {}, "differs"),
        ("sex", "1", "2", {}, {}, "differs"),
        ("phone", "+33612345678", "+33298000000", {}, {"phone2": "+33612345678"},
         "close: their other number"),
        ("phone", "+33612345678", "+33298000000", {}, {}, "differs"),
    ],
)  # fmt: skip
def test_verdicts(f, a, b, left, right, want):
    assert verdict(f, a, b, left, right) == want


words = st.text(alphabet="ABCDE", max_size=8)


@given(words, words)
def test_edit_distance_is_a_distance(a, b):
    d = edit_distance(a, b)
    assert d == edit_distance(b, a)
    assert (d == 0) == (a == b)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))


@given(words)
def test_one_transposition_is_one_edit(a):
    if len(a) >= 2 and a[0] != a[1]:
        assert edit_distance(a, a[1] + a[0] + a[2:]) == 1


@given(st.lists(st.integers(1, 500), max_size=20))
def test_parse_ids_round_trip(ids):
    assert parse_ids(",".join(map(str, ids))) == ids


def test_parse_ids_ranges_and_errors():
    assert parse_ids("1,2, 5-9") == [1, 2, 5, 6, 7, 8, 9]
    for bad in ("a", "3-1", "1;2", "-4"):
        with pytest.raises(DecisionError):
            parse_ids(bad)


@given(st.dictionaries(st.integers(1, 10**6), st.booleans(), max_size=30))
def test_decisions_files_round_trip(tmp_path_factory, decisions):
    d = tmp_path_factory.mktemp("dec")
    words = {True: "accept", False: "reject"}
    csv = d / "d.csv"
    csv.write_text("".join(f"{i},{words[ok]}\n" for i, ok in decisions.items()))
    js = d / "d.json"
    js.write_text(json.dumps([{"id": i, "decision": words[ok]} for i, ok in decisions.items()]))
    assert read_decisions(csv) == decisions
    assert read_decisions(js) == decisions


def test_read_decisions_csv_and_json(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("id,decision\n1,accept\n2,REJECT\n\n3,oui\n")
    assert read_decisions(csv) == {1: True, 2: False, 3: True}
    semi = tmp_path / "d2.csv"
    semi.write_text("4;rejected\n")
    assert read_decisions(semi) == {4: False}
    js = tmp_path / "d.json"
    js.write_text('[{"id": 5, "decision": "accept"}, {"id": "6", "decision": "reject"}]')
    assert read_decisions(js) == {5: True, 6: False}
    obj = tmp_path / "o.json"
    obj.write_text('{"7": "a", "8": "r"}')
    assert read_decisions(obj) == {7: True, 8: False}
    for text in ("1,maybe\n", "x,accept\n1,accept\n1,reject\n", "[1, 2]", "{bad json"):
        bad = tmp_path / "bad.txt"
        bad.write_text(text)
        with pytest.raises(DecisionError):
            read_decisions(bad)
