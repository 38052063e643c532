"""The sweep's unit of work on Apache Spark: `inspect_file` over a partitioned file list.

The driver lists the shares (or reads a list of paths) and keeps the incremental index
(`SweepIndex`: size, mtime, hash) as the local sweep does. New or changed files are
hashed on the executors (`spark_hasher`: every byte of a share is read where it is
mounted, in parallel, not by the one driver); then only the paths of contents the index
does not know are sent to the executors, in `partitions` slices. Each executor runs vigile's own readers
and detectors through `vigile.scan.sweep.inspect_file` (plain values in, a plain dict
out) inside `mapInArrow`, and the answers come back as one Arrow table, one row per
path, with the same fields the local process pool gives. Executors need vigile
installed and the shares mounted at the same paths (docs/spark.md).

A path is carried as bytes (`os.fsencode`), so names that are not valid UTF-8 reach
`inspect_file` exactly as the OS gave them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa

# The Spark runner inspects the files in waves, one job each: FILES_PER_CORE files a core
# (local[2]: 2,000, about a minute at ~60 CPU ms a file), in two tasks a core, so that
# each task's child process (~1 s to start) serves ~500 files. Between waves the sweep
# records the answers in its index and reports progress: a killed or failed sweep loses
# at most one wave, and the operator sees an ETA instead of one jump at the end.
FILES_PER_CORE = 1_000
TASKS_PER_CORE = 2


# What an executor sends back, written once as Arrow schemas; Spark's StructType for
# `mapInArrow` is derived from them (`_spark`), so the two can never disagree.
INSPECTED = pa.schema(
    [
        ("path", pa.binary()),
        ("status", pa.string()),
        ("encrypted", pa.string()),
        ("categories", pa.list_(pa.string())),
        ("persons", pa.int64()),
        ("tables", pa.int64()),
        ("not_read", pa.list_(pa.string())),
    ]
)
RESULT_FIELDS = tuple(INSPECTED.names[1:])  # what `inspect_file` answers of a path
HASHED = pa.schema([("i", pa.int64()), ("sha256", pa.string()), ("why", pa.string())])


def _spark(schema: pa.Schema):
    """The Spark StructType of an Arrow schema (pyspark's own conversion)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _paths_frame(spark, raw: list[bytes], partitions: int | None):
    """A DataFrame of (i, path) in `partitions` slices (default: 4 a core)."""
    n = partitions or max(1, min(len(raw), spark.sparkContext.defaultParallelism * 4))
    table = pa.table(
        {"i": pa.array(range(len(raw)), type=pa.int64()), "path": pa.array(raw, pa.binary())}
    )
    return spark.createDataFrame(table).repartition(n)


def hash_files_spark(
    spark, paths: list[str | bytes], *, partitions: int | None = None
) -> list[tuple[str | None, str]]:
    """`sweep.hash_files` on the executors: (sha256 or None, why) of each path, in order."""
    raw = [os.fsencode(p) for p in paths]
    if not raw:
        return []

    def digest(batches: Iterator) -> Iterator:
        from vigile.scan.sweep import hash_files

        for rb in batches:
            got = hash_files([os.fsdecode(p) for p in rb.column(1).to_pylist()])
            yield pa.RecordBatch.from_arrays(
                [rb.column(0), pa.array([h for h, _ in got], pa.string()),
                 pa.array([w for _, w in got], pa.string())],
                schema=HASHED,
            )  # fmt: skip

    out = _paths_frame(spark, raw, partitions).mapInArrow(digest, _spark(HASHED))
    by_i = {r["i"]: (r["sha256"], r["why"] or "") for r in out.toArrow().to_pylist()}
    # a row an executor lost is a file not hashed: reported unreadable, hashed next sweep
    return [by_i.get(i, (None, "not hashed (an executor was lost)")) for i in range(len(raw))]


def spark_hasher(spark, *, partitions: int | None = None):
    """A `sweep.Hasher` on Spark (`hash_files_spark`)."""
    return lambda paths: hash_files_spark(spark, paths, partitions=partitions)


def inspect_files_spark(
    spark,
    paths: Iterable[str | bytes],
    *,
    sample_rows: int | None = None,
    partitions: int | None = None,
    inspect=None,
    file_seconds: float | None = None,
) -> pl.DataFrame:
    """`inspect_file` of every path, on the executors: path (bytes) + RESULT_FIELDS.

    Each task inspects its files in a child process (`sweep.inspect_all`, one worker,
    isolated), as the local pool does: a reader that crashes or hangs past `file_seconds`
    ends that child, not the task, whose other files go on. Such a file's row has a null
    `status` (the sweep reports it unreadable and tries it again next time). Without the
    child, a crash would kill Spark's Python worker, fail the task four times and with it
    the whole job. `inspect` replaces `inspect_file` (a module-level function: tests)."""
    from .sweep import FILE_SECONDS, SAMPLE_ROWS

    rows = sample_rows or SAMPLE_ROWS
    seconds = file_seconds or FILE_SECONDS
    raw = [os.fsencode(p) for p in paths]
    if not raw:
        return pl.DataFrame(schema={"path": pl.Binary})
    files = _paths_frame(spark, raw, partitions)

    def run(batches: Iterator) -> Iterator:
        from vigile.scan.sweep import inspect_all, inspect_file

        unit = inspect or inspect_file
        for rb in batches:
            ids, names = rb.column(0).to_pylist(), rb.column(1).to_pylist()
            todo = [(str(i), p) for i, p in zip(ids, names, strict=True)]
            got = dict(inspect_all(todo, 1, rows, unit, seconds, isolate=True))
            out = {k: [] for k in ("path", *RESULT_FIELDS)}
            for i, p in todo:
                answer = got.get(i) or {}  # None: crashed or too long
                out["path"].append(p)
                for k in RESULT_FIELDS:
                    out[k].append(answer.get(k))
            yield pa.RecordBatch.from_pydict(out, schema=INSPECTED)

    result = pl.from_arrow(files.mapInArrow(run, _spark(INSPECTED)).toArrow())
    assert isinstance(result, pl.DataFrame)
    return result


def spark_runner(
    spark,
    *,
    sample_rows: int | None = None,
    partitions: int | None = None,
    inspect=None,
    file_seconds: float | None = None,
    wave_files: int | None = None,
):
    """A `sweep.Runner` on Spark: the (sha256, path) pairs the index did not know are
    inspected on the executors in waves of `wave_files` (default FILES_PER_CORE a core),
    one `inspect_files_spark` job each, results by sha256 as each wave ends."""

    def run(todo: list[tuple[str, str]]) -> Iterator[tuple[str, dict | None]]:
        cores = max(1, spark.sparkContext.defaultParallelism)
        step = wave_files or cores * FILES_PER_CORE
        for start in range(0, len(todo), step):
            wave = todo[start : start + step]
            got = inspect_files_spark(
                spark,
                [p for _, p in wave],
                sample_rows=sample_rows,
                partitions=partitions or max(1, min(len(wave), cores * TASKS_PER_CORE)),
                inspect=inspect,
                file_seconds=file_seconds,
            )
            by_path = {bytes(r["path"]): r for r in got.iter_rows(named=True)}
            for h, p in wave:
                r = by_path.get(os.fsencode(p))
                if r is None or r["status"] is None:  # crashed, too long, an executor lost:
                    yield h, None  # reported unreadable, retried next sweep
                    continue
                yield h, {k: list(r[k]) if k in ("categories", "not_read") else r[k]
                          for k in RESULT_FIELDS}  # fmt: skip

    return run


def sweep_spark(
    roots: Iterable[Path],
    spark,
    index: Path | None = None,
    *,
    sample_rows: int | None = None,
    partitions: int | None = None,
    inspect=None,
    file_seconds: float | None = None,
    wave_files: int | None = None,
    **kwargs,
):
    """`sweep.sweep` with the reading on Spark: the driver walks and stats (the incremental
    index: size, mtime, sha256, in the driver's SQLite file); the executors hash the new or
    changed files and inspect only the contents the index does not know."""
    from .sweep import FILE_SECONDS, SAMPLE_ROWS, sweep

    rows = sample_rows or SAMPLE_ROWS
    seconds = file_seconds or FILE_SECONDS
    return sweep(
        roots,
        index=index,
        sample_rows=rows,
        file_seconds=seconds,
        runner=spark_runner(
            spark,
            sample_rows=rows,
            partitions=partitions,
            inspect=inspect,
            file_seconds=seconds,
            wave_files=wave_files,
        ),
        hasher=spark_hasher(spark, partitions=partitions),
        **kwargs,
    )
