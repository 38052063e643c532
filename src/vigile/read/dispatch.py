"""open_tables: sniff a path and hand it to the right reader, recursing into archives."""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from vigile.read import archives
from vigile.read.csv_reader import csv_batches
from vigile.read.errors import ReadError, as_read_error
from vigile.read.excel_reader import sheet_batches, sheet_names
from vigile.read.json_reader import json_batches, ndjson_batches
from vigile.read.limits import Budget, Limits
from vigile.read.names import shown, shown_path
from vigile.read.parquet_reader import parquet_batches
from vigile.read.sniff import (
    UNSUPPORTED,
    decode_sample,
    detect_delimiter,
    looks_binary,
    magic_format,
    read_sample,
    text_format,
    zip_flavour,
)
from vigile.read.sql_reader import sql_tables
from vigile.read.table import Table
from vigile.read.workbook_guard import check_workbook
from vigile.shapes import Source

ARCHIVES = {"zip", "tar", "gzip", "bz2", "xz"}
WORKBOOKS = {"xlsx", "xlsb", "xls", "ods"}


def open_tables(
    path: str | os.PathLike | bytes, limits: Limits | None = None
) -> Iterator[Table | ReadError]:
    """Every table found in `path` (a file or archive), or a ReadError for each part that
    cannot be read. Never raises for bad input.

    Paths, member, sheet and table names, and column names come out in their shown form
    (`vigile.read.names.shown`: personal values masked, unprintable characters escaped);
    the file itself is only ever handed to libraries as an open file.

    The sha256 of a large file is computed from the start by a background thread (hashlib
    releases the GIL) at the lowest CPU priority: it takes only the moments where parsing
    and detection leave a core idle (at normal priority it slowed the parse by a fifth,
    and the detection after it). A small file is hashed when its digest is first wanted:
    on a busy machine (a sweep's workers) a low-priority thread would keep each file
    waiting. The first look at a Table's `source` waits for the digest."""
    limits = limits or Limits()
    try:
        path = Path(os.fsdecode(path))
    except TypeError:
        yield ReadError(shown(repr(path)), "not a file path")
        return
    display = shown_path(path)
    try:
        size = path.stat().st_size
        f = open(path, "rb")  # opened here: an unreadable path is reported now
    except Exception as exc:
        yield as_read_error(display, exc)
        return
    digest = _Digest(f)
    if size >= BACKGROUND_DIGEST_FROM:
        digest.start()
    yield from _open(path, display, digest, size, Budget(limits), 0, None, 0)


BACKGROUND_DIGEST_FROM = 32 << 20  # bytes; smaller files take 20 ms or less to hash


def _lowest_priority() -> None:
    """Run the calling thread at the lowest CPU priority (Linux: a thread id is a process
    id for setpriority); elsewhere leave it as it is."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


class _Digest:
    """sha256 of an open file, computed by a low-priority daemon thread from `start()` on,
    or else by `value()` itself when first called."""

    def __init__(self, f: BinaryIO):
        self._file: BinaryIO | None = f
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._value: str | None = None
        self._error: BaseException | None = None

    def _take(self) -> BinaryIO | None:
        """The file, to the first caller only (the thread or `value()` hashes it)."""
        with self._lock:
            f, self._file = self._file, None
        return f

    def start(self) -> None:
        if (f := self._take()) is not None:
            threading.Thread(target=self._run, args=(f,), daemon=True).start()

    def _run(self, f: BinaryIO, background: bool = True) -> None:
        try:
            if background:
                _lowest_priority()
            with f:
                self._value = hashlib.file_digest(f, "sha256").hexdigest()
        except BaseException as exc:  # re-raised in the caller's thread by value()
            self._error = exc
        finally:
            self._done.set()

    def value(self) -> str:
        if (f := self._take()) is not None:  # never started: hash here, at the caller's priority
            self._run(f, background=False)
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


class _DigestingTable(Table):
    """A Table whose Source receives the background sha256 when first looked at (by then,
    in a scan, the first batch has been read and the digest is usually ready)."""

    def __init__(self, source: Source, factory, digest: _Digest, **kw: object):
        self._digest = digest
        super().__init__(source, factory, **kw)  # type: ignore[arg-type]

    @property
    def partial_source(self) -> Source:
        return self._source if self._pending is None else self._pending

    @property  # type: ignore[override]
    def source(self) -> Source:
        if self._pending is not None:
            self._source = replace(self._pending, sha256=self._digest.value())
            self._pending = None
        return self._source

    @source.setter
    def source(self, value: Source) -> None:
        self._pending: Source | None = value


def _table(source: Source, factory, sha: str | _Digest, **kw: object) -> Table:
    if isinstance(sha, _Digest):
        return _DigestingTable(source, factory, sha, **kw)
    return Table(source, factory, **kw)  # type: ignore[arg-type]


def _open(
    path: Path,
    display: str,
    sha: str | _Digest,
    size: int,
    budget: Budget,
    depth: int,
    keepalive: object,
    outer_bytes: int,
) -> Iterator[Table | ReadError]:
    try:
        yield from _dispatch(path, display, sha, size, budget, depth, keepalive, outer_bytes)
    except Exception as exc:  # hostile input must never escape as anything but ReadError
        yield as_read_error(display, exc)


def _dispatch(
    path: Path,
    display: str,
    sha: str | _Digest,
    size: int,
    budget: Budget,
    depth: int,
    keepalive: object,
    outer_bytes: int,
) -> Iterator[Table | ReadError]:
    limits = budget.limits
    if size == 0:
        yield ReadError(display, "empty file", read=True)
        return
    sample = read_sample(path)
    fmt = magic_format(sample)
    if fmt in UNSUPPORTED:
        yield ReadError(display, f"unsupported format ({fmt}), not scanned", unsupported=True)
        return
    if fmt == "zip":
        try:
            fmt = zip_flavour(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            yield ReadError(display, "corrupt or truncated zip")
            return

    def source(fmt: str, **kw: object) -> Source:
        """The Source; its sha256 is filled in by `_table` when still being computed."""
        kw.setdefault("path", display)
        digest = sha if isinstance(sha, str) else ""
        return Source(format=fmt, sha256=digest, size=size, **kw)  # type: ignore[arg-type]

    if fmt in ARCHIVES:
        if depth >= limits.max_depth:
            yield ReadError(display, f"archive nested deeper than {limits.max_depth}, not opened")
            return
        yield from _archive(path, fmt, display, budget, depth)
        return
    if fmt in WORKBOOKS:
        check = None if fmt == "xls" else check_workbook(path, fmt, display, budget)
        refused = check.refused if check else {}
        if fmt == "ods" and check and refused:
            # calamine parses every sheet of an ODS when it opens it: none can be read.
            for raw in check.sheets:
                why = refused.get(raw, "not read: another sheet of this ODS is too large")
                yield ReadError(f"{display}#{shown(raw)}", why)
            return
        try:
            names = sheet_names(path, display, limits)
        except ReadError as exc:
            yield ReadError(display, f"{fmt} workbook: {exc.message}")
            return
        if not names:
            yield ReadError(display, f"{fmt} workbook without sheets", read=True)
        for index, raw in enumerate(names):
            sheet = shown(raw)
            if raw in refused:
                yield ReadError(f"{display}#{sheet}", refused[raw])
                continue
            yield _table(
                source(fmt, table=sheet, path=f"{display}#{sheet}"),
                lambda t, i=index: sheet_batches(t, path, i, limits),
                sha,
                bytes_read=outer_bytes,
                keepalive=keepalive,
            )
        return
    if fmt == "parquet":
        yield _table(
            source("parquet"),
            lambda t: parquet_batches(t, path, limits),
            sha,
            bytes_read=outer_bytes,
            keepalive=keepalive,
        )
        return

    info = decode_sample(sample, complete=len(sample) >= size)
    if looks_binary(info.text):
        yield ReadError(display, "not a supported format (binary data)", unsupported=True)
        return
    kind = text_format(path, info)
    enc = info.encoding
    if kind == "csv":
        dialect = detect_delimiter(info.text, info.complete)
        delim = dialect.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
        yield _table(
            source("csv", encoding=enc, delimiter=delim),
            lambda t: csv_batches(t, path, enc, delim, limits),
            sha,
            bytes_read=outer_bytes,
            keepalive=keepalive,
        )
    elif kind == "json":
        yield _table(
            source("json", encoding=enc),
            lambda t: json_batches(t, path, enc, limits),
            sha,
            bytes_read=outer_bytes,
            keepalive=keepalive,
        )
    elif kind == "ndjson":
        yield _table(
            source("ndjson", encoding=enc),
            lambda t: ndjson_batches(t, path, enc, limits),
            sha,
            bytes_read=outer_bytes,
            keepalive=keepalive,
        )
    elif kind == "sql":
        sql_source = source("sql", encoding=enc)
        if isinstance(sha, _Digest):  # the SQL reader builds its own Tables
            sql_source = replace(sql_source, sha256=sha.value())
        yield from sql_tables(path, sql_source, enc, limits, keepalive)
    else:
        from vigile.read.text_reader import text_batches

        yield _table(
            source("text", kind="text", encoding=enc),
            lambda t: text_batches(t, path, enc, limits),
            sha,
            bytes_read=outer_bytes,
            keepalive=keepalive,
        )


def _archive(
    path: Path, fmt: str, display: str, budget: Budget, depth: int
) -> Iterator[Table | ReadError]:
    with open(path, "rb") as raw:
        if fmt == "zip":
            members = archives.zip_members(path, display, budget)
        elif fmt == "tar":
            members = archives.tar_members(raw, display, budget)
        else:
            members = archives.single_member(raw, fmt, display, budget)
        try:
            for m in members:
                if isinstance(m, ReadError):
                    yield m
                    continue
                yield from _open(
                    m.file, m.display, m.sha256, m.size, budget, depth + 1, m.tmp, m.outer_bytes
                )
        except ReadError as exc:  # limits that stop the whole archive (entries, total size)
            yield exc
