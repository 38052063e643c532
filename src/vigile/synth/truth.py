"""Ground truth of a synthetic export: what the file holds, counted from the data itself."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from vigile.synth.lab_export import ExportSpec

TRUTH_SCHEMA = "vigile.synth.truth/1"


def truth_path(out_path: str | Path) -> Path:
    return Path(f"{out_path}.truth.json")


def persons_path(out_path: str | Path) -> Path:
    """Hidden row -> person mapping (never inside the export itself)."""
    return Path(f"{out_path}.persons.parquet")


@dataclass
class GroundTruth:
    """What a generated export contains. Counts are of persons unless named otherwise."""

    path: str
    spec: dict[str, Any]
    rows: int
    persons: int
    columns: dict[str, str | None]  # header -> categories.md id, None for decoys/free text
    text_columns: dict[str, list[str]]  # free-text header -> categories found in its cells
    minors: int  # age < 18 at age_reference_date
    over_75: int  # age >= 75 at age_reference_date
    age_reference_date: str
    persons_by_departement: dict[str, int]  # département of residence
    health_mentions: dict[str, int]  # kind -> persons, any column (text, flag, treatment)
    health_mentions_in_text: dict[str, int]  # kind -> persons, free-text columns only
    passwords: dict[str, int]  # {"plain", "hash", "md5", "sha1", "bcrypt"}
    persons_by_category: dict[str, int]  # category -> persons with a non-empty value of it
    nir: dict[str, int]  # persons with a NIR in the file, and by birthplace kind
    schema: str = TRUTH_SCHEMA
    _persons_frame: pl.DataFrame | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("_persons_frame")
        return d

    def write(self) -> Path:
        target = truth_path(self.path)
        target.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")
        return target

    @classmethod
    def load(cls, out_path: str | Path) -> GroundTruth:
        data = json.loads(truth_path(out_path).read_text())
        return cls(**data)

    @property
    def export_spec(self) -> ExportSpec:
        from vigile.synth.lab_export import ExportSpec

        return ExportSpec(**self.spec)

    def row_persons(self) -> pl.DataFrame:
        """row (0-based data row of the file) -> person index, plus per-row text truth."""
        return pl.read_parquet(persons_path(self.path))

    def persons_frame(self) -> pl.DataFrame:
        """The hidden person table behind the export (regenerated from the spec if needed)."""
        if self._persons_frame is None:
            from vigile.synth.lab_export import build_export_persons

            self._persons_frame = build_export_persons(self.export_spec, self.persons)
        return self._persons_frame
