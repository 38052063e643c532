"""Guessing a file's format, text encoding, delimiter and header from a sample."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

SAMPLE_BYTES = 256 << 10
DELIMITERS = (";", "\t", ",", "|")

# (magic, offset, format). Checked before extensions.
MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"PK\x03\x04", 0, "zip"),
    (b"PK\x05\x06", 0, "zip"),
    (b"\x1f\x8b", 0, "gzip"),
    (b"BZh", 0, "bz2"),
    (b"\xfd7zXZ\x00", 0, "xz"),
    (b"PAR1", 0, "parquet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "xls"),
    (b"ustar", 257, "tar"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7z"),
    (b"Rar!\x1a\x07", 0, "rar"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd"),
    (b"SQLite format 3\x00", 0, "sqlite"),
    (b"%PDF-", 0, "pdf"),
    (b"MSCF", 0, "cab"),
    (b"\x04\x22\x4d\x18", 0, "lz4"),
    (b"ARROW1", 0, "arrow"),
)
UNSUPPORTED = {"7z", "rar", "zstd", "sqlite", "pdf", "cab", "lz4", "arrow"}

SQL_START = re.compile(
    r"^\s*(--|/\*|(CREATE|INSERT|DROP|SET|COPY|BEGIN|LOCK|USE|ALTER|START)\b)", re.I
)
SQL_BODY = re.compile(r"\b(INSERT\s+INTO|CREATE\s+TABLE|COPY\s+\S+[^;]*\bFROM\s+stdin)", re.I)
DATA_LIKE = re.compile(r"^[\d\s.,:/+\-]*\d[\d\s.,:/+\-]*$|@")
_UTF8_SEQ = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class TextInfo:
    encoding: str
    text: str  # decoded sample (may end mid-record)
    complete: bool  # the sample is the whole file


def read_sample(path: Path, n: int = SAMPLE_BYTES) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def magic_format(sample: bytes) -> str | None:
    for magic, offset, fmt in MAGIC:
        if sample[offset : offset + len(magic)] == magic:
            return fmt
    return None


def zip_flavour(path: Path) -> str:
    """xlsx / xlsb / ods, or plain zip. Raises zipfile.BadZipFile when truncated."""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            return "xlsb"
        if "mimetype" in names and "content.xml" in names:
            with zf.open("mimetype") as m:
                if b"opendocument.spreadsheet" in m.read(100):
                    return "ods"
    return "zip"


def detect_encoding(sample: bytes, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = len(sample) // 2
        if odd > 0.3 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.3 * half and odd < 0.05 * half:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Mixed files (UTF-8 with some cp1252 lines) stay UTF-8 when most non-ASCII bytes form
    # valid UTF-8 sequences; the readers decode the invalid ones as cp1252.
    valid = sum(len(m) for m in _UTF8_SEQ.findall(sample))
    high = _high(sample)
    if valid > high - valid:
        return "utf-8"
    # French LIS exports are mostly cp1252; latin-1 differs only in 0x80-0x9F.
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _high(sample: bytes) -> int:
    return len(sample) - len(sample.translate(None, bytes(range(0x80, 0x100))))


def decode_sample(sample: bytes, complete: bool) -> TextInfo:
    enc = detect_encoding(sample, complete)
    text = codecs.getincrementaldecoder(enc)(errors="replace").decode(sample, final=complete)
    if enc == "utf-8-sig":
        text = text.lstrip("\ufeff")
    return TextInfo(enc, text, complete)


def looks_binary(text: str) -> bool:
    if not text:
        return False
    sample = text[:65536]
    return len(CONTROL.findall(sample)) > 0.05 * len(sample)


def _records(text: str, complete: bool, limit: int = 200) -> list[str]:
    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # probably cut in the middle
    return lines[:limit]


@dataclass(frozen=True)
class Dialect:
    delimiter: str | None  # None: no delimiter found
    consistency: float  # share of records having the modal field count
    fields: int  # modal field count
    records: int


def detect_delimiter(text: str, complete: bool) -> Dialect:
    lines = _records(text, complete)
    best = Dialect(None, 0.0, 1, len(lines))
    if not lines:
        return best
    sample = "\n".join(lines)
    for delim in DELIMITERS:
        counts: dict[int, int] = {}
        n = 0
        try:
            for row in csv.reader(io.StringIO(sample), delimiter=delim, quotechar='"'):
                if row:
                    counts[len(row)] = counts.get(len(row), 0) + 1
                    n += 1
        except csv.Error:
            continue
        if not n:
            continue
        mode = max(counts, key=lambda k: (counts[k], k))
        if mode < 2:
            continue
        cand = Dialect(delim, counts[mode] / n, mode, n)
        if (round(cand.consistency, 1), cand.fields) > (round(best.consistency, 1), best.fields):
            best = cand
    return best


def is_tabular(d: Dialect) -> bool:
    return d.delimiter is not None and d.consistency >= 0.9 and (d.records >= 2 or d.fields >= 3)


def first_row_is_header(first: list[str]) -> bool:
    """A header has no cell that looks like a value (number, date, e-mail)."""
    cells = [c.strip() for c in first]
    if not any(cells):
        return False
    return not any(DATA_LIKE.search(c) for c in cells if c)


def text_format(path: Path, info: TextInfo) -> str:
    """csv / json / ndjson / sql / text for a file already known to be text."""
    ext = path.suffix.lower()
    head = info.text.lstrip("\ufeff \t\r\n")
    if ext in (".ndjson", ".jsonl"):
        return "ndjson"
    if head[:1] in ("[", "{") or ext == ".json":
        first_line = head.split("\n", 1)[0].strip()
        if ext != ".json" and first_line.startswith("{") and first_line.endswith("}"):
            rest = head.split("\n", 1)[1].lstrip() if "\n" in head else ""
            if rest[:1] == "{" or not rest:
                return "ndjson"
        return "json"
    if ext == ".sql" or (SQL_START.match(head) and SQL_BODY.search(head)):
        return "sql"
    dialect = detect_delimiter(info.text, info.complete)
    if ext in (".csv", ".tsv", ".psv", ".tab"):
        return "csv"
    return "csv" if is_tabular(dialect) else "text"
