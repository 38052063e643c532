"""Encoding and delimiter detection: generated tables written and read back equal."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vigile.read.csv_reader import record_boundary
from vigile.read.sniff import detect_encoding, first_row_is_header

from .conftest import read_all

ALPHABET = st.sampled_from(list("abcxyzÉéèàçœ€ô 0123456789-'\";,|\t\n"))
VALUE = st.text(ALPHABET, max_size=12)


@st.composite
def tables(draw):
    ncols = draw(st.integers(2, 6))
    names = [f"col{chr(97 + i)}" for i in range(ncols)]
    rows = draw(st.lists(st.lists(VALUE, min_size=ncols, max_size=ncols), min_size=1, max_size=8))
    return names, rows


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables(),
    st.sampled_from([";", ",", "\t", "|"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_written_tables_read_back_equal(table, delimiter, encoding):
    names, rows = table
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows([names, *rows])
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.csv"
        p.write_bytes(buf.getvalue().encode(encoding))
        out = read_all(p)
        assert not out.errors
        (t,) = out.objects.values()
        assert t.source.delimiter == delimiter
        df = out.tables[str(p)]
    want = pl.DataFrame(
        {n: [r[i] or None for r in rows] for i, n in enumerate(names)},
        schema={n: pl.String for n in names},
    )
    assert df.equals(want)


FRENCH = st.text(st.sampled_from(list("abcdefgh ;,'-éèêàçùôÉÀœ€")), max_size=200)


@given(st.text(max_size=200), FRENCH)
def test_encoding_detection_utf8_and_cp1252(text, french):
    assume(not text.startswith("\ufeff"))  # that text *is* a UTF-8 BOM: utf-8-sig is right
    data = text.encode("utf-8")
    assert detect_encoding(data, complete=True) in ("utf-8", "utf-16-le", "utf-16-be")
    assert detect_encoding(b"\xef\xbb\xbf" + data, complete=True) == "utf-8-sig"
    fr = ("Noël à Besançon " + french).encode("cp1252")
    assert detect_encoding(fr, complete=True) == "cp1252"
    assert detect_encoding(("Noël " + french).encode("utf-8"), complete=True) == "utf-8"


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@given(st.lists(st.lists(VALUE, min_size=1, max_size=4), min_size=1, max_size=6))
def test_record_boundary_matches_csv_quoting(rows):
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    data = buf.getvalue().encode()
    cut = record_boundary(data, first=True)
    first = io.StringIO()
    csv.writer(first, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(rows[0])
    assert cut == len(first.getvalue().encode())
    assert record_boundary(data) == len(data)


def test_header_heuristic():
    assert first_row_is_header(["NOM", "PRENOM", "DATE_NAISSANCE"])
    assert not first_row_is_header(["Zorglub", "12/03/1980"])
    assert not first_row_is_header(["x@example.org", "a"])
    assert not first_row_is_header(["", ""])
