"""Regression tests for the hostile corpus (see hostile_corpus.py): each failed before
its fix (a leak read as nothing, a value shown, the process killed, a bomb inflated)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import polars as pl
import pytest

from vigile.read import Limits, csv_reader, native_csv
from vigile.read.names import shown

from . import hostile_corpus as hc
from .conftest import read_all

NIR_RUN = re.compile(r"\d{13}")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return hc.build(tmp_path_factory.mktemp("hostile"))


def names_of(out) -> list[str]:
    """Every name the read layer hands on: paths, tables, columns, error paths."""
    names = [e.path for e in out.errors] + [e.message for e in out.errors]
    for path, table in out.objects.items():
        names += [path, table.source.table or "", *out.tables[path].columns, *table.warnings]
    return names


def test_glob_characters_in_a_name_are_not_a_pattern(corpus):
    out = read_all(corpus["glob_name"])
    assert not out.errors, out.messages()
    [(path, df)] = out.tables.items()
    assert df.height == 50 and path.endswith("fuite [2021] *?.csv")


def test_glob_characters_in_a_parquet_name(corpus):
    out = read_all(corpus["glob_name_parquet"])
    assert not out.errors, out.messages()
    [df] = out.tables.values()
    assert df.height == 50


def test_xlsx_declared_dimension_is_not_trusted(corpus):
    # The 2 KB workbook declared A1:XFD1048576; its cells are few.
    out = read_all(corpus["xlsx_dimension"])
    assert not out.errors, out.messages()
    [df] = out.tables.values()
    assert df.height == 5 and hc.nir(4) in df["NIR"].to_list()


def test_non_utf8_file_name(corpus):
    raw = os.fsencode(corpus["non_utf8_name"])
    out = read_all(raw)  # a bytes path, as os.walk(bytes) gives
    assert not out.errors, out.messages()
    [(path, df)] = out.tables.items()
    assert df.height == 50 and path.endswith("fuite_\\xe9t\\xe9.csv")
    path.encode("utf-8")  # no lone surrogate left
    assert read_all(corpus["non_utf8_name"]).tables.keys() == out.tables.keys()


def test_terminal_escapes_in_file_and_member_names(corpus, tmp_path):
    out = read_all(corpus["terminal_escapes_name"])
    [path] = out.tables
    assert "\x1b" not in path and "\n" not in path and "\u202e" not in path
    assert path.endswith("rapport\\x1b[2J\\x1b[31m\\n\\u202etxt.csv")
    z = tmp_path / "z.zip"
    z.write_bytes(hc._zip({"a\x1b]0;pwn\x07\r.csv": hc.leak_csv(3), "b\x1b[1m.csv": b""}))
    out = read_all(z)
    for name in names_of(out):
        assert not re.search(r"[\x00-\x1f\x7f]", name), name


def test_no_value_of_a_name_is_handed_on(corpus):
    out = read_all(corpus["values_in_names"])
    values = [hc.nir(i) for i in (1, 6, 7, 8)] + [hc.phone(5), hc.phone(9)]
    names = names_of(out)
    assert len(out.tables) == 3  # the member named by a NIR, the phone one, the sheet
    for value in values:
        assert not any(value in n for n in names), value
    assert not any(hc.FIRST[0] in n or hc.SURNAMES[0] in n for n in names)
    # The data itself is untouched: the cells still hold the NIRs for the detectors.
    [sheet] = [df for p, df in out.tables.items() if "#" in p]
    assert hc.nir(0) in sheet["NIR"].to_list()


def test_ndjson_keyed_by_nir_gives_rows_not_columns(corpus):
    out = read_all(corpus["ndjson_keyed_by_nir"])
    [df] = out.tables.values()
    assert df.columns == ["key", "nom", "tel"] and df.height == 278
    assert df["key"].to_list()[:2] == [hc.nir(0), hc.nir(1)]
    assert not any(NIR_RUN.search(n) for n in names_of(out))


def test_json_object_keyed_by_ids_gives_rows(corpus):
    [df] = read_all(corpus["json_keyed_by_ids"]).tables.values()
    assert df.columns == ["key", "nom", "prenom"] and df.height == 2_000


def test_json_nested_map_keyed_by_ids_is_one_column(tmp_path):
    p = tmp_path / "visits.json"
    doc = [{"id": i, "visites": {f"2019-01-{d:02d}": "ok" for d in range(1, 29)}} for i in range(3)]
    p.write_text(json.dumps(doc))
    [df] = read_all(p).tables.values()
    assert df.columns == ["id", "visites"] and "2019-01-05" in df["visites"][0]


def test_json_key_holding_a_value_is_masked(tmp_path):
    p = tmp_path / "one.json"
    p.write_text(json.dumps([{"nom": "x", f"tel {hc.phone(1)}": "y"}]))
    [df] = read_all(p).tables.values()
    assert df.columns == ["nom", f"tel {hc.phone(1)[:2]} ** ** ** {hc.phone(1)[-2:]}"]


def test_xlsx_cell_at_the_far_corner_is_refused_not_fatal(corpus):
    out = read_all(corpus["xlsx_corner_cell"])
    [err] = out.errors
    assert (
        err.path.endswith("dimension.xlsx#S") and "1,048,576 rows x 16,384 columns" in err.message
    )
    [(path, df)] = out.tables.items()
    assert path.endswith("#T") and df.height == 5


def test_xlsx_far_cell_refused(corpus):
    out = read_all(corpus["xlsx_far_cell"])
    assert not out.tables and "20,000 rows x 16,384 columns" in out.messages()


def test_xlsx_empty_far_cell_is_not_counted(tmp_path):
    p = tmp_path / "styled.xlsx"
    p.write_bytes(
        hc.xlsx_bytes({"S": hc.leak_sheet(3)}, {"S": '<row r="9"><c r="XFD9" s="1"/></row>'})
    )
    out = read_all(p)
    assert not out.errors and next(iter(out.tables.values())).height == 3


def test_xlsx_cells_without_reference_are_bounded(tmp_path):
    wide = "<c><v>1</v></c>" * 2000
    extra = f'<row r="90000">{wide}</row>'
    p = tmp_path / "noref.xlsx"
    p.write_bytes(hc.xlsx_bytes({"S": hc.leak_sheet(3)}, {"S": extra}))
    out = read_all(p, Limits(max_sheet_cells=10_000_000))
    assert "90,000 rows x 2,000 columns" in out.messages()


def test_a_calamine_crash_is_isolated(corpus):
    # With the guard off, calamine asks for 512 GiB and aborts: only its child process.
    limits = Limits(max_sheet_cells=10**15, worker_memory=1 << 30)
    out = read_all(corpus["xlsx_corner_cell"], limits)
    assert "isolated reader" in out.messages() and "#S" in out.messages()
    assert [df.height for df in out.tables.values() if df.height] == [5]  # sheet T


def test_a_reader_that_hangs_is_stopped(corpus):
    out = read_all(corpus["xlsx_far_cell"], Limits(worker_seconds=1e-6))
    assert "longer than" in out.messages()


def test_malformed_ods_is_reported(corpus):
    out = read_all(corpus["ods_malformed"])
    assert not out.tables and out.errors and not out.errors[0].read


def test_ods_repeat_bomb_refused_before_calamine(corpus):
    out = read_all(corpus["ods_repeat_bomb"])
    assert not out.tables
    assert "1,048,577 rows x 90 columns" in out.messages()


def test_sql_unterminated_string_is_reported_and_read_as_text(corpus):
    out = read_all(corpus["sql_unterminated_string"])
    assert any("not terminated" in e.message for e in out.errors)
    text = out.tables[f"{corpus['sql_unterminated_string']}#text"]
    assert text.height == 203 and hc.nir(150) in " ".join(text["line"].to_list())


def test_sql_dollar_quoting(corpus):
    out = read_all(corpus["sql_dollar_quoting"])
    assert not out.errors, out.messages()
    [(path, df)] = out.tables.items()  # no "phantom" table from the function body
    assert path.endswith("#notes") and df.height == 50
    assert df["note"][1] == f"l'avis du Dr {hc.SURNAMES[1]}: $1 ok"


def test_csv_single_line_never_reaches_polars_whole(corpus, monkeypatch):
    seen: list[int] = []
    real = pl.read_csv

    def spy(source, *a, **kw):
        if isinstance(source, bytes):
            seen.append(max(map(len, source.split(b"\n"))))
        return real(source, *a, **kw)

    monkeypatch.setattr(csv_reader.pl, "read_csv", spy)
    monkeypatch.setattr(native_csv.pl, "scan_csv", None)  # the native path must not run
    limits = Limits()
    out = read_all(corpus["csv_single_line"], limits)
    [df] = out.tables.values()
    assert max(seen, default=0) <= limits.max_field_bytes
    cells = df.select(pl.concat_str(pl.all(), separator=";", ignore_nulls=True)).to_series()
    body = corpus["csv_single_line"].read_bytes().split(b"\n")[1].decode()
    # Every NIR of the line still reaches the detectors (a piece may cut one in two).
    found = sum(cell.count(hc.nir(3)) for cell in cells)
    assert found >= body.count(hc.nir(3)) - df.height
    assert (
        df.select(pl.all().str.len_bytes().max()).max_horizontal().item() <= limits.max_field_bytes
    )


def test_text_single_line_in_pieces(corpus):
    [df] = read_all(corpus["text_single_line"]).tables.values()
    assert "".join(df["line"].to_list()) == corpus["text_single_line"].read_text()
    assert df["line"].str.len_bytes().max() <= Limits().max_field_bytes


def test_many_small_zero_members_stop_early(corpus):
    out = read_all(corpus["zip_zero_members"])
    assert any("archive's members" in e.message for e in out.errors)
    assert len(out.errors) < 40  # stopped after ~1 MiB of zeros, not after 200 members


def test_per_member_limit(tmp_path):
    p = tmp_path / "big_member.zip"
    p.write_bytes(hc._zip({"a.csv": os.urandom(3 << 20)}))
    out = read_all(p, Limits(max_member_uncompressed=1 << 20))
    assert "member larger than" in out.messages()


def test_rows_far_longer_than_the_header_are_not_fully_read(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_bytes(b"A;B\n1;2\n" + b";".join(b"x%d" % i for i in range(20)) + b"\n")
    out = read_all(p)
    assert out.objects[str(p)].unread


def test_excel_cells_beyond_the_header_are_kept(tmp_path):
    p = tmp_path / "wide.xlsx"
    p.write_bytes(hc.xlsx_bytes({"S": [["A", "B"], ["1", "2", hc.nir(4), "z"]]}))
    [df] = read_all(p).tables.values()
    assert df.row(0) == ("1", f"2; {hc.nir(4)}; z")


def test_invalid_json_document_read_as_text(tmp_path):
    p = tmp_path / "cut.json"
    p.write_text(json.dumps([{"nir": hc.nir(i)} for i in range(10)])[:-30])
    out = read_all(p)
    [(path, df)] = out.tables.items()
    assert out.objects[path].source.kind == "text" and hc.nir(2) in " ".join(df["line"].to_list())


def test_shown_names():
    assert (
        shown(f"CR_{hc.SURNAMES[0]}_Jean_{hc.nir(3)}.csv")
        == "CR_Z******_J***_2 53 ** ** *** *** **.csv"
    )
    assert shown("NOM") == "NOM" and shown("Date naissance") == "Date naissance"
    assert shown("a\x1b[31mb\n") == "a\\x1b[31mb\\n"
    assert shown("export_1985-03-12.csv") == "export_19**-**-**.csv"


def test_cr_only_line_endings_recover_the_records(tmp_path):
    p = tmp_path / "mac.csv"
    body = "\r".join(f"{hc.nir(i)};{hc.SURNAMES[i % 4]}" for i in range(30_000))
    p.write_bytes(f"NIR;NOM\r{body}\r".encode())
    [df] = read_all(p).tables.values()
    assert df.columns == ["column_1", "column_2"] and df.height >= 30_000
    assert set(df["column_2"].drop_nulls().to_list()) >= set(hc.SURNAMES)
    assert df["column_1"].str.contains(r"^\d{15}$").sum() >= 29_900  # a few cut at pieces


def test_csv_stray_quote_never_reaches_the_native_reader(corpus, monkeypatch):
    # Regression: polars' streaming reader followed the open quote to the end of the file
    # and held ever more of it (1.5 GB of RSS on a 178 MB file) before failing.
    monkeypatch.setattr(native_csv.pl, "scan_csv", None)  # the native path must not run
    out = read_all(corpus["csv_stray_quote"])
    [df] = out.tables.values()
    assert df.height == 20_000  # every row after the stray quote is still a row
    assert df.select(pl.all().str.len_bytes().max()).max_horizontal().item() < 100
    assert hc.nir(19_999) in df["NIR"].to_list()


@pytest.mark.parametrize(
    ("text", "bounded"),
    [
        (b"a;b\n1;2\n", True),
        (b'a;b\n"x\ny";z\n1;2\n', True),  # a short quoted newline: fine for polars
        (b'a;b\n"x;1\n2;3\n', False),  # open at the end
        (b'a;b\n"' + b"x;1\n" * 40 + b'"\n', False),  # open over many windows, then closed
        (b'a;b\n"' + b"x;1\n" * 3 + b'"\n' + b"x;1\n" * 40, True),
    ],
)
def test_quotes_bounded(text, bounded):
    assert native_csv.quotes_bounded(text, 64) is bounded
