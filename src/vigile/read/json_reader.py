"""JSON documents and NDJSON / JSON Lines, flattened to dotted column names.

A JSON document has to be parsed whole (bounded by `max_json_bytes`); NDJSON is read
twice line by line: once to learn the union of columns, once to emit batches.

An object keyed by ids (NIRs, record numbers, dates, e-mails...) holds rows, not
columns: `{"<NIR>": {"nom": ...}, ...}` becomes one row per key, the key in a column
`key`; a nested object keyed by ids stays one column of JSON text. So values never
become column names by the thousand, and no name shows a value (names also go through
`vigile.read.names.shown`). A document that is not valid JSON, and the lines of an
NDJSON file that are not, are read as text rather than dropped."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import polars as pl

from vigile.read.csv_reader import pieces
from vigile.read.errors import ReadError
from vigile.read.limits import Limits
from vigile.read.names import looks_like_value, unique_names
from vigile.read.table import Table

MAX_COLUMNS = 10_000
ID_KEY = "key"
INVALID_LINE = "(not JSON)"  # column of the NDJSON lines that are not valid JSON
KEY_SAMPLE = 64  # keys looked at to decide whether an object is keyed by ids


@lru_cache(maxsize=1 << 16)
def _value_key(key: str) -> bool:
    return looks_like_value(key)


def keyed_by_ids(obj: dict) -> bool:
    """Most (80 %) of the object's keys are data (ids, dates, personal values), not names.
    Looks at KEY_SAMPLE keys at most, and stops at the first keys that settle it."""
    if not obj:
        return False
    n = min(len(obj), KEY_SAMPLE)
    allowed = n - max(1, math.ceil(0.8 * n))  # names that may be among the keys
    names = 0
    for _, key in zip(range(n), obj, strict=False):
        if not _value_key(key if isinstance(key, str) else str(key)):
            names += 1
            if names > allowed:
                return False
    return True


def flatten(obj: object, prefix: str = "", out: dict[str, str | None] | None = None) -> dict:
    """{"patient": {"nom": "X"}, "tags": [1]} -> {"patient.nom": "X", "tags": "[1]"}."""
    out = {} if out is None else out
    if isinstance(obj, dict):
        if not obj and prefix:
            out[prefix] = "{}"
        elif prefix and keyed_by_ids(obj):
            out[prefix] = scalar_text(obj)  # a map keyed by ids: one column of JSON text
            return out
        for k, v in obj.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix or "value"] = scalar_text(obj)
    return out


def scalar_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def _id_rows(obj: dict) -> Iterator[dict]:
    for k, v in obj.items():
        row = flatten(v) if isinstance(v, dict) else {"value": scalar_text(v)}
        key = ID_KEY if ID_KEY not in row else f"{ID_KEY}_id"
        yield {key: str(k), **row}


def rows_of(obj: object) -> Iterator[dict]:
    """Flattened rows of one record, or of the records an object keyed by ids holds."""
    if isinstance(obj, dict) and keyed_by_ids(obj):
        yield from _id_rows(obj)
    else:
        yield flatten(obj)


def find_records(doc: object) -> list:
    """An array of records, or the one array (or map keyed by ids) of records an object
    holds, or [doc]."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if keyed_by_ids(doc):
            return [doc]  # rows_of() expands it
        found = [
            v
            for v in doc.values()
            if (isinstance(v, list) and v and isinstance(v[0], dict))
            or (isinstance(v, dict) and len(v) > 1 and keyed_by_ids(v))
        ]
        if found:
            best = max(found, key=len)
            return [best] if isinstance(best, dict) else best
    return [doc]


def _frames(rows: Iterator[dict], raw: list[str], batch_rows: int) -> Iterator[pl.DataFrame]:
    names = unique_names(raw)
    schema = {n: pl.String for n in names}
    buf: list[dict] = []

    def frame() -> pl.DataFrame:
        return pl.DataFrame(
            {n: [r.get(k) for r in buf] for n, k in zip(names, raw, strict=True)}, schema=schema
        )

    for row in rows:
        buf.append(row)
        if len(buf) >= batch_rows:
            yield frame()
            buf = []
    if buf:
        yield frame()


def _union(rows: Iterator[dict], table: Table) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for k in row:
            if k not in seen:
                if len(seen) >= MAX_COLUMNS:
                    table.incomplete(
                        f"more than {MAX_COLUMNS} distinct keys; the rest were dropped"
                    )
                    return list(seen)
                seen[k] = None
    return list(seen)


def json_batches(table: Table, path: Path, encoding: str, limits: Limits) -> Iterator[pl.DataFrame]:
    size = path.stat().st_size
    if size > limits.max_json_bytes:
        raise ReadError(
            table.source.path,
            f"JSON document larger than {limits.max_json_bytes} bytes, not parsed",
        )
    with open(path, encoding=encoding, errors="replace") as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError:
            doc = _INVALID
    if doc is _INVALID:
        from vigile.read.text_reader import text_batches

        table.warn("not valid JSON (truncated or malformed): read as text, line by line")
        table.source = replace(table.source, kind="text")
        yield from text_batches(table, path, encoding, limits)
        return
    table.bytes_read = size
    flat = [row for r in find_records(doc) for row in rows_of(r)]
    del doc
    names = _union(iter(flat), table)
    yield from _frames(iter(flat), names, limits.batch_rows)


_INVALID = object()


def _ndjson_rows(table: Table, path: Path, encoding: str, limits: Limits, count: bool):
    bad = 0
    with open(path, "rb") as f:
        while line := f.readline(limits.max_line_bytes + 1):
            if count:
                table.bytes_read += len(line)
            if not line.strip():
                continue
            text = line.decode(encoding, errors="replace")
            try:
                obj = json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                bad += 1
                for piece in pieces(line, limits.max_field_bytes):
                    yield {INVALID_LINE: piece.decode(encoding, errors="replace")}
                continue
            yield from rows_of(obj)
    if bad and count:
        table.warn(f"{bad} line(s) were not valid JSON and were read as text")


def ndjson_batches(
    table: Table, path: Path, encoding: str, limits: Limits
) -> Iterator[pl.DataFrame]:
    enc = "utf-8-sig" if encoding.startswith("utf-8") else encoding
    names = _union(_ndjson_rows(table, path, enc, limits, False), table)
    yield from _frames(_ndjson_rows(table, path, enc, limits, True), names, limits.batch_rows)
