"""`vigile demo`: generate a synthetic leak, scan it, show what vigile sees."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..scan import render_scan, scan_path
from .app import app, console


@app.command()
def demo(
    workdir: Path = typer.Option(
        Path("vigile-demo"), help="Folder for the synthetic export and reports."
    ),
    rows: int = typer.Option(10_000, min=100, help="Rows in the synthetic export."),
    seed: int = typer.Option(2021, help="Random seed."),
) -> None:
    """Generate a realistic (synthetic) lab export like the 2021 leak, scan it, print the summary."""
    from ..synth import ExportSpec, generate_lab_export

    workdir.mkdir(parents=True, exist_ok=True)
    export = workdir / "lab_export.csv"
    with console.status("generating a synthetic lab export…"):
        truth = generate_lab_export(
            ExportSpec(rows=rows, seed=seed, encoding="cp1252", separator=";", fields="full"),
            export,
        )
    console.print(
        f"synthetic export: {export} ({truth.rows:,} rows, {truth.persons:,} persons, cp1252)"
    )
    result = scan_path([export])
    sys.stdout.write(render_scan(result, "table"))
    (workdir / "scan.json").write_text(render_scan(result, "json"), encoding="utf-8")

    # Compare with the generator's ground truth: the demo shows its own accuracy.
    expected = json.loads(Path(f"{export}.truth.json").read_text(encoding="utf-8"))["columns"]
    found = {c.name: c.category for t in result.tables for c in t.columns}
    wrong = sorted(n for n, cat in expected.items() if found.get(n) != cat)
    console.print(
        f"ground truth: {len(expected) - len(wrong)}/{len(expected)} columns classified as expected"
        + (f"; differing: {', '.join(wrong)}" if wrong else "")
    )
    console.print(f"JSON report: {workdir / 'scan.json'}")
    if wrong:
        raise typer.Exit(1)
