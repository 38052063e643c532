"""Second pass: Splink (Fellegi-Sunter, DuckDB backend) for the leak persons the NIR did not link.

Comparisons cover the ways a lab extraction and a patient database differ for
the same person: one-letter typos, usage vs birth name swapped, a second given
name dropped, a birth date typed wrong, a move (postcode, phone changed).
Blocking rules keep the comparison count near (leak persons x a few dozen)
instead of the cartesian product; m probabilities are trained by EM on the
data itself, u by random sampling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

from .fields import FIELDS

_JW = "jaro_winkler_similarity"
_DL = "damerau_levenshtein"


@dataclass(frozen=True)
class SplinkOptions:
    review_threshold: float = 0.5  # pairs below are dropped
    max_pairs_u: float = 2e6
    seed: int = 7
    em_rounds: int = 2


def _null(col: str) -> dict:
    return {
        "sql_condition": f'"{col}_l" IS NULL OR "{col}_r" IS NULL',
        "label_for_charts": "null",
        "is_null_level": True,
    }


def _level(sql: str, label: str) -> dict:
    return {"sql_condition": sql, "label_for_charts": label}


_ELSE = {"sql_condition": "ELSE", "label_for_charts": "else"}


def comparisons() -> list:
    from splink.comparison_library import CustomComparison

    def fuzzy(col: str, hi: float, lo: float) -> list[dict]:
        return [
            _level(
                f"{_DL}({col}_l, {col}_r) <= 1 OR {_JW}({col}_l, {col}_r) >= {hi}",
                "one edit / jw hi",
            ),
            _level(f"{_JW}({col}_l, {col}_r) >= {lo}", "jw lo"),
        ]

    return [
        CustomComparison(
            [
                _null("last_name"),
                _level("last_name_l = last_name_r", "exact"),
                _level(
                    "last_name_l = birth_name_r OR birth_name_l = last_name_r OR birth_name_l = birth_name_r",
                    "usage/birth name swap",
                ),
                *fuzzy("last_name", 0.94, 0.85),
                _ELSE,
            ],
            output_column_name="last_name",
        ),
        CustomComparison(
            [
                _null("first_name"),
                _level("first_name_l = first_name_r", "exact"),
                _level(
                    "split_part(first_name_l, ' ', 1) = split_part(first_name_r, ' ', 1)",
                    "first given name",
                ),
                *fuzzy("first_name", 0.94, 0.85),
                _ELSE,
            ],
            output_column_name="first_name",
        ),
        CustomComparison(
            [
                _null("birth_date"),
                _level("birth_date_l = birth_date_r", "exact"),
                _level(f"{_DL}(birth_date_l, birth_date_r) <= 1", "one digit typo or swap"),
                _level("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)", "same year"),
                _ELSE,
            ],
            output_column_name="birth_date",
        ),
        CustomComparison(
            [_null("sex"), _level("sex_l = sex_r", "exact"), _ELSE],
            output_column_name="sex",
        ),
        CustomComparison(
            [
                _null("postcode"),
                _level("postcode_l = postcode_r", "exact"),
                _level("substr(postcode_l, 1, 2) = substr(postcode_r, 1, 2)", "same departement"),
                _ELSE,
            ],
            output_column_name="postcode",
        ),
        CustomComparison(
            [
                {
                    "sql_condition": "(phone_l IS NULL OR phone_r IS NULL)",
                    "label_for_charts": "null",
                    "is_null_level": True,
                },
                _level(
                    "phone_l = phone_r OR phone_l = phone2_r OR phone2_l = phone_r OR phone2_l = phone2_r",
                    "a number shared",
                ),
                _ELSE,
            ],
            output_column_name="phone",
        ),
        CustomComparison(
            [_null("email"), _level("email_l = email_r", "exact"), _ELSE],
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


def _to_splink_input(df: pl.DataFrame, id_col: str):
    cols = [pl.col(id_col).alias("unique_id"), *(pl.col(f) for f in FIELDS if f != "nir")]
    return df.select(cols).to_arrow()


def probabilistic_matches(
    leak: pl.DataFrame, patients: pl.DataFrame, options: SplinkOptions | None = None
) -> pl.DataFrame:
    """Scored candidate pairs: leak_key, patient_id, match_probability (>= review threshold)."""
    options = options or SplinkOptions()
    empty = pl.DataFrame(
        schema={"leak_key": pl.String, "patient_id": pl.String, "match_probability": pl.Float64}
    )
    if leak.height == 0 or patients.height == 0:
        return empty
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    db = DuckDBAPI()
    left = db.register(_to_splink_input(leak, "leak_key"), table_name="leak")
    right = db.register(_to_splink_input(patients, "patient_id"), table_name="patients")
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        # Nearly every leak person has one record among the patients.
        probability_two_random_records_match=min(0.5, 1.0 / patients.height),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker([left, right], settings, log_level=None)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=options.max_pairs_u, seed=options.seed
    )
    # Two EM sessions with disjoint blocks so that every comparison gets trained m values.
    for rule in (block_on("birth_date"), block_on("postcode", "substr(first_name, 1, 2)")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception:  # noqa: BLE001 - too few pairs in a block: keep the other session's values
            logging.getLogger(__name__).info("EM session skipped: too few pairs")
    scored = linker.inference.predict(threshold_match_probability=options.review_threshold)
    out = scored.as_duckdbpyrelation().pl()
    if out.height == 0:
        return empty
    leak_on_left = pl.col("source_dataset_l") == "leak"
    return out.select(
        pl.when(leak_on_left).then("unique_id_l").otherwise("unique_id_r").alias("leak_key"),
        pl.when(leak_on_left).then("unique_id_r").otherwise("unique_id_l").alias("patient_id"),
        pl.col("match_probability").cast(pl.Float64),
    )
