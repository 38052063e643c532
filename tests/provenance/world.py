"""Synthetic exports with overlapping patients, found fragments and unrelated files, for
the provenance tests and `benchmarks/bench_provenance.py` (synthetic data only).

One `vigile.synth` lab export is the controller's history: each registered export is
every row of a random subset of its patients (successive extractions share patients,
as real ones do). A fragment is a subset of an export's rows, shuffled, with columns
renamed, reordered and dropped and values reformatted (NIR grouped, names upper-cased,
dates and phones in another layout). Unrelated files come from another seed's patients.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from vigile.provenance import KeyColumns
from vigile.synth import ExportSpec, generate_lab_export
from vigile.synth.mutate import date_style, nir_style, phone_style
from vigile.synth.truth import persons_path

KEYS = KeyColumns(
    nir=("NIR",),
    last_names=("NOM", "NOM_JF"),
    first_name="PRENOM",
    birth_date="DT_NAIS",
    phones=("TEL_DOM", "TEL_PORT"),
    emails=("MAIL",),
)
IDENTIFYING = ("NIR", "NOM", "NOM_JF", "PRENOM", "DT_NAIS", "TEL_DOM", "TEL_PORT", "MAIL")
DATE_STYLES = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d")


@dataclass
class World:
    rows: pl.DataFrame  # the history: every row, with a hidden "__person" column
    exports: list[np.ndarray]  # row indices of each export

    def export_frame(self, i: int) -> pl.DataFrame:
        return self.rows[self.exports[i]].drop("__person")


def history(path: Path, rows: int, seed: int) -> pl.DataFrame:
    if not path.exists():
        generate_lab_export(ExportSpec(rows=rows, seed=seed, fields="standard"), path)
    df = pl.read_csv(path, separator=";", infer_schema=False)
    person = pl.read_parquet(persons_path(path)).sort("row")["person"]
    return df.with_columns(person.alias("__person"))


def build_world(path: Path, *, rows: int, exports: int, persons_each: int, seed: int) -> World:
    """`exports` exports, each the rows of `persons_each` patients drawn from the history."""
    df = history(path, rows, seed)
    rng = np.random.default_rng(seed)
    people = df["__person"].unique().sort().to_numpy()
    by_person = df.with_row_index("__i").group_by("__person").agg("__i")
    index = dict(zip(by_person["__person"].to_list(), by_person["__i"].to_list(), strict=True))
    out = []
    for _ in range(exports):
        chosen = rng.choice(people, min(persons_each, len(people)), replace=False)
        out.append(np.sort(np.concatenate([np.asarray(index[p]) for p in chosen])))
    return World(df, out)


def transform(frame: pl.DataFrame, rng: random.Random, keep_strong: bool = True) -> pl.DataFrame:
    """A found copy: shuffled, values reformatted, identifying columns partly dropped,
    every column renamed and the order changed."""
    f = frame.sample(fraction=1.0, shuffle=True, seed=rng.randrange(2**31))
    f = f.with_columns(
        nir_style(pl.col("NIR"), rng.randrange(5)).alias("NIR"),
        pl.col("NOM").str.to_uppercase(),
        pl.col("PRENOM").str.to_uppercase() if rng.random() < 0.5 else pl.col("PRENOM"),
        date_style(pl.col("DT_NAIS"), rng.choice(DATE_STYLES)).alias("DT_NAIS"),
        phone_style(pl.col("TEL_PORT"), rng.randrange(6)).alias("TEL_PORT"),
        pl.col("MAIL").str.to_uppercase() if rng.random() < 0.3 else pl.col("MAIL"),
    )
    droppable = [c for c in IDENTIFYING if c in f.columns]
    drop = rng.sample(droppable, rng.randrange(0, 4))
    name_dob_gone = {"NOM", "NOM_JF"} <= set(drop) or {"PRENOM", "DT_NAIS"} & set(drop)
    if keep_strong and "NIR" in drop and name_dob_gone:
        drop.remove("NIR")  # one strong view stays (NIR, or name with birth date)
    others = [c for c in f.columns if c not in IDENTIFYING]
    drop += rng.sample(others, rng.randrange(0, min(10, len(others))))
    f = f.drop(drop)
    cols = f.columns[:]
    rng.shuffle(cols)
    return f.select(cols)


def renamed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.rename({c: f"col_{i:02d}" for i, c in enumerate(frame.columns)})


def keys_of(frame: pl.DataFrame) -> KeyColumns:
    """The KeyColumns of a transformed frame still named as the history (before renaming)."""
    has = set(frame.columns)
    return KeyColumns(
        nir=tuple(c for c in KEYS.nir if c in has),
        last_names=tuple(c for c in KEYS.last_names if c in has),
        first_name=KEYS.first_name if KEYS.first_name in has else None,
        birth_date=KEYS.birth_date if KEYS.birth_date in has else None,
        phones=tuple(c for c in KEYS.phones if c in has),
        emails=tuple(c for c in KEYS.emails if c in has),
    )
