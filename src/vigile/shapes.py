"""Shapes that cross layers (see ../shared/spec/design.md).

Small frozen dataclasses with a versioned JSON form: they are the public
output. No field ever holds a raw personal value; samples are masked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

SCAN_SCHEMA = "vigile.scan/1"

SourceKind = Literal["table", "text"]


@dataclass(frozen=True)
class Source:
    """Where a stream of batches came from."""

    path: str  # display path; archive members as "outer.zip!inner/file.csv", sheets as "book.xlsx#Sheet1"
    format: str  # csv, xlsx, xls, ods, json, ndjson, parquet, sql, text
    kind: SourceKind = "table"  # "text": a single column "line" of free text
    sha256: str | None = None  # of the raw bytes of this file or archive member
    size: int | None = None  # raw bytes
    encoding: str | None = None
    delimiter: str | None = None
    table: str | None = None  # sheet name or SQL table name


@dataclass(frozen=True)
class ColumnFinding:
    """What one column holds. `share` and `validated_share` are over non-empty cells."""

    name: str
    category: str | None
    confidence: float
    share: float
    validated_share: float = 0.0
    non_empty: int = 0
    text_categories: dict[str, float] = field(default_factory=dict)
    masked_samples: tuple[str, ...] = ()
    note: str | None = None  # e.g. "NIR key column paired with NSS"

    def to_json(self) -> dict:
        d = asdict(self)
        d["masked_samples"] = list(self.masked_samples)
        return d


@dataclass(frozen=True)
class TableReport:
    """Findings for one table (a file, a sheet, an SQL table or an archive member)."""

    source: Source
    rows: int
    columns: tuple[ColumnFinding, ...]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        s = self.source
        return {
            "path": s.path,
            "format": s.format,
            "kind": s.kind,
            "sha256": s.sha256,
            "size": s.size,
            "encoding": s.encoding,
            "delimiter": s.delimiter,
            "table": s.table,
            "rows": self.rows,
            "columns": [c.to_json() for c in self.columns],
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Exposure:
    """One person (by a key that is never a raw value) and the categories exposed for them."""

    person_key: str
    categories: frozenset[str]
