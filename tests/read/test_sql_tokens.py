"""SQL tokenizer round-trips: values with quotes, backslashes, NULLs, newlines, unicode."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigile.read.sql_tokens import Scanner

from .conftest import read_all

TEXT = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20) | st.text(
    st.sampled_from(list("'\"\\\n\t;(),`aé€ ")), max_size=12
)
VALUES = st.lists(st.none() | TEXT, min_size=1, max_size=4)
ROWS = st.lists(VALUES, min_size=1, max_size=5).filter(lambda rs: len({len(r) for r in rs}) == 1)


def mysql_lit(v: str | None) -> str:
    if v is None:
        return "NULL"
    esc = v.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
    return f"'{esc}'"


def pg_lit(v: str | None) -> str:
    if v is None:
        return "NULL"
    if "\\" in v or "\n" in v:
        return "E'" + v.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"
    return "'" + v.replace("'", "''") + "'"


def copy_field(v: str | None) -> str:
    if v is None:
        return "\\N"
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def roundtrip(dump: str) -> list[tuple]:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "dump.sql"
        p.write_text(dump, encoding="utf-8")
        out = read_all(p)
        assert not out.errors, out.messages()
        (df,) = out.tables.values()
        return df.rows()


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ROWS)
def test_mysql_insert_roundtrip(rows):
    tuples = ",".join("(" + ",".join(mysql_lit(v) for v in r) + ")" for r in rows)
    dump = f"/*!40101 SET NAMES utf8 */;\nINSERT INTO `t` VALUES {tuples};\n"
    assert roundtrip(dump) == [tuple(r) for r in rows]


@SETTINGS
@given(ROWS)
def test_postgres_insert_roundtrip(rows):
    cols = ", ".join(f"c{i}" for i in range(len(rows[0])))
    stmts = "".join(
        f"INSERT INTO public.t ({cols}) VALUES ({', '.join(pg_lit(v) for v in r)});\n" for r in rows
    )
    dump = f"-- PostgreSQL database dump\nSET standard_conforming_strings = on;\n{stmts}"
    assert roundtrip(dump) == [tuple(r) for r in rows]


@SETTINGS
@given(ROWS)
def test_copy_roundtrip(rows):
    cols = ", ".join(f"c{i}" for i in range(len(rows[0])))
    body = "".join("\t".join(copy_field(v) for v in r) + "\n" for r in rows)
    dump = f"COPY public.t ({cols}) FROM stdin;\n{body}\\.\n"
    assert roundtrip(dump) == [tuple(r) for r in rows]


def test_scanner_tokens_across_chunk_boundaries():
    sql = "INSERT INTO `t` VALUES ('a''b\\'c', 12.5, NULL);"
    chunks = iter([sql[i : i + 3] for i in range(0, len(sql), 3)])
    sc = Scanner(chunks, "mysql", 1 << 20)
    toks = []
    while (t := sc.next_token()) is not None:
        toks.append((t.kind, t.value))
    assert ("str", "a'b'c") in toks and ("num", "12.5") in toks and ("null", "NULL") in toks
    assert ("ident", "t") in toks
