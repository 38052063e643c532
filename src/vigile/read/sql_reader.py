"""SQL dumps: rows of `INSERT ... VALUES` and PostgreSQL `COPY ... FROM stdin` blocks.

One pass over the dump: rows are buffered per table (tables may be interleaved) and
spilled to Arrow IPC files in a private temp dir every `batch_rows` rows, so a dump
larger than memory is never held whole. Each SQL table then becomes a Table."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from vigile.read.errors import ReadError
from vigile.read.limits import Limits
from vigile.read.names import positional_names, shown, unique_names
from vigile.read.sql_tokens import Dialect, Scanner, SqlTooLong, Token, copy_fields
from vigile.read.table import Table
from vigile.read.transcode import Utf8Reader
from vigile.shapes import Source

_PG_HINTS = re.compile(
    r"PostgreSQL|pg_dump|standard_conforming_strings|\bCOPY\b[^;]*\bFROM\s+stdin|search_path", re.I
)
_MYSQL_HINTS = re.compile(r"`|/\*!|ENGINE\s*=|LOCK TABLES|AUTO_INCREMENT|\\'", re.I)
_CONSTRAINTS = {
    "PRIMARY", "KEY", "UNIQUE", "CONSTRAINT", "INDEX", "FOREIGN", "CHECK", "FULLTEXT",
    "SPATIAL", "EXCLUDE", "PERIOD",
}  # fmt: skip
_INSERT_MODIFIERS = {"IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "INTO"}


def detect_dialect(head: str) -> Dialect:
    pg, my = len(_PG_HINTS.findall(head)), len(_MYSQL_HINTS.findall(head))
    return "postgres" if pg > my else "mysql"


@dataclass
class _TableState:
    name: str
    declared: list[str] | None = None  # from CREATE TABLE
    columns: dict[str, None] = field(default_factory=dict)  # union, in order
    groups: dict[tuple[str, ...], list[list[str | None]]] = field(default_factory=dict)
    pending: int = 0
    spills: list[Path] = field(default_factory=list)
    rows: int = 0
    warnings: list[str] = field(default_factory=list)
    width_mismatch: int = 0


class _Parser:
    def __init__(self, scanner: Scanner, limits: Limits, spill_dir: Path):
        self.sc = scanner
        self.limits = limits
        self.spill_dir = spill_dir
        self.tables: dict[str, _TableState] = {}
        self.peeked: Token | None = None
        self.skipped_statements = 0

    # -- tokens
    def next(self) -> Token | None:
        if self.peeked is not None:
            t, self.peeked = self.peeked, None
            return t
        return self.sc.next_token()

    def peek(self) -> Token | None:
        if self.peeked is None:
            self.peeked = self.sc.next_token()
        return self.peeked

    def is_word(self, t: Token | None, *words: str) -> bool:
        return t is not None and t.kind == "word" and t.value.upper() in words

    def is_punct(self, t: Token | None, p: str) -> bool:
        return t is not None and t.kind == "punct" and t.value == p

    def skip_statement(self) -> None:
        depth = 0
        while (t := self.next()) is not None:
            if self.is_punct(t, "("):
                depth += 1
            elif self.is_punct(t, ")"):
                depth -= 1
            elif self.is_punct(t, ";") and depth <= 0:
                return

    def name(self) -> str | None:
        t = self.next()
        if t is None or t.kind not in ("word", "ident", "str"):
            return None
        name = t.value
        while self.is_punct(self.peek(), "."):
            self.next()
            t = self.next()
            if t is None or t.kind not in ("word", "ident", "str"):
                return None
            name = t.value
        return name

    def ident_list(self) -> list[str]:
        """`(a, b, c)` after the opening parenthesis was peeked."""
        self.next()
        cols: list[str] = []
        while (t := self.next()) is not None and not self.is_punct(t, ")"):
            if t.kind in ("word", "ident", "str"):
                cols.append(t.value)
        return cols

    def table(self, name: str) -> _TableState:
        st = self.tables.get(name)
        if st is None:
            st = self.tables[name] = _TableState(name)
        return st

    # -- statements
    def run(self) -> None:
        while (t := self.next()) is not None:
            word = t.value.upper() if t.kind == "word" else ""
            if word in ("INSERT", "REPLACE"):
                self.insert()
            elif word == "CREATE":
                self.create()
            elif word == "COPY":
                self.copy()
            elif not self.is_punct(t, ";"):
                self.skip_statement()
        for st in self.tables.values():
            self.flush(st)

    def create(self) -> None:
        while self.is_word(self.peek(), "TEMPORARY", "TEMP", "UNLOGGED", "OR", "REPLACE"):
            self.next()
        if not self.is_word(self.next(), "TABLE"):
            return self.skip_statement()
        if self.is_word(self.peek(), "IF"):
            for _ in range(3):  # IF NOT EXISTS
                self.next()
        name = self.name()
        if name is None or not self.is_punct(self.next(), "("):
            return self.skip_statement()
        cols: list[str] = []
        depth, first = 1, True
        while depth and (t := self.next()) is not None:
            if self.is_punct(t, "("):
                depth += 1
            elif self.is_punct(t, ")"):
                depth -= 1
            elif self.is_punct(t, ",") and depth == 1:
                first = True
                continue
            elif first and depth == 1:
                if t.kind == "ident" or (t.kind == "word" and t.value.upper() not in _CONSTRAINTS):
                    cols.append(t.value)
            first = False
        self.table(name).declared = cols
        self.skip_statement()

    def insert(self) -> None:
        while self.is_word(self.peek(), *_INSERT_MODIFIERS):
            self.next()
        name = self.name()
        if name is None:
            return self.skip_statement()
        cols = self.ident_list() if self.is_punct(self.peek(), "(") else None
        if not self.is_word(self.next(), "VALUES", "VALUE"):
            return self.skip_statement()
        st = self.table(name)
        while True:
            t = self.next()
            if not self.is_punct(t, "("):
                break
            row = self.tuple_values()
            if row is None:
                break
            self.add_row(st, cols, row)
            t = self.next()
            if not self.is_punct(t, ","):
                break
        if t is not None and not self.is_punct(t, ";"):
            self.skip_statement()  # ON DUPLICATE KEY ..., RETURNING ...

    def tuple_values(self) -> list[str | None] | None:
        values: list[str | None] = []
        parts: list[Token] = []
        depth = 0
        while (t := self.next()) is not None:
            if depth == 0 and (self.is_punct(t, ",") or self.is_punct(t, ")")):
                values.append(_value(parts))
                parts = []
                if t.value == ")":
                    return values
                continue
            if self.is_punct(t, "("):
                depth += 1
            elif self.is_punct(t, ")"):
                depth -= 1
            parts.append(t)
        # The input ended inside the tuple (truncated dump): keep what was read.
        if parts:
            values.append(_value(parts))
        return values or None

    def copy(self) -> None:
        name = self.name()
        if name is None:
            return self.skip_statement()
        cols = self.ident_list() if self.is_punct(self.peek(), "(") else None
        if not (self.is_word(self.next(), "FROM") and self.is_word(self.next(), "STDIN")):
            return self.skip_statement()
        self.skip_statement()
        st = self.table(name)
        first = True
        while (line := self.sc.read_line()) is not None:
            if first and not line.strip():
                first = False
                continue
            first = False
            if line == "\\.":
                return
            self.add_row(st, cols, copy_fields(line))
        st.warnings.append("COPY block not terminated by \\. (truncated dump)")

    # -- rows
    def add_row(self, st: _TableState, cols: list[str] | None, row: list[str | None]) -> None:
        if cols is None:
            cols = st.declared if st.declared and len(st.declared) == len(row) else None
        if cols is None:
            cols = positional_names(len(row))
        elif len(cols) != len(row):
            st.width_mismatch += 1
            if len(row) > len(cols) and cols:
                # Values past the column list go to the last column: none is dropped.
                extra = [v for v in row[len(cols) - 1 :] if v is not None]
                row = row[: len(cols) - 1] + [", ".join(extra) if extra else None]
            row = (row + [None] * len(cols))[: len(cols)]
        key = tuple(cols)
        group = st.groups.get(key)
        if group is None:
            group = st.groups[key] = []
            for c in unique_names(cols):
                st.columns.setdefault(c, None)
        group.append(row)
        st.pending += 1
        st.rows += 1
        if st.pending >= self.limits.batch_rows:
            self.flush(st)

    def flush(self, st: _TableState) -> None:
        frames = []
        for cols, rows in st.groups.items():
            names = unique_names(cols)
            data = {n: [r[i] for r in rows] for i, n in enumerate(names)}
            frames.append(pl.DataFrame(data, schema={n: pl.String for n in names}))
        st.groups.clear()
        st.pending = 0
        if frames:
            out = self.spill_dir / f"t{len(self.tables)}_{id(st)}_{len(st.spills)}.arrow"
            pl.concat(frames, how="diagonal").write_ipc(out)
            st.spills.append(out)


def _value(parts: list[Token]) -> str | None:
    if len(parts) == 1:
        t = parts[0]
        return None if t.kind == "null" else t.value
    strings = [t for t in parts if t.kind == "str"]
    if len(strings) == 1:  # _utf8'x', 'x'::date, CAST('x' AS ...)
        return strings[0].value
    return "".join(t.value for t in parts) or None


def sql_tables(
    path: Path, source: Source, encoding: str, limits: Limits, keepalive: object
) -> Iterator[Table | ReadError]:
    spill = tempfile.TemporaryDirectory(prefix="vigile-sql-")
    consumed = 0

    def count(n: int) -> None:
        nonlocal consumed
        consumed += n

    with open(path, "rb") as raw:
        chunks = (
            b.decode("utf-8") for b in Utf8Reader(raw, encoding, on_bytes=count, chunk=1 << 20)
        )
        head = next(chunks, "")
        dialect = detect_dialect(head[:65536])
        stream: Iterator[str] = iter([head] if head else [])
        scanner = Scanner(_chain(stream, chunks), dialect, limits.max_line_bytes)
        parser = _Parser(scanner, limits, Path(spill.name))
        error: ReadError | None = None
        try:
            parser.run()
        except SqlTooLong:
            error = ReadError(
                source.path,
                f"a value longer than {limits.max_line_bytes} bytes; the dump was read as"
                " text from there",
            )
        except RecursionError:
            error = ReadError(source.path, "statement nested too deeply")
        if error is None and scanner.unterminated:
            error = ReadError(
                source.path,
                "a string is not terminated (truncated dump or broken quoting): what follows"
                " the bad quote may be misread; the dump was also read as text",
            )
    if error:
        yield error
        for st in parser.tables.values():
            parser.flush(st)
    if not parser.tables and not error:
        yield ReadError(source.path, "SQL dump without INSERT or COPY data", read=True)
    for st in parser.tables.values():
        names = list(st.columns)
        if not names:
            continue
        warnings = list(st.warnings)
        if st.width_mismatch:
            warnings.append(
                f"{st.width_mismatch} row(s) did not match their column list (values past"
                " it were appended to the last column)"
            )
        table = shown(st.name)
        yield Table(
            replace(source, path=f"{source.path}#{table}", table=table),
            _spill_reader(names, st.spills),
            warnings=warnings,
            bytes_read=consumed,
            keepalive=(keepalive, spill),
        )
    if error is not None:
        # Values the SQL parse may have missed still meet the detectors, as free text.
        from vigile.read.text_reader import text_batches

        yield Table(
            replace(source, path=f"{source.path}#text", kind="text", table=None),
            lambda t: text_batches(t, path, encoding, limits),
            warnings=["the SQL could not be parsed to its end: the whole dump read as text"],
            keepalive=keepalive,
        )


def _chain(*its: Iterator[str]) -> Iterator[str]:
    for it in its:
        yield from it


def _spill_reader(names: list[str], files: list[Path]):
    def batches(table: Table) -> Iterator[pl.DataFrame]:
        for f in files:
            with open(f, "rb") as fh:  # a file, not a path polars could read as a glob
                df = pl.read_ipc(fh)
            yield df.select(
                [pl.col(n) if n in df.columns else pl.lit(None, pl.String).alias(n) for n in names]
            )

    return batches
