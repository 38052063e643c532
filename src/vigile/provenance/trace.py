"""Which registered export(s) a found file came from.

The found file is read with vigile's readers (any format, dialect, encoding), its
columns classified by the detectors (so renamed, reordered and dropped columns do not
matter), every row reduced to the keyed hashes of its views (`fingerprint`), and the
hashes looked up in the registry.

A found row *matches* an export when one identity of that export agrees with it on a
strong view (NIR, name + birth date, pseudonym) or on two views (phone and e-mail);
any view of a canary counts, canaries being unique to their export. An export is a
candidate when it matches at least `min_rows` rows (3, or 0.2 % of the rows with an
identity when more) or holds a canary found in the file.

Which candidate is the source (hand-written: no library scores this): under "the file
was taken from X", a matched row outside X is a row added from elsewhere, with
probability `NOISE` each; so X's likelihood is (1 - NOISE)^|rows of X| *
NOISE^|matched rows not in X|, and canaries found weigh `CANARY_WEIGHT` more each.
The posterior over candidates (uniform prior) is the confidence: two extractions a
month apart holding the same rows are a coin toss (0.5 each), one row only one of them
holds makes it 99:1, a canary settles it. Rows the best source explains are then set
aside and the rest examined again, so a file merged from two exports names both.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..read import Limits
from .errors import ProvenanceError
from .fingerprint import EMAIL, PHONE, STRONG_VIEWS, view_values
from .reading import ProgressFn, classified_tables
from .registry import ExportRecord, Registry

TRACE_SCHEMA = "vigile.provenance/1"
NOISE = 0.01
CANARY_WEIGHT = math.log(1e4)
MIN_ROWS = 3
MIN_SHARE = 0.002
MAX_SOURCES = 5  # sources named one after the other (rows explained set aside)
# Exports examined: those holding the most of the file's hashes (counted in the
# database), plus any whose canary is in the file. The true source holds every row; an
# export sharing patients with it holds a share; 64 leaves room for many such.
MAX_CANDIDATES = 64
MAX_LISTED = 10
MAX_CONFIDENCE = 0.9999  # never "certain": a file can be forged from several sources
LIST_FLOOR = 0.01  # candidates less likely than this (and not a source) are not listed


@dataclass(frozen=True)
class Match:
    export: ExportRecord
    rows_matched: int
    share: float
    canaries: int
    confidence: float
    source: bool  # explains rows no better candidate explains

    def to_json(self) -> dict:
        e = self.export
        return {
            "export": e.name,
            "recipient": e.recipient,
            "purpose": e.purpose,
            "registered_at": e.registered_at.isoformat(timespec="seconds"),
            "rows_matched": self.rows_matched,
            "share": round(self.share, 4),
            "canaries": self.canaries,
            "confidence": round(self.confidence, 4),
        }


@dataclass
class TraceResult:
    path: str
    sha256: str
    size: int
    rows: int  # rows read
    rows_with_identity: int
    views: tuple[str, ...]  # views the found file carries
    matches: list[Match]
    registered: int  # exports in the registry
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "schema": TRACE_SCHEMA,
            "file": {"path": self.path, "sha256": self.sha256, "size": self.size},
            "rows": self.rows,
            "rows_with_identity": self.rows_with_identity,
            "views": list(self.views),
            "registered_exports": self.registered,
            "matches": [m.to_json() for m in self.matches],
            "warnings": self.warnings,
        }


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def found_keys(
    path: str | os.PathLike,
    registry: Registry,
    *,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> tuple[pl.DataFrame, int, list[str], set[str]]:
    """(row, view, h) of every row of every table of the file (rows numbered across
    tables), the number of rows read, warnings, and the views found."""
    parts: list[pl.DataFrame] = []
    warnings: list[str] = []
    views: set[str] = set()
    offset = 0
    readable = 0
    for t in classified_tables(path, limits=limits, progress=progress, errors=warnings):
        readable += 1
        views.update(t.keys.views())
        for batch in t.batches:
            vv = view_values(batch, t.keys) if not t.keys.empty else None
            if vv is not None and vv.height:
                kf = registry.hasher.key_frame(vv)
                parts.append(kf.with_columns((pl.col("row").cast(pl.Int64) + offset).alias("row")))
            offset += batch.height
    if readable == 0:
        why = f": {warnings[0]}" if warnings else ""
        raise ProvenanceError(f"{Path(path).name}: no table vigile can read{why}")
    frame = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(schema={"row": pl.Int64, "view": pl.UInt8, "h": pl.Int64})
    )
    return frame, offset, warnings, views


def _row_matches(found: pl.DataFrame, hits: pl.DataFrame) -> pl.DataFrame:
    """(row, export_id, canary_unit or null) for every found row matching an export."""
    if hits.height == 0:
        return pl.DataFrame(schema={"row": pl.Int64, "export_id": pl.Int32, "canary": pl.Int64})
    joined = found.join(hits.select("h", "export_id", "unit"), on="h")
    per_unit = joined.group_by("row", "export_id", "unit").agg(
        pl.col("view").n_unique().alias("n_views"),
        pl.col("view").is_in(list(STRONG_VIEWS)).any().alias("strong"),
        pl.col("view").is_in([PHONE, EMAIL]).any().alias("contact"),
    )
    ok = pl.col("strong") | (pl.col("n_views") >= 2) | ((pl.col("unit") < 0) & pl.col("contact"))
    return per_unit.filter(ok).select(
        "row", "export_id", pl.when(pl.col("unit") < 0).then(pl.col("unit")).alias("canary")
    )


def _posterior(sets: dict[int, set[int]], canaries: dict[int, int], pool: set[int]):
    """P(candidate is the source of the rows `pool`) for each candidate (see module doc)."""
    logl = {
        e: len(rows & pool) * math.log1p(-NOISE)
        + len(pool - rows) * math.log(NOISE)
        + canaries.get(e, 0) * CANARY_WEIGHT
        for e, rows in sets.items()
    }
    top = max(logl.values())
    w = {e: math.exp(v - top) for e, v in logl.items()}
    total = sum(w.values())
    return {e: v / total for e, v in w.items()}


def attribute(found: pl.DataFrame, registry: Registry) -> tuple[int, list[tuple]]:
    """(rows with identity, [(export_id, rows_matched, canaries, confidence, source)])."""
    n_keyed = found["row"].n_unique() if found.height else 0
    if n_keyed == 0:
        return 0, []
    hits = registry.lookup(found["h"], top=MAX_CANDIDATES)
    matches = _row_matches(found, hits)
    if matches.height == 0:
        return n_keyed, []
    per_export = matches.group_by("export_id").agg(
        pl.col("row").unique().alias("rows"),
        pl.col("canary").drop_nulls().n_unique().alias("canaries"),
    )
    threshold = max(min(MIN_ROWS, n_keyed), math.ceil(MIN_SHARE * n_keyed))
    sets: dict[int, set[int]] = {}
    canaries: dict[int, int] = {}
    for eid, rows, n_can in per_export.iter_rows():
        if len(rows) >= threshold or n_can > 0:
            sets[eid] = set(rows)
            canaries[eid] = n_can
    if not sets:
        return n_keyed, []
    pool = set().union(*sets.values())
    first = _posterior(sets, canaries, pool)
    confidence = dict(first)
    sources: list[int] = []
    remaining = set(sets)
    while pool and remaining and len(sources) < MAX_SOURCES:
        post = first if not sources else _posterior({e: sets[e] for e in remaining}, canaries, pool)
        best = max(remaining, key=lambda e: (post[e], len(sets[e] & pool), canaries[e]))
        if sources and len(sets[best] & pool) < threshold and not canaries[best]:
            break
        sources.append(best)
        confidence[best] = post[best]
        pool -= sets[best]
        remaining.discard(best)
    out = []
    for eid, rows in sets.items():
        n = len(rows)
        evidence = 1.0 if canaries[eid] else 1 - 0.5**n  # a handful of rows is weaker
        conf = min(confidence[eid] * evidence, MAX_CONFIDENCE)
        if eid in sources or conf >= LIST_FLOOR:
            out.append((eid, n, canaries[eid], conf, eid in sources))
    out.sort(key=lambda t: (-t[3], -t[1], -t[2]))
    return n_keyed, out[:MAX_LISTED]


def trace_path(
    path: str | os.PathLike,
    registry: Registry,
    *,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> TraceResult:
    p = Path(path)
    if not p.is_file():
        raise ProvenanceError(f"{p}: no such file")
    found, rows, warnings, views = found_keys(p, registry, limits=limits, progress=progress)
    n_keyed, scored = attribute(found, registry)
    records = registry.exports([s[0] for s in scored]) if scored else {}
    matches = [
        Match(records[eid], n, n / n_keyed if n_keyed else 0.0, c, conf, src)
        for eid, n, c, conf, src in scored
    ]
    if rows and not views:
        warnings.append(
            "no identifying column found (NIR, name with birth date, phone, e-mail, "
            "pseudonym): the file cannot be traced"
        )
    return TraceResult(
        path=str(p),
        sha256=_file_sha256(p),
        size=p.stat().st_size,
        rows=rows,
        rows_with_identity=n_keyed,
        views=tuple(sorted(views)),
        matches=matches,
        registered=registry.count(),
        warnings=warnings,
    )
