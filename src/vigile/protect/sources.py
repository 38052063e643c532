"""Export sources: a SQL database by URL or any file `vigile.read` understands.

Either way a source is a list of SourceTables, each a name plus a stream of
pl.String batches, so profiling and exporting never care where rows come from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..read import Limits, ReadError, open_tables
from .errors import ProtectError

SQL_URL = re.compile(r"^[a-z][a-z0-9+]*://", re.I)
DEFAULT_BATCH_ROWS = 100_000


@dataclass(frozen=True)
class SourceTable:
    name: str  # key in the export profile: SQL table name, or file / member / sheet name
    batches: Callable[[], Iterator[pl.DataFrame]]  # every column pl.String


def is_sql_url(source: str) -> bool:
    return bool(SQL_URL.match(source))


def redact_url(url: str) -> str:
    """The URL without its password, for manifests and messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def describe(source: str) -> str:
    return redact_url(source) if is_sql_url(source) else str(source)


def open_source(source: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> list[SourceTable]:
    """The tables of `source`; raises ProtectError when it cannot be opened at all."""
    if is_sql_url(source):
        return _sql_tables(source, batch_rows)
    return _file_tables(Path(source), batch_rows)


def _as_strings(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(pl.all().cast(pl.String))


def _sql_tables(url: str, batch_rows: int) -> list[SourceTable]:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        names = sa.inspect(engine).get_table_names()
    except Exception as exc:  # driver messages can quote the URL with its password
        raise ProtectError(
            f"{redact_url(url)}: cannot open database ({type(exc).__name__})"
        ) from None

    def batches(name: str) -> Iterator[pl.DataFrame]:
        table = sa.Table(name, sa.MetaData(), autoload_with=engine)
        with engine.connect().execution_options(stream_results=True) as conn:
            for df in pl.read_database(
                sa.select(table), conn, iter_batches=True, batch_size=batch_rows
            ):
                yield _as_strings(df)

    return [SourceTable(n, lambda n=n: batches(n)) for n in names]


def _file_tables(path: Path, batch_rows: int) -> list[SourceTable]:
    if not path.exists():
        raise ProtectError(f"{path}: no such file")
    # Batches of batch_rows rows whatever the reading path (the native CSV path would
    # size them in hundreds of MB): the export holds several in flight, and its memo
    # carries repeated values from one batch to the next.
    limits = Limits(batch_rows=batch_rows, native_batch_bytes=0)
    out: list[SourceTable] = []
    seen: set[str] = set()
    for item in open_tables(path, limits=limits):
        if isinstance(item, ReadError):
            raise ProtectError(str(item))
        name = item.source.table if item.source.format == "sql" else None
        name = name or item.source.path.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
        base, i = name, 2
        while name in seen:
            name, i = f"{base}~{i}", i + 1
        seen.add(name)
        out.append(SourceTable(name, item.batches))
    if not out:
        raise ProtectError(f"{path}: no table found")
    return out


def head(table: SourceTable, max_rows: int) -> Iterator[pl.DataFrame]:
    """The first `max_rows` rows of a table, in batches."""
    seen = 0
    for batch in table.batches():
        if seen >= max_rows:
            break
        batch = batch.head(max_rows - seen)
        seen += batch.height
        yield batch
