"""Plain text and logs: one column `line`, one row per line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from vigile.read.csv_reader import LONG, has_long_line, pieces
from vigile.read.limits import Limits
from vigile.read.table import Table
from vigile.read.transcode import Utf8Reader


def _lines(text: str) -> pl.DataFrame:
    s = pl.Series("line", [text]).str.split("\n").explode().str.strip_suffix("\r")
    return s.to_frame()


def _split_long(block: bytes, limit: int) -> tuple[bytes, int]:
    """`block` with its lines longer than `limit` bytes cut into pieces (one line each)."""
    out: list[bytes] = []
    n = 0
    for line in block.split(b"\n"):
        if len(line) > limit:
            n += 1
            out.extend(pieces(line, limit))
        else:
            out.append(line)
    return b"\n".join(out), n


def text_batches(table: Table, path: Path, encoding: str, limits: Limits) -> Iterator[pl.DataFrame]:
    def count(n: int) -> None:
        table.bytes_read += n

    pending = b""
    long_lines = 0
    ready: list[pl.DataFrame] = []
    ready_rows = 0
    with open(path, "rb") as raw:
        stream = Utf8Reader(raw, encoding, on_bytes=count)
        chunks = iter(stream)
        done = False
        while not done:
            chunk = next(chunks, None)
            done = chunk is None
            buf = pending + chunk if chunk else pending
            if done:
                block, pending = buf.removesuffix(b"\n"), b""
            else:
                cut = buf.rfind(b"\n")
                if cut < 0:
                    if len(buf) <= limits.max_line_bytes:
                        pending = buf
                        continue
                    table.warn(f"a line longer than {limits.max_line_bytes} bytes was split")
                    cut = len(buf)
                block, pending = buf[:cut], buf[cut + 1 :]
            if block and has_long_line(block, limits.max_field_bytes):
                block, n = _split_long(block, limits.max_field_bytes)
                long_lines += n
                table.warn(
                    f"{LONG}: {long_lines} line(s) longer than {limits.max_field_bytes} bytes"
                    f" were read in pieces of {limits.max_field_bytes} bytes"
                )
            if block:
                df = _lines(block.decode("utf-8", errors="replace"))
                ready.append(df)
                ready_rows += df.height
            while ready_rows >= limits.batch_rows or (done and ready_rows):
                whole = pl.concat(ready, rechunk=False) if len(ready) > 1 else ready[0]
                yield whole.slice(0, limits.batch_rows)
                rest = whole.slice(limits.batch_rows)
                ready, ready_rows = ([rest], rest.height) if rest.height else ([], 0)
