"""The patient database: a superset of the leak's persons with stated perturbation rates."""

import polars as pl
import pytest

from vigile.synth import PatientDbSpec, generate_patient_db
from vigile.synth.patient_db import PERTURBATIONS


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@pytest.fixture(scope="module")
def db(small_export, tmp_path_factory):
    _, truth, _ = small_export
    path = tmp_path_factory.mktemp("db") / "patients.parquet"
    spec = PatientDbSpec(size=6000, seed=3, name_typo_share=0.1, moved_share=0.1)
    db_truth = generate_patient_db(spec, truth, path)
    return truth, db_truth, pl.read_parquet(path)


def test_superset_with_unique_ids(db):
    leak, db_truth, table = db
    assert table.height == 6000 == db_truth.size
    assert table["patient_id"].n_unique() == table.height
    links = db_truth.links
    assert links.height == leak.persons == db_truth.linked
    assert links["patient_id"].is_in(table["patient_id"].implode()).all()
    assert links["leak_person"].sort().to_list() == list(range(leak.persons))


def test_unperturbed_persons_match_the_export(db):
    leak, db_truth, table = db
    persons = leak.persons_frame()
    joined = db_truth.links.join(table, on="patient_id").join(
        persons.rename({"person": "leak_person"}), on="leak_person"
    )
    clean = joined.filter(~pl.any_horizontal(PERTURBATIONS))
    assert clean.height > 0.4 * joined.height
    assert (clean["nom"] == clean["usage_name"]).all()
    assert (clean["prenoms"] == clean["first_name"]).all()
    assert (clean["date_naissance"] == clean["birth_date"]).all()
    assert (clean["code_postal"] == clean["postcode"]).all()


def test_perturbations_are_real_and_at_stated_rates(db):
    leak, db_truth, table = db
    persons = leak.persons_frame()
    joined = db_truth.links.join(table, on="patient_id").join(
        persons.rename({"person": "leak_person"}), on="leak_person"
    )
    n = joined.height
    counts = db_truth.perturbations
    assert counts == {p: int(joined[p].sum()) for p in PERTURBATIONS}
    assert 0.06 < counts["name_typo"] / n < 0.14
    assert 0.06 < counts["moved"] / n < 0.14
    assert 0.06 < counts["phone_changed"] / n < 0.14
    assert 0.06 < counts["nir_missing"] / n < 0.14
    assert 0.02 < counts["first_name_variant"] / n < 0.08

    typo = joined.filter(pl.col("name_typo"))
    for got, usage, birth, swapped in typo.select(
        "nom", "usage_name", "birth_name", "name_swap"
    ).iter_rows():
        assert _levenshtein(got, birth if swapped else usage) == 1
    swap = joined.filter(pl.col("name_swap") & ~pl.col("name_typo"))
    assert swap.height > 0
    assert (swap["nom"] == swap["birth_name"]).all()
    assert (swap["nom_naissance"] == swap["usage_name"]).all()
    variant = joined.filter(pl.col("first_name_variant"))
    assert (variant["prenoms"] != variant["first_name"]).all()
    moved = joined.filter(pl.col("moved"))
    assert (moved["adresse"] != moved["address1"]).mean() > 0.95
    assert joined.filter(pl.col("nir_missing"))["nir"].is_null().all()


def test_missing_nir_rate_over_the_whole_database(db):
    _, _, table = db
    share = table["nir"].is_null().mean()
    assert 0.08 < share < 0.20  # 10 % dropped, plus persons who never had one


def test_size_smaller_than_leak_is_refused(small_export, tmp_path):
    _, truth, _ = small_export
    with pytest.raises(ValueError):
        generate_patient_db(PatientDbSpec(size=10), truth, tmp_path / "x.parquet")


def test_csv_output(small_export, tmp_path):
    _, truth, _ = small_export
    path = tmp_path / "patients.csv"
    generate_patient_db(PatientDbSpec(size=truth.persons + 10, seed=1), truth, path)
    table = pl.read_csv(path, separator=";", infer_schema=False)
    assert table.height == truth.persons + 10
    assert table.columns[0] == "patient_id"
