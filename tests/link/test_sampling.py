"""Splink's training samples drawn from MD5 buckets, the same on every backend.

Regression: with each engine's own hash(), DuckDB and Spark sampled different records,
trained u values up to 3 % apart and at 1.5 M patients put one pair on either side of a
threshold. The bucket of an id must be a function of its UTF-8 bytes only.
"""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.link.sampling import _DuckDBSameSample, bucket, same_samples


def duckdb_buckets(values: list[str], modulus: int) -> list[int]:
    expr = _DuckDBSameSample().hash_bucket_expression("v", modulus)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    return [row[0] for row in con.execute(f"SELECT {expr} FROM t ORDER BY i").fetchall()]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=10**12),
)
def test_duckdb_bucket_is_md5_of_utf8(values, modulus):
    assert duckdb_buckets(values, modulus) == [bucket(v, modulus) for v in values]


def test_bucket_definition():
    # md5("") = d41d8cd98f00b204e9800998ecf8427e: the definition cannot drift unseen
    assert bucket("", 2**60) == int("d41d8cd98f00b20", 16)


def test_buckets_spread_evenly():
    ids = [f"P{i:07d}" for i in range(20_000)]
    got = duckdb_buckets(ids, 10)
    counts = [got.count(b) for b in range(10)]
    assert min(counts) > 1_800 and max(counts) < 2_200  # 2,000 expected each


def test_only_the_instance_changes():
    from splink.backends.duckdb import DuckDBAPI

    api = DuckDBAPI(connection=duckdb.connect())
    before = type(api.sql_dialect)
    assert same_samples(api) is api
    assert isinstance(api.sql_dialect, _DuckDBSameSample)
    assert type(DuckDBAPI(connection=duckdb.connect()).sql_dialect) is before
