"""`vigile sweep`: find files holding personal or health data lying around.

Directories are listed by a thread pool (listing is I/O bound), new or changed
files are inspected by a process pool (parsing is CPU bound), and everything is
remembered in a SweepIndex so an unchanged tree costs one stat per file.

Content is judged by the scan engine on a bounded sample: the first
`sample_rows` rows of every table (sheet, archive member, SQL table) of a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import pwd
import stat as st
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..detect.profiler import HEADER_ONLY
from ..read import Limits, ReadError, open_tables
from ..read.sniff import read_sample
from ..read.table import Table
from ..scan.pipeline import scan_table
from .encrypted import encryption_of
from .sweep_index import SweepIndex

SWEEP_SCHEMA = "vigile.sweep/1"
SAMPLE_ROWS = 5_000
RECORD_EVERY = 256  # inspected contents between index commits
# Dates alone, and establishment ids, do not make a file personal data.
NOT_PERSONAL = frozenset({"date", "finess"})
TEXT_SHARE_MIN = 0.02  # a free-text category must show in at least 2 % of a column's cells
IDENTITY_KEYS = (("nir",), ("last_name", "first_name", "birth_date"), ("email",), ("phone",))


@dataclass(frozen=True)
class FileReport:
    path: str
    size: int
    owner: str
    modified: str  # ISO date-time, UTC
    age_days: int
    status: str  # found | clean | encrypted | unreadable
    encrypted: str | None  # age, openpgp, zip, office
    categories: tuple[str, ...] = ()
    persons: int = 0  # estimated persons (distinct identity keys, extrapolated past the sample)
    tables: int = 0
    cached: bool = False

    def to_json(self) -> dict:
        d = asdict(self)
        d["categories"] = list(self.categories)
        return d


@dataclass
class SweepResult:
    files: list[FileReport]
    seen: int = 0
    inspected: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def found(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "found"]

    def to_json(self) -> dict:
        return {
            "schema": SWEEP_SCHEMA,
            "files_seen": self.seen,
            "files_inspected": self.inspected,
            "files_found": len(self.found),
            "files": [f.to_json() for f in self.files if f.status != "clean"],
            "errors": self.errors,
        }


# -- content (runs in worker processes) --------------------------------------------------


def _persons(rows: int, categories: set[str], key_columns: dict[str, list[str]], batch) -> int:
    for key in IDENTITY_KEYS:
        if all(k in key_columns for k in key):
            cols = [key_columns[k][0] for k in key]
            return batch.select(cols).drop_nulls().n_unique()
    return rows if categories else 0


def inspect_content(path: str, sample_rows: int = SAMPLE_ROWS) -> dict:
    """Categories, estimated persons and table count of one file. Never raises."""
    p = Path(path)
    try:
        head = read_sample(p)
        enc = encryption_of(p, head[:4096])
    except OSError:
        return {
            "status": "unreadable",
            "encrypted": None,
            "categories": [],
            "persons": 0,
            "tables": 0,
        }
    if enc:
        return {
            "status": "encrypted",
            "encrypted": enc,
            "categories": [],
            "persons": 0,
            "tables": 0,
        }
    categories: set[str] = set()
    persons = tables = 0
    for item in open_tables(p, limits=Limits(batch_rows=sample_rows)):
        if isinstance(item, ReadError):
            continue
        tables += 1
        batch = None
        try:
            batch = next(item.batches(), None)
        except ReadError:
            continue
        if batch is None:
            continue
        report = scan_table(Table(item.source, lambda _t, b=batch: iter([b])))
        found: set[str] = set()
        key_columns: dict[str, list[str]] = {}
        for c in report.columns:
            if c.category and c.category not in NOT_PERSONAL:
                found.add(c.category)
                key_columns.setdefault(c.category, []).append(c.name)
            found |= {k for k, s in c.text_categories.items() if s >= TEXT_SHARE_MIN} - NOT_PERSONAL
        if not found - HEADER_ONLY:
            # Header-only evidence (a column called "code" or "name") is too weak to raise an
            # alarm alone; the content must show personal data too.
            continue
        categories |= found
        n = _persons(batch.height, found, key_columns, batch)
        # Past the sample, scale by the share of the file the sample covered.
        if batch.height >= sample_rows and 0 < item.bytes_read < (item.source.size or 0):
            n = round(n * item.source.size / item.bytes_read)
        persons += n
    status = "found" if categories else "clean"
    return {
        "status": status, "encrypted": None, "categories": sorted(categories),
        "persons": persons, "tables": tables,
    }  # fmt: skip


# -- walking ------------------------------------------------------------------------------


def _list_dir(d: str) -> tuple[list[tuple[str, os.stat_result]], list[str]]:
    files, dirs = [], []
    try:
        with os.scandir(d) as it:
            for e in it:
                try:
                    if e.is_dir(follow_symlinks=False):
                        dirs.append(e.path)
                    elif e.is_file(follow_symlinks=False):
                        files.append((e.path, e.stat(follow_symlinks=False)))
                except OSError:
                    continue
    except OSError:
        pass
    return files, dirs


def walk(roots: Iterable[Path], workers: int = 8) -> Iterator[tuple[str, os.stat_result]]:
    """Every regular file under `roots` (symlinks not followed), listing directories in parallel."""
    with ThreadPoolExecutor(workers) as pool:
        pending = []
        for r in roots:
            r = Path(r)
            if r.is_dir():
                pending.append(pool.submit(_list_dir, str(r.resolve())))
            elif r.is_file() and not r.is_symlink():
                yield str(r.resolve()), r.stat()
        while pending:
            files, dirs = pending.pop().result()
            pending += [pool.submit(_list_dir, d) for d in dirs]
            yield from files


def _inspect_all(
    todo: list[tuple[str, str]], workers: int, sample_rows: int
) -> Iterator[tuple[str, dict]]:
    """(sha256, result) for each (sha256, path) to inspect, in order."""
    if workers > 1 and len(todo) > 1:
        # spawn, not fork: polars' thread pool does not survive a fork.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            paths = [p for _, p in todo]
            out = pool.map(inspect_content, paths, [sample_rows] * len(paths), chunksize=8)
            yield from zip([h for h, _ in todo], out, strict=True)
    else:
        for h, p in todo:
            yield h, inspect_content(p, sample_rows)


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


_OWNERS: dict[int, str] = {}


def _owner(uid: int) -> str:
    if uid not in _OWNERS:
        try:
            _OWNERS[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            _OWNERS[uid] = str(uid)
    return _OWNERS[uid]


def default_index() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vigile" / "sweep.db"


def sweep(
    roots: Iterable[Path],
    index: Path | None = None,
    workers: int | None = None,
    sample_rows: int = SAMPLE_ROWS,
    now: dt.datetime | None = None,
) -> SweepResult:
    """Sweep `roots`; files unchanged since the last sweep recorded in `index` are not read."""
    now = now or dt.datetime.now(dt.UTC)
    index = (index or default_index()).resolve()
    idx = SweepIndex(index)
    workers = workers or os.cpu_count() or 1
    try:
        seen: list[tuple[str, os.stat_result, str | None]] = []
        for path, s in walk(roots):
            if st.S_ISREG(s.st_mode) and not path.startswith(str(index)):  # not our own index
                seen.append((path, s, idx.unchanged(path, s.st_size, s.st_mtime_ns)))
        # Changed or new files: hash them (threads: I/O), then inspect unknown contents.
        changed = [i for i, (_, _, h) in enumerate(seen) if h is None]
        with ThreadPoolExecutor(8) as pool:
            hashes = list(pool.map(_sha256, [seen[i][0] for i in changed]))
        for i, h in zip(changed, hashes, strict=True):
            seen[i] = (seen[i][0], seen[i][1], h)
        all_hashes = sorted({h for _, _, h in seen if h})
        known = idx.results(all_hashes)
        todo = sorted({h: p for p, _, h in seen if h and h not in known}.items())
        stamp = now.isoformat(timespec="seconds")
        rows_of: dict[str, list] = {}
        for p, s, h in (seen[i] for i in changed):
            if h:
                rows_of.setdefault(h, []).append((p, s.st_size, s.st_mtime_ns, h, stamp))
        # Changed files whose content is already known are recorded at once.
        idx.record([r for h, rs in rows_of.items() if h in known for r in rs], {})
        fresh: dict[str, dict] = {}
        for h, result in _inspect_all(todo, workers, sample_rows):
            fresh[h] = result
            if len(fresh) % RECORD_EVERY == 0:  # an interrupted sweep keeps what it did
                done = list(fresh)[-RECORD_EVERY:]
                idx.record([r for d in done for r in rows_of[d]], {d: fresh[d] for d in done})
        rest = list(fresh)[len(fresh) - len(fresh) % RECORD_EVERY :]
        idx.record([r for d in rest for r in rows_of[d]], {d: fresh[d] for d in rest})
        known.update(fresh)
        files = []
        errors = []
        for p, s, h in seen:
            if h is None:
                errors.append(f"{p}: unreadable")
                continue
            r = known[h]
            mtime = dt.datetime.fromtimestamp(s.st_mtime, dt.UTC)
            files.append(
                FileReport(
                    path=p, size=s.st_size, owner=_owner(s.st_uid),
                    modified=mtime.isoformat(timespec="seconds"),
                    age_days=max(0, (now - mtime).days), status=r["status"],
                    encrypted=r["encrypted"], categories=tuple(r["categories"]),
                    persons=r["persons"], tables=r["tables"], cached=h not in fresh,
                )
            )  # fmt: skip
        files.sort(key=lambda f: f.path)
        return SweepResult(files, seen=len(seen), inspected=len(fresh), errors=errors)
    finally:
        idx.close()
