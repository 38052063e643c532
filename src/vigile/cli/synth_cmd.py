"""`vigile synth`: synthetic lab exports and patient databases (never real data)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from .app import app, console, fail


class Encoding(StrEnum):
    utf8 = "utf-8"
    utf8sig = "utf-8-sig"
    cp1252 = "cp1252"


class HeaderStyle(StrEnum):
    lis = "lis"
    verbose = "verbose"
    english = "english"
    meaningless = "meaningless"


class NirLayout(StrEnum):
    full = "full"
    split = "split"
    both = "both"
    none = "none"


class Fields(StrEnum):
    standard = "standard"
    full = "full"


SEPARATORS = {
    "semicolon": ";",
    "comma": ",",
    "tab": "\t",
    "pipe": "|",
    ";": ";",
    ",": ",",
    "|": "|",
}


@app.command()
def synth(
    out: Path = typer.Argument(
        ..., help="Export file to write (.csv); ground truth goes beside it."
    ),
    rows: int = typer.Option(10_000, min=1, help="Rows (one per lab sample)."),
    persons: int | None = typer.Option(
        None, min=1, help="Distinct patients (default: derived from rows)."
    ),
    seed: int = typer.Option(0, help="Random seed: same seed, same file."),
    encoding: Encoding = typer.Option(Encoding.utf8, help="Text encoding of the export."),
    separator: str = typer.Option("semicolon", help="semicolon, comma, tab or pipe."),
    header_style: HeaderStyle = typer.Option(HeaderStyle.lis, help="Column naming style."),
    nir: NirLayout = typer.Option(
        NirLayout.full, help="NIR as one field, split in 13 digits + key, both, or none."
    ),
    fields: Fields = typer.Option(
        Fields.full, help="standard (~35 fields) or full (~55, like the 2021 file)."
    ),
    patients: Path | None = typer.Option(
        None, help="Also write the controller's patient database here (.csv or .parquet)."
    ),
    patients_size: int | None = typer.Option(
        None, min=1, help="Persons in the patient database (default 3x the leak's)."
    ),
) -> None:
    """Generate a realistic synthetic French medical-lab export, with its ground truth."""
    from ..synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db

    if separator not in SEPARATORS:
        fail(f"unknown separator {separator!r}: use semicolon, comma, tab or pipe")
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = ExportSpec(
        rows=rows,
        persons=persons,
        seed=seed,
        encoding=encoding.value,
        separator=SEPARATORS[separator],
        header_style=header_style.value,
        nir=nir.value,
        fields=fields.value,
    )
    with console.status("generating export…"):
        truth = generate_lab_export(spec, out)
    console.print(
        f"wrote {out}: {truth.rows:,} rows, {truth.persons:,} persons (truth in {out}.truth.json)"
    )
    if patients:
        size = patients_size or 3 * truth.persons
        with console.status("generating patient database…"):
            generate_patient_db(
                PatientDbSpec(size=size, seed=seed + 1), leak_truth=truth, out_path=patients
            )
        console.print(f"wrote {patients}: {size:,} patients")
