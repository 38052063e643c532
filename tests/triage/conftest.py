"""A small lab export written by hand (fake values), shared by the end-to-end tests."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

LAST = ["KERGUELEN", "LE GALL", "MARTIN", "BERNARD", "MORVAN", "TANGUY", "GUILLOU", "PRIGENT"]
FIRST = ["Yann", "Maëlle", "Jean", "Anne", "Loïc", "Soizic"]
COMMENTS = ["", "Patiente enceinte", "", "Suivi VIH", "Patient à jeun", "Diabète type 2", ""]
REF = dt.date(2021, 2, 1)


def nir_of(sex: int, birth: dt.date, dep: str, serial: int) -> str:
    body = f"{sex}{birth.year % 100:02d}{birth.month:02d}{dep}{serial:06d}"
    return body + f"{97 - int(body) % 97:02d}"


def lab_rows(n_persons: int = 30) -> tuple[list[dict], dict]:
    rows: list[dict] = []
    minors = over_75 = 0
    for i in range(n_persons):
        brest = i < 25  # 25 persons in Finistère, 5 in Paris: one small cell
        birth = dt.date(1935 + (i * 7) % 85, 1 + i % 12, 1 + i % 27)
        age = REF.year - birth.year - ((REF.month, REF.day) < (birth.month, birth.day))
        minors += age < 18
        over_75 += age >= 75
        nir = nir_of(1 + i % 2, birth, "29" if brest else "75", 1000 + i)
        for j in range(1 + i % 3):
            rows.append(
                {
                    "NOM": f"{LAST[i % len(LAST)]}{'-' + LAST[(i // 8) % 8] if i >= 8 else ''}",
                    "PRENOM": FIRST[i % len(FIRST)],
                    "DT_NAIS": birth.strftime("%d/%m/%Y"),
                    "SEXE": "M" if i % 2 == 0 else "F",
                    "NIR": nir if j == 0 or i % 4 else "",  # NIR missing on some rows
                    "ADR1": f"{3 + i} rue de Siam",
                    "CP": "29200" if brest else "75011",
                    "VILLE": "BREST" if brest else "PARIS",
                    "TEL_PORT": f"06 12 34 {10 + i:02d} {20 + j:02d}",
                    "COMMENTAIRE": COMMENTS[(i + j) % len(COMMENTS)],
                    "MDP": f"Azer{i}ty!" if i % 3 else "5f4dcc3b5aa765d61d8327deb882cf99",
                    "LABO": "LABO DES ABERS" if i % 2 else "LABO DU PORT",
                    "FINESS": "290000017" if i % 2 else "290000025",
                    "DT_PRELEV": f"{1 + (i + j) % 27:02d}/0{1 + j}/{2015 + (i + j) % 5}",
                }
            )
    return rows, {"persons": n_persons, "rows": len(rows), "minors": minors, "over_75": over_75}


@pytest.fixture(scope="session")
def ref_date() -> dt.date:
    return REF


@pytest.fixture(scope="session")
def lab_csv(tmp_path_factory):
    rows, truth = lab_rows()
    path = tmp_path_factory.mktemp("triage") / "export_labo.csv"
    pl.DataFrame(rows).write_csv(path, separator=";")
    return path, rows, truth
