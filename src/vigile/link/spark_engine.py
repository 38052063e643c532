"""Link on Apache Spark: the same NIR pass, Splink model and thresholds as on DuckDB.

The leak is read on the driver by vigile's own bounded readers (a leak is hostile input,
and its persons fit on one machine: 758,912 patients for the largest French leak); the
patient database stays in Spark (`spark_patients`). Then:

1. NIR pass: the patients whose NIR appears in the leak are fetched (a broadcast
   semi-join) and `nir_matches` decides, with the one-machine code, on the driver.
2. Splink pass: the leak persons and patients the NIR left go to Splink's Spark backend
   with `probabilistic.scored_pairs` (the one model definition; on DuckDB too), and the
   pairs above the review threshold come back to the driver.
3. `choose` (one patient per leak person), then only the patients matched or in review
   are fetched, for the exposure records, the review queue and the letters.

Everything that comes back to the driver is bounded by the leak, not the database. The
case store is written by the caller, from the driver: executors never see its key.
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import nullcontext
from dataclasses import dataclass

import polars as pl

from .deterministic import nir_matches
from .leak import LeakPersons
from .patients import Patients
from .pipeline import LinkOptions, LinkResult, StageFn, choose
from .probabilistic import PATIENTS_TABLE, SPLINK_COLUMNS, SplinkOptions, oriented, scored_pairs
from .spark_patients import PATIENT_COLUMNS, SparkPatients

# Break Splink's lineage by persisting (works on a bare local session and Spark Connect);
# on a cluster with a checkpoint directory, "parquet" is lighter on executor memory.
BREAK_LINEAGE = "persist"


@dataclass(frozen=True)
class SparkLinkResult(LinkResult):
    """A LinkResult whose `patients` holds only the patients matched or in review."""

    patients_total: int = 0

    def counts(self) -> dict[str, int]:
        return {**super().counts(), "patients": self.patients_total}


def _to_spark(spark, df: pl.DataFrame):
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(c, StringType()) for c in df.columns])
    table = df.with_columns(pl.all().cast(pl.String)).to_arrow()
    if table.num_rows == 0:
        return spark.createDataFrame([], schema)
    return spark.createDataFrame(table, schema=schema)


def _collect(sdf) -> pl.DataFrame:
    out = pl.from_arrow(sdf.toArrow())
    assert isinstance(out, pl.DataFrame)
    return out


def _patients_by_id(patients: SparkPatients, ids: pl.Series, spark) -> pl.DataFrame:
    """The patient rows (PATIENT_COLUMNS) of these ids, to the driver."""
    from pyspark.sql import functions as F

    wanted = _to_spark(spark, pl.DataFrame({"patient_id": ids.unique()}))
    rows = patients.frame.join(F.broadcast(wanted), on="patient_id", how="left_semi")
    out = _collect(rows.select(*PATIENT_COLUMNS))
    if out.height == 0:
        return pl.DataFrame(
            schema={c: pl.Boolean if c == "protected" else pl.String for c in PATIENT_COLUMNS}
        )
    return out.with_columns(pl.col("protected").fill_null(False))


def link_spark(
    leak: LeakPersons,
    patients: SparkPatients,
    spark,
    *,
    options: LinkOptions | None = None,
    reference_date: dt.date | None = None,
    stage: StageFn | None = None,
) -> SparkLinkResult:
    """NIR pass, then Splink (Spark backend) on the rest, then one patient per leak person."""
    from pyspark.sql import functions as F

    options = options or LinkOptions()
    stage = stage or (lambda _name: nullcontext())
    timings: dict[str, float] = {}
    persons = leak.persons

    t = time.perf_counter()
    with stage("NIR pass (Spark)"):
        leak_nirs = persons.select(pl.col("nir").drop_nulls().unique())
        same_nir = patients.frame.filter(F.col("nir").isNotNull()).join(
            F.broadcast(_to_spark(spark, leak_nirs)), on="nir", how="left_semi"
        )
        candidates = _collect(same_nir.select("patient_id", "nir", "birth_date"))
        if candidates.height == 0:
            candidates = pl.DataFrame(
                schema={"patient_id": pl.String, "nir": pl.String, "birth_date": pl.String}
            )
        by_nir = nir_matches(persons, candidates).with_columns(pl.lit("nir").alias("match_method"))
    timings["nir_pass"] = time.perf_counter() - t

    t = time.perf_counter()
    with stage("probabilistic pass (Splink on Spark)"):
        rest_leak = persons.join(by_nir, on="leak_key", how="anti")
        taken = _to_spark(spark, by_nir.select("patient_id"))
        rest_patients = patients.frame.join(F.broadcast(taken), on="patient_id", how="left_anti")
        n_rest = patients.count - by_nir.height
        splink_opts = SplinkOptions(
            review_threshold=options.review_threshold,
            max_pairs_u=options.splink.max_pairs_u,
            seed=options.splink.seed,
        )
        if rest_leak.height == 0 or n_rest <= 0:
            pairs = pl.DataFrame(
                schema={
                    "leak_key": pl.String,
                    "patient_id": pl.String,
                    "match_probability": pl.Float64,
                }  # fmt: skip
            )
        else:
            db = _splink_api(
                spark,
                break_lineage_method=BREAK_LINEAGE,
                num_partitions_on_repartition=max(
                    1, int(spark.conf.get("spark.sql.shuffle.partitions", "8"))
                ),
            )
            left = _to_spark(
                spark, rest_leak.select(pl.col("leak_key").alias("unique_id"), *SPLINK_COLUMNS[1:])
            )
            right = rest_patients.select(
                F.col("patient_id").alias("unique_id"), *SPLINK_COLUMNS[1:]
            )
            scored = scored_pairs(db, left, right, n_rest, splink_opts)
            got = _collect(
                scored.as_spark_dataframe().select(
                    "source_dataset_l",
                    "unique_id_l",
                    "unique_id_r",
                    F.col("match_probability").cast("double"),
                )  # fmt: skip
            )
            pairs = oriented(got)
            _drop_splink_tables(spark)
        prob_matches, review = choose(pairs, options)
    timings["splink_pass"] = time.perf_counter() - t

    matches = pl.concat(
        [
            by_nir.select("leak_key", "patient_id", "match_probability", "match_method"),
            prob_matches.with_columns(pl.lit("probabilistic").alias("match_method")),
        ]
    )
    t = time.perf_counter()
    with stage("fetching the linked patients"):
        needed = pl.concat([matches.get_column("patient_id"), review.get_column("patient_id")])
        frame = _patients_by_id(patients, needed, spark)
    timings["fetch_patients"] = time.perf_counter() - t
    unmatched = persons.height - matches.height - review.height
    kept = Patients(frame, patients.roles, patients.id_column, patients.source)
    return SparkLinkResult(
        matches,
        review,
        leak,
        kept,
        unmatched,
        timings,
        reference_date or dt.date.today(),
        patients_total=patients.count,
    )


def _splink_api(spark, **kwargs):
    """Splink's Spark backend, with EM's agreement-pattern counts computed once a session.

    EM runs on those counts (a few hundred rows, `estimate_without_term_frequencies`), but
    every EM iteration recomputed them from the input tables: blocking joins, comparison
    vectors, counts (at 1.5 M patients ~400 s an iteration, 3 iterations a session).
    `persist()` did not help: the counts are an SQL query with CTEs, and Spark does not
    match the cached plan when a later query reads it through its view (the plan the
    view reads, `queryExecution().withCachedData()`, showed the Aggregate, no
    InMemoryRelation). A local checkpoint runs the counts once and leaves a plan with no
    lineage (on Spark Connect too), so each iteration reads the small table.

    This overrides a private method of Splink 5's SparkAPI (checked: splink 5.0.0); if it
    is gone, the override is simply not called and the results are the same, only slower."""
    from splink.backends.spark import SparkAPI

    class _API(SparkAPI):
        def _break_lineage_and_repartition(self, spark_df, templated_name, physical_name):
            out = super()._break_lineage_and_repartition(spark_df, templated_name, physical_name)
            if templated_name == "__splink__agreement_pattern_counts":
                out = out.localCheckpoint(eager=True)
            return out

    return _API(spark_session=spark, **kwargs)


def _drop_splink_tables(spark) -> None:
    """Splink's temporary views of this run (the next run registers them again)."""
    for t in spark.catalog.listTables():
        if t.isTemporary and (t.name.startswith("__splink") or t.name in ("vigile_leak",
                                                                          PATIENTS_TABLE)):  # fmt: skip
            spark.catalog.dropTempView(t.name)
