"""Parquet through pyarrow, batch by batch, every column cast to string."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from vigile.read.limits import Limits
from vigile.read.names import unique_names
from vigile.read.table import Table


def as_strings(df: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            exprs.append(col)
        elif dtype.is_nested():
            # Lists and structs as JSON text: wrap in a one-field struct to encode, then unwrap.
            enc = pl.struct(col.alias("v")).struct.json_encode()
            exprs.append(enc.str.slice(5).str.strip_suffix("}").alias(name))
        elif dtype == pl.Binary:
            exprs.append(col.bin.encode("hex").alias(name))
        else:
            exprs.append(col.cast(pl.String).alias(name))
    return df.select(exprs)


def parquet_batches(table: Table, path: Path, limits: Limits) -> Iterator[pl.DataFrame]:
    # An open file, never the path: pyarrow would read a path as a URI or a dataset.
    with open(path, "rb") as f, pq.ParquetFile(f) as pf:
        names = unique_names(pf.schema_arrow.names)
        done_groups = 0
        for rb in pf.iter_batches(batch_size=limits.batch_rows):
            df = pl.from_arrow(rb)
            assert isinstance(df, pl.DataFrame)
            df.columns = names
            yield as_strings(df)
            done_groups += 1
            table.bytes_read = min(table.source.size or 0, table.bytes_read + rb.nbytes)
        table.bytes_read = table.source.size or table.bytes_read
