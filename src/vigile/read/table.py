"""Table: one readable stream of string batches with its Source."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import polars as pl

from vigile.read.errors import as_read_error
from vigile.shapes import Source

BatchFactory = Callable[["Table"], Iterator[pl.DataFrame]]
UNREAD = "not fully read: "


class Table:
    """A table (file, sheet, SQL table, archive member) read lazily in batches.

    `warnings` and `bytes_read` grow while `batches()` is iterated. Every batch is a
    DataFrame of pl.String columns with the same names. `unread` holds the reasons why
    part of the table was not read (each also a warning starting with UNREAD), so
    reports never call a table clean when some of it went unseen."""

    def __init__(
        self,
        source: Source,
        factory: BatchFactory,
        *,
        warnings: list[str] | None = None,
        bytes_read: int = 0,
        keepalive: Any = None,
    ):
        self.source = source
        self.warnings: list[str] = list(warnings or [])
        self.unread: list[str] = []
        self.bytes_read = bytes_read
        self._factory = factory
        # Temporary directories holding extracted members live as long as the Table.
        self._keepalive = keepalive

    def batches(self) -> Iterator[pl.DataFrame]:
        """Yield batches; raises ReadError (only) when the stream breaks mid-way."""
        try:
            for batch in self._factory(self):
                if batch.width and batch.height:
                    yield batch
        except GeneratorExit:
            raise
        except Exception as exc:  # any library failure becomes a ReadError without cell values
            raise as_read_error(self.source.path, exc) from None

    @property
    def partial_source(self) -> Source:
        """The Source as far as known without waiting (its sha256 may still be empty)."""
        return self.source

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def incomplete(self, reason: str) -> None:
        """Record that part of the table could not be read, and why."""
        if reason not in self.unread:
            self.unread.append(reason)
            self.warn(UNREAD + reason)

    def __repr__(self) -> str:
        return f"Table({self.source.path!r}, format={self.source.format!r})"
