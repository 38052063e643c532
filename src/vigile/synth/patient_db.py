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


def generate_patient_db(
    spec: PatientDbSpec, leak_truth: GroundTruth, out_path: str | Path
) -> PatientDbTruth:
    """Write the patient database and its linkage truth; return the truth."""
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
    others = build_persons(
        spec.size - n_leak, spec.seed, pools, export_spec.reference_date, stream=1
    )
    table = pl.concat([_db_columns(linked, pools), _db_columns(others, pools)])
    nir_missing = rng.random(spec.size) < spec.missing_nir_share
    table = table.with_columns(
        nir=pl.when(pl.Series(nir_missing)).then(None).otherwise(pl.col("nir"))
    )
    ids = rng.permutation(spec.size) + 1
    patient_id = pl.Series("patient_id", ids).cast(pl.String).str.zfill(8)
    patient_id = pl.select(pl.concat_str([pl.lit("PAT"), patient_id])).to_series()
    table = table.insert_column(0, patient_id.alias("patient_id"))
    # Shuffle so the leak's persons are not the first rows.
    table = table[rng.permutation(spec.size)]

    if out_path.suffix.lower() == ".csv":
        table.write_csv(out_path, separator=";")
    else:
        table.write_parquet(out_path)

    links = pl.DataFrame(
        {
            "leak_person": leak["person"],
            "patient_id": patient_id[:n_leak],
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
