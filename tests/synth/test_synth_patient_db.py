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


SPEC = PatientDbSpec(size=6000, seed=3, name_typo_share=0.1, moved_share=0.1)


# In one piece (the default chunk is far above 6,000 rows), and in 700-row chunks: unlinked
# patients built 700 at a time and the output written in 700-row blocks (bounded memory).
@pytest.fixture(scope="module", params=[None, 700], ids=["one-chunk", "700-row-chunks"])
def db(small_export, tmp_path_factory, request):
    _, truth, _ = small_export
    path = tmp_path_factory.mktemp("db") / "patients.parquet"
    kw = {"chunk_rows": request.param} if request.param else {}
    db_truth = generate_patient_db(SPEC, truth, path, **kw)
    return truth, db_truth, pl.read_parquet(path)


def test_chunked_output_is_shuffled_across_blocks(db):
    _, db_truth, table = db
    linked = table.with_row_index("row").join(db_truth.links, on="patient_id")
    blocks = (linked["row"] // 700).unique().len()
    assert blocks == -(-table.height // 700)  # leak persons in every 700-row stretch
    assert not folder_leftovers(db_truth.path)


def folder_leftovers(path) -> list[str]:
    """Temporary pieces or a partial file left beside the database."""
    from pathlib import Path

    return [p.name for p in Path(path).parent.iterdir() if p.name.startswith(".") or
            p.name.endswith(".part")]  # fmt: skip


def test_output_blocks_do_not_change_the_rows(small_export, tmp_path):
    """With the unlinked patients in one chunk, the external shuffle by output block
    (here 5,000-row blocks of a 6,000-row table) writes exactly the one-piece table."""
    _, truth, _ = small_export
    assert SPEC.size - truth.persons <= 5000 < SPEC.size
    generate_patient_db(SPEC, truth, tmp_path / "a.parquet")
    generate_patient_db(SPEC, truth, tmp_path / "b.parquet", chunk_rows=5000)
    assert pl.read_parquet(tmp_path / "a.parquet").equals(pl.read_parquet(tmp_path / "b.parquet"))


def test_failure_leaves_no_database_and_no_pieces(small_export, tmp_path, monkeypatch):
    import vigile.synth.patient_db as mod

    _, truth, _ = small_export
    real = mod.build_persons

    def second_chunk_fails(n, seed, pools, reference, stream=0, **kw):
        if stream > 10_000:
            raise MemoryError("simulated")
        return real(n, seed, pools, reference, stream=stream, **kw)

    monkeypatch.setattr(mod, "build_persons", second_chunk_fails)
    with pytest.raises(MemoryError):
        generate_patient_db(SPEC, truth, tmp_path / "p.parquet", chunk_rows=700)
    assert not (tmp_path / "p.parquet").exists()
    assert folder_leftovers(tmp_path / "p.parquet") == []


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
