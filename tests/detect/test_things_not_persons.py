"""Establishments' names and the dates of things are not persons' (bench_mutations decoys:
lab names under `Nom du laboratoire` were typed last_name, lot expiry dates typed date)."""

import polars as pl
import pytest
from frames import FIRST, LAST, N, dates, pick, rng

from vigile.detect import classify
from vigile.detect.dates import names_thing_date
from vigile.detect.organisations import names_organisation

LABS = [
    "Laboratoire Biolab Rennes", "LBM BIOGROUP BREST", "SELAS Cerballiance Bretagne",
    "CH de Quimper", "CHU Pontchaillou", "Clinique Saint-Yves", "Centre hospitalier de Vannes",
    "Pharmacie du Port", "Cabinet de biologie Morlaix",
]  # fmt: skip


def _classify(columns: dict[str, list]):
    df = pl.DataFrame(columns, schema={k: pl.String for k in columns})
    return {f.name: f.category for f in classify(df)}


@pytest.mark.parametrize(
    "header", ["Nom du laboratoire", "NomLabo", "Nom établissement", "LBM_NOM", "Nom"]
)
def test_establishment_names_are_not_last_names(header):
    got = _classify({header: pick(LABS), "Nom patient": pick(LAST), "Prénom": pick(FIRST)})
    assert got[header] is None
    assert got["Nom patient"] == "last_name"  # persons beside them still are
    assert got["Prénom"] == "first_name"


@pytest.mark.parametrize("header", ["Nom médecin", "Nom", "Prescripteur", "Nom usage"])
def test_person_name_headers_still_name_persons(header):
    assert _classify({header: pick(LAST)})[header] == "last_name"


def _lots(n=N * 100):
    pool = dates(2021, 2025, n=12)
    return [rng.choice(pool) for _ in range(n)]


@pytest.mark.parametrize(
    "header",
    ["Expiry date", "Date péremption réactif", "DT_PEREMPTION", "Date expiration lot", "DLU"],
)
def test_lot_expiry_dates_are_not_dates_of_persons(header):
    rows = N * 100
    got = _classify({header: _lots(rows), "Date prélèvement": dates(2013, 2020, n=rows)})
    assert got[header] is None
    assert got["Date prélèvement"] == "date"


def test_a_few_dates_beside_a_lot_column_are_a_lots():
    rows = N * 100
    lots = [f"L{rng.randint(1000, 1011)}" for _ in range(rows)]
    got = _classify(
        {"Lot réactif": lots, "Date": _lots(rows), "Date prélèvement": dates(2013, 2020, n=rows)}
    )
    assert got["Date"] is None
    assert got["Date prélèvement"] == "date"


def test_a_few_dates_alone_under_a_date_header_stay_dates():
    rows = N * 100
    assert _classify({"Date": _lots(rows)})["Date"] == "date"  # no lot beside: header decides


@pytest.mark.parametrize(
    ("header", "thing"),
    [("Date prélèvement", False), ("Date MAJ", False), ("Date de contrôle", False),
     ("Expiry date", True), ("Péremption lot", True), ("DLC", True)],
)  # fmt: skip
def test_thing_date_headers(header, thing):
    assert names_thing_date(header) is thing


@pytest.mark.parametrize(
    ("header", "organisation"),
    [("Nom du laboratoire", True), ("NomEtab", True), ("Nom patient", False),
     ("Nom médecin", False), ("Nom de naissance", False)],
)  # fmt: skip
def test_organisation_headers(header, organisation):
    assert names_organisation(header) is organisation


def test_a_few_dates_after_every_other_date_are_a_things():
    rows = N * 100
    got = _classify({"Date": _lots(rows), "Date prélèvement": dates(2013, 2020, n=rows)})
    assert got["Date"] is None  # lots expire after every sample was taken
    got = _classify({"Date": _lots(rows), "Date prélèvement": dates(2013, 2025, n=rows)})
    assert got["Date"] == "date"  # not after the others: the header decides
