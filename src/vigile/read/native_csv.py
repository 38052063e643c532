"""The fast path for UTF-8 CSV: polars' own streaming reader, batch by batch.

Python only reads the header (the same rules as the block path: leading blank records
skipped, header or positional names); polars then parses the rest natively, in parallel
and with bounded memory. When polars refuses the file mid-way (invalid UTF-8 from mixed
encodings, malformed quoting, a record it cannot end), reading resumes on the block path
after the rows already yielded, so the outcome is what the block path alone gives.
Files over NATIVE_MAX_BYTES always take the block path (memory, see below), and so do
files that may hold a line longer than `Limits.max_field_bytes` (polars' cost grows with
the square of a record's field count; checked in a few thousand `find` calls, one per
window of half that size, each ending at the window's first newline). polars gets an
open file, never the path (it would expand `[`, `*`, `?` in a name as a glob)."""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from vigile.read.csv_reader import (
    RaggedMerger,
    block_batches,
    has_long_line,
    header_names,
    parse_header,
    record_boundary,
)
from vigile.read.limits import Limits
from vigile.read.table import Table

HEAD_BYTES = 1 << 20  # the header must end within this many bytes, else the block path
# polars' streaming reader parses far ahead of the consumer (about 1 GB of frames held on
# a 2 GB file, measured with polars 2.1, whatever the prefetch settings), which would
# break the scan's memory bound; bigger files take the block path, whose memory stays
# around one block plus one batch. With batches of Limits.native_batch_bytes, a scan
# peaked at 1.46 GB RSS on a 505 MB file and 1.23 GB on a 418 MB one: hence 384 MiB.
NATIVE_MAX_BYTES = 384 << 20
BOM = b"\xef\xbb\xbf"
NATIVE_BATCH_CELLS = 32_000_000


def _lines_bounded(path: Path, limit: int) -> bool:
    """No line of the file is longer than `limit` bytes (see has_long_line), and no quoted
    field runs on for more than about `limit` bytes (see quotes_bounded)."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return not has_long_line(mm, limit) and quotes_bounded(mm, limit)


def quotes_bounded(buf: bytes | mmap.mmap, limit: int) -> bool:
    """Whether every quoted field of `buf` ends: no quote left open at the end, and no
    quoted field spanning a whole window of limit/2 bytes. A stray quote makes the rest
    of the file one field for an RFC 4180 parser, and polars' streaming reader then held
    ever more of the file before giving up (1.5 GB on a 178 MB file): such files take the
    block path, which cuts a record at `Limits.max_line_bytes`.

    Checked by quote parity (in RFC 4180 a newline ends a record iff an even number of
    quotes precede it) at the first newline of each window; a quoted field spanning a
    window is open at two checkpoints in a row. Hand-written: one C-speed `count` per
    window, no parser needed."""
    if buf.find(b'"') < 0:
        return True
    window = max(1, limit // 2)
    n = len(buf)
    quotes = 0
    pos = 0  # quotes counted in buf[:pos]
    was_open = False
    for start in range(0, n, window):
        nl = buf.find(b"\n", start, min(n, start + window))
        if nl < 0:
            continue  # a long line: has_long_line sends the file to the block path anyway
        quotes += buf[pos:nl].count(b'"')  # mmap has no count: a window-sized copy
        pos = nl
        is_open = quotes % 2 == 1
        if is_open and was_open:
            return False
        was_open = is_open
    quotes += buf[pos:n].count(b'"')
    return quotes % 2 == 0


def _header(path: Path, delimiter: str, longest: int) -> tuple[list[str], int, int, float] | None:
    """(first record's fields, blank lines before it, its own line count, bytes per
    following line), or None when the first record does not end within HEAD_BYTES or
    `longest` bytes (the block path handles that)."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    buf = head[3:] if head.startswith(BOM) else head
    lines = 0
    while True:
        cut = record_boundary(buf, first=True)
        if cut < 0 or cut > longest:
            return None
        first = parse_header(buf[:cut], delimiter)
        if first:
            rest = buf[cut:]
            per_line = len(rest) / max(1, rest.count(b"\n"))
            return first, lines, buf[:cut].count(b"\n"), per_line
        lines += buf[:cut].count(b"\n")
        buf = buf[cut:]


def native_batches(
    table: Table, path: Path, encoding: str, delimiter: str, limits: Limits
) -> Iterator[pl.DataFrame]:
    size = path.stat().st_size
    found = None
    if size <= NATIVE_MAX_BYTES and _lines_bounded(path, limits.max_field_bytes):
        found = _header(path, delimiter, limits.max_field_bytes)
    if found is None:
        yield from block_batches(table, path, encoding, delimiter, limits)
        return
    first, skip_lines, header_lines, per_line = found
    names, has_header = header_names(first, table)
    if has_header:
        skip_lines += header_lines  # several when the header has quoted newlines
    merger = RaggedMerger(table, names, delimiter)
    start_bytes = table.bytes_read
    rows = 0
    chunk = max(limits.batch_rows, int(limits.native_batch_bytes / max(per_line, 1.0)))
    # Tiny rows make many cells per byte: a batch holds at most NATIVE_BATCH_CELLS cells
    # (16 bytes each at least), whatever the file's line length.
    chunk = min(chunk, max(limits.batch_rows, NATIVE_BATCH_CELLS // len(merger.schema)))
    with open(path, "rb") as f:
        lf = pl.scan_csv(
            f,
            has_header=False,
            separator=delimiter,
            quote_char='"',
            skip_lines=skip_lines,
            schema=merger.schema,
            missing_columns="insert",
            truncate_ragged_lines=True,
            extra_columns="ignore",  # a long first row is cut like the others (csv_reader)
            raise_if_empty=False,
            encoding="utf8",
        )
        batches = iter(lf.collect_batches(chunk_size=chunk))
        while True:
            try:
                df = next(batches, None)
            except (Exception, pl.exceptions.PanicException):
                # The polars message may quote cell contents: it is dropped, never shown.
                break
            if df is None:
                table.bytes_read = start_bytes + size
                return
            df = merger.merge(df)
            rows += df.height
            # Progress estimate (the native reader reports no byte offsets).
            table.bytes_read = start_bytes + min(size, round(rows * per_line))
            yield df
    table.bytes_read = start_bytes
    yield from block_batches(
        table, path, encoding, delimiter, limits, skip=rows, ragged=merger.ragged
    )
