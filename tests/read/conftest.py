"""Helpers shared by the read tests: build small files and consume open_tables fully."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from vigile.read import Limits, ReadError, Table, open_tables

from .hostile_corpus import xlsx_bytes  # noqa: F401  (the one hand-written xlsx, shared)


@dataclass
class Outcome:
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    objects: dict[str, Table] = field(default_factory=dict)
    errors: list[ReadError] = field(default_factory=list)

    def messages(self) -> str:
        return " | ".join(str(e) for e in self.errors)


def read_all(path: Path | str, limits: Limits | None = None) -> Outcome:
    """Consume everything; only Table and ReadError may come out."""
    out = Outcome()
    for item in open_tables(path, limits=limits or Limits()):
        if isinstance(item, ReadError):
            out.errors.append(item)
            continue
        assert isinstance(item, Table)
        frames = []
        try:
            for batch in item.batches():
                assert all(dt == pl.String for dt in batch.dtypes)
                if frames:
                    assert batch.columns == frames[0].columns
                frames.append(batch)
        except ReadError as exc:
            out.errors.append(exc)
        out.objects[item.source.path] = item
        out.tables[item.source.path] = pl.concat(frames) if frames else pl.DataFrame()
    return out
