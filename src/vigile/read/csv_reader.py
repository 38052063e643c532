"""Delimited text (CSV/TSV/pipe/semicolon) read in blocks by polars' CSV parser.

The file is streamed through `Utf8Reader` (transcoding non-UTF-8 exports), cut at record
boundaries found by quote parity, and each block is parsed by polars with every column
typed as a string. Memory stays around one block plus one batch."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from vigile.read.limits import Limits
from vigile.read.names import positional_names, unique_names
from vigile.read.sniff import first_row_is_header
from vigile.read.table import Table
from vigile.read.transcode import Utf8Reader, fix_utf8

QUOTE = b'"'
# Rows with more fields than the header keep up to this many extra fields, appended to
# the last column (a free-text comment holding an unquoted delimiter is the usual cause).
EXTRA_FIELDS = 8


def record_boundary(buf: bytes, *, first: bool = False) -> int:
    """Offset just past the last (or first) newline that is outside quotes, or -1.

    `buf` must start at a record boundary. In RFC 4180 quoting every quote inside a quoted
    field is doubled, so a newline ends a record iff an even number of quotes precede it."""
    if first:
        p, quotes = buf.find(b"\n"), 0
        start = 0
        while p >= 0:
            quotes += buf.count(QUOTE, start, p)
            if quotes % 2 == 0:
                return p + 1
            start, p = p, buf.find(b"\n", p + 1)
        return -1
    p = buf.rfind(b"\n")
    if p < 0 or QUOTE not in buf:
        return p + 1 if p >= 0 else -1
    total, after, end = buf.count(QUOTE), 0, len(buf)
    while p >= 0:
        after += buf.count(QUOTE, p, end)
        if (total - after) % 2 == 0:
            return p + 1
        end, p = p, buf.rfind(b"\n", 0, p)
    return -1


def parse_header(record: bytes, delimiter: str) -> list[str]:
    text = record.decode("utf-8", errors="vigile-cp1252").rstrip("\r\n")
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"'), [])
    except csv.Error:
        return text.split(delimiter)


class _BlockParser:
    def __init__(self, table: Table, names: list[str], delimiter: str):
        self.table = table
        self.names = names
        self.delimiter = delimiter
        self.extras = [f"\x00extra_{i}" for i in range(EXTRA_FIELDS)]
        self.schema = {n: pl.String for n in names + self.extras}
        self.ragged = 0
        self.unquoted_blocks = 0
        self.fixed_blocks = 0

    def parse(self, block: bytes) -> pl.DataFrame:
        kwargs = dict(
            has_header=False,
            separator=self.delimiter,
            schema=self.schema,
            missing_columns="insert",
            truncate_ragged_lines=True,
            raise_if_empty=False,
            encoding="utf8",
        )
        try:
            df = pl.read_csv(block, quote_char='"', **kwargs)
        except pl.exceptions.PolarsError:
            df = None
        if df is None and not _valid_utf8(block):
            # Strict parsing is the fast path; mixed encodings are repaired only when met.
            self.fixed_blocks += 1
            self.table.warn("invalid UTF-8 sequences were decoded as cp1252 (mixed encodings)")
            block = fix_utf8(block)
            try:
                df = pl.read_csv(block, quote_char='"', **kwargs)
            except pl.exceptions.PolarsError:
                df = None
        if df is None:
            # Malformed quoting: keep the data, give up on quotes for this block only.
            self.unquoted_blocks += 1
            self.table.warn(
                f"{self.unquoted_blocks} block(s) had malformed quoting and were read"
                " without quote handling"
            )
            df = pl.read_csv(block, quote_char=None, **kwargs)
        has_extra = pl.any_horizontal(pl.col(self.extras).is_not_null())
        ragged = df.select(has_extra.sum()).item()
        if ragged:
            self.ragged += ragged
            self.table.warn(
                f"ragged rows: {self.ragged} row(s) had more fields than the header;"
                f" up to {EXTRA_FIELDS} extra fields were appended to the last column"
            )
            last = self.names[-1]
            merged = pl.concat_str(
                [pl.col(last), *[pl.col(e) for e in self.extras]],
                separator=self.delimiter,
                ignore_nulls=True,
            )
            df = df.with_columns(
                pl.when(has_extra).then(merged).otherwise(pl.col(last)).alias(last)
            )
        return df.select(self.names)


def _valid_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def csv_batches(
    table: Table, path: Path, encoding: str, delimiter: str, limits: Limits
) -> Iterator[pl.DataFrame]:
    def count(n: int) -> None:
        table.bytes_read += n

    parser: _BlockParser | None = None
    pending = b""
    ready: list[pl.DataFrame] = []
    ready_rows = 0
    with open(path, "rb") as raw:
        stream = Utf8Reader(raw, encoding, on_bytes=count, validate=False)
        chunks = iter(stream)
        done = False
        while not done:
            chunk = next(chunks, None)
            done = chunk is None
            buf = pending + chunk if chunk else pending
            if parser is None:
                cut = record_boundary(buf, first=True)
                if cut < 0 and not done and len(buf) <= limits.max_line_bytes:
                    pending = buf
                    continue
                if cut < 0:
                    cut = len(buf)
                first = parse_header(buf[:cut], delimiter)
                if not first:
                    pending = buf[cut:]
                    if done:
                        return
                    continue
                if first_row_is_header(first):
                    names = unique_names(first)
                    buf = buf[cut:]
                else:
                    names = positional_names(len(first))
                    table.warn("no header row detected: columns are named column_1, column_2...")
                parser = _BlockParser(table, names, delimiter)
            if done:
                block, pending = buf, b""
            else:
                cut = record_boundary(buf)
                if cut < 0 and len(buf) > limits.max_line_bytes:
                    table.warn(f"a record longer than {limits.max_line_bytes} bytes was cut")
                    cut = buf.rfind(b"\n") + 1 or len(buf)
                if cut < 0:
                    pending = buf
                    continue
                block, pending = buf[:cut], buf[cut:]
            if block and not block.isspace():
                df = parser.parse(block)
                ready.append(df)
                ready_rows += df.height
            while ready_rows >= limits.batch_rows or (done and ready_rows):
                whole = pl.concat(ready, rechunk=False) if len(ready) > 1 else ready[0]
                yield whole.slice(0, limits.batch_rows)
                rest = whole.slice(limits.batch_rows)
                ready, ready_rows = ([rest], rest.height) if rest.height else ([], 0)
