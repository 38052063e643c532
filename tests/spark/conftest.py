"""One local[2] SparkSession for the whole test session, and one synthetic incident.

Skipped cleanly when pyspark or a Java 17+ runtime is missing (CI installs both:
`.ci/run` adds Debian's openjdk-17-jre-headless).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from vigile.link.spark_session import spark_available


@pytest.fixture(scope="session")
def spark():
    why = spark_available()
    if why is not None:
        pytest.skip(why)
    from vigile.link.spark_session import get_spark

    session = get_spark(
        "local[2]",
        conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "1g",
        },
    )
    yield session
    session.stop()


@dataclass(frozen=True)
class Incident:
    leak_csv: Path
    leak_parquet: Path
    patients_csv: Path
    patients_parquet: Path


@pytest.fixture(scope="session")
def incident(tmp_path_factory) -> Incident:
    """A vigile.synth lab export and the controller's patient database, also as Parquet."""
    from vigile.synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db

    tmp = tmp_path_factory.mktemp("spark_incident")
    leak = tmp / "export.csv"
    truth = generate_lab_export(ExportSpec(rows=1500, seed=11, fields="full"), leak)
    patients = tmp / "patients.csv"
    generate_patient_db(PatientDbSpec(size=4000, seed=11), truth, patients)
    out = {}
    for name, path in (("leak", leak), ("patients", patients)):
        pq = tmp / f"{name}.parquet"
        pl.read_csv(path, separator=";", infer_schema=False).write_parquet(pq)
        out[name] = pq
    return Incident(leak, out["leak"], patients, out["patients"])
