"""The patient database as a Spark DataFrame, normalised by vigile's own polars code.

Sources: Parquet/CSV on any path Spark reads (local, hdfs://, s3a://, abfss://…), a JDBC
table (`jdbc:postgresql://host:5432/db#table`, or the SQLAlchemy form
`postgresql://user:pw@host/db#table` the DuckDB engine takes), or a table of the
session's catalog (`table:db.patients`).

Column roles are decided on the driver, by the detection engine, on the first rows (as
`load_patients` does on its first batch); then every partition goes through the same
polars expressions (`linkage_fields`, the identity columns, the protection flag) inside
`mapInArrow`, so names, dates, phones and NIRs take exactly the canonical form the
one-machine path gives them. Executors need vigile installed (docs/spark.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import polars as pl

from ..detect import classify
from ..triage.roles import Roles
from ..triage.spark import SparkTriageError, display_source, read_source, source_error
from .fields import FIELDS, linkage_fields, on_distinct, tidy
from .patients import IDENTITY_FIELDS, PatientsError, identity_exprs, protection_flag
from .roles import IDENTITY_HELP, RoleError, can_identify, infer_id_column, infer_roles

CLASSIFY_ROWS = 50_000  # as load_patients: the detection engine looks at this many rows
ROLE_SAMPLE_ROWS = 2_000
PATIENT_COLUMNS = (
    "patient_id",
    *(f"id_{f}" for f in IDENTITY_FIELDS),
    *FIELDS,
    "protected",
)


@dataclass(frozen=True)
class SparkPatients:
    frame: object  # pyspark DataFrame: PATIENT_COLUMNS
    roles: Roles
    id_column: str
    source: str
    count: int


def _one_line(err: Exception, source: str) -> PatientsError:
    return PatientsError(source_error(err, source, "patient source"))


def decide_roles(
    sample: pl.DataFrame,
    source: str,
    id_column: str | None,
    overrides: Mapping[str, str] | None,
) -> tuple[Roles, str]:
    """Roles and id column from a sample, with load_patients' rules and messages."""
    findings = classify(sample.head(CLASSIFY_ROWS))
    roles = infer_roles(findings, sample.head(ROLE_SAMPLE_ROWS), overrides)
    if not can_identify(roles):
        raise PatientsError(
            f"{display_source(source)}: no identity columns found; linkage needs "
            + IDENTITY_HELP.format(flag="--patient-role")
        )
    if id_column is None:
        id_column = infer_id_column(findings, sample.head(CLASSIFY_ROWS))
    elif id_column not in sample.columns:
        raise RoleError(f"--id-column: no column named {id_column!r}")
    return roles, id_column


def normalise_batch(batch: pl.DataFrame, roles: Roles, id_column: str) -> pl.DataFrame:
    """One batch of raw patient rows -> PATIENT_COLUMNS, as `load_patients` builds them."""
    if roles.protection:
        protected = on_distinct(
            batch, [roles.protection], protection_flag(pl.col(roles.protection))
        )
    else:
        protected = pl.Series("protected", [False] * batch.height, dtype=pl.Boolean)
    out = pl.concat(
        [
            batch.select(
                pl.col(id_column).str.strip_chars().alias("patient_id"), *identity_exprs(roles)
            ),  # fmt: skip
            linkage_fields(batch, roles),
            pl.DataFrame([protected.alias("protected")]),
        ],
        how="horizontal",
    )
    return tidy(out).filter(pl.col("patient_id").is_not_null()).select(PATIENT_COLUMNS)


def spark_schema():
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    return StructType(
        [
            StructField(c, BooleanType() if c == "protected" else StringType())
            for c in PATIENT_COLUMNS
        ]
    )


def load_patients_spark(
    spark,
    source: str,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> SparkPatients:
    """Read, classify (driver, on a sample) and normalise (executors) the patient table."""
    try:
        raw = read_source(spark, source)
        sample = pl.from_arrow(raw.limit(CLASSIFY_ROWS).toArrow())
    except PatientsError:
        raise
    except SparkTriageError as e:
        raise PatientsError(str(e)) from None
    except Exception as e:  # noqa: BLE001 - JVM/driver errors: one line, no values
        raise _one_line(e, source) from None
    if not isinstance(sample, pl.DataFrame) or sample.height == 0:
        raise PatientsError(f"{display_source(source)}: no rows")
    sample = sample.with_columns(pl.all().cast(pl.String))
    roles, id_col = decide_roles(sample, source, id_column, overrides)

    def normalise(batches: Iterator) -> Iterator:
        import pyarrow as pa

        for rb in batches:
            if rb.num_rows == 0:
                continue
            df = pl.from_arrow(pa.Table.from_batches([rb])).with_columns(pl.all().cast(pl.String))
            yield from normalise_batch(df, roles, id_col).to_arrow().to_batches()

    frame = raw.mapInArrow(normalise, spark_schema())
    try:
        frame = frame.persist()
        stats = frame.selectExpr("count(*) AS n", "count(DISTINCT patient_id) AS d").first()
    except Exception as e:  # noqa: BLE001
        raise _one_line(e, source) from None
    if stats["n"] == 0:
        raise PatientsError(f"{display_source(source)}: no rows")
    if stats["n"] != stats["d"]:
        raise PatientsError(f"{display_source(source)}: id column {id_col!r} is not unique")
    return SparkPatients(frame, roles, id_col, display_source(source), int(stats["n"]))
