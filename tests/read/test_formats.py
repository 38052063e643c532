"""Each format round-trips small synthetic data (made-up values only)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from vigile.read import Limits, ReadError, open_tables

from .conftest import read_all, xlsx_bytes

ROWS = [
    ("Zorglub", "Albertine", "1 rue des Lilas", "grossesse; suivi"),
    ("Ébrard", "Noël", '2 allée "du" Pré', "ligne1\nligne2"),
    ("Quux", "", "3 place X", ""),
]
HEADER = ("NOM", "PRENOM", "ADRESSE", "COMMENTAIRE")


def expected() -> pl.DataFrame:
    cols = list(zip(*ROWS, strict=True))
    return pl.DataFrame(
        {h: [v or None for v in c] for h, c in zip(HEADER, cols, strict=True)},
        schema={h: pl.String for h in HEADER},
    )


def csv_text(sep: str = ";") -> str:
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in f'{sep}"\n') else v

    return "\n".join(sep.join(q(v) for v in r) for r in [HEADER, *ROWS]) + "\n"


def test_csv_semicolon_utf8(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text(csv_text(), encoding="utf-8")
    out = read_all(p)
    assert not out.errors
    (df,) = out.tables.values()
    assert df.equals(expected())
    t = out.objects[str(p)]
    assert t.source.delimiter == ";" and t.source.encoding == "utf-8" and t.source.format == "csv"
    assert t.source.size == p.stat().st_size and len(t.source.sha256) == 64
    assert t.bytes_read == p.stat().st_size


def test_csv_cp1252_crlf_and_small_batches(tmp_path):
    p = tmp_path / "export.txt"
    p.write_bytes(csv_text().replace("\n", "\r\n").encode("cp1252"))
    out = read_all(p, Limits(batch_rows=1))
    (t,) = out.objects.values()
    assert t.source.encoding == "cp1252"
    df = out.tables[str(p)].with_columns(pl.all().str.replace_all("\r\n", "\n"))
    assert df.equals(expected())


def test_csv_header_names_made_unique(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("NOM;NOM;;X\na;b;c;d\n")
    (df,) = read_all(p).tables.values()
    assert df.columns == ["NOM", "NOM_2", "column_3", "X"]


def test_csv_without_header(tmp_path):
    p = tmp_path / "nohead.csv"
    p.write_text("Zorglub;1980-01-02;0601020304\nQuux;1990-03-04;0605060708\n")
    out = read_all(p)
    (df,) = out.tables.values()
    assert df.columns == ["column_1", "column_2", "column_3"] and df.height == 2
    assert any("no header" in w for w in out.objects[str(p)].warnings)


def test_ragged_rows_warned_and_kept(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("A;B;C\n1;2;3\n4;5;x;y\n6\n")
    out = read_all(p)
    (df,) = out.tables.values()
    assert df["C"].to_list() == ["3", "x;y", None]
    (w,) = out.objects[str(p)].warnings
    assert "1 row(s)" in w


def test_text_lines(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("connexion ok\r\nutilisateur inconnu\n\nfin")
    out = read_all(p)
    (t,) = out.objects.values()
    assert t.source.kind == "text"
    assert out.tables[str(p)]["line"].to_list() == [
        "connexion ok",
        "utilisateur inconnu",
        "",
        "fin",
    ]


def test_json_array_nested(tmp_path):
    p = tmp_path / "data.json"
    doc = {"patients": [{"patient": {"nom": "X", "age": 3}, "tags": [1, 2]}, {"extra": True}]}
    p.write_text(json.dumps(doc))
    (df,) = read_all(p).tables.values()
    assert df.columns == ["patient.nom", "patient.age", "tags", "extra"]
    assert df.row(0) == ("X", "3", "[1, 2]", None)
    assert df.row(1) == (None, None, None, "true")


def test_ndjson_batches(tmp_path):
    p = tmp_path / "data.jsonl"
    p.write_text("\n".join(json.dumps({"a": i, "b": {"c": str(i)}}) for i in range(5)) + "\n{bad\n")
    out = read_all(p, Limits(batch_rows=2))
    (df,) = out.tables.values()
    assert df.columns == ["a", "b.c", "(not JSON)"]
    assert df["b.c"].to_list() == ["0", "1", "2", "3", "4", None]
    assert df["(not JSON)"].to_list() == [None] * 5 + ["{bad"]  # kept, read as text
    assert any("not valid JSON" in w for w in out.objects[str(p)].warnings)


def test_parquet_cast_to_string(tmp_path):
    p = tmp_path / "data.parquet"
    tbl = pa.table({"n": [1, 2], "s": ["a", None], "l": [[1], [2, 3]], "d": [1.5, None]})
    pq.write_table(tbl, p)
    (df,) = read_all(p).tables.values()
    assert df.rows() == [("1", "a", "[1]", "1.5"), ("2", None, "[2,3]", None)]


def test_xlsx_sheets_and_numbers(tmp_path):
    p = tmp_path / "book.xlsx"
    p.write_bytes(
        xlsx_bytes(
            {
                "Patients": [[], ["NIR", "NOM"], [185057800608436, "Zorglub"], [2.5, "Quux"]],
                "Vide": [],
                "Autre": [["A"], ["x"]],
            }
        )
    )
    out = read_all(p)
    assert not out.errors
    assert out.tables[f"{p}#Patients"].rows() == [("185057800608436", "Zorglub"), ("2.5", "Quux")]
    assert out.tables[f"{p}#Autre"]["A"].to_list() == ["x"]
    assert out.objects[f"{p}#Patients"].source.format == "xlsx"


MYSQL = r"""-- MySQL dump
CREATE TABLE `patients` (
  `id` int NOT NULL AUTO_INCREMENT,
  `nom` varchar(50),
  `note` text,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;
LOCK TABLES `patients` WRITE;
INSERT INTO `patients` VALUES (1,'O\'Hara','ligne\nsuite'),(2,'Quux',NULL);
INSERT INTO `labs` (`code`, `ville`) VALUES ('L1','Nice');
INSERT INTO `patients` VALUES (3,'semi;colon','a''b');
"""

PG = r"""--
-- PostgreSQL database dump
SET standard_conforming_strings = on;
CREATE TABLE public.patients (id integer, nom text, note text);
COPY public.patients (id, nom, note) FROM stdin;
1	Zorglub	tab\there
2	\N	back\\slash
\.
INSERT INTO public.patients VALUES (3, 'C:\dir', E'it''s\n');
"""


def test_sql_mysql(tmp_path):
    p = tmp_path / "dump.sql"
    p.write_text(MYSQL)
    out = read_all(p)
    assert not out.errors
    pat = out.tables[f"{p}#patients"]
    assert pat.columns == ["id", "nom", "note"]
    assert pat.rows() == [
        ("1", "O'Hara", "ligne\nsuite"),
        ("2", "Quux", None),
        ("3", "semi;colon", "a'b"),
    ]
    assert out.tables[f"{p}#labs"].rows() == [("L1", "Nice")]
    assert out.objects[f"{p}#labs"].source.table == "labs"


def test_sql_postgres_copy(tmp_path):
    p = tmp_path / "pg.sql"
    p.write_text(PG)
    out = read_all(p, Limits(batch_rows=1))
    assert out.tables[f"{p}#patients"].rows() == [
        ("1", "Zorglub", "tab\there"),
        ("2", None, "back\\slash"),
        ("3", "C:\\dir", "it's\n"),
    ]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_archives_nested(tmp_path):
    csv = csv_text().encode()
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("dir/in_tar.csv")
        info.size = len(csv)
        tf.addfile(info, io.BytesIO(csv))
    p = tmp_path / "outer.zip"
    p.write_bytes(
        _zip(
            {
                "a/plain.csv": csv,
                "b.csv.gz": gzip.compress(csv),
                "c.csv.bz2": bz2.compress(csv),
                "d.csv.xz": lzma.compress(csv),
                "e.tgz": tar_buf.getvalue(),
                "inner.zip": _zip({"deep.csv": csv}),
            }
        )
    )
    out = read_all(p)
    assert not out.errors, out.messages()
    assert sorted(out.tables) == sorted(
        [
            f"{p}!a/plain.csv",
            f"{p}!b.csv.gz!b.csv",
            f"{p}!c.csv.bz2!c.csv",
            f"{p}!d.csv.xz!d.csv",
            f"{p}!e.tgz!dir/in_tar.csv",
            f"{p}!inner.zip!deep.csv",
        ]
    )
    for df in out.tables.values():
        assert df.equals(expected())
    member = out.objects[f"{p}!a/plain.csv"].source
    assert member.size == len(csv)


def test_open_tables_missing_file(tmp_path):
    (err,) = list(open_tables(tmp_path / "nope.csv"))
    assert isinstance(err, ReadError) and "file not found" in str(err)
    assert str(err).startswith(str(tmp_path / "nope.csv"))
