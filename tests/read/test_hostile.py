"""Hostile corpus, generated at test time: every case ends in Tables and/or ReadErrors
naming the file, never another exception, never a hang, nothing written outside temp."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
import zipfile

import pytest

from vigile.read import Limits

from .conftest import read_all, xlsx_bytes

SMALL = Limits(max_ratio=50, ratio_grace_bytes=64 << 10, max_total_uncompressed=8 << 20)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def only_error(out, needle: str) -> None:
    assert not out.tables
    assert len(out.errors) == 1 and needle in out.errors[0].message, out.messages()


def test_truncated_zip(tmp_path):
    p = tmp_path / "cut.zip"
    data = zip_bytes({"a.csv": b"".join(b"%d;%d\n" % (i, i * i) for i in range(5000))})
    p.write_bytes(data[: len(data) // 2])
    out = read_all(p)
    only_error(out, "truncated")
    assert out.errors[0].path == str(p)


def test_zip_bomb_stops_early(tmp_path):
    p = tmp_path / "bomb.zip"
    p.write_bytes(zip_bytes({"zeros.csv": b"0" * (4 << 20), "ok.csv": b"A;B\n1;2\n"}))
    out = read_all(p, SMALL)
    assert any("compression ratio" in e.message for e in out.errors)
    assert list(out.tables) == [f"{p}!ok.csv"]  # the other member still comes


def test_total_uncompressed_limit(tmp_path):
    p = tmp_path / "big.gz"
    p.write_bytes(gzip.compress(os.urandom(1 << 20) * 12))  # incompressible-ish, 12 MiB
    out = read_all(p, Limits(max_total_uncompressed=4 << 20))
    assert any("total uncompressed" in e.message for e in out.errors)


def test_nested_zip_depth_bomb(tmp_path):
    data = zip_bytes({"x.csv": b"A;B\n1;2\n"})
    for i in range(6):
        data = zip_bytes({f"level{i}.zip": data})
    p = tmp_path / "deep.zip"
    p.write_bytes(data)
    out = read_all(p)
    assert not out.tables
    assert any("nested deeper than 3" in e.message for e in out.errors)


def test_path_traversal_and_symlinks(tmp_path):
    before = set(os.listdir(tempfile.gettempdir()))
    z = tmp_path / "evil.zip"
    z.write_bytes(zip_bytes({"../../evil.csv": b"A;B\n1;2\n", "/abs.csv": b"A\n1\n"}))
    out = read_all(z)
    assert not out.tables
    assert all("unsafe member name" in e.message for e in out.errors) and len(out.errors) == 2
    t = tmp_path / "links.tar"
    with tarfile.open(t, "w") as tf:
        link = tarfile.TarInfo("link.csv")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
        hard = tarfile.TarInfo("hard.csv")
        hard.type, hard.linkname = tarfile.LNKTYPE, "link.csv"
        tf.addfile(hard)
        dev = tarfile.TarInfo("dev")
        dev.type = tarfile.CHRTYPE
        tf.addfile(dev)
        ok = tarfile.TarInfo("../up.csv")
        ok.size = 4
        tf.addfile(ok, io.BytesIO(b"A\n1\n"))
    out = read_all(t)
    assert not out.tables
    msgs = [e.message for e in out.errors]
    assert len(msgs) == 4 and sum("link" in m for m in msgs) == 2
    assert any("device" in m for m in msgs) and any("path traversal" in m for m in msgs)
    assert not (tmp_path.parent / "evil.csv").exists() and not (tmp_path / "up.csv").exists()
    leftovers = set(os.listdir(tempfile.gettempdir())) - before
    assert not [n for n in leftovers if n.startswith("vigile-")]


def test_encrypted_zip_entry(tmp_path):
    raw = bytearray(zip_bytes({"secret.csv": b"A;B\n1;2\n"}))
    # Set the "encrypted" flag bit in both the local and central headers.
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = raw.find(sig)
        raw[i + off] |= 1
    p = tmp_path / "enc.zip"
    p.write_bytes(bytes(raw))
    only_error(read_all(p), "encrypted entry, not scanned")


def test_mixed_encodings(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_bytes("NOM;VILLE\nÉlodie;Orléans\n".encode() + "Noël;Besançon\n".encode("cp1252"))
    out = read_all(p)
    (df,) = out.tables.values()
    assert df["NOM"].to_list() == ["Élodie", "Noël"]
    assert any("mixed encodings" in w for w in out.objects[str(p)].warnings)


def test_declared_utf8_bom_then_cp1252(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbfNOM;VILLE\n" + "Noël;Besançon\n".encode("cp1252"))
    (df,) = read_all(p).tables.values()
    assert df.columns == ["NOM", "VILLE"] and df["VILLE"].to_list() == ["Besançon"]


@pytest.mark.parametrize(
    "name,data,needle",
    [
        ("garbage.bin", bytes(range(256)) * 64, "binary data"),
        ("garbage.xlsx", b"\x00\x01\x02\xff" * 1000, "binary data"),
        ("fake.xlsx", b"PK\x03\x04" + b"\x00" * 100, "truncated"),
        ("archive.7z", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 100, "7z"),
        ("archive.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 100, "rar"),
        ("empty.csv", b"", "empty file"),
    ],
)
def test_unreadable_files(tmp_path, name, data, needle):
    p = tmp_path / name
    p.write_bytes(data)
    out = read_all(p)
    only_error(out, needle)
    assert str(out.errors[0]).startswith(str(p))


def test_truncated_gzip_keeps_readable_part(tmp_path):
    body = b"A;B\n" + b"".join(b"%d;x\n" % i for i in range(20000))
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(gzip.compress(body)[:-2000])
    out = read_all(p)
    assert any("truncated" in e.message for e in out.errors)
    (df,) = out.tables.values()
    assert 0 < df.height < 20000


def test_one_megabyte_line_and_nul_bytes(tmp_path):
    p = tmp_path / "long.log"
    p.write_bytes(b"x" * (1 << 20) + b"\nfin\x00de\x00ligne\n")
    out = read_all(p, Limits(max_line_bytes=256 << 10))
    (df,) = out.tables.values()
    lines = df["line"].to_list()
    # The long line comes in pieces of max_field_bytes, none lost; the short one whole.
    assert lines[-1] == "fin\x00de\x00ligne"
    assert "".join(lines[:-1]) == "x" * (1 << 20)
    assert max(map(len, lines)) <= Limits().max_field_bytes


def test_csv_record_over_limit_is_cut_not_fatal(tmp_path):
    p = tmp_path / "q.csv"
    p.write_bytes(b'A;B\n1;"' + b"y\n" * 200_000 + b"\n")  # unterminated quote
    out = read_all(p, Limits(max_line_bytes=64 << 10))
    assert not out.errors
    assert out.objects[str(p)].warnings


def test_xlsx_bomb_checked_before_calamine(tmp_path):
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"S": [["A"], ["x"]]})))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in good.infolist():
            z.writestr(info.filename, good.read(info))
        z.writestr("xl/media/pad.bin", b"\x00" * (4 << 20))
    p = tmp_path / "bomb.xlsx"
    p.write_bytes(buf.getvalue())
    only_error(read_all(p, SMALL), "compression ratio")


def test_first_row_far_longer_than_the_header_with_broken_quotes(tmp_path):
    # Found by hypothesis: unquoted, the first row had more fields than the header plus
    # the extra columns, and polars refused the whole block.
    p = tmp_path / "long_row.csv"
    p.write_bytes(b";;;\n" + b'";";";";";";";;"\n' + b'"a";"b' + b";" * 30 + b"\n")
    out = read_all(p)
    assert not out.errors, out.messages()
    [df] = out.tables.values()
    assert df.width == 4 and df.height >= 1
