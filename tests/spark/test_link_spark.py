"""The same synthetic incident linked on DuckDB and on Spark (local[2]): same answers."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from vigile.link import LinkOptions, PatientsError, link_loaded, load_leak, load_patients
from vigile.link.probabilistic import SplinkOptions

REF = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def both(spark, incident):
    from vigile.link.spark_engine import link_spark
    from vigile.link.spark_patients import load_patients_spark

    leak = load_leak(incident.leak_csv)
    # u from 20,000 sampled pairs, not from all of them: the engines must draw the same
    # sample (see test_same_match_weights).
    options = LinkOptions(splink=SplinkOptions(max_pairs_u=2e4))
    local = link_loaded(
        leak, load_patients(incident.patients_csv), options=options, reference_date=REF
    )
    from splink.backends.spark import SparkAPI

    run_sql = SparkAPI._execute_sql_against_backend

    def spy(self, sql: str):
        df = run_sql(self, sql)
        if "__splink__agreement_pattern_counts_" in sql:  # an EM iteration reads the counts
            EM_PLANS.append(df._jdf.queryExecution().optimizedPlan().toString())
        return df

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SparkAPI, "_execute_sql_against_backend", spy)
        on_spark = link_spark(
            leak,
            load_patients_spark(spark, str(incident.patients_parquet)),
            spark,
            options=options,
            reference_date=REF,
        )
    return local, on_spark


# The optimized plans of the Spark EM iterations of `both` (see test_em_iterations_...).
EM_PLANS: list[str] = []


def _pairs(df: pl.DataFrame) -> set[tuple]:
    return set(df.select("leak_key", "patient_id").iter_rows())


def test_same_match_sets(both):
    local, on_spark = both
    assert local.matches.height > 100  # the incident links
    assert _pairs(local.matches) == _pairs(on_spark.matches)
    methods = {
        r[:2]: r[2]
        for r in local.matches.select("leak_key", "patient_id", "match_method").iter_rows()
    }
    assert methods == {
        r[:2]: r[2]
        for r in on_spark.matches.select("leak_key", "patient_id", "match_method").iter_rows()
    }
    assert _pairs(local.review) == _pairs(on_spark.review)
    assert local.counts() == on_spark.counts()


def test_same_probabilities(both):
    local, on_spark = both
    joined = local.matches.join(on_spark.matches, on=["leak_key", "patient_id"])
    assert joined.height == local.matches.height
    diff = (pl.col("match_probability") - pl.col("match_probability_right")).abs().max()
    assert joined.select(diff).item() < 1e-6


def test_same_match_weights(both):
    """Regression: the engines trained different models (their own hash() drew different
    u samples; their Jaro-Winkler functions differ), weights up to 0.13 bits apart, which
    saturated probabilities near 1 hid. Compare the weights, log2(p / (1 - p)), of every
    scored pair whose probability is below 1 - 1e-12, where the float p still carries the
    weight to about 2e-4 bits."""
    local, on_spark = both

    def weights(result) -> pl.DataFrame:
        scored = pl.concat([result.matches, result.review], how="diagonal_relaxed")
        p = pl.col("match_probability")
        return scored.filter(p < 1 - 1e-12).select(
            "leak_key", "patient_id", ((p / (1 - p)).log(2)).alias("w")
        )

    a, b = weights(local), weights(on_spark)
    assert a.height >= 15  # enough unsaturated pairs for the comparison to mean something
    joined = a.join(b, on=["leak_key", "patient_id"], how="full", coalesce=True)
    assert joined.height == a.height == b.height
    assert joined.select((pl.col("w") - pl.col("w_right")).abs().max()).item() < 2e-3


def test_em_iterations_read_the_counts_not_the_inputs(both):
    """Each EM iteration reads the agreement-pattern counts computed once per session; it
    used to recompute them from the input tables (blocking joins, comparison vectors) in
    every iteration, ~400 s each at 1.5 M patients, because Spark did not match the
    persisted counts when read through their view."""
    assert len(EM_PLANS) >= 2  # two EM sessions, at least one iteration each
    for plan in EM_PLANS:
        assert "Join" not in plan and "LocalRelation" not in plan, plan[:2000]


def test_same_affected_patients(both):
    local, on_spark = both
    a, b = local.affected(), on_spark.affected()
    cols = [c for c in a.columns if c != "match_probability"]
    assert a.select(cols).equals(b.select(cols))
    assert a.height == local.counts()["affected_patients"]


def test_csv_source_reads_like_parquet(spark, incident, both):
    from vigile.link.spark_patients import load_patients_spark

    csv = load_patients_spark(spark, str(incident.patients_csv))
    pq = load_patients_spark(spark, str(incident.patients_parquet))
    assert csv.count == pq.count == both[0].counts()["patients"]
    assert csv.roles == pq.roles and csv.id_column == pq.id_column
    a = pl.from_arrow(csv.frame.toArrow()).sort("patient_id")
    b = pl.from_arrow(pq.frame.toArrow()).sort("patient_id")
    assert a.equals(b)
    # and the same normalised rows as the one-machine reader
    local = load_patients(incident.patients_csv).frame.sort("patient_id")
    assert a.equals(local.select(a.columns))


def test_missing_source_is_one_line(spark, tmp_path):
    from vigile.link.spark_patients import load_patients_spark

    with pytest.raises(PatientsError) as err:
        load_patients_spark(spark, str(tmp_path / "nowhere.parquet"))
    msg = str(err.value)
    assert "\n" not in msg and "cannot be read" in msg


def test_table_without_identity_is_refused(spark, tmp_path):
    from vigile.link.spark_patients import load_patients_spark

    path = tmp_path / "codes.parquet"
    pl.DataFrame({"code": [f"X{i:04d}" for i in range(200)], "qty": ["1"] * 200}).write_parquet(
        path
    )
    with pytest.raises(PatientsError, match="no identity columns"):
        load_patients_spark(spark, str(path))


def test_jdbc_credentials_never_shown(spark):
    from vigile.link.spark_patients import load_patients_spark

    with pytest.raises(PatientsError) as err:
        load_patients_spark(spark, "postgresql://vigile:s3cret-pw@127.0.0.1:1/nodb#patients")
    msg = str(err.value)
    assert "s3cret" not in msg and "\n" not in msg
