"""Link a leak to the controller's patient database: NIR pass, Splink pass, one-to-one choice.

Each leak person gets at most one patient: the NIR match when there is one,
else the best Splink candidate. A candidate at or above `match_threshold` is a
match; between `review_threshold` and it, or when two patients score above the
threshold for the same person, the pair goes to the manual review queue. Leak
persons with neither are counted as found in no record (art. 34(3)(c)).

Each affected patient gets one exposure record built from all the leak rows linked
to them: categories, health kinds and password form are the OR of their rows';
`minor` is an age under 18 on the reference date (the incident's discovery) from
the patient database's birth date, else the leak's; `protected` comes from the
database's legal-protection column.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace

import polars as pl

from .deterministic import nir_matches
from .exposure import PASSWORD_FORM, categories_of, kinds_of
from .fields import FIELDS
from .leak import LeakPersons, ProgressFn, load_leak
from .patients import IDENTITY_FIELDS, Patients, load_patients
from .probabilistic import SplinkOptions, probabilistic_matches

# stage(description) -> a context manager around one long step (progress display)
StageFn = Callable[[str], AbstractContextManager]


@dataclass(frozen=True)
class LinkOptions:
    match_threshold: float = 0.95
    review_threshold: float = 0.5
    splink: SplinkOptions = field(default_factory=SplinkOptions)


@dataclass(frozen=True)
class LinkResult:
    matches: pl.DataFrame  # leak_key, patient_id, match_probability, match_method
    review: pl.DataFrame  # leak_key, patient_id, match_probability (gray zone)
    leak: LeakPersons
    patients: Patients
    unmatched_leak_persons: int
    timings: dict[str, float]
    reference_date: dt.date = field(default_factory=dt.date.today)

    def affected(self) -> pl.DataFrame:
        """One row per affected patient: patient_id, match_probability, match_method, mask,
        kinds, pw, minor, protected, id_*."""
        return affected_frame(
            self.matches, self.leak.persons, self.patients.frame, self.reference_date
        )

    def counts(self) -> dict[str, int]:
        m = self.matches.get_column("match_method").value_counts()
        by = dict(
            zip(
                m.get_column("match_method").to_list(), m.get_column("count").to_list(), strict=True
            )
        )
        return {
            "leak_rows": self.leak.rows,
            "leak_persons": self.leak.persons.height,
            "patients": self.patients.frame.height,
            "matched_nir": by.get("nir", 0),
            "matched_probabilistic": by.get("probabilistic", 0),
            "review": self.review.height,
            "unmatched_leak_persons": self.unmatched_leak_persons,
            "affected_patients": self.matches.get_column("patient_id").n_unique(),
        }


def is_minor(birth_iso: pl.Expr, reference_date: dt.date) -> pl.Expr:
    """Under 18 on `reference_date`, from an ISO birth date string (False when unknown;
    a birth date after the reference day is an entry error, not a minor)."""
    birth = birth_iso.str.to_date("%Y-%m-%d", strict=False)
    ref = reference_date
    had_birthday = (birth.dt.month() < ref.month) | (
        (birth.dt.month() == ref.month) & (birth.dt.day() <= ref.day)
    )
    age = pl.lit(ref.year) - birth.dt.year() - pl.when(had_birthday).then(0).otherwise(1)
    return age.is_between(0, 17).fill_null(False)


def affected_frame(
    matches: pl.DataFrame,
    persons: pl.DataFrame,
    patients: pl.DataFrame,
    reference_date: dt.date,
) -> pl.DataFrame:
    """One row per affected patient, from all the leak persons linked to them."""
    id_cols = [f"id_{f}" for f in IDENTITY_FIELDS]
    return (
        matches.join(
            persons.select("leak_key", "mask", "kinds", "pw", pl.col("birth_date").alias("_lb")),
            on="leak_key",
        )
        .group_by("patient_id")
        .agg(
            pl.col("match_probability").max(),
            # "nir" when any of the person's leak records was linked by NIR.
            pl.col("match_method").min().alias("match_method"),
            pl.col("mask").bitwise_or(),
            pl.col("kinds").bitwise_or(),
            pl.col("pw").max(),
            pl.col("_lb").max(),  # the youngest, if the leak disagrees with itself
        )
        .join(
            patients.select("patient_id", *id_cols, pl.col("birth_date").alias("_pb"), "protected"),
            on="patient_id",
            how="left",
        )
        .with_columns(
            is_minor(pl.coalesce("_pb", "_lb"), reference_date).alias("minor"),
            pl.col("protected").fill_null(False),
        )
        .drop("_lb", "_pb")
        .sort("patient_id")
    )


def iter_affected_persons(affected: pl.DataFrame) -> Iterator:
    """AffectedPerson objects for the case store (identity: non-empty fields only)."""
    from ..case import AffectedPerson

    for row in affected.iter_rows(named=True):
        yield AffectedPerson(
            patient_id=row["patient_id"],
            match_probability=float(row["match_probability"]),
            match_method=row["match_method"],
            categories=categories_of(row["mask"]),
            identity={f: row[f"id_{f}"] for f in IDENTITY_FIELDS if row[f"id_{f}"]},
            health_kinds=kinds_of(row["kinds"]),
            password=PASSWORD_FORM.get(row["pw"]),
            minor=bool(row["minor"]),
            protected=bool(row["protected"]),
        )


def choose(candidates: pl.DataFrame, options: LinkOptions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Best candidate per leak person -> (matches, review). Ambiguous persons go to review."""
    ranked = candidates.sort(
        ["leak_key", "match_probability", "patient_id"], descending=[False, True, False]
    )
    per_person = ranked.group_by("leak_key", maintain_order=True).agg(
        pl.col("patient_id").first(),
        pl.col("match_probability").first(),
        (pl.col("match_probability") >= options.match_threshold).sum().alias("_strong"),
    )
    sure = (pl.col("match_probability") >= options.match_threshold) & (pl.col("_strong") == 1)
    matches = per_person.filter(sure).drop("_strong")
    review = per_person.filter(~sure).drop("_strong")
    return matches, review


def link(
    leak_path: str | os.PathLike,
    patients_source: str | os.PathLike,
    *,
    id_column: str | None = None,
    leak_roles: Mapping[str, str] | None = None,
    patient_roles: Mapping[str, str] | None = None,
    options: LinkOptions | None = None,
    reference_date: dt.date | None = None,
    progress: ProgressFn | None = None,
    stage: StageFn | None = None,
) -> LinkResult:
    """Read the leak (once) and the patient database, then link them (`link_loaded`).

    `reference_date`: the day ages are counted at for `minor` (the incident's discovery;
    default today). `progress(path, bytes_read, total)` follows the two reads; `stage`
    wraps each linkage pass (progress displays)."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    leak = load_leak(leak_path, leak_roles, progress=progress)
    timings["read_leak"] = time.perf_counter() - t

    t = time.perf_counter()
    patients = load_patients(patients_source, id_column, patient_roles, progress=progress)
    timings["read_patients"] = time.perf_counter() - t
    result = link_loaded(leak, patients, options=options, reference_date=reference_date,
                         stage=stage)  # fmt: skip
    result.timings.update(timings)
    return result


def link_loaded(
    leak: LeakPersons,
    patients: Patients,
    *,
    options: LinkOptions | None = None,
    reference_date: dt.date | None = None,
    stage: StageFn | None = None,
) -> LinkResult:
    """NIR pass, then Splink on the rest, then one patient at most per leak person."""
    options = options or LinkOptions()
    stage = stage or (lambda _name: nullcontext())
    timings: dict[str, float] = {}
    t = time.perf_counter()
    with stage("NIR pass"):
        by_nir = nir_matches(leak.persons, patients.frame).with_columns(
            pl.lit("nir").alias("match_method")
        )
    timings["nir_pass"] = time.perf_counter() - t

    t = time.perf_counter()
    with stage("probabilistic pass (Splink)"):
        splink_opts = replace(options.splink, review_threshold=options.review_threshold)
        # Only the compared columns are copied (not the identity kept for the letters),
        # and as temporaries: probabilistic_matches frees them once converted to Arrow.
        compared = [f for f in FIELDS if f != "nir"]
        candidates = probabilistic_matches(
            leak.persons.select("leak_key", *compared).join(by_nir, on="leak_key", how="anti"),
            patients.frame.select("patient_id", *compared).join(
                by_nir, on="patient_id", how="anti"
            ),
            splink_opts,
        )
        prob_matches, review = choose(candidates, options)
    timings["splink_pass"] = time.perf_counter() - t

    matches = pl.concat(
        [
            by_nir.select("leak_key", "patient_id", "match_probability", "match_method"),
            prob_matches.with_columns(pl.lit("probabilistic").alias("match_method")),
        ]
    )
    unmatched = leak.persons.height - matches.height - review.height
    return LinkResult(
        matches, review, leak, patients, unmatched, timings, reference_date or dt.date.today()
    )
