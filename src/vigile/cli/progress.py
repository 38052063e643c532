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

from .app import console_err


@contextmanager
def byte_progress(enabled: bool = True):
    """Yield a callback progress(path, bytes_read, total) that keeps one bar per path."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
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
                name = key if len(key) < 50 else "…" + key[-49:]
                tasks[key] = bars.add_task(name, total=total)
            bars.update(tasks[key], completed=done, total=total)

        yield update
