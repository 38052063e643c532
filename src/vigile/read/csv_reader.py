"""Delimited text (CSV/TSV/pipe/semicolon) read in batches by polars' CSV parser.

UTF-8 files are read natively by polars' streaming CSV reader (`native_csv`), the fast
path. Other encodings, and UTF-8 files that polars refuses mid-way (invalid bytes from
mixed encodings, malformed quoting), take the block path here: the file is streamed
through `Utf8Reader` (transcoding), cut at record boundaries found by quote parity, and
each block is parsed by polars with every column typed as a string. Memory stays around
one block plus one batch."""

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
RAGGED = "ragged rows:"


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


def extra_names() -> list[str]:
    return [f"\x00extra_{i}" for i in range(EXTRA_FIELDS)]


class RaggedMerger:
    """Appends the extra fields of rows longer than the header to their last column, and
    warns with a running count of such rows."""

    def __init__(self, table: Table, names: list[str], delimiter: str, ragged: int = 0):
        self.table = table
        self.names = names
        self.delimiter = delimiter
        self.extras = extra_names()
        self.schema = {n: pl.String for n in names + self.extras}
        self.ragged = ragged

    def merge(self, df: pl.DataFrame) -> pl.DataFrame:
        if all(df[e].null_count() == df.height for e in self.extras):
            return df.select(self.names)  # no extra field (null counts are stored: no pass)
        has_extra = pl.any_horizontal(pl.col(self.extras).is_not_null())
        ragged = df.select(has_extra.sum()).item()
        if ragged:
            self.ragged += ragged
            # One warning with the running count, not one per batch.
            warnings = self.table.warnings
            warnings[:] = [w for w in warnings if not w.startswith(RAGGED)]
            self.table.warn(
                f"{RAGGED} {self.ragged} row(s) had more fields than the header;"
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


class _BlockParser(RaggedMerger):
    def __init__(self, table: Table, names: list[str], delimiter: str, ragged: int = 0):
        super().__init__(table, names, delimiter, ragged)
        self.unquoted_blocks = 0
        self.fixed_blocks = 0

    def parse(self, block: bytes) -> pl.DataFrame:
        """The block's rows, extra fields not merged yet."""
        kwargs = dict(
            has_header=False,
            separator=self.delimiter,
            schema=self.schema,
            missing_columns="insert",
            truncate_ragged_lines=True,
            # A first row longer than the schema is cut like any later one (polars
            # otherwise refuses the block).
            extra_columns="ignore",
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
        return df


def header_names(first: list[str], table: Table) -> tuple[list[str], bool]:
    """Column names from the first record, and whether that record is a header."""
    if first_row_is_header(first):
        return unique_names(first), True
    table.warn("no header row detected: columns are named column_1, column_2...")
    return positional_names(len(first)), False


def _valid_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def csv_batches(
    table: Table, path: Path, encoding: str, delimiter: str, limits: Limits
) -> Iterator[pl.DataFrame]:
    if encoding in ("utf-8", "utf-8-sig"):
        from vigile.read.native_csv import native_batches

        yield from native_batches(table, path, encoding, delimiter, limits)
    else:
        yield from block_batches(table, path, encoding, delimiter, limits)


def block_batches(
    table: Table,
    path: Path,
    encoding: str,
    delimiter: str,
    limits: Limits,
    *,
    skip: int = 0,
    ragged: int = 0,
) -> Iterator[pl.DataFrame]:
    """Batches read block by block; the first `skip` data rows are dropped (the native
    path had read them already) and `ragged` rows were already counted."""

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
                buf = buf.lstrip(b"\r\n")  # leading blank lines (possibly several chunks)
                if not buf:
                    pending = b""
                    continue
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
                names, has_header = header_names(first, table)
                if has_header:
                    buf = buf[cut:]
                parser = _BlockParser(table, names, delimiter, ragged)
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
                if skip:
                    df, skip = df.slice(skip), max(0, skip - df.height)
                df = parser.merge(df)
                ready.append(df)
                ready_rows += df.height
            while ready_rows >= limits.batch_rows or (done and ready_rows):
                whole = pl.concat(ready, rechunk=False) if len(ready) > 1 else ready[0]
                yield whole.slice(0, limits.batch_rows)
                rest = whole.slice(limits.batch_rows)
                ready, ready_rows = ([rest], rest.height) if rest.height else ([], 0)
