"""`vigile demo`: a whole synthetic incident, from the leaked file to the last letter."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import app, console, fail


@app.command()
def demo(
    workdir: Path = typer.Option(
        Path("vigile-demo"), help="Folder for the synthetic files, the case and its outputs."
    ),
    rows: int = typer.Option(10_000, min=500, help="Rows in the synthetic leak."),
    seed: int = typer.Option(2021, help="Random seed."),
) -> None:
    """Run a whole incident on synthetic data: a leaked lab export like 2021's and a patient
    database, then triage, case, link, CNIL draft, letters, portal, requests and e-mails (to
    a local SMTP sink), each step checked against the generator's ground truth."""
    from rich.table import Table

    from ..demo import run_incident
    from ..demo.incident import CommandFailed

    try:
        result = run_incident(workdir, rows=rows, seed=seed, console=console)
    except CommandFailed as e:
        fail(str(e))
    table = Table(title="vigile demo — checks against the ground truth", title_justify="left")
    table.add_column("step")
    table.add_column("check")
    table.add_column("")
    for c in result.checks:
        table.add_row(c.step, c.detail, "[green]ok[/]" if c.ok else "[red]FAILED[/]")
    console.print(table)
    times = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    console.print(f"times: {times}", highlight=False)
    console.print(f"everything is in {result.workdir}", highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(1)
