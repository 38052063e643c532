"""A controller's own patient database: a superset of a leak's persons, with the
realistic differences a linker has to survive (typos, name swaps, moves, missing NIR).

`generate_patient_db(spec, leak_truth, out_path)` writes the database (CSV or
Parquet by extension), `<out>.truth.json` (counts) and `<out>.links.parquet`
(leak person index -> patient_id, with the perturbations applied to each).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from vigile.synth.lab_export import _pools
from vigile.synth.persons import build_persons
from vigile.synth.truth import GroundTruth, truth_path

PERTURBATIONS = (
    "name_typo",
    "name_swap",
    "moved",
    "phone_changed",
    "nir_missing",
    "first_name_variant",
)


@dataclass(frozen=True)
class PatientDbSpec:
    size: int = 100_000  # total patients; at least the leak's persons
    seed: int = 2021
    name_typo_share: float = 0.04  # linked persons whose usage name has one edit
    name_swap_share: float = 0.30  # linked married women with usage/birth names swapped
    moved_share: float = 0.08  # linked persons with another address, postcode and city
    phone_changed_share: float = 0.10
    missing_nir_share: float = 0.10  # every patient, linked or not
    first_name_variant_share: float = 0.05


@dataclass
class PatientDbTruth:
    path: str
    spec: dict
    size: int
    linked: int  # leak persons present in the database (all of them)
    perturbations: dict[str, int]  # perturbation -> linked persons it was applied to
    links: pl.DataFrame  # leak_person, patient_id, one boolean per perturbation

    def to_json(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if k != "links"}
        d["links"] = str(links_path(self.path))
        return d


def links_path(out_path: str | Path) -> Path:
    return Path(f"{out_path}.links.parquet")


def _one_edit(col: pl.Expr, op: pl.Expr, pos_u: pl.Expr, letter: pl.Expr) -> pl.Expr:
    """Exactly one Levenshtein edit (substitute, delete or insert) at a random position."""
    length = col.str.len_chars()
    pos = (pos_u * length).floor().cast(pl.Int64).clip(0, length - 1)
    before = col.str.slice(0, pos)
    original = col.str.slice(pos, 1)
    other = pl.when(letter == original).then(
        pl.when(original == "E").then(pl.lit("A")).otherwise(pl.lit("E"))
    )
    replacement = other.otherwise(letter)
    substitute = pl.concat_str([before, replacement, col.str.slice(pos + 1)])
    delete = pl.concat_str([before, col.str.slice(pos + 1)])
    insert = pl.concat_str([before, letter, col.str.slice(pos)])
    return (
        pl.when((op == 1) & (length >= 3))
        .then(delete)
        .when(op == 2)
        .then(insert)
        .otherwise(substitute)
    )


def _first_name_variant(first_name: pl.Expr, first1_fold: pl.Expr, first1: pl.Expr) -> pl.Expr:
    """Drop the second given name, unhyphenate, drop accents, or upper-case (in that order)."""
    return (
        pl.when(first_name != first1)
        .then(first1)
        .when(first_name.str.contains("-", literal=True))
        .then(first_name.str.replace_all("-", " ", literal=True))
        .when(first1_fold != first_name)
        .then(first1_fold)
        .otherwise(first_name.str.to_uppercase())
    )


def _db_columns(frame: pl.DataFrame, pools) -> pl.DataFrame:
    return frame.select(
        pl.col("usage_name").alias("nom"),
        pl.col("birth_name").alias("nom_naissance"),
        pl.col("first_name").alias("prenoms"),
        pl.when(pl.col("sex") == 2).then(pl.lit("F")).otherwise(pl.lit("M")).alias("sexe"),
        pl.col("birth_date").alias("date_naissance"),
        pl.when(pl.col("has_nir")).then(pl.concat_str(["nir13", "nir_key"])).alias("nir"),
        pl.col("address1").alias("adresse"),
        pl.col("postcode").alias("code_postal"),
        pl.col("city").alias("ville"),
        pl.when(pl.col("has_mobile"))
        .then(pl.col("mobile"))
        .when(pl.col("has_home"))
        .then(pl.col("home"))
        .alias("telephone"),
        pl.col("email"),
    )


def _patient_ids(ids: np.ndarray) -> pl.Series:
    return (
        pl.select(pl.concat_str([pl.lit("PAT"), pl.Series(ids).cast(pl.String).str.zfill(8)]))
        .to_series()
        .alias("patient_id")
    )


def _others_stream(chunk: int) -> int:
    """build_persons stream of the k-th chunk of unlinked patients: chunk 0 keeps the
    stream the one-piece generator used (1), so databases of up to `chunk_rows` unlinked
    patients are the same rows as before; later chunks draw from streams 10,000 + k,
    which no other generator uses (0: lab export persons, 2: donors)."""
    return 1 if chunk == 0 else 10_000 + chunk


def _table_parts(linked, spec, n_leak, pools, reference, chunk_rows):
    """(first table row, frame in database columns) pieces, in table order: the linked
    persons, then the unlinked patients `chunk_rows` at a time."""
    yield 0, _db_columns(linked, pools)
    n_others = spec.size - n_leak
    for k, start in enumerate(range(0, n_others, chunk_rows)):
        m = min(chunk_rows, n_others - start)
        others = build_persons(m, spec.seed, pools, reference, stream=_others_stream(k))
        yield n_leak + start, _db_columns(others, pools)


def _write_shuffled(parts, ids, nir_missing, position, out_path, chunk_rows) -> None:
    """Write the table rows in output order with one block of `chunk_rows` rows in memory.

    Two passes through a private temporary folder beside the output (hand-written: an
    external shuffle by output block, which neither polars nor pyarrow offers): each
    piece is split by the output block its rows land in, then each block's pieces are
    read back, put in output order and appended (a Parquet row group, or CSV lines). The
    file appears under its name only when complete (written as `.part`, then renamed)."""
    import shutil
    import tempfile

    import pyarrow.parquet as pq

    n_blocks = max(1, -(-len(position) // chunk_rows))
    tmp = Path(tempfile.mkdtemp(prefix=".patient-db-", dir=out_path.parent))  # mode 0700
    partial = out_path.with_name(out_path.name + ".part")
    try:
        for p, (first, frame) in enumerate(parts):
            rows = np.arange(first, first + frame.height)
            pos = position[rows]
            frame = frame.with_columns(
                nir=pl.when(pl.Series(nir_missing[rows])).then(None).otherwise(pl.col("nir"))
            ).insert_column(0, _patient_ids(ids[rows]))
            frame = frame.with_columns(_pos=pl.Series(pos), _block=pl.Series(pos // chunk_rows))
            for (block,), piece in frame.partition_by("_block", as_dict=True).items():
                piece.drop("_block").write_parquet(tmp / f"b{block:06d}-p{p:06d}.parquet")
            del frame
        csv = out_path.suffix.lower() == ".csv"
        writer = None
        with partial.open("wb") as fh:
            for block in range(n_blocks):
                files = sorted(tmp.glob(f"b{block:06d}-p*.parquet"))
                table = pl.concat([pl.read_parquet(f) for f in files]).sort("_pos").drop("_pos")
                if csv:
                    table.write_csv(fh, separator=";", include_header=block == 0)
                else:
                    arrow = table.to_arrow()
                    if writer is None:
                        writer = pq.ParquetWriter(fh, arrow.schema, compression="zstd")
                    writer.write_table(arrow)
                for f in files:
                    f.unlink()
            if writer is not None:
                writer.close()
        partial.replace(out_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        partial.unlink(missing_ok=True)


# Rows of unlinked patients built at once, and rows per output block: bounds the memory
# (about 1 GB per million rows at peak) whatever the database size.
CHUNK_ROWS = 1_000_000


def generate_patient_db(
    spec: PatientDbSpec,
    leak_truth: GroundTruth,
    out_path: str | Path,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> PatientDbTruth:
    """Write the patient database and its linkage truth; return the truth.

    Memory is bounded by `chunk_rows` (plus the leak's persons and a few integer arrays
    of `size`), not by `size`. For a given seed the rows and their order are those of
    the one-piece generator when the unlinked patients fit in one chunk; beyond, each
    further chunk of unlinked patients draws from its own stream (same distribution,
    other persons)."""
    out_path = Path(out_path)
    leak = leak_truth.persons_frame()
    n_leak = leak.height
    if spec.size < n_leak:
        raise ValueError(f"size must be at least the leak's {n_leak} persons")
    export_spec = leak_truth.export_spec
    pools = _pools(export_spec, n_leak)
    rng = np.random.default_rng([spec.seed, 31])

    flags = {
        "name_typo": rng.random(n_leak) < spec.name_typo_share,
        "name_swap": leak["married"].to_numpy() & (rng.random(n_leak) < spec.name_swap_share),
        "moved": rng.random(n_leak) < spec.moved_share,
        "phone_changed": rng.random(n_leak) < spec.phone_changed_share,
        "first_name_variant": rng.random(n_leak) < spec.first_name_variant_share,
    }
    donors_needed = int(flags["moved"].sum() + flags["phone_changed"].sum()) + 1
    donors = build_persons(
        donors_needed, spec.seed, pools, export_spec.reference_date, stream=2
    ).select(
        donor_address1="address1",
        donor_postcode="postcode",
        donor_city="city",
        donor_mobile="mobile",
    )
    donor_idx = np.zeros(n_leak, dtype=np.int64)
    need = flags["moved"] | flags["phone_changed"]
    donor_idx[need] = np.arange(int(need.sum()))

    letters = np.array(list("ABCDEFGHIJKLMNOPRSTUVZ"))
    linked = pl.concat(
        [
            leak,
            donors[donor_idx],
            pl.DataFrame({f: v for f, v in flags.items()}),
            pl.DataFrame(
                {
                    "typo_op": rng.integers(0, 3, n_leak),
                    "typo_pos": rng.random(n_leak),
                    "typo_letter": rng.choice(letters, n_leak),
                    "first1_name": pools.first_names.gather(leak["first1"].to_numpy()),
                    "first1_fold": pools.first_fold.gather(leak["first1"].to_numpy()),
                }
            ),
        ],
        how="horizontal",
    )
    usage = pl.when(pl.col("name_swap")).then(pl.col("birth_name")).otherwise(pl.col("usage_name"))
    typo = _one_edit(usage, pl.col("typo_op"), pl.col("typo_pos"), pl.col("typo_letter"))
    linked = linked.with_columns(
        usage_name=pl.when(pl.col("name_typo")).then(typo).otherwise(usage),
        birth_name=pl.when(pl.col("name_swap"))
        .then(pl.col("usage_name"))
        .otherwise(pl.col("birth_name")),
        first_name=pl.when(pl.col("first_name_variant"))
        .then(
            _first_name_variant(pl.col("first_name"), pl.col("first1_fold"), pl.col("first1_name"))
        )  # fmt: skip
        .otherwise(pl.col("first_name")),
        address1=pl.when(pl.col("moved")).then("donor_address1").otherwise("address1"),
        postcode=pl.when(pl.col("moved")).then("donor_postcode").otherwise("postcode"),
        city=pl.when(pl.col("moved")).then("donor_city").otherwise("city"),
        mobile=pl.when(pl.col("phone_changed")).then("donor_mobile").otherwise("mobile"),
        has_mobile=pl.col("has_mobile") | pl.col("phone_changed"),
    )
    # The old in-memory recipe, kept draw for draw: which patients lack a NIR, the
    # patient ids (a permutation), and the output order (a shuffle, so the leak's persons
    # are not the first rows). Arrays of `size` integers: 80 MB each at 10 M patients.
    nir_missing = rng.random(spec.size) < spec.missing_nir_share
    ids = rng.permutation(spec.size) + 1
    order = rng.permutation(spec.size)  # output row j is table row order[j]
    position = np.empty(spec.size, dtype=np.int64)
    position[order] = np.arange(spec.size, dtype=np.int64)
    _write_shuffled(
        _table_parts(linked, spec, n_leak, pools, export_spec.reference_date, chunk_rows),
        ids,
        nir_missing,
        position,
        out_path,
        chunk_rows,
    )
    patient_id = _patient_ids(ids[:n_leak])

    links = pl.DataFrame(
        {
            "leak_person": leak["person"],
            "patient_id": patient_id,
            **{f: v for f, v in flags.items()},
            # NIR missing in the database although the leak's person has one.
            "nir_missing": nir_missing[:n_leak] & leak["has_nir"].to_numpy(),
        }
    )
    links.write_parquet(links_path(out_path))
    truth = PatientDbTruth(
        path=str(out_path),
        spec=asdict(spec),
        size=spec.size,
        linked=n_leak,
        perturbations={p: int(links[p].sum()) for p in PERTURBATIONS},
        links=links,
    )
    truth_path(out_path).write_text(json.dumps(truth.to_json(), indent=2) + "\n")
    return truth
