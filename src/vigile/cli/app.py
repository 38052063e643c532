"""The typer application and the shared consoles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

app = typer.Typer(
    name="vigile",
    help=(
        "Guard French health data: find sensitive patient data in files (scan), profile a "
        "leaked file without spreading it (triage), and prepare what the law then requires."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
console_err = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line to stderr and exit."""
    console_err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def require_paths(paths: list[Path]) -> None:
    """Fail with one line naming every input that does not exist (names in their shown
    form: a name may hold a personal value or terminal escapes)."""
    from ..read.names import shown_path

    missing = [shown_path(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}: check the path and try again")


def emit(text: str, output: Path | None) -> None:
    """A report to its file (saying where) or to stdout."""
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"report written to {output}", markup=False)
    else:
        sys.stdout.write(text)
