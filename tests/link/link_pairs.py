"""Small leak / patient-database pairs with known truth, built at test time (fake values only).

Independent of vigile.synth so the linkage tests pin exactly the differences
they exercise: typos, usage/birth name swaps, moves, missing NIRs, strangers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

LAST = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
        "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
        "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRE", "LEFEVRE", "MERCIER", "DUPONT", "LAMBERT",
        "BONNET", "FRANCOIS", "MARTINEZ", "LE GALL", "LE ROUX", "GUILLOU", "LE BRIS", "TANGUY"]  # fmt: skip
FIRST_M = ["JEAN", "PIERRE", "MICHEL", "ANDRE", "PHILIPPE", "ALAIN", "NICOLAS", "LUC", "YANN", "ERWAN",
           "THOMAS", "HUGO", "LOUIS", "PAUL", "JULIEN", "KEVIN", "MAXIME", "ANTOINE"]  # fmt: skip
FIRST_F = ["MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "ANNE", "CHRISTINE", "SOPHIE",
           "JULIE", "CAMILLE", "LEA", "EMMA", "MANON", "CHLOE", "NOLWENN", "GWENAELLE"]  # fmt: skip
DEPTS = ["22", "29", "35", "56", "14", "50", "76", "37", "45"]
COMMENTS = [
    "",
    "",
    "",
    "Patient a jeun",
    "Grossesse 12 SA",
    "Patient sous LEVOTHYROX 75",
    "Rappeler pour RDV",
]


def nir_key(body: str) -> str:
    return f"{97 - int(body) % 97:02d}"


@dataclass(frozen=True)
class Pair:
    leak: Path
    patients: Path
    truth: dict[int, str]  # leak person index -> patient_id (persons in the database)
    row_person: list[int]  # leak row -> person index
    strangers: int  # leak persons absent from the database


def _typo(rng: np.random.Generator, s: str) -> str:
    i = int(rng.integers(1, len(s)))
    c = "AEIOURSTL"[int(rng.integers(0, 9))]
    return s[:i] + c + s[i + 1 :] if s[i] != c else s[:i] + "Z" + s[i + 1 :]


def make_pair(
    tmp: Path, persons: int = 300, others: int = 3000, seed: int = 1, strangers: int = 10
) -> Pair:
    rng = np.random.default_rng(seed)
    total = persons + others
    sex = rng.integers(1, 3, total)
    year = rng.integers(1930, 2015, total)
    month = rng.integers(1, 13, total)
    day = rng.integers(1, 29, total)
    dept = rng.choice(DEPTS, total)
    recs = []
    for i in range(total):
        body = f"{sex[i]}{year[i] % 100:02d}{month[i]:02d}{dept[i]}{rng.integers(1, 999):03d}{rng.integers(1, 999):03d}"
        first = rng.choice(FIRST_M if sex[i] == 1 else FIRST_F)
        last = rng.choice(LAST)
        birth = rng.choice(LAST) if sex[i] == 2 and rng.random() < 0.3 else last
        recs.append(
            {
                "nir": body + nir_key(body),
                "last": str(last),
                "birth": str(birth),
                "first": str(first),
                "dob": f"{day[i]:02d}/{month[i]:02d}/{year[i]}",
                "sex": "M" if sex[i] == 1 else "F",
                "cp": f"{dept[i]}{rng.integers(0, 999):03d}",
                "tel": f"06{rng.integers(0, 10**8):08d}",
                "mail": f"{first.lower()}.{last.lower().replace(' ', '')}{i}@exemple.fr",
                "adr": f"{rng.integers(1, 99)} rue des Lilas",
                "city": "RENNES",
            }
        )
    # Patient database: everyone but the strangers, with realistic differences for leaked persons.
    db_rows, truth = [], {}
    for i, r in enumerate(recs):
        if i < strangers:
            continue
        d = dict(r)
        if i < persons:
            u = rng.random()
            if u < 0.15:
                d["nir"] = ""  # missing NIR
            if 0.15 <= u < 0.25:
                d["last"] = _typo(rng, d["last"])
                d["nir"] = ""
            if 0.25 <= u < 0.32:
                d["last"], d["birth"] = d["birth"], d["last"]
                d["nir"] = ""
            if 0.32 <= u < 0.40:
                d["cp"] = f"{rng.choice(DEPTS)}{rng.integers(0, 999):03d}"  # moved
                d["tel"] = f"07{rng.integers(0, 10**8):08d}"
                d["nir"] = ""
            if 0.40 <= u < 0.45:
                d["first"] = d["first"] + " " + str(rng.choice(FIRST_F + FIRST_M))
                d["nir"] = ""
            truth[i] = f"P{i:06d}"
        d["pid"] = f"P{i:06d}"
        db_rows.append(d)
    db = pl.DataFrame(db_rows).sample(fraction=1.0, shuffle=True, seed=seed)
    db = db.select(
        pl.col("pid").alias("IPP"),
        pl.col("last").alias("NOM"),
        pl.col("birth").alias("NOM_NAISSANCE"),
        pl.col("first").alias("PRENOM"),
        pl.col("dob").alias("DATE_NAISSANCE"),
        pl.col("sex").alias("SEXE"),
        pl.col("nir").alias("NIR"),
        pl.col("adr").alias("ADRESSE"),
        pl.col("cp").alias("CP"),
        pl.col("city").alias("VILLE"),
        pl.col("tel").alias("TEL_PORT"),
        pl.col("mail").alias("MAIL"),
    )
    patients = tmp / "patients.csv"
    db.write_csv(patients, separator=";")
    # Leak: 1-3 rows per person, some rows without NIR.
    leak_rows, row_person = [], []
    for i in range(persons):
        r = recs[i]
        for k in range(int(rng.integers(1, 4))):
            leak_rows.append(
                {
                    "NUM_DOSSIER": f"D{len(leak_rows):07d}",
                    "NOM": r["last"],
                    "NOM_JF": r["birth"],
                    "PRENOM": r["first"],
                    "DT_NAIS": r["dob"],
                    "SEXE": r["sex"],
                    "NIR": r["nir"] if k == 0 or rng.random() < 0.7 else "",
                    "ADR1": r["adr"],
                    "CP": r["cp"],
                    "VILLE": r["city"],
                    "TEL_PORT": r["tel"],
                    "MAIL": r["mail"],
                    "COMMENTAIRE": str(rng.choice(COMMENTS)) if r["sex"] == "F" else "",
                    "DT_PRELEV": f"{rng.integers(1, 28):02d}/0{rng.integers(1, 9)}/2019",
                }
            )
            row_person.append(i)
    leak = tmp / "leak.csv"
    pl.DataFrame(leak_rows).write_csv(leak, separator=";")
    return Pair(leak, patients, truth, row_person, strangers)


# --- a vigile.synth incident with each person's expected exposure -------------------

GENERATOR_KINDS = (
    "pregnancy",
    "hiv",
    "disability",
    "chronic_disease",
    "mental_health",
    "addiction",
)
PROTECTION_COLUMN = "majeur_protege"


@dataclass(frozen=True)
class Expected:
    categories: frozenset[str]
    kinds: frozenset[str]  # among GENERATOR_KINDS
    password: str | None
    minor: bool
    protected: bool


@dataclass(frozen=True)
class SynthIncident:
    leak: Path
    patients: Path
    rows: int
    reference_date: object  # datetime.date: ages are counted at it
    expected: dict[str, Expected]  # patient_id -> what that person's own rows expose


def make_synth_incident(tmp: Path, rows: int = 3000, size: int = 8000, seed: int = 5):
    """A lab export and a patient database from vigile.synth; the database gets a
    legal-protection column. The expectation is computed from the generator's own truth
    (values written, comment templates, hidden row -> person), never by vigile."""
    import datetime as dt

    from vigile.synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db
    from vigile.synth.clinical import COMMENT_TEMPLATES

    leak = tmp / "export.csv"
    truth = generate_lab_export(ExportSpec(rows=rows, seed=seed, fields="full"), leak)
    raw_db = tmp / "patients_raw.csv"
    generate_patient_db(PatientDbSpec(size=size, seed=seed), truth, raw_db)
    db = pl.read_csv(raw_db, separator=";", infer_schema=False)
    # About one patient in eight under a protection measure; the rest say NON or nothing.
    digit = db.get_column("patient_id").str.slice(-1).cast(pl.Int32)
    db = db.with_columns(
        pl.when(digit == 3)
        .then(pl.lit("OUI"))
        .when(digit % 2 == 0)
        .then(pl.lit("NON"))
        .otherwise(None)
        .alias(PROTECTION_COLUMN)
    )
    patients = tmp / "patients.csv"
    db.write_csv(patients, separator=";")
    protected = set(db.filter(pl.col(PROTECTION_COLUMN) == "OUI").get_column("patient_id"))

    row_truth = truth.row_persons().sort("row")
    values = pl.read_csv(leak, separator=";", infer_schema=False)
    person = row_truth.get_column("person").to_numpy()
    cats: dict[int, set[str]] = {}
    kinds: dict[int, set[str]] = {}

    def mark(target: dict, rows_mask: np.ndarray, items) -> None:
        for p in np.unique(person[rows_mask]):
            target.setdefault(int(p), set()).update(items)

    for header, cat in truth.columns.items():
        if cat is not None:
            mark(cats, values.get_column(header).is_not_null().to_numpy(), [cat])
    tpl = row_truth.get_column("comment_template").to_numpy()
    for i, t in enumerate(COMMENT_TEMPLATES):
        mark(cats, tpl == i, t.categories)
        if t.kind in GENERATOR_KINDS:
            mark(kinds, tpl == i, [t.kind])
    clinical = row_truth.get_column("clinical_kind").fill_null("").to_numpy()
    for k in set(clinical) - {""}:
        mark(cats, clinical == k, ["medication" if k == "treatment" else "health_condition"])
        if k in GENERATOR_KINDS:
            mark(kinds, clinical == k, [k])
    mark(
        kinds, (values.get_column("GROSSESSE") == "OUI").fill_null(False).to_numpy(), ["pregnancy"]
    )
    shown = set(np.unique(person[values.get_column("MDP").is_not_null().to_numpy()]).tolist())

    hidden = truth.persons_frame()
    pw_kind = hidden.get_column("pw_kind").to_list()
    ages = hidden.get_column("age").to_list()
    links = pl.read_parquet(f"{raw_db}.links.parquet")
    expected = {}
    for p, pid in links.select("leak_person", "patient_id").iter_rows():
        expected[pid] = Expected(
            categories=frozenset(cats.get(p, ())),
            kinds=frozenset(kinds.get(p, ())),
            password=None if p not in shown else "plain" if pw_kind[p] == "plain" else "hashed",
            minor=ages[p] < 18,
            protected=pid in protected,
        )
    ref = dt.date.fromisoformat(truth.age_reference_date)
    return SynthIncident(leak, patients, truth.rows, ref, expected)
