from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.detect import classify
from vigile.link.fields import linkage_fields, on_distinct, sex_code
from vigile.link.review import AGREEMENT_KEY, CATEGORIES_KEY, IDENTITY_KEY, side_by_side
from vigile.link.roles import RoleError, infer_id_column, infer_roles, parse_role_flags

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
    assert infer_id_column(findings, patients_df) == "IPP"


def test_overrides_win_and_are_checked(patients_df):
    findings = classify(patients_df.head(500))
    roles = infer_roles(findings, patients_df, {"last_name": "NOM_NAISSANCE", "phone": "TEL_PORT"})
    assert roles.last_name == "NOM_NAISSANCE"
    with pytest.raises(RoleError, match="no column named"):
        infer_roles(findings, patients_df, {"last_name": "SURNAME"})
    with pytest.raises(RoleError, match="unknown role"):
        infer_roles(findings, patients_df, {"shoe_size": "NOM"})


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
    from vigile.link.roles import LinkRoles

    df = pl.DataFrame(
        {"N": ["Lé Gall", "dupont-durand"], "D": ["02/03/1985", "1990-12-31"], "S": ["F", ""],
         "NIR": ["2 85 03 35 238 123 " + "xx", "190123523812345"], "T": ["06.12.34.56.78", None]}
    )  # fmt: skip
    roles = LinkRoles(last_name="N", birth_date="D", sex="S", nir_full=("NIR",), phones=("T",))
    out = linkage_fields(df, roles)
    assert out.get_column("last_name").to_list() == ["LE GALL", "DUPONT DURAND"]
    assert out.get_column("birth_date").to_list() == ["1985-03-02", "1990-12-31"]
    assert out.get_column("phone").to_list() == ["+33612345678", None]
    assert out.get_column("nir").to_list() == [None, None]  # invalid keys are not NIRs
    assert out.get_column("sex").to_list() == ["2", None]


def test_side_by_side_hides_reserved_keys_and_values():
    from vigile.case import ReviewItem

    it = ReviewItem(
        id=1, leak_key="k", patient_id="P1", match_probability=0.7,
        leak_masked={"last_name": "D*****", CATEGORIES_KEY: "nir", AGREEMENT_KEY: '{"last_name": "~"}'},
        patient_masked={"last_name": "D*****", IDENTITY_KEY: '{"last_name": "DUPONT"}'},
    )  # fmt: skip
    rows = side_by_side(it)
    assert rows == [("last_name", "D*****", "~", "D*****")]
    assert "DUPONT" not in repr(rows)
