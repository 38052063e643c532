"""The same training samples on every Splink backend, so that DuckDB and Spark train the
same model and give the same pairs.

Splink draws its training samples (the records whose pairs estimate u, the records EM
keeps when a block is too large) with a deterministic filter, `hash(id) % N < k`. But
"hash" is each engine's own function: DuckDB's 64-bit hash and Spark's Murmur3 pick
different records. With different samples the two backends trained different u values
(up to 3 % apart at 4,000 patients), hence match weights up to 0.13 bits apart, and at
1.5 M patients one pair fell on the other side of a threshold (matched on DuckDB, sent
to review on Spark).

Here the bucket is taken from MD5, which both engines compute alike (the hex digest of
the UTF-8 bytes): its first 15 hex digits read as a BIGINT, modulo N. DuckDB reads the
hex digits with a '0x' cast, Spark with `conv(.., 16, 10)`. Written by hand because
Splink offers no portable sampling; it overrides `hash_bucket_expression`, a public
method of Splink 5's dialects (checked: splink 5.0.0), on vigile's own instances only.
"""

from __future__ import annotations

import hashlib

from splink.internals.dialects import DuckDBDialect, SparkDialect, SplinkDialect

_HEX_DIGITS = 15  # 60 bits: a non-negative BIGINT on both engines


def bucket(value: str, modulus: int) -> int:
    """The bucket of one id by definition, which both engines' SQL computes: the first 15
    hex digits of the MD5 of its UTF-8 bytes, modulo `modulus` (for tests and audits)."""
    digest = hashlib.md5(value.encode("utf-8"), usedforsecurity=False).hexdigest()
    return int(digest[:_HEX_DIGITS], 16) % modulus


def _md5_digits(col_expression: str, modulus: int) -> str:
    """SQL for the hex digits the bucket is read from; the same text on both engines."""
    if modulus <= 0:
        raise ValueError("modulus must be positive")
    return f"substr(md5({col_expression}), 1, {_HEX_DIGITS})"


class _DuckDBSameSample(DuckDBDialect):
    def hash_bucket_expression(self, col_expression: str, modulus: int) -> str:
        digits = _md5_digits(col_expression, modulus)
        return f"(CAST('0x' || {digits} AS BIGINT) % {modulus})"


class _SparkSameSample(SparkDialect):
    def hash_bucket_expression(self, col_expression: str, modulus: int) -> str:
        digits = _md5_digits(col_expression, modulus)
        return f"pmod(CAST(conv({digits}, 16, 10) AS BIGINT), {modulus})"


_SAME_SAMPLE: dict[str, type[SplinkDialect]] = {
    "duckdb": _DuckDBSameSample,
    "spark": _SparkSameSample,
}


def same_samples(db_api):
    """`db_api` (a Splink DuckDBAPI or SparkAPI), drawing its samples like every other
    backend. Any other backend is returned as it is."""
    dialect = _SAME_SAMPLE.get(db_api.sql_dialect.sql_dialect_str)
    if dialect is not None:
        # An instance attribute: Splink's own class-level dialects stay as they are.
        db_api.sql_dialect = dialect()
    return db_api
