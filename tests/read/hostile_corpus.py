"""The hostile corpus: files an attacker campaign used against the read layer, rebuilt
from code (synthetic values only). `build(dest, full=False)` writes them all; the tests
use the small forms, `benchmarks/bench_hostile.py` the full-size ones.

Each case is named after what it attacks; `CASES` says what a scan of it must show.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

MiB = 1 << 20


def nir(i: int) -> str:
    """A valid synthetic NIR (key included), different for each i."""
    sex = 1 + i % 2
    body = f"{sex}{50 + i % 50:02d}{1 + i % 12:02d}{1 + i % 95:02d}{i % 1000:03d}{i // 1000 % 1000:03d}"
    return body + f"{97 - int(body) % 97:02d}"


def phone(i: int) -> str:
    return f"06{i % 100_000_000:08d}"


SURNAMES = ("ZORGLUB", "QUUXELIN", "BAZINOT", "FOOBERT")
FIRST = ("Albertine", "Gaspard", "Noémie", "Théophile")


def leak_csv(rows: int, sep: str = ";") -> bytes:
    """A small leak: NIR, surname, first name, phone."""
    lines = [sep.join(("NIR", "NOM", "PRENOM", "TEL"))]
    for i in range(rows):
        lines.append(sep.join((nir(i), SURNAMES[i % 4], FIRST[i % 4], phone(i))))
    return ("\n".join(lines) + "\n").encode()


# -- workbooks ---------------------------------------------------------------------------


def xlsx_bytes(
    sheets: dict[str, list[list[object]]], extra_cells: dict[str, str] | None = None
) -> bytes:
    """A minimal xlsx (inline strings and numbers). `extra_cells` maps a sheet name to raw
    `<row>` XML appended to its sheetData (for far references)."""
    extra_cells = extra_cells or {}
    buf = io.BytesIO()
    ns = "http://schemas.openxmlformats.org"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            f'officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        sheet_xml = "".join(
            f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, n in enumerate(sheets, 1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main"'
            f' xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>{sheet_xml}</sheets>'
            "</workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{ns}/officeDocument/2006/relationships/worksheet"'
            f' Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/'
            f'relationships">{rels}</Relationships>',
        )
        for i, (name, rows) in enumerate(sheets.items(), 1):
            xml_rows = []
            for r, row in enumerate(rows, 1):
                cells = []
                for c, v in enumerate(row):
                    ref = f"{chr(65 + c)}{r}"
                    if v is None:
                        continue
                    if isinstance(v, int | float):
                        cells.append(f'<c r="{ref}"><v>{v}</v></c>')
                    else:
                        cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
                xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
            z.writestr(
                f"xl/worksheets/sheet{i}.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}/spreadsheetml/'
                f'2006/main"><sheetData>{"".join(xml_rows)}{extra_cells.get(name, "")}'
                "</sheetData></worksheet>",
            )
    return buf.getvalue()


def with_dimension(book: bytes, ref: str) -> bytes:
    """`book` with a `<dimension ref=...>` element in its first sheet (what a writer
    declares as the used range; a reader that trusts it allocates that rectangle)."""
    src = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", f'<dimension ref="{ref}"/><sheetData>'.encode())
            z.writestr(info, data)
    return out.getvalue()


def leak_sheet(rows: int) -> list[list[object]]:
    return [["NIR", "NOM", "PRENOM"]] + [
        [nir(i), SURNAMES[i % 4], FIRST[i % 4]] for i in range(rows)
    ]


def far_cell(ref: str) -> str:
    row = "".join(ch for ch in ref if ch.isdigit())
    return f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods_bytes(content: str, manifest: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        if manifest:
            z.writestr(
                "META-INF/manifest.xml",
                '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:'
                'oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
                '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
            )
        z.writestr("content.xml", content)
    return buf.getvalue()


def ods_table(name: str, rows_xml: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="{name}">{rows_xml}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )


def ods_row(*values: str) -> str:
    cells = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p>'
        "</table:table-cell>"
        for v in values
    )
    return f"<table:table-row>{cells}</table:table-row>"


def ods_leak(rows: int) -> str:
    return "".join(
        [ods_row("NIR", "NOM")] + [ods_row(nir(i), SURNAMES[i % 4]) for i in range(rows)]
    )


# -- the corpus --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    file: str | bytes  # file name (bytes: not valid UTF-8)
    build: Callable[[bool], bytes]  # full size or not -> content
    expect: str  # what a scan must show


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _zero_members(full: bool) -> bytes:
    n, size = (3000, MiB) if full else (200, 64 << 10)
    buf = io.BytesIO()
    zeros = b"\0" * size
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(n):
            z.writestr(f"part{i:04d}.bin", zeros)
        z.writestr("zz_leak.csv", leak_csv(20))
    return buf.getvalue()


def _parquet(full: bool) -> bytes:
    import polars as pl

    n = 20_000 if full else 50
    buf = io.BytesIO()
    pl.DataFrame(
        {"NIR": [nir(i) for i in range(n)], "NOM": [SURNAMES[i % 4] for i in range(n)]}
    ).write_parquet(buf)
    return buf.getvalue()


def _single_line(full: bool) -> bytes:
    size = 190 * MiB if full else 4 * MiB
    unit = ";".join(nir(i) for i in range(8)).encode() + b";"
    return b"NIR;NOM\n" + unit * (size // len(unit)) + b"\n"


def _stray_quote(full: bool) -> bytes:
    """A leak whose 3rd record opens a quote never closed: in RFC 4180 the rest of the file
    is one field (a parser that follows it holds the whole file as one value)."""
    rows = 2_000_000 if full else 20_000
    body = leak_csv(rows)
    head, sep, rest = body.partition(b"\n")
    lines = rest.split(b"\n", 3)
    lines[2] = b'"' + lines[2]
    return head + sep + b"\n".join(lines)


def _single_line_text(full: bool) -> bytes:
    size = 190 * MiB if full else 4 * MiB
    unit = (" patient " + nir(3) + " tel " + phone(3)).encode()
    return unit * (size // len(unit))


def _sql_unterminated(full: bool) -> bytes:
    rows = "".join(
        f"INSERT INTO patients VALUES ('{nir(i)}', '{SURNAMES[i % 4]}', '{phone(i)}');\n"
        for i in range(200)
    )
    return (
        "-- PostgreSQL database dump\nCREATE TABLE patients (nir text, nom text, tel text);\n"
        "INSERT INTO patients VALUES ('" + nir(999) + "', 'O'Brien', 'x');\n" + rows
    ).encode()


def _sql_dollar(full: bool) -> bytes:
    return (
        "-- PostgreSQL database dump\nSET standard_conforming_strings = on;\n"
        "CREATE FUNCTION f() RETURNS void AS $body$\nBEGIN\n"
        "  INSERT INTO phantom VALUES ('not', 'a row');\nEND $body$ LANGUAGE plpgsql;\n"
        "CREATE TABLE notes (nir text, note text);\n"
        + "".join(
            f"INSERT INTO notes VALUES ('{nir(i)}', $$l'avis du Dr {SURNAMES[i % 4]}: $1 ok$$);\n"
            for i in range(50)
        )
    ).encode()


def _ndjson_nir_keys(full: bool) -> bytes:
    return "".join(
        json.dumps({nir(i): {"nom": SURNAMES[i % 4], "tel": phone(i)}}) + "\n" for i in range(278)
    ).encode()


def _json_id_keys(full: bool) -> bytes:
    n = 50_000 if full else 2_000
    return json.dumps(
        {"patients": {nir(i): {"nom": SURNAMES[i % 4], "prenom": FIRST[i % 4]} for i in range(n)}}
    ).encode()


def _named_values(full: bool) -> bytes:
    member = f"CR_{SURNAMES[0]}_{FIRST[0]}_{nir(7)}.csv"
    header = f"NOM;{phone(5)};{nir(6)}\nx;y;z\n".encode()
    book = xlsx_bytes({nir(8): leak_sheet(5)})
    return _zip({member: leak_csv(10), f"tel_{phone(9)}.csv": header, "classeur.xlsx": book})


CASES: tuple[Case, ...] = (
    Case("glob_name", "fuite [2021] *?.csv", lambda full: leak_csv(20_000 if full else 50),
         "every row read (polars would have expanded the name as a glob)"),
    Case("glob_name_parquet", "fuite [2021] *?.parquet", _parquet,
         "every row read (the file is handed to pyarrow open, never by name)"),
    Case("non_utf8_name", b"fuite_\xe9t\xe9.csv", lambda full: leak_csv(50),
         "rows read; the name shown with \\xe9, the JSON report valid UTF-8"),
    Case("terminal_escapes_name", "rapport\x1b[2J\x1b[31m\n\u202etxt.csv",
         lambda full: leak_csv(50), "the name shown escaped, no raw ESC or newline"),
    Case("values_in_names", f"CR_{SURNAMES[1]}_{FIRST[1]}_{nir(1)}.zip", _named_values,
         "no NIR or phone of a file, member, sheet or column name in any output"),
    Case("ndjson_keyed_by_nir", "patients.ndjson", _ndjson_nir_keys,
         "278 rows, the NIRs in a `key` column (masked), none as a column name"),
    Case("json_keyed_by_ids", "patients.json", _json_id_keys, "one row per key, not a column"),
    Case("xlsx_corner_cell", "dimension.xlsx",
         lambda full: xlsx_bytes({"S": leak_sheet(5), "T": leak_sheet(5)},
                                 {"S": far_cell("XFD1048576")}),
         "sheet S refused (not read), sheet T read; the process survives"),
    Case("xlsx_dimension", "dimension_ref.xlsx",
         lambda full: with_dimension(xlsx_bytes({"S": leak_sheet(5)}), "A1:XFD1048576"),
         "a declared dimension of 17 G cells is not trusted: the 5 rows are read"),
    Case("xlsx_far_cell", "far.xlsx",
         lambda full: xlsx_bytes({"S": leak_sheet(5)}, {"S": far_cell("XFD20000")}),
         "sheet refused, reported as not read"),
    Case("ods_malformed", "cassé.ods",
         lambda full: ods_bytes(ods_table("S", ods_leak(20))[:-60], manifest=False),
         "reported as not read; never 'No sensitive data found'"),
    Case("ods_repeat_bomb", "repeat.ods",
         lambda full: ods_bytes(ods_table(
             "S", ods_row("NIR") + '<table:table-row table:number-rows-repeated="1048576">'
             '<table:table-cell table:number-columns-repeated="90" office:value-type="string">'
             "<text:p>x</text:p></table:table-cell></table:table-row>")),
         "sheet refused before calamine (94 M cells)"),
    Case("sql_unterminated_string", "dump.sql", _sql_unterminated,
         "reported as not fully read; the dump also read as text, its NIRs found"),
    Case("sql_dollar_quoting", "dollar.sql", _sql_dollar,
         "no phantom table from a function body; dollar-quoted values intact"),
    Case("csv_single_line", "une_ligne.csv", _single_line,
         "read in pieces, never a giant record for polars; bounded memory and time"),
    Case("csv_stray_quote", "guillemet.csv", _stray_quote,
         "the rows after the stray quote still read; bounded memory (never one giant field)"),
    Case("text_single_line", "une_ligne.log", _single_line_text, "read in pieces"),
    Case("zip_zero_members", "zeros.zip", _zero_members,
         "stopped early by the ratio over the archive's members"),
)  # fmt: skip


def build(dest: Path, full: bool = False, only: set[str] | None = None) -> dict[str, Path]:
    """Write the corpus under `dest` (one folder per case); returns case name -> file."""
    out: dict[str, Path] = {}
    for case in CASES:
        if only and case.name not in only:
            continue
        folder = dest / case.name
        folder.mkdir(parents=True, exist_ok=True)
        name = case.file
        path_bytes = (
            os.fsencode(folder) + b"/" + (name if isinstance(name, bytes) else name.encode())
        )
        with open(path_bytes, "wb") as f:
            f.write(case.build(full))
        out[case.name] = Path(os.fsdecode(path_bytes))
    return out
