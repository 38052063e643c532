"""Person keys: NIR first, identity else, rows without NIR attached to their NIR."""

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from vigile.shapes import ColumnFinding
from vigile.triage.api import triage_frame
from vigile.triage.roles import assign_roles, header_tokens

REF = dt.date(2021, 2, 1)


def F(name, cat, **kw):
    return ColumnFinding(name=name, category=cat, confidence=1.0, share=1.0, **kw)


def make_nir(sex: int, yy: int, mm: int, dep: int, serial: int) -> str:
    body = f"{sex}{yy:02d}{mm:02d}{dep:02d}{serial:06d}"
    nir = body + f"{97 - int(body) % 97:02d}"
    assert stdnum_nir.is_valid(nir)
    return nir


person = st.fixed_dictionaries(
    {
        "last": st.sampled_from(["DUPONT", "MARTIN", "LE GALL", "N'DIAYE", "Lefèvre"]),
        "first": st.sampled_from(["Jean", "Marie", "Anne-Sophie", "Luc"]),
        "birth": st.dates(min_value=dt.date(1921, 1, 1), max_value=dt.date(2020, 12, 31)),
        "serial": st.integers(min_value=1, max_value=999_999),
        "rows": st.integers(min_value=1, max_value=4),
        "nir_rows": st.integers(min_value=0, max_value=4),
    }
)


def frame_of(persons: list[dict]) -> tuple[pl.DataFrame, int]:
    rows = []
    truth = {}
    for p in persons:
        b = p["birth"]
        nir = make_nir(1, b.year % 100, b.month, 29, p["serial"])
        ident = (p["last"].upper(), p["first"].upper(), b)
        truth[nir] = truth.get(nir, ident)
        for i in range(p["rows"]):
            # first-row styles vary: a person's NIR may be missing on some of their rows
            rows.append(
                {
                    "NOM": p["last"] if i % 2 else p["last"].lower(),
                    "PRENOM": p["first"],
                    "DT_NAIS": b.strftime("%d/%m/%Y") if i % 2 else b.isoformat(),
                    "NIR": (nir if i % 2 else " ".join([nir[:1], nir[1:3], nir[3:]]))
                    if i < p["nir_rows"]
                    else None,
                }
            )
    return pl.DataFrame(rows, schema=dict.fromkeys(["NOM", "PRENOM", "DT_NAIS", "NIR"], pl.String))


FINDINGS = [
    F("NOM", "last_name"),
    F("PRENOM", "first_name"),
    F("DT_NAIS", "birth_date"),
    F("NIR", "nir"),
]


@settings(max_examples=40, deadline=None)
@given(st.lists(person, min_size=1, max_size=12, unique_by=lambda p: (p["serial"], p["birth"])))
def test_persons_exact_when_nir_missing_on_some_rows(persons):
    df = frame_of(persons)
    # Truth: distinct (NIR, birth date); a NIR-less person is one with a NIR'd row of the
    # same identity, else a person of their own.
    distinct = set()
    ident_to_nir = {}
    for p in persons:
        b = p["birth"]
        nir = make_nir(1, b.year % 100, b.month, 29, p["serial"])
        ident = (p["last"].upper(), p["first"].upper(), b)
        if p["nir_rows"] > 0:
            distinct.add((nir, b))  # a NIR goes with its birth date
            ident_to_nir.setdefault(ident, (nir, b))
    for p in persons:
        ident = (p["last"].upper(), p["first"].upper(), p["birth"])
        if p["nir_rows"] == 0 and ident not in ident_to_nir:
            distinct.add(ident)
            ident_to_nir[ident] = ident
    r = triage_frame(df, FINDINGS, reference_date=REF)
    assert r.rows == df.height
    assert r.persons == len(distinct)
    assert r.person_key["key"] == "nir (with birth date) else last_name+first_name+birth_date"


def test_minors_and_over_75_from_birth_date_or_nir():
    df = pl.DataFrame(
        {
            "NOM": ["A", "B", "C", None],
            "PRENOM": ["X", "Y", "Z", None],
            "DT_NAIS": ["01/03/2010", "01/01/1940", "01/01/2030", None],
            # a birth date after the reference date is no minor; the last row has only a
            # NIR: born 2015-06 (century from the reference date)
            "NIR": [None, None, None, make_nir(2, 15, 6, 35, 123)],
        }
    )
    r = triage_frame(df, FINDINGS, reference_date=REF)
    assert r.persons == 4
    assert r.minors == 2 and r.over_75 == 1
    assert r.departements == {"35": 1}
    assert r.to_json()["departements"] == {"35": "<10"}


def test_child_under_a_parents_nir_is_another_person():
    nir = make_nir(2, 80, 5, 56, 77)
    df = pl.DataFrame(
        {
            "NOM": ["LE GOFF", "LE GOFF", "LE GOFF", "LE GOFF"],
            "PRENOM": ["Anne", "Anne", "Lou", None],
            "DT_NAIS": ["03/05/1980", "03/05/1980", "12/09/2015", None],
            "NIR": [nir, nir, nir, nir],
        }
    )
    r = triage_frame(df, FINDINGS, reference_date=REF)
    # mother and child; the row without birth date cannot tell which: a third key
    assert r.persons == 3 and r.minors == 1
    r2 = triage_frame(df.head(2).vstack(df.tail(1)), FINDINGS, reference_date=REF)
    assert r2.persons == 1  # a NIR with one birth date takes its birth-date-less rows


def test_rows_without_any_key_are_counted_each_and_said_so():
    df = pl.DataFrame({"NOM": [None, None, "A"], "PRENOM": [None, None, "B"],
                       "DT_NAIS": [None, None, "01/01/1990"], "NIR": [None, None, None]})  # fmt: skip
    r = triage_frame(df, FINDINGS, reference_date=REF)
    assert r.persons == 3
    assert r.person_key["persons_by_key"]["row"] == 2
    assert any("no usable identifier" in n for n in r.notes)


def test_split_nir_pair_is_one_identifier():
    nir = make_nir(1, 85, 3, 22, 4567)
    df = pl.DataFrame({"NSS": [nir[:13], nir[:13], None], "CLE": [nir[13:], nir[13:], None],
                       "NOM": ["A", "A", "B"]})  # fmt: skip
    findings = [F("NSS", "nir"), F("CLE", "nir", note="NIR key column paired with NSS"),
                F("NOM", "last_name")]  # fmt: skip
    roles = assign_roles(findings)
    assert roles.nir_split == (("NSS", "CLE"),) and roles.nir_full == ()
    r = triage_frame(df, findings, reference_date=REF)
    assert r.person_key["persons_by_key"]["nir"] == 1
    assert r.persons == 2
    assert r.departements == {"22": 1}


def test_roles_tell_patient_from_prescriber_and_birth_name():
    findings = [F("MED_PRESC", "last_name"), F("NOM_JF", "last_name"), F("NOM", "last_name"),
                F("PRENOM", "first_name"), F("DT_RECEPTION", "date"), F("DT_PRELEV", "date"),
                F("LABO", "last_name"), F("CP_LABO", "postcode"), F("CP", "postcode")]  # fmt: skip
    roles = assign_roles(findings)
    assert roles.last_name == "NOM" and roles.birth_name == "NOM_JF"
    assert roles.prescriber_name == "MED_PRESC"
    assert roles.event_date == "DT_PRELEV"
    assert roles.lab_name == "LABO"
    assert roles.postcode == "CP"


def test_prescriber_by_content_when_header_says_nothing():
    df = pl.DataFrame({"C01": ["Dr DUPONT Jean", "DR MARTIN Luc"], "C02": ["LEROY", "PETIT"]})
    roles = assign_roles([F("C01", "last_name"), F("C02", "last_name")], df)
    assert roles.prescriber_name == "C01" and roles.last_name == "C02"


def test_header_tokens():
    assert header_tokens("DateNaissance") == {"date", "naissance"}
    assert header_tokens("dt_nais") == {"dt", "nais"}
    assert header_tokens("N° Sécu") == {"n", "secu"}


def test_homonym_without_nir_elsewhere_is_not_merged():
    nir = make_nir(1, 80, 2, 29, 42)
    df = pl.DataFrame(
        {
            "NOM": ["DUPONT", "DUPONT", "DUPONT"],
            "PRENOM": ["Jean", "Jean", "Jean"],
            "DT_NAIS": ["01/02/1980"] * 3,
            "NIR": [nir, None, None],
            "CP": ["29200", "29200", "13001"],  # same person, then a homonym in Marseille
        }
    )
    r = triage_frame(df, [*FINDINGS, F("CP", "postcode")], reference_date=REF)
    assert r.persons == 2
    assert r.person_key["persons_by_key"] == {
        "nir": 1,
        "nir_via_identity": 0,
        "identity": 1,
        "row": 0,
    }
