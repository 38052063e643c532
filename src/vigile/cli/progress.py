"""Rich progress bars driven by byte counts from the readers."""

from __future__ import annotations

from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..read.names import shown_path
from .app import console_err


@contextmanager
def byte_progress(enabled: bool = True):
    """Yield a callback progress(path, bytes_read, total) that keeps one bar per path."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console_err,
        transient=True,
    ) as bars:
        tasks: dict[str, int] = {}

        def update(path: str, done: int, total: int | None) -> None:
            key = path.split("!", 1)[0].split("#", 1)[0]  # one bar per top-level file
            if key not in tasks:
                shown = shown_path(key)  # a name may hold a personal value or escapes
                name = shown if len(shown) < 50 else "…" + shown[-49:]
                tasks[key] = bars.add_task(name, total=total)
            bars.update(tasks[key], completed=done, total=total)

        yield update


@contextmanager
def count_progress(description: str, total: int | None, enabled: bool = True, unit: str = ""):
    """Yield a callback advance(done, total=None) for work counted in items (letters,
    e-mails, persons): one bar with the count, elapsed time and ETA on stderr."""
    if not enabled:
        yield lambda done, total=None: None
        return
    from rich.progress import MofNCompleteColumn

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console_err,
        transient=False,
    ) as bars:
        task = bars.add_task(description, total=total)

        def advance(done: int, new_total: int | None = None) -> None:
            if new_total is not None:
                bars.update(task, total=new_total)
            bars.update(task, completed=done)

        yield advance
