"""Spark draws Splink's training samples from the MD5 buckets that DuckDB uses too
(tests/link/test_sampling.py checks DuckDB against the same definition)."""

from __future__ import annotations

from vigile.link.sampling import _SparkSameSample, bucket

IDS = [f"P{i:07d}" for i in range(500)] + ["", "é", "Œuvre-ñ", "患者", "a b;c", "x" * 300]


def test_spark_buckets_match_the_definition(spark):
    df = spark.createDataFrame([(i, v) for i, v in enumerate(IDS)], "i INT, v STRING")
    df.createOrReplaceTempView("vigile_sample_ids")
    for modulus in (1, 7, 1000, 2**40 + 3):
        expr = _SparkSameSample().hash_bucket_expression("v", modulus)
        rows = spark.sql(f"SELECT i, {expr} AS b FROM vigile_sample_ids ORDER BY i").collect()
        got = [r["b"] for r in rows]
        assert got == [bucket(v, modulus) for v in IDS]
