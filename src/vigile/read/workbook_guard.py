"""Checks on a zipped workbook (xlsx, xlsm, xlsb, ods) before calamine sees it.

calamine allocates a sheet as one rectangle from its top-left to its bottom-right cell:
a 2 KB xlsx with a cell at XFD1048576 asks for 512 GiB, one at XFD20000 for 10 GiB.
So every member is stream-decompressed first (discarding the output) under the archive
limits, and the cell references of each worksheet are read here: a sheet whose cells
span more than `Limits.max_sheet_cells` is refused (the other sheets are read).

The fast pass reads worksheet XML with two byte-level regexes per chunk: the row numbers
of `<row r=...>`, then every cell tag that is not the regular `<c r="A12"` (one-letter
column, a row of no more digits than the rows seen): on an ordinary sheet that second
pass matches almost nothing, so it costs a fraction of calamine's own parse; each tag
it does match is examined (reference read whatever its spelling). A sheet it cannot
bound (cells without a reference) or finds too large gets an exact pass: a streaming,
entity-free XML parse (defusedxml) that counts only cells holding a value, as calamine
does. ODS sheets (repetition counts, no references) get the exact pass when they repeat
anything more than a few times. Whatever slips past (a hostile spelling calamine reads
and this does not) still only ends the isolated reader (`vigile.read.isolate`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from vigile.read.errors import ReadError, safe_message
from vigile.read.limits import Budget, Meter

COPY_CHUNK = 1 << 20
SCAN_CHUNK = 16 << 20  # worksheet XML is examined in chunks of this size
SMALL_XML = 16 << 20  # workbook.xml and its relationships must fit (they are tiny)
ODS_REPEAT_CHECK = 1000  # an ODS repeating rows or cells more often gets the exact pass

_ODS_REPEAT = re.compile(rb'number-(?:rows|columns)-repeated="(\d+)"')
_ROOT = re.compile(rb"<(\w+:)?worksheet[\s>]")
_TAG_REF = re.compile(rb"""\sr\s*=\s*["']\s*([A-Za-z]{1,4})\s*(\d{1,12})\s*["']""")
_TAG_END = (b" ", b">", b"/", b"\t", b"\n", b"\r")


@cache
def _row_regex(prefix: bytes) -> re.Pattern[bytes]:
    return re.compile(b"<" + re.escape(prefix) + rb'row [^>]*?r="(\d+)"')


@cache
def _cell_regex(prefix: bytes, rows: str) -> re.Pattern[bytes]:
    """Cell tags other than the regular `<c r="A12"` with a one-letter column and a row
    matching `rows` (`<col`, `<cfRule`... tags too, told apart afterwards)."""
    return re.compile(b"<" + re.escape(prefix) + rb'c(?! r="[A-Z](?:' + rows.encode() + rb')")')


def _at_most_digits(n: int) -> str:
    """Numbers written with no more digits than `n`."""
    return rf"\d{{1,{len(str(n))}}}"


def _at_most(n: int) -> str:
    """A regex for the decimal numbers from 0 to `n` (written without leading zeros)."""
    s = str(n)
    k = len(s)
    alts = [rf"\d{{1,{k - 1}}}"] if k > 1 else []
    for i, ch in enumerate(s):
        lo = 1 if i == 0 and k > 1 else 0
        if int(ch) - 1 >= lo:
            alts.append(rf"{s[:i]}[{lo}-{int(ch) - 1}]\d{{{k - i - 1}}}")
    alts.append(s)
    return "|".join(alts)


def column_number(letters: str | bytes) -> int:
    n = 0
    for c in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        n = n * 26 + ord(c) - 64
    return n


@dataclass
class _SheetBounds:
    """A fast pass over one worksheet's XML. With `exact`, one-letter references are
    compared with the greatest row number seen; otherwise only with its digit count, and
    the rectangle's height is bounded by the largest number of that many digits."""

    exact: bool = False
    prefix: bytes | None = None  # namespace prefix of SpreadsheetML elements ("x:")
    max_row: int = 0  # greatest row number seen (row elements, examined references)
    max_col: int = 0  # greatest column of the examined references
    unbounded: bool = False  # a cell without a readable reference
    cells: bool = False
    carry: bytes = b""

    def feed(self, data: bytes, final: bool = False) -> None:
        buf = self.carry + data if self.carry else data
        cut = len(buf) if final else buf.rfind(b"<")  # tags never contain '<': none is cut
        if cut <= 0:
            self.carry = buf
            return
        chunk, self.carry = (buf, b"") if cut == len(buf) else (buf[:cut], buf[cut:])
        if self.prefix is None:
            m = _ROOT.search(chunk)
            self.prefix = (m[1] or b"") if m else b""
        p = self.prefix
        rows = _row_regex(p).findall(chunk)  # first: these rows' cells are regular
        if rows:
            self.max_row = max(self.max_row, max(map(int, rows)))
        self.cells = self.cells or b"<" + p + b"c " in chunk
        regular = _at_most(self.max_row) if self.exact else _at_most_digits(self.max_row)
        after = len(p) + 2
        for m in _cell_regex(p, regular).finditer(chunk):
            start = m.start()
            if chunk[start + after : start + after + 1] not in _TAG_END:
                continue  # <cols>, <cfRule>...: not a cell
            self.cells = True
            end = chunk.find(b">", start)
            ref = _TAG_REF.search(chunk, start, end if end >= 0 else len(chunk))
            if ref is None:
                self.unbounded = True  # placed after the previous cell: the exact pass
                continue
            self.max_col = max(self.max_col, column_number(ref[1]))
            self.max_row = max(self.max_row, int(ref[2]))

    def bound(self) -> int | None:
        """Upper bound of the rectangle's cells, or None when it cannot be bounded."""
        if self.unbounded:
            return None
        if not self.cells:
            return 0
        rows = self.max_row if self.exact else 10 ** len(str(self.max_row)) - 1
        return max(rows, self.max_row) * max(self.max_col, 26)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _iterparse(src) -> Iterator[tuple[str, object]]:
    from defusedxml.ElementTree import iterparse

    return iterparse(src, events=("start", "end"), forbid_dtd=True)


def exact_xlsx_cells(src) -> tuple[int, int]:
    """(rows, columns) of the rectangle calamine would allocate for this worksheet XML:
    from A1 to the farthest cell holding a value (cells without a reference follow the
    previous one, as in calamine)."""
    row = col = 0
    max_row = max_col = 0
    has_value = False
    parent = None
    for event, el in _iterparse(src):
        name = _local(el.tag)
        if event == "start":
            if name == "sheetData":
                parent = el
            elif name == "row":
                r = el.get("r")
                row = int(r) if r and r.isdigit() else row + 1
                col = 0
            elif name == "c":
                ref = el.get("r")
                m = re.fullmatch(r"\s*([A-Za-z]{1,4})\s*(\d+)\s*", ref or "")
                if m:
                    col, row = column_number(m[1]), int(m[2])
                else:
                    col += 1
                has_value = False
            elif name in ("v", "is"):
                has_value = True
        elif name == "c":
            if has_value:
                max_row, max_col = max(max_row, row), max(max_col, col)
            el.clear()
        elif name == "row" and parent is not None:
            parent.clear()
    return max_row, max_col


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def exact_ods_cells(src) -> dict[str, tuple[int, int]]:
    """Per ODS table: (rows, columns) from the first cell to the farthest holding a value,
    repetitions counted."""
    out: dict[str, tuple[int, int]] = {}
    name = None
    row = col = 0
    row_rep = 1
    row_has = False
    row_max_col = 0
    max_row = max_col = 0
    depth_cell = 0
    cell_has = False
    cell_rep = 1
    for event, el in _iterparse(src):
        tag = _local(el.tag)
        if event == "start":
            if tag == "table" and depth_cell == 0:
                name = el.get(f"{{{_ODS_TABLE}}}name") or ""
                row = 0
                max_row = max_col = 0
            elif tag == "table-row" and depth_cell == 0:
                row_rep = int(el.get(f"{{{_ODS_TABLE}}}number-rows-repeated") or 1)
                col = 0
                row_has = False
                row_max_col = 0
            elif tag in ("table-cell", "covered-table-cell"):
                depth_cell += 1
                if depth_cell == 1:
                    cell_rep = int(el.get(f"{{{_ODS_TABLE}}}number-columns-repeated") or 1)
                    cell_has = el.get(f"{{{_ODS_OFFICE}}}value-type") is not None
            elif depth_cell and tag == "p":
                cell_has = True
        else:
            if tag in ("table-cell", "covered-table-cell"):
                if depth_cell == 1:
                    col += cell_rep
                    if cell_has:
                        row_has = True
                        row_max_col = col
                depth_cell -= 1
                el.clear()
            elif tag == "table-row" and depth_cell == 0:
                row += row_rep
                if row_has:
                    max_row, max_col = row, max(max_col, row_max_col)
                el.clear()
            elif tag == "table" and depth_cell == 0 and name is not None:
                out[name] = (max_row, max_col)
                el.clear()
    return out


def _sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """xlsx worksheet member -> sheet name, from workbook.xml and its relationships."""
    from defusedxml.ElementTree import fromstring

    def small(name: str) -> bytes | None:
        try:
            info = zf.getinfo(name)
        except KeyError:
            return None
        if info.file_size > SMALL_XML:
            return None
        with zf.open(info) as f:
            return f.read(SMALL_XML + 1)[:SMALL_XML]

    wb, rels = small("xl/workbook.xml"), small("xl/_rels/workbook.xml.rels")
    if wb is None or rels is None:
        return {}
    targets = {}
    for el in fromstring(rels, forbid_dtd=True).iter():
        if _local(el.tag) == "Relationship" and el.get("Id") and el.get("Target"):
            target = el.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[el.get("Id")] = str(PurePosixPath(path))
    out = {}
    for el in fromstring(wb, forbid_dtd=True).iter():
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            if rid in targets:
                out[targets[rid]] = el.get("name", "")
    return out


@dataclass
class WorkbookCheck:
    """Sheets refused (raw name -> reason)."""

    refused: dict[str, str] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)  # every ODS table, when they were read


def check_workbook(path: Path, fmt: str, display: str, budget: Budget) -> WorkbookCheck:
    """Stream-decompress every member under the limits and bound every sheet's cells.
    Raises ReadError when the whole workbook must not be opened."""
    limit = budget.limits.max_sheet_cells
    result = WorkbookCheck()
    try:
        with zipfile.ZipFile(path) as zf:
            meter = Meter()
            bounds: dict[str, _SheetBounds] = {}
            ods_repeats = 0
            for info in zf.infolist():
                budget.add_entry(f"{display}!{info.filename}")
                if info.flag_bits & 0x1:
                    raise ReadError(display, "encrypted workbook, not scanned")
                sheet = fmt in ("xlsx", "xlsm") and re.fullmatch(
                    r"xl/worksheets/[^/]+\.xml", info.filename
                )
                content = fmt == "ods" and info.filename == "content.xml"
                sb = bounds.setdefault(info.filename, _SheetBounds()) if sheet else None
                produced = 0
                with zf.open(info) as src:
                    while chunk := src.read(SCAN_CHUNK if sheet or content else COPY_CHUNK):
                        produced += len(chunk)
                        consumed = info.compress_size - getattr(src, "_compress_left", 0)
                        budget.add_bytes(display, len(chunk), produced, consumed, meter)
                        if sb is not None:
                            sb.feed(chunk)
                        elif content:
                            reps = _ODS_REPEAT.findall(chunk)
                            ods_repeats = max(ods_repeats, max(map(int, reps), default=0))
                if sb is not None:
                    sb.feed(b"", final=True)
                meter.close_member(produced, info.compress_size)
            if fmt in ("xlsx", "xlsm"):
                names = None
                for member, sb in bounds.items():
                    cells = sb.bound()
                    if cells is not None and cells <= limit:
                        continue
                    if cells is not None:  # again, rows compared exactly
                        exact = _SheetBounds(exact=True)
                        with zf.open(member) as src:
                            while chunk := src.read(SCAN_CHUNK):
                                exact.feed(chunk)
                        exact.feed(b"", final=True)
                        cells = exact.bound()
                        if cells is not None and cells <= limit:
                            continue
                    with zf.open(member) as src:
                        rows, cols = exact_xlsx_cells(src)
                    if rows * cols <= limit:
                        continue
                    names = _sheet_members(zf) if names is None else names
                    if member not in names:
                        raise ReadError(display, _too_large(rows, cols, limit, "a sheet"))
                    result.refused[names[member]] = _too_large(rows, cols, limit)
            elif fmt == "ods" and ods_repeats > ODS_REPEAT_CHECK:
                with zf.open("content.xml") as src:
                    for name, (rows, cols) in exact_ods_cells(src).items():
                        result.sheets.append(name)
                        if rows * cols > limit:
                            result.refused[name] = _too_large(rows, cols, limit)
    except ReadError:
        raise
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        NotImplementedError,
        ValueError,
        KeyError,
    ) as exc:
        raise ReadError(display, f"corrupt or truncated workbook ({type(exc).__name__})") from None
    except SyntaxError:  # xml.etree.ElementTree.ParseError and defusedxml's refusals
        raise ReadError(display, "malformed workbook XML") from None
    except Exception as exc:
        raise ReadError(display, f"corrupt workbook ({safe_message(exc)})") from None
    return result


def _too_large(rows: int, cols: int, limit: int, what: str = "the sheet") -> str:
    return f"{what} spans {rows:,} rows x {cols:,} columns, more than {limit:,} cells; not read"
