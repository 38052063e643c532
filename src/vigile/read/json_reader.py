"""JSON documents and NDJSON / JSON Lines, flattened to dotted column names.

A JSON document has to be parsed whole (bounded by `max_json_bytes`); NDJSON is read
twice line by line: once to learn the union of columns, once to emit batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from vigile.read.errors import ReadError
from vigile.read.limits import Limits
from vigile.read.table import Table

MAX_COLUMNS = 10_000


def flatten(obj: object, prefix: str = "", out: dict[str, str | None] | None = None) -> dict:
    """{"patient": {"nom": "X"}, "tags": [1]} -> {"patient.nom": "X", "tags": "[1]"}."""
    out = {} if out is None else out
    if isinstance(obj, dict):
        if not obj and prefix:
            out[prefix] = "{}"
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


def find_records(doc: object) -> list:
    """An array of records, or the one array of records an object holds, or [doc]."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        arrays = [v for v in doc.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(arrays) == 1:
            return arrays[0]
        if arrays:
            return max(arrays, key=len)
    return [doc]


def _frames(rows: Iterator[dict], names: list[str], batch_rows: int) -> Iterator[pl.DataFrame]:
    schema = {n: pl.String for n in names}
    buf: list[dict] = []
    for row in rows:
        buf.append(row)
        if len(buf) >= batch_rows:
            yield pl.DataFrame({n: [r.get(n) for r in buf] for n in names}, schema=schema)
            buf = []
    if buf:
        yield pl.DataFrame({n: [r.get(n) for r in buf] for n in names}, schema=schema)


def _union(rows: Iterator[dict], table: Table) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for k in row:
            if k not in seen:
                if len(seen) >= MAX_COLUMNS:
                    table.warn(f"more than {MAX_COLUMNS} distinct keys; the rest were dropped")
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
            raise ReadError(table.source.path, "invalid JSON") from None
    table.bytes_read = size
    flat = [flatten(r) for r in find_records(doc)]
    del doc
    names = _union(iter(flat), table)
    yield from _frames(iter(flat), names, limits.batch_rows)


def _ndjson_rows(table: Table, path: Path, encoding: str, limits: Limits, count: bool):
    bad = 0
    with open(path, "rb") as f:
        while line := f.readline(limits.max_line_bytes + 1):
            if count:
                table.bytes_read += len(line)
            if not line.strip():
                continue
            try:
                obj = json.loads(line.decode(encoding, errors="replace"))
            except (json.JSONDecodeError, RecursionError):
                bad += 1
                continue
            yield flatten(obj)
    if bad and count:
        table.warn(f"{bad} line(s) were not valid JSON and were skipped")


def ndjson_batches(
    table: Table, path: Path, encoding: str, limits: Limits
) -> Iterator[pl.DataFrame]:
    enc = "utf-8-sig" if encoding.startswith("utf-8") else encoding
    names = _union(_ndjson_rows(table, path, enc, limits, False), table)
    yield from _frames(_ndjson_rows(table, path, enc, limits, True), names, limits.batch_rows)
