"""Second pass: Splink (Fellegi-Sunter) for the leak persons the NIR did not link.

Comparisons cover the ways a lab extraction and a patient database differ for
the same person: one-letter typos, usage vs birth name swapped, a second given
name dropped, a birth date typed wrong, a move (postcode, phone changed).
Blocking rules keep the comparison count near (leak persons x a few dozen)
instead of the cartesian product; m probabilities are trained by EM on the
data itself, u by random sampling.

One model definition (`splink_settings`, `train`, `scored_pairs`) serves every
backend: DuckDB here (`probabilistic_matches`), Spark in `spark_engine`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl

from .fields import FIELDS
from .sampling import same_samples


@dataclass(frozen=True)
class SplinkOptions:
    review_threshold: float = 0.5  # pairs below are dropped
    max_pairs_u: float = 2e6
    seed: int = 7
    em_rounds: int = 2
    # DuckDB only: its buffer-manager limit ("8GB", "512MiB"; default: half the memory
    # available at the start, VIGILE_DUCKDB_MEMORY_LIMIT overrides) and the folder under
    # which it spills what does not fit (default: the system's temporary folder,
    # VIGILE_SPILL_DIR overrides). See `duckdb_connection`.
    memory_limit: str | None = None
    spill_dir: str | None = None


# The SQL below is plain SQL that DuckDB and Spark read alike (=, OR, substr, split_part);
# the string-similarity functions, whose names differ per backend, come from Splink's
# own levels, which write each backend's function name. One settings object, any backend.
_DUCKDB = "duckdb"


def _level(sql: str, label: str):
    from splink import comparison_level_library as cll

    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str=_DUCKDB)


def comparisons() -> list:
    from splink import comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    def fuzzy(col: str) -> list:
        # Edit distances only, no Jaro-Winkler: DuckDB's jaro_winkler_similarity (a
        # rapidfuzz port) and Splink's Spark UDF (textbook Jaro) disagree on about 1 pair
        # of random names in 40 (DESROSIERS/VASSEUR: 0.574 vs 0.532), enough to move a
        # pair across a level and the two engines apart. Damerau-Levenshtein agreed on
        # every one of those 40,000 pairs; the prefix test is plain SQL.
        short_l, short_r = f"length({col}_l) >= 4", f"length({col}_r) >= 4"
        cut = (
            f"({short_l} AND substr({col}_r, 1, length({col}_l)) = {col}_l) OR "
            f"({short_r} AND substr({col}_l, 1, length({col}_r)) = {col}_r)"
        )
        return [
            # one typo, or a name cut short by a fixed-width field (4 letters at least)
            cll.Or(cll.DamerauLevenshteinLevel(col, 1), _level(cut, "cut short")),
            cll.DamerauLevenshteinLevel(col, 2),
        ]

    return [
        CustomComparison(
            [
                cll.NullLevel("last_name"),
                _level("last_name_l = last_name_r", "exact"),
                _level(
                    "last_name_l = birth_name_r OR birth_name_l = last_name_r OR birth_name_l = birth_name_r",
                    "usage/birth name swap",
                ),
                *fuzzy("last_name"),
                cll.ElseLevel(),
            ],
            output_column_name="last_name",
        ),
        CustomComparison(
            [
                cll.NullLevel("first_name"),
                _level("first_name_l = first_name_r", "exact"),
                _level(
                    "split_part(first_name_l, ' ', 1) = split_part(first_name_r, ' ', 1)",
                    "first given name",
                ),
                *fuzzy("first_name"),
                cll.ElseLevel(),
            ],
            output_column_name="first_name",
        ),
        CustomComparison(
            [
                cll.NullLevel("birth_date"),
                _level("birth_date_l = birth_date_r", "exact"),
                cll.DamerauLevenshteinLevel("birth_date", 1),  # one digit typo or swap
                _level("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)", "same year"),
                cll.ElseLevel(),
            ],
            output_column_name="birth_date",
        ),
        CustomComparison(
            [cll.NullLevel("sex"), _level("sex_l = sex_r", "exact"), cll.ElseLevel()],
            output_column_name="sex",
        ),
        CustomComparison(
            [
                cll.NullLevel("postcode"),
                _level("postcode_l = postcode_r", "exact"),
                _level("substr(postcode_l, 1, 2) = substr(postcode_r, 1, 2)", "same departement"),
                cll.ElseLevel(),
            ],
            output_column_name="postcode",
        ),
        CustomComparison(
            [
                cll.NullLevel("phone"),
                _level(
                    "phone_l = phone_r OR phone_l = phone2_r OR phone2_l = phone_r OR phone2_l = phone2_r",
                    "a number shared",
                ),
                cll.ElseLevel(),
            ],
            output_column_name="phone",
        ),
        CustomComparison(
            [cll.NullLevel("email"), _level("email_l = email_r", "exact"), cll.ElseLevel()],
            output_column_name="email",
        ),
    ]


def blocking_rules() -> list:
    from splink import block_on

    return [
        block_on("birth_date"),
        block_on("postcode", "substr(first_name, 1, 2)"),
        block_on("last_name", "first_name"),
        block_on("phone"),
        block_on("email"),
        block_on("last_name", "substr(birth_date, 1, 4)"),
    ]


# Two EM sessions with disjoint blocks so that every comparison gets trained m values.
EM_BLOCKS = (("birth_date",), ("postcode", "substr(first_name, 1, 2)"))
LEAK_TABLE = "vigile_leak"
PATIENTS_TABLE = "vigile_patients"
PAIR_SCHEMA = {"leak_key": pl.String, "patient_id": pl.String, "match_probability": pl.Float64}
# The columns a Splink input table has, in this order (unique_id first).
SPLINK_COLUMNS = ("unique_id", *(f for f in FIELDS if f != "nir"))


def splink_settings(n_patients: int):
    """The one Splink model of vigile (comparisons, blocking rules, prior), for any backend."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="link_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        # Nearly every leak person has one record among the patients.
        probability_two_random_records_match=min(0.5, 1.0 / max(n_patients, 1)),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def scored_pairs(db_api, leak_table, patients_table, n_patients: int, options: SplinkOptions):
    """Train (u by sampling, m by EM) and predict on registered tables: the Splink frame of
    pairs at or above the review threshold (unique_id_l/_r, source_dataset_l, probability)."""
    from splink import Linker, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    db_api = same_samples(db_api)
    left = db_api.register(leak_table, table_name=LEAK_TABLE)
    right = db_api.register(patients_table, table_name=PATIENTS_TABLE)
    linker = Linker([left, right], splink_settings(n_patients), log_level=None)
    # u from all max_pairs_u sampled pairs in ONE query per comparison: Splink's default
    # (a 1 % probe, then up to 10 chunks until every level has 100 counts) runs up to 11
    # queries per comparison, and rare levels (a shared phone, a name swap) never reach
    # 100 among random pairs, so all 11 ran: 77 queries, each a Spark job with its fixed
    # planning/scheduling cost (585 s of a 1,014 s Spark pass at 60,000 patients). The
    # whole sample is also the more precise estimate. Same sample, hence same u, on every
    # backend: `same_samples`.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=options.max_pairs_u, seed=options.seed, num_chunks=1, min_count_per_level=None
    )
    for cols in EM_BLOCKS:
        try:
            # No comparison uses term frequencies, so EM on the agreement-pattern counts
            # (a few hundred rows, computed once) is the same model as EM on every pair,
            # and each of its iterations reads that small table instead of all pairs.
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), estimate_without_term_frequencies=True
            )
        except Exception:  # noqa: BLE001 - too few pairs in a block: keep the other session's values
            logging.getLogger(__name__).info("EM session skipped: too few pairs")
    return linker.inference.predict(threshold_match_probability=options.review_threshold)


def oriented(pairs: pl.DataFrame) -> pl.DataFrame:
    """Splink's pairs (either side first) -> leak_key, patient_id, match_probability."""
    if pairs.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    leak_on_left = pl.col("source_dataset_l") == LEAK_TABLE
    return pairs.select(
        pl.when(leak_on_left).then("unique_id_l").otherwise("unique_id_r").alias("leak_key"),
        pl.when(leak_on_left).then("unique_id_r").otherwise("unique_id_l").alias("patient_id"),
        pl.col("match_probability").cast(pl.Float64),
    )


MEMORY_LIMIT_ENV = "VIGILE_DUCKDB_MEMORY_LIMIT"
SPILL_DIR_ENV = "VIGILE_SPILL_DIR"
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def check_memory_limit(limit: str) -> str:
    """`limit` if DuckDB reads it as a size ("8GB", "512MiB"), else ValueError."""
    if not _SIZE.match(limit):
        raise ValueError(f"memory limit {limit!r} is not a size: write it like 8GB or 512MiB")
    return limit.strip()


def default_memory_limit() -> str:
    """Half the memory available now (the machine's, or a container's cgroup limit when
    lower: `memory.available_bytes`), at least 1 GiB: the other half is for vigile's own
    frames (the patient table read by polars, its Arrow copy for Splink) and the system.
    DuckDB's own default, 80 % of all RAM, ignores what else is running."""
    from .memory import available_bytes

    return f"{max(1024, available_bytes() // 2 // 2**20)}MiB"


@contextmanager
def duckdb_connection(memory_limit: str | None = None, spill_dir: str | None = None) -> Iterator:
    """An in-memory DuckDB connection whose buffer manager stays under `memory_limit`
    and spills the rest to a private folder, removed on exit.

    The spill holds the compared values (names, birth dates, addresses, phone numbers):
    the folder is created owner-only (mode 0700, `tempfile.mkdtemp`) under `spill_dir`,
    which should be on an encrypted disk of the same machine. A SIGKILL leaves it behind
    (named vigile-spill-*): delete it. The limit covers DuckDB's buffers only, not the
    Arrow tables it reads from nor Python's frames."""
    import duckdb

    limit = check_memory_limit(
        memory_limit or os.environ.get(MEMORY_LIMIT_ENV) or default_memory_limit()
    )
    parent = spill_dir or os.environ.get(SPILL_DIR_ENV) or None
    spill = tempfile.mkdtemp(prefix="vigile-spill-", dir=parent)
    try:
        con = duckdb.connect(":memory:", config={"memory_limit": limit, "temp_directory": spill})
        try:
            yield con
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _to_splink_input(df: pl.DataFrame, id_col: str):
    cols = [pl.col(id_col).alias("unique_id"), *(pl.col(f) for f in FIELDS if f != "nir")]
    return df.select(cols).to_arrow()


def probabilistic_matches(
    leak: pl.DataFrame, patients: pl.DataFrame, options: SplinkOptions | None = None
) -> pl.DataFrame:
    """Scored candidate pairs: leak_key, patient_id, match_probability (>= review threshold)."""
    options = options or SplinkOptions()
    if leak.height == 0 or patients.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    from splink import DuckDBAPI

    n_patients = patients.height
    left = _to_splink_input(leak, "leak_key")
    right = _to_splink_input(patients, "patient_id")
    # Only the Arrow copies are needed now: drop this frame's references to the polars
    # ones (the caller passes temporaries, so they are freed here).
    del leak, patients
    with duckdb_connection(options.memory_limit, options.spill_dir) as con:
        scored = scored_pairs(DuckDBAPI(con), left, right, n_patients, options)
        out = (
            scored.as_duckdbpyrelation()
            .project("source_dataset_l, unique_id_l, unique_id_r, match_probability")
            .pl()
        )
    return oriented(out)
