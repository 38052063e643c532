"""Fuzz: random and mutated files only ever produce Tables and ReadErrors, and end."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigile.read import Limits

from .conftest import read_all, xlsx_bytes

LIMITS = Limits(max_ratio=50, ratio_grace_bytes=64 << 10, max_total_uncompressed=16 << 20)
CSV = 'NOM;PRENOM;NOTE\nZorglub;Albertine;"a;b"\nQuux;Noël;x\n'.encode()


def _zip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.csv", data)
        z.writestr("b.json", json.dumps([{"a": {"b": 1}}]))
    return buf.getvalue()


def _tar(data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("a.csv")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


BASES = {
    ".csv": CSV,
    ".zip": _zip(CSV),
    ".gz": gzip.compress(CSV),
    ".tgz": _tar(CSV),
    ".json": json.dumps({"rows": [{"a": 1, "b": {"c": "x"}}, {"a": 2}]}).encode(),
    ".ndjson": b'{"a": 1}\n{"a": {"b": [1]}}\n',
    ".sql": b"CREATE TABLE t (a int, b text);\nINSERT INTO t VALUES (1,'x'),(2,'y''z');\n"
    b"COPY t (a, b) FROM stdin;\n3\tw\n\\.\n",
    ".xlsx": xlsx_bytes({"S": [["A", "B"], ["x", 1]]}),
}

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        out = read_all(p, LIMITS)
        for e in out.errors:
            assert e.path.startswith(str(p)) and e.message


@FUZZ
@given(st.sampled_from(sorted(BASES)), st.binary(max_size=2000))
def test_random_bytes(ext, data):
    _run("f" + ext, data)


@FUZZ
@given(
    st.sampled_from(sorted(BASES)),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_mutated_valid_files(ext, flips, cut):
    data = bytearray(BASES[ext])
    for pos, val in flips:
        data[pos % len(data)] = val
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _run("f" + ext, bytes(data))
