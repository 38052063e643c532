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
import mmap
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
BLOCK_CELLS = 8_000_000  # cells of a block parsed at once
UNQUOTED_PART = 2 << 20  # bytes of a block read without quotes parsed at once
MAX_COLUMNS = 10_000  # a header with more fields than this keeps the first ones
UNKNOWN_WIDTH = 256  # columns of a file whose first record is too long to be a header


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
        if df[self.extras[-1]].null_count() < df.height:
            # polars dropped whatever came after the last extra field of these rows.
            self.table.incomplete(
                f"rows with more than {EXTRA_FIELDS} fields beyond the header: the fields"
                " after those were dropped"
            )
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


LONG = "long lines"


def has_long_line(buf: bytes | mmap.mmap, limit: int) -> bool:
    """Whether `buf` may hold a line longer than `limit` bytes: cheap, since every
    window of limit/2 bytes holding a newline (found at once in ordinary text) proves
    that no line is longer than `limit`."""
    window = max(1, limit // 2)
    n = len(buf)
    find = buf.find  # bytes and mmap alike: nothing copied
    return any(find(b"\n", i, i + window) < 0 for i in range(0, n - window + 1, window))


def long_lines(block: bytes, limit: int) -> Iterator[tuple[int, int]]:
    """(start, end) of the lines longer than `limit` bytes, newline included."""
    pos, n = 0, len(block)
    while pos < n:
        nl = block.find(b"\n", pos)
        end = n if nl < 0 else nl + 1
        if end - pos > limit:
            yield pos, end
        pos = end


def pieces(line: bytes, limit: int) -> Iterator[bytes]:
    """`line` (without its line ending) in pieces of at most `limit` bytes, never cutting
    a UTF-8 sequence."""
    line = line.rstrip(b"\r\n")
    pos = 0
    while pos < len(line):
        end = min(len(line), pos + limit)
        while end < len(line) and end > pos + 1 and (line[end] & 0xC0) == 0x80:
            end -= 1
        yield line[pos:end]
        pos = end


def split_rows(piece: bytes, delimiter: str, width: int) -> list[list[str | None]]:
    """Rows of `width` fields from a piece of an over-long line. Lone CRs end records (old
    Mac line endings make a whole file one line). A record with far more fields than the
    header is records run together: its fields are laid out `width` to a row. Otherwise
    the fields past the width are joined (by the delimiter) into the last one. Quotes
    are honoured within a piece only; nothing is dropped."""
    text = piece.decode("utf-8", errors="vigile-cp1252")
    rows: list[list[str | None]] = []
    for record in text.split("\r") if "\r" in text else (text,):
        fields = _fields(record, delimiter)
        if len(fields) > 2 * max(width, EXTRA_FIELDS):
            chunks = [fields[i : i + width] for i in range(0, len(fields), max(width, 1))]
        elif len(fields) > width:
            chunks = [fields[: width - 1] + [delimiter.join(fields[width - 1 :])]]
        else:
            chunks = [fields]
        for chunk in chunks:
            row: list[str | None] = [f if f != "" else None for f in chunk]
            rows.append(row + [None] * (width - len(row)))
    return rows


def _fields(record: str, delimiter: str) -> list[str]:
    if '"' in record:
        try:
            return next(csv.reader([record], delimiter=delimiter, quotechar='"'), [])
        except csv.Error:
            pass
    return record.split(delimiter)


class _BlockParser(RaggedMerger):
    def __init__(self, table: Table, names: list[str], delimiter: str, ragged: int = 0):
        super().__init__(table, names, delimiter, ragged)
        self.unquoted_blocks = 0
        self.fixed_blocks = 0
        self.long_lines = 0

    def parse_block(self, block: bytes, limit: int) -> Iterator[pl.DataFrame]:
        """The block's rows in one or more frames, extra fields not merged yet; lines
        longer than `limit` bytes never reach polars (see `long_frame`)."""
        if not has_long_line(block, limit):
            yield from self.parse(block)
            return
        run = 0
        for start, end in long_lines(block, limit):
            if block[run:start].strip():
                yield from self.parse(block[run:start])
            yield self.long_frame(block[start:end], limit)
            run = end
        if block[run:].strip():
            yield from self.parse(block[run:])

    def long_frame(self, line: bytes, limit: int) -> pl.DataFrame:
        """One over-long line, read in pieces of `limit` bytes (see `split_rows`)."""
        width = len(self.names)
        rows = [
            row for piece in pieces(line, limit) for row in split_rows(piece, self.delimiter, width)
        ]
        self.long_lines += 1
        self.table.warn(
            f"{LONG}: {self.long_lines} line(s) longer than {limit} bytes were read in pieces"
            f" of {limit} bytes, split at the delimiter (and at lone CRs)"
        )
        cols = {n: [r[i] for r in rows] for i, n in enumerate(self.names)}
        cols.update({e: [None] * len(rows) for e in self.extras})
        return pl.DataFrame(cols, schema=self.schema)

    def parse(self, block: bytes) -> Iterator[pl.DataFrame]:
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
        if df is not None:
            yield df
            return
        # Malformed quoting: keep the data, give up on quotes for this block only, parsed
        # in parts (lines are records now) so that its frames stay small.
        self.unquoted_blocks += 1
        self.table.warn(
            f"{self.unquoted_blocks} block(s) had malformed quoting and were read"
            " without quote handling"
        )
        pos = 0
        while pos < len(block):
            end = block.find(b"\n", pos + UNQUOTED_PART) + 1 or len(block)
            yield pl.read_csv(block[pos:end], quote_char=None, **kwargs)
            pos = end


def header_names(first: list[str], table: Table) -> tuple[list[str], bool]:
    """Column names from the first record, and whether that record is a header."""
    if len(first) > MAX_COLUMNS:
        table.warn(
            f"more than {MAX_COLUMNS} fields in the first record: the first ones are columns"
        )
        first = first[:MAX_COLUMNS]
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
                long_first = limits.max_field_bytes
                head = buf[: long_first + 1]
                cut = record_boundary(head, first=True)
                if cut < 0 and not done and len(buf) <= long_first:
                    pending = buf
                    continue
                if cut < 0:
                    # A first record longer than a field may be: data, read as a long line,
                    # as wide as its first CR-ended record (old Mac line endings) or so.
                    first = parse_header(head[:long_first].split(b"\r", 1)[0], delimiter)
                    table.warn(
                        f"no header: the first record is longer than {long_first} bytes;"
                        " columns are named column_1, column_2..."
                    )
                    width = max(1, min(len(first), UNKNOWN_WIDTH))
                    names, has_header = positional_names(width), False
                else:
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
            parts = (
                frame
                for piece in split_block(block, len(parser.schema))
                for frame in parser.parse_block(piece, limits.max_field_bytes)
            )
            for part in parts if block and not block.isspace() else ():
                if skip:
                    part, skip = part.slice(skip), max(0, skip - part.height)
                df = parser.merge(part)
                ready.append(df)
                ready_rows += df.height
                while ready_rows >= limits.batch_rows:
                    ready, ready_rows = yield from _batch_out(ready, limits.batch_rows)
            while ready_rows and (ready_rows >= limits.batch_rows or done):
                ready, ready_rows = yield from _batch_out(ready, limits.batch_rows)


def split_block(block: bytes, width: int) -> Iterator[bytes]:
    """`block` in pieces cut at record boundaries, each of at most BLOCK_CELLS cells (a
    block of tiny rows is millions of rows, 16 bytes a cell at least once parsed)."""
    rows = block.count(b"\n") + 1
    parts = -(-rows * width // BLOCK_CELLS)
    if parts <= 1:
        yield block
        return
    size = len(block) // parts + 1
    pos = 0
    while pos < len(block):
        cut = record_boundary(block[pos : pos + size]) if pos + size < len(block) else -1
        end = len(block) if cut <= 0 else pos + cut
        yield block[pos:end]
        pos = end


def _batch_out(ready: list[pl.DataFrame], batch_rows: int):
    """Yield the first `batch_rows` rows of `ready`; returns the rest and its row count."""
    whole = pl.concat(ready, rechunk=False) if len(ready) > 1 else ready[0]
    yield whole.slice(0, batch_rows)
    rest = whole.slice(batch_rows)
    return ([rest], rest.height) if rest.height else ([], 0)
