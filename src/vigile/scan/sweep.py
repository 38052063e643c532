"""`vigile sweep`: find files holding personal or health data lying around file shares.

A sweep is a scan over many files. Directories are listed by a thread pool (listing
is I/O bound); each new or changed content is judged by `inspect_file`, the unit of
work, in a process pool (parsing is CPU bound); everything is remembered in a
SweepIndex so an unchanged tree costs one stat per file. `inspect_file` takes and
returns only plain values, so any runner can call it: the local process pool here,
or a Spark job (`mapInArrow`) over a partitioned file list.

Content is judged by the scan engine on a bounded sample: the first `sample_rows`
rows of every table (sheet, archive member, SQL table) of a file. A file or part of
one that could not be read is never reported clean: it is `unreadable` (nothing
read) or `partial` (nothing found in what was read), with the reasons.

Every path a report shows is in its shown form (`vigile.read.names.shown_path`:
personal values masked, unprintable characters escaped); raw paths stay in the index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import pwd
import stat as st
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..detect.profiler import HEADER_ONLY
from ..read import Limits, ReadError, open_tables
from ..read.encrypted import encryption_of
from ..read.errors import safe_message
from ..read.names import shown_path
from ..read.sniff import read_sample
from ..read.table import Table
from .pipeline import scan_table
from .sweep_index import SweepIndex

SWEEP_SCHEMA = "vigile.sweep/2"
SAMPLE_ROWS = 5_000
RECORD_EVERY = 256  # inspected contents between index commits
# Dates alone, and establishment ids, do not make a file personal data.
NOT_PERSONAL = frozenset({"date", "finess"})
TEXT_SHARE_MIN = 0.02  # a free-text category must show in at least 2 % of a column's cells
IDENTITY_KEYS = (("nir",), ("last_name", "first_name", "birth_date"), ("email",), ("phone",))
STATUSES = ("found", "partial", "unreadable", "encrypted", "unsupported", "clean")
CRASHED = (
    "the inspecting process crashed or took longer than {seconds:g} s (out of memory, a reader"
    " fault or a hang); retried next sweep"
)
FILE_SECONDS = 600.0  # a file whose inspection takes longer ends its worker process
IN_FLIGHT_PER_WORKER = 4  # files handed to the pool at once: a crash re-runs only these

Inspect = Callable[[str | bytes, int], dict]
# Runs the inspection of (sha256, path) pairs and yields (sha256, result or None): the
# local process pool (`inspect_all`) or Spark's executors (`sweep_spark.spark_runner`).
# The walk and the incremental index stay in `sweep`, on this machine.
Runner = Callable[[list[tuple[str, str]]], Iterable[tuple[str, dict | None]]]
# `inspect_all`: the local pool, and what each Spark task runs over its slice of files.
# Hashes the paths of new or changed files: (sha256 or None, why it could not be read) for
# each, in order. Local threads (`hash_files`) or Spark's executors
# (`sweep_spark.spark_hasher`: every byte of a large share is read where the share is
# mounted, not by the one driver).
Hasher = Callable[[list[str]], list[tuple[str | None, str]]]


@dataclass(frozen=True)
class FileReport:
    path: str  # shown form
    size: int
    owner: str
    modified: str  # ISO date-time, UTC
    age_days: int
    status: str  # found | partial | unreadable | encrypted | unsupported | clean (inspect_file)
    encrypted: str | None  # age, openpgp, zip, office
    categories: tuple[str, ...] = ()
    persons: int = 0  # estimated persons (distinct identity keys, extrapolated past the sample)
    tables: int = 0
    cached: bool = False
    not_read: tuple[str, ...] = ()  # "shown path: reason" of each part not (fully) read

    @property
    def complete(self) -> bool:
        return not self.not_read and self.status not in ("unreadable", "partial")

    def to_json(self) -> dict:
        d = asdict(self)
        d["categories"] = list(self.categories)
        d["not_read"] = list(self.not_read)
        return d


@dataclass
class SweepResult:
    files: list[FileReport]
    seen: int = 0
    inspected: int = 0
    errors: list[str] = field(default_factory=list)  # folders that could not be listed

    @property
    def found(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "found"]

    @property
    def not_fully_read(self) -> list[FileReport]:
        return [f for f in self.files if not f.complete]

    @property
    def complete(self) -> bool:
        """Every file and folder was read: only then may a sweep say nothing was found."""
        return not self.errors and not self.not_fully_read

    def to_json(self) -> dict:
        return {
            "schema": SWEEP_SCHEMA,
            "complete": self.complete,
            "files_seen": self.seen,
            "files_inspected": self.inspected,
            "files_found": len(self.found),
            "files_not_fully_read": len(self.not_fully_read),
            "files": [f.to_json() for f in self.files if f.status != "clean" or f.not_read],
            "errors": self.errors,
        }


# -- the unit of work (worker processes, or a Spark executor) ----------------------------


def _persons(rows: int, categories: set[str], key_columns: dict[str, list[str]], batch) -> int:
    for key in IDENTITY_KEYS:
        if all(k in key_columns for k in key):
            cols = [key_columns[k][0] for k in key]
            return batch.select(cols).drop_nulls().n_unique()
    return rows if categories else 0


def _result(
    status: str,
    *,
    encrypted: str | None = None,
    categories: Iterable[str] = (),
    persons: int = 0,
    tables: int = 0,
    not_read: Iterable[str] = (),
) -> dict:
    return {
        "status": status, "encrypted": encrypted, "categories": sorted(categories),
        "persons": persons, "tables": tables, "not_read": list(not_read),
    }  # fmt: skip


def inspect_file(path: str | bytes, sample_rows: int = SAMPLE_ROWS) -> dict:
    """What one file holds, judged on a sample: the sweep's unit of work.

    inspect_file(path: str | bytes, sample_rows: int = 5000) -> dict

    `path` is the file's path as the OS gives it: bytes for a name that is not valid
    UTF-8 (as `os.fsencode` gives it), else str. `sample_rows` rows are read from the
    start of every table. The answer is a JSON-serialisable dict (picklable; one row
    of an Arrow table in a Spark `mapInArrow` runner):

      status      "found"      personal or health data in the sample
                  "clean"      everything sampled was read, nothing found
                  "partial"    nothing found in what was read, but part was not read
                  "unreadable" nothing could be read
                  "encrypted"  an encrypted container (age, OpenPGP, zip, Office)
                  "unsupported" in no format vigile reads (images, PDF, binary data),
                               nor holding any (an archive of such files)
      encrypted   "age" | "openpgp" | "zip" | "office" | None
      categories  sorted category ids (spec/categories.md) found
      persons     estimated persons (distinct identity keys, scaled past the sample)
      tables      tables (sheets, members, SQL tables) read
      not_read    ["<part>: <reason>", ...], every part not (fully) read, named
                  relative to the file ("" the file itself, "!member", "#sheet"), so
                  that a copy of the same content elsewhere reuses the answer

    Never raises for bad input, and holds no raw name (parts are in their shown form,
    `vigile.read.names.shown`). Readers that may crash run isolated (`vigile.read.isolate`); a crash of the
    calling process itself is the runner's to catch (see `inspect_all`)."""
    p = Path(os.fsdecode(path))
    display = shown_path(p)
    try:
        head = read_sample(p)
        enc = encryption_of(p, head[:4096])
    except Exception as exc:  # any failure is this file's, reported as such
        return _result("unreadable", not_read=[f": {safe_message(exc)}"])
    if enc:
        return _result("encrypted", encrypted=enc)
    categories: set[str] = set()
    not_read: list[str] = []
    persons = tables = unsupported = 0
    # The sample is one batch per table: the native CSV path sizes its batches in rows.
    limits = Limits(batch_rows=sample_rows, native_batch_bytes=0)
    for item in open_tables(p, limits=limits):
        if isinstance(item, ReadError):
            if item.unsupported:
                unsupported += 1
            elif not item.read:
                not_read.append(_part(display, str(item)))
            continue
        batch = None
        try:
            batch = next(item.batches(), None)
        except ReadError as err:
            not_read.append(_part(display, str(err)))
        part = _part(display, item.partial_source.path)
        not_read += [f"{part}: {why}" for why in item.unread]
        if batch is None:
            continue
        tables += 1
        report = scan_table(Table(item.partial_source, lambda _t, b=batch: iter([b])))
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
        size = item.partial_source.size or 0
        if batch.height >= sample_rows and 0 < item.bytes_read < size:
            n = round(n * size / item.bytes_read)
        persons += n
    if categories:
        status = "found"
    elif not_read:
        status = "partial" if tables else "unreadable"
    elif unsupported and not tables:
        status = "unsupported"
    else:
        status = "clean"
    return _result(status, categories=categories, persons=persons, tables=tables, not_read=not_read)


def _part(display: str, text: str) -> str:
    """`text` (a shown path, maybe followed by a reason) relative to the file's shown path."""
    return text[len(display) :] if text.startswith(display) else text


def shown_not_read(path: str | bytes, parts: Iterable[str]) -> tuple[str, ...]:
    """The `not_read` entries of `inspect_file` for the file at `path`, with its shown path."""
    display = shown_path(path)
    return tuple(f"{display}{part}" for part in parts)


# -- walking ------------------------------------------------------------------------------


def _list_dir(d: str) -> tuple[list[tuple[str, os.stat_result]], list[str], str | None]:
    """(files with their stat, sub-folders, why the folder could not be listed or None)."""
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
                    continue  # vanished between listing and stat
    except OSError as exc:
        return files, dirs, safe_message(exc)
    return files, dirs, None


def walk(
    roots: Iterable[Path], workers: int = 8, errors: list[str] | None = None
) -> Iterator[tuple[str, os.stat_result]]:
    """Every regular file under `roots` (symlinks not followed), listing directories in
    parallel. A folder that cannot be listed is appended to `errors` (shown path: why)."""
    with ThreadPoolExecutor(workers) as pool:
        pending = []
        for r in roots:
            r = Path(os.fsdecode(r))
            if r.is_dir():
                d = str(r.resolve())
                pending.append((d, pool.submit(_list_dir, d)))
            elif r.is_file() and not r.is_symlink():
                yield str(r.resolve()), r.stat()
        while pending:
            d, future = pending.pop()
            files, dirs, why = future.result()
            if why is not None and errors is not None:
                errors.append(f"{shown_path(d)}: {why}; its files were not swept")
            pending += [(sub, pool.submit(_list_dir, sub)) for sub in dirs]
            yield from files


def _bounded(inspect: Inspect, path: str, sample_rows: int, seconds: float) -> dict:
    """`inspect` in a worker process that ends itself past `seconds` (a thread's timer:
    a reader stuck in native code cannot be interrupted otherwise). The pool sees a
    crash, and `inspect_all` isolates the file."""
    timer = threading.Timer(seconds, os._exit, args=(70,))
    timer.daemon = True
    timer.start()
    try:
        return inspect(path, sample_rows)
    finally:
        timer.cancel()


def _inspect_alone(
    inspect: Inspect, path: str, sample_rows: int, seconds: float, ctx
) -> dict | None:
    """`inspect` of one file in a pool of its own: its result, or None if it crashed."""
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        try:
            return pool.submit(_bounded, inspect, path, sample_rows, seconds).result()
        except Exception:  # BrokenProcessPool (a crash, a hang), or a bug
            return None


def inspect_all(
    todo: list[tuple[str, str]],
    workers: int,
    sample_rows: int,
    inspect: Inspect = inspect_file,
    seconds: float = FILE_SECONDS,
    isolate: bool | None = None,
) -> Iterator[tuple[str, dict | None]]:
    """(sha256, result) for each (sha256, path) to inspect, in completion order; the
    result is None when inspecting that file crashed its process or took longer than
    `seconds`.

    A crashed worker breaks the whole pool and fails every file in flight: only a few
    are handed over at once (IN_FLIGHT_PER_WORKER a worker), so after a crash those are
    re-run each in a pool of its own (the one that crashes again is the culprit), and a
    new pool takes the rest. One hostile file never stops the sweep, nor the next one.

    `isolate` (default: more than one worker) runs even one worker in a process of its
    own: Spark's executors do, so that a crash ends a child, not their Python worker."""
    isolate = workers > 1 if isolate is None else isolate
    if not isolate or not todo:  # in this process: no isolation (tests, debugging)
        for h, p in todo:
            try:
                yield h, inspect(p, sample_rows)
            except Exception:  # a bug, not the file's fault: reported, tried again next time
                yield h, None
        return
    # spawn, not fork: polars' thread pool does not survive a fork.
    ctx = multiprocessing.get_context("spawn")
    queue = deque(todo)
    while queue:
        suspects: list[tuple[str, str]] = []
        with ProcessPoolExecutor(max(1, workers), mp_context=ctx) as pool:
            flight: dict[Future, tuple[str, str]] = {}
            while (queue or flight) and not suspects:
                while queue and len(flight) < max(1, workers) * IN_FLIGHT_PER_WORKER:
                    h, p = queue.popleft()
                    flight[pool.submit(_bounded, inspect, p, sample_rows, seconds)] = (h, p)
                done, _ = wait(flight, return_when=FIRST_COMPLETED)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    done, _ = wait(flight)  # the pool is broken: every future ends now
                for f in done:
                    h, p = flight.pop(f)
                    exc = f.exception()
                    if isinstance(exc, BrokenProcessPool):
                        suspects.append((h, p))
                    else:  # any other exception is a bug: reported, tried again next time
                        yield h, None if exc is not None else f.result()
        for h, p in suspects:
            yield h, _inspect_alone(inspect, p, sample_rows, seconds, ctx)


def _sha256(path: str) -> tuple[str | None, str]:
    """(sha256 or None, why it could not be read)."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest(), ""
    except OSError as exc:
        return None, safe_message(exc)


_OWNERS: dict[int, str] = {}


def hash_files(paths: list[str]) -> list[tuple[str | None, str]]:
    """The local Hasher: sha256 of each path on 8 threads (reading is I/O bound)."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(_sha256, paths))


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
    inspect: Inspect = inspect_file,
    progress: Callable[[int, int], None] | None = None,
    file_seconds: float = FILE_SECONDS,
    runner: Runner | None = None,
    hasher: Hasher | None = None,
) -> SweepResult:
    """Sweep `roots`; files unchanged since the last sweep recorded in `index` are not read.

    `inspect` is the unit of work (`inspect_file`; another function of the same
    signature, importable by worker processes, for tests). `progress(done, total)` is
    called as new contents are inspected. With more than one worker, a file whose
    inspection takes longer than `file_seconds` is reported unreadable. `runner` replaces
    the local pool (Spark: `sweep_spark.spark_runner`) and `hasher` the local hashing
    threads (Spark: `sweep_spark.spark_hasher`); the index works the same."""
    now = now or dt.datetime.now(dt.UTC)
    index = (index or default_index()).resolve()
    idx = SweepIndex(index)
    workers = workers or os.cpu_count() or 1
    errors: list[str] = []
    try:
        seen: list[tuple[str, os.stat_result, str | None]] = []
        for path, s in walk(roots, errors=errors):
            if st.S_ISREG(s.st_mode) and not path.startswith(str(index)):  # not our own index
                seen.append((path, s, idx.unchanged(path, s.st_size, s.st_mtime_ns)))
        # Changed or new files: hash them, then inspect unknown contents.
        changed = [i for i, (_, _, h) in enumerate(seen) if h is None]
        hashed = (hasher or hash_files)([seen[i][0] for i in changed]) if changed else []
        why_unhashed: dict[str, str] = {}
        for i, (h, why) in zip(changed, hashed, strict=True):
            seen[i] = (seen[i][0], seen[i][1], h)
            if h is None:
                why_unhashed[seen[i][0]] = why
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
        unsaved: list[str] = []
        if progress:
            progress(0, len(todo))
        results = (
            runner(todo)
            if runner is not None
            else inspect_all(todo, workers, sample_rows, inspect, file_seconds)
        )
        for h, result in results:
            if progress:
                progress(len(fresh) + 1, len(todo))
            if result is None:  # a crash: reported now, not remembered (retried next time)
                why = CRASHED.format(seconds=file_seconds)
                fresh[h] = _result("unreadable", not_read=[f": {why}"])
                continue
            fresh[h] = result
            unsaved.append(h)
            if len(unsaved) >= RECORD_EVERY:  # an interrupted sweep keeps what it did
                idx.record([r for d in unsaved for r in rows_of[d]], {d: fresh[d] for d in unsaved})
                unsaved = []
        idx.record([r for d in unsaved for r in rows_of[d]], {d: fresh[d] for d in unsaved})
        known.update(fresh)
        files = []
        for p, s, h in seen:
            mtime = dt.datetime.fromtimestamp(s.st_mtime, dt.UTC)
            common = dict(
                path=shown_path(p), size=s.st_size, owner=_owner(s.st_uid),
                modified=mtime.isoformat(timespec="seconds"),
                age_days=max(0, (now - mtime).days),
            )  # fmt: skip
            if h is None:
                why = why_unhashed.get(p, "unreadable")
                files.append(
                    FileReport(
                        **common,
                        status="unreadable",
                        encrypted=None,
                        not_read=shown_not_read(p, [f": {why}"]),
                    )  # fmt: skip
                )
                continue
            r = known[h]
            files.append(
                FileReport(
                    **common, status=r["status"], encrypted=r["encrypted"],
                    categories=tuple(r["categories"]), persons=r["persons"], tables=r["tables"],
                    cached=h not in fresh, not_read=shown_not_read(p, r["not_read"]),
                )
            )  # fmt: skip
        files.sort(key=lambda f: f.path)
        return SweepResult(files, seen=len(seen), inspected=len(fresh), errors=errors)
    finally:
        idx.close()


__all__ = [
    "SAMPLE_ROWS",
    "SWEEP_SCHEMA",
    "FileReport",
    "Hasher",
    "Runner",
    "SweepResult",
    "default_index",
    "hash_files",
    "inspect_all",
    "inspect_file",
    "shown_not_read",
    "sweep",
    "walk",
]
