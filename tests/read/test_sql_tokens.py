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


# -- PostgreSQL dollar quoting against a reference tokenizer ------------------------------


def reference_tokens(sql: str) -> list[tuple[str, str]]:
    """A plain character-by-character tokenizer for the fragments generated below."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "'":
            j, buf = i + 1, []
            while j < n:
                if sql[j] == "'" and sql[j + 1 : j + 2] == "'":
                    buf.append("'")
                    j += 2
                elif sql[j] == "'":
                    break
                else:
                    buf.append(sql[j])
                    j += 1
            out.append(("str", "".join(buf)))
            i = j + 1
        elif c == "$":
            j = i + 1
            while j < n and (sql[j].isalpha() or sql[j] == "_" or (j > i + 1 and sql[j].isdigit())):
                j += 1
            if j < n and sql[j] == "$":
                delim = sql[i : j + 1]
                close = sql.find(delim, j + 1)
                end = n if close < 0 else close
                out.append(("str", sql[j + 1 : end]))
                i = n if close < 0 else close + len(delim)
            else:
                out.append(("punct", "$"))
                i += 1
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            out.append(("word", sql[i:j]))
            i = j
        elif c.isdigit():
            j = i
            while j < n and sql[j].isdigit():
                j += 1
            out.append(("num", sql[i:j]))
            i = j
        else:
            out.append(("punct", c))
            i += 1
    return out


TAG = st.sampled_from(["", "q", "tag", "a_1", "body"])
BODY = st.text(st.sampled_from(list("ab $'\n;()_q1é")), max_size=30)


@st.composite
def dollar_string(draw) -> str:
    tag = draw(TAG)
    delim = f"${tag}$"
    body = draw(
        BODY.filter(lambda b: delim not in b + "$"[: bool(tag) or 1] and not b.endswith("$"))
    )
    return f"{delim}{body}{delim}"


FRAGMENT = st.one_of(
    dollar_string(),
    st.text(st.sampled_from(list("abcxyz_")), min_size=1, max_size=6).map(lambda w: f"k{w}"),
    st.integers(0, 10**6).map(str),
    st.sampled_from(["(", ")", ",", ";", "$1", "$", "a$b$c"]),
    st.text(st.sampled_from(list("ab'$ \n")), max_size=10).map(
        lambda s: "'" + s.replace("'", "''") + "'"
    ),
    st.text(st.sampled_from(list("ab$' ")), max_size=10).map(lambda s: f"-- {s}\n"),
)


@SETTINGS
@given(st.lists(FRAGMENT, max_size=12), st.integers(1, 9), st.booleans())
def test_dollar_quoting_matches_reference(fragments, chunk, cut_last):
    sql = " ".join(fragments)
    if cut_last and sql:
        sql = sql[: len(sql) - 1]  # may leave a string open at the end
    chunks = iter([sql[i : i + chunk] for i in range(0, len(sql), chunk)])
    sc = Scanner(chunks, "postgres", 1 << 20)
    got = []
    while (t := sc.next_token()) is not None:
        got.append((t.kind, t.value))
    assert got == reference_tokens(sql)


def test_dollar_quoted_body_is_never_parsed():
    sql = "CREATE FUNCTION f() AS $$ INSERT INTO ghost VALUES ('x'); $$; INSERT INTO t VALUES ($q$it's$q$);"
    p = Path(tempfile.mkdtemp()) / "d.sql"
    p.write_text("-- PostgreSQL database dump\n" + sql)
    out = read_all(p)
    assert list(out.tables) == [f"{p}#t"] and out.tables[f"{p}#t"].row(0) == ("it's",)
