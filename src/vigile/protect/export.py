"""`vigile export run / verify / open`: a migration extraction that is safe by construction.

run: each profiled table streams batch by batch through its transformations into
Parquet, encrypted to the recipients with age as it is written; a manifest
(row counts, columns, per-column transformation, sha256 of every part, who, when,
expiry) is signed with Ed25519. verify checks signature, hashes and expiry
without decrypting; open refuses anything expired or tampered and re-checks the
plaintext hash of every part it decrypts.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import queue
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pyrage

from .. import __version__
from ..detect import ColumnProfiler
from ..read import ReadError
from .age_stream import EncryptingWriter, HashingSink, parse_identities, parse_recipients
from .errors import ProtectError
from .profile import CREDENTIALS, ExportProfile
from .pseudonym import DEFAULT_CACHE_ENTRIES, Pseudonymiser
from .signing import fingerprint, public_b64, sign, signature_ok
from .sources import DEFAULT_BATCH_ROWS, SourceTable, describe, open_source
from .transform import apply, output_columns

EXPORT_SCHEMA = "vigile.export/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_LOCK = ".vigile-export.lock"  # held while a run writes the folder (removed after)
_PART_RE = re.compile(r"\d{2}-[A-Za-z0-9_.-]{1,60}\.parquet\.age")
CREDENTIAL_CHECK_ROWS = 20_000  # rows of each table classified at run time


def _canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1).encode()


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="seconds")


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _part_name(i: int, table: str) -> str:
    return f"{i:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', table)[:60]}.parquet.age"


def default_exporter() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _check_credentials(table: str, first: pl.DataFrame, profile_rules: dict) -> None:
    """Refuse to let out any column that looks like credentials, whatever the profile says."""
    profiler = ColumnProfiler(columns=first.columns)
    profiler.update(first.head(CREDENTIAL_CHECK_ROWS))
    for c in profiler.finish():
        rule = profile_rules.get(c.name)
        if c.category in CREDENTIALS and rule is not None and rule.action != "drop":
            raise ProtectError(
                f"table {table!r}: column {c.name!r} looks like {c.category} data: credentials"
                " are never exported, set action: drop"
            )


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Run `items` on a thread, at most `depth` items ahead of the consumer (the one
    being produced included): reading and transforming the next batch overlaps
    writing, compressing and encrypting this one (all release the GIL), and memory
    holds at most depth + 1 items of a stage."""
    q: queue.SimpleQueue = queue.SimpleQueue()
    slots = threading.Semaphore(depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            while True:
                slots.acquire()  # a finished item waits in the queue, or the consumer took one
                if stop.is_set():
                    return
                item = next(items, done)
                q.put((item, None))
                if item is done:
                    return
                del item  # not held while producing the next one
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put((None, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # an upstream stage stops too

    t = threading.Thread(target=produce, daemon=True)
    t.start()
    try:
        while True:
            item, exc = q.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            slots.release()
            box = [item]
            del item  # held by the consumer only, not by this frame while it works
            yield box.pop()
    finally:
        stop.set()
        while t.is_alive():  # unblock a producer waiting for a slot
            slots.release()
            t.join(0.05)


@dataclass
class _Part:
    table: str
    file: str
    rows: int
    columns: list[dict]
    dropped: list[str]
    sha256: str  # of the encrypted file
    plaintext_sha256: str


def _export_table(
    st: SourceTable,
    index: int,
    profile: ExportProfile,
    out_dir: Path,
    recipients: list,
    pseudo: Pseudonymiser,
    provenance=None,
) -> _Part:
    tprof = profile.table(st.name)
    assert tprof is not None
    batches = st.batches()
    first = next(batches, None)
    columns = list(first.columns) if first is not None else []
    missing = [r.name for r in tprof.columns if r.name not in columns]
    if first is not None and missing:
        raise ProtectError(f"table {st.name!r}: profile columns not in the source: {missing}")
    rules_by_name = {r.name: r for r in tprof.columns}
    if first is not None:
        _check_credentials(st.name, first, rules_by_name)
    rules = output_columns(tprof, columns) if first is not None else []
    if provenance is not None:
        provenance.table(rules)
        if first is not None:  # canary records, if asked, in the first identifying table
            first = provenance.plant(first)
    # String views, as polars holds them: no conversion on the way out (a cast to
    # large_string costs more than compressing). No Arrow schema stored in the file:
    # readers take the Parquet types (plain strings), whatever their Arrow version.
    schema = pa.schema([(r.name, pa.string_view()) for r in rules])
    name = _part_name(index, st.name)
    sink = EncryptingWriter(out_dir / name, recipients)
    rows = 0
    pending = [first] if first is not None else []
    del first  # a batch is held only while it moves through the pipeline

    def source() -> Iterator[pl.DataFrame]:
        if pending:
            yield pending.pop()
        yield from batches

    def transformed(source: Iterator[pl.DataFrame]) -> Iterator[tuple[int, pl.DataFrame]]:
        for batch in source:
            box = [batch.height, apply(batch, rules, pseudo)]
            del batch  # neither is held here while the next batch is transformed
            yield box[0], box.pop()

    try:
        # No min/max statistics: nobody filters an export by them, and they cost ~20%.
        with pq.ParquetWriter(
            sink, schema, compression="zstd", write_statistics=False, store_schema=False
        ) as w:
            # Three stages on three threads: parse, transform (itself on up to four
            # threads, see apply), compress+encrypt. The next parsed batch is read
            # while this one is transformed, no further (a parsed batch is the biggest
            # item: ~100 MB per 100,000 rows of 35 columns).
            for n, out in prefetch(transformed(prefetch(source(), depth=1))):
                # Zero-copy (string views); the cast only types all-null columns.
                w.write_table(out.to_arrow(compat_level=pl.CompatLevel.newest()).cast(schema))
                if provenance is not None:  # fingerprinted on its own thread meanwhile
                    provenance.batch(out)
                rows += n
                del out
    except ReadError as err:
        raise ProtectError(str(err)) from None
    finally:
        sink.close()
    return _Part(
        table=st.name,
        file=name,
        rows=rows,
        columns=[r.params() for r in rules],
        dropped=[c for c in columns if c not in {r.name for r in rules}],
        sha256=_file_sha256(out_dir / name),
        plaintext_sha256=sink.sha256,
    )


def run_export(
    source: str,
    profile: ExportProfile,
    recipients: list[str],
    out_dir: str | Path,
    signing_key,
    secret: bytes,
    exported_by: str | None = None,
    now: dt.datetime | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    pseudonym_cache: int = DEFAULT_CACHE_ENTRIES,
    provenance=None,
) -> dict:
    """Export `source` through `profile` into `out_dir`; returns the signed manifest.

    `pseudonym_cache` bounds the distinct values whose pseudonyms are remembered
    across batches (per kind: plain, compact, NIR-shaped); 0 hashes every batch's values
    afresh. `provenance` (a `vigile.provenance.hook.ExportHook`) fingerprints what
    leaves, batch by batch, and registers the export once the manifest is signed."""
    out_dir = Path(out_dir)
    age_recipients = parse_recipients(recipients)
    pseudo = Pseudonymiser(secret, pseudonym_cache)
    tables = {t.name: t for t in open_source(source, batch_rows)}
    unknown = [t.name for t in profile.tables if t.name not in tables]
    if unknown:
        raise ProtectError(
            f"{describe(source)}: tables in the profile but not in the source: {unknown}"
        )
    existed = out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    with _FolderLock(out_dir):
        _clear_killed_export(out_dir)
        if provenance is not None:
            # Before any work: the export's name is free in the registry, or (the folder
            # was left by a killed run) held by this very export, which `finish` checks.
            provenance.check(resuming=existed)
        return _run_locked(source, profile, recipients, out_dir, signing_key, tables,
                           age_recipients, pseudo, exported_by, now, provenance)  # fmt: skip


def _clear_killed_export(out_dir: Path) -> None:
    """An export folder must be empty, or hold only the encrypted parts of a killed run
    (no manifest: never signed, so never valid): those are removed and made again."""
    found = [p for p in out_dir.iterdir() if p.name != _LOCK]
    if not found:
        return
    if any(not (p.is_file() and _PART_RE.fullmatch(p.name)) for p in found):
        raise ProtectError(f"{out_dir}: output folder exists and is not empty")
    for p in found:
        p.unlink()


class _FolderLock:
    """An exclusive lock on an export folder while a run writes it: a second run at once
    is told so instead of removing the first one's parts."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / _LOCK
        self.fd: int | None = None

    def __enter__(self) -> _FolderLock:
        import fcntl
        import os

        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ProtectError(
                f"{self.path.parent}: another export is writing to this folder; wait for it"
            ) from None
        if os.fstat(fd).st_ino != os.stat(self.path).st_ino:  # unlinked by a run ending
            os.close(fd)
            raise ProtectError(f"{self.path.parent}: another export just wrote this folder")
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        import os

        if self.fd is not None:
            self.path.unlink(missing_ok=True)  # (the folder may be gone after a failure)
            os.close(self.fd)


def _run_locked(source, profile, recipients, out_dir, signing_key, tables, age_recipients,
                pseudo, exported_by, now, provenance) -> dict:  # fmt: skip
    now = now or dt.datetime.now(dt.UTC)
    try:
        parts = [
            _export_table(tables[t.name], i, profile, out_dir, age_recipients, pseudo, provenance)
            for i, t in enumerate(profile.tables, 1)
        ]
    except BaseException:
        if provenance is not None:
            provenance.abort()
        shutil.rmtree(out_dir, ignore_errors=True)  # never leave half an export behind
        raise
    pub = public_b64(signing_key.public_key())
    manifest = {
        "schema": EXPORT_SCHEMA,
        "vigile_version": __version__,
        "created_at": _iso(now),
        "expires_at": _iso(now + dt.timedelta(days=profile.expires_in_days)),
        "exported_by": exported_by or default_exporter(),
        "source": describe(source),
        "recipients": [str(r) for r in recipients],
        "profile_sha256": hashlib.sha256(profile.text.encode()).hexdigest(),
        "pseudonym_key_id": pseudo.key_id,
        "tables_not_exported": sorted(set(tables) - {t.name for t in profile.tables}),
        "signer": {"algorithm": "Ed25519", "public_key": pub, "fingerprint": fingerprint(pub)},
        "parts": [p.__dict__ for p in parts],
    }
    data = _canonical(manifest)
    if provenance is not None:
        try:  # registered (one transaction) before the export exists: none goes unregistered
            provenance.finish(manifest)
        except BaseException:
            shutil.rmtree(out_dir, ignore_errors=True)
            raise
    (out_dir / MANIFEST).write_bytes(data)
    (out_dir / SIGNATURE).write_text(sign(signing_key, data) + "\n")
    return manifest


@dataclass
class Verification:
    manifest: dict | None
    problems: list[str] = field(default_factory=list)
    expired: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_export(
    export_dir: str | Path, signer: str | None = None, now: dt.datetime | None = None
) -> Verification:
    """Check signature (against `signer`, a base64 Ed25519 key, when given), hashes, expiry."""
    d = Path(export_dir)
    try:
        data = (d / MANIFEST).read_bytes()
        sig = (d / SIGNATURE).read_text().strip()
        manifest = json.loads(data)
        pub = manifest["signer"]["public_key"]
    except (OSError, ValueError, KeyError, TypeError):
        return Verification(None, [f"{d}: no readable signed manifest"])
    v = Verification(manifest)
    if not signature_ok(pub, data, sig):
        v.problems.append("manifest signature does not match: manifest altered or re-signed")
    if signer is not None and signer != pub:
        v.problems.append(f"signed by {fingerprint(pub)}, not by the expected key")
    if manifest.get("schema") != EXPORT_SCHEMA:
        v.problems.append("unknown manifest schema")
    for part in manifest.get("parts", []):
        path = d / Path(part["file"]).name
        if not path.exists():
            v.problems.append(f"part missing: {path.name}")
        elif _file_sha256(path) != part["sha256"]:
            v.problems.append(f"part altered: {path.name} (sha256 differs from the manifest)")
    try:
        expires = dt.datetime.fromisoformat(manifest["expires_at"])
    except (KeyError, ValueError, TypeError):
        v.problems.append("manifest has no valid expiry date")
    else:
        if (now or dt.datetime.now(dt.UTC)) >= expires:
            v.expired = True
            v.problems.append(f"export expired on {manifest['expires_at']}")
    return v


def open_export(
    export_dir: str | Path,
    identity_file: str | Path,
    out_dir: str | Path,
    signer: str | None = None,
    now: dt.datetime | None = None,
) -> list[Path]:
    """Decrypt every part to `out_dir` as Parquet, after a clean verification."""
    v = verify_export(export_dir, signer, now)
    if not v.ok:
        raise ProtectError("refusing to open: " + "; ".join(v.problems))
    try:
        text = Path(identity_file).read_text(encoding="ascii")
    except (OSError, UnicodeError):
        raise ProtectError(f"{identity_file}: cannot read identity file") from None
    identities = parse_identities(text, str(identity_file))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for part in v.manifest["parts"]:  # type: ignore[index]
            target = out / Path(part["file"]).name.removesuffix(".age")
            try:
                sink = HashingSink(target)
            except FileExistsError:
                raise ProtectError(f"{target}: already exists, not overwritten") from None
            written.append(target)
            try:
                with open(Path(export_dir) / Path(part["file"]).name, "rb") as f:
                    pyrage.decrypt_io(f, sink, identities)
            except (OSError, pyrage.DecryptError):
                raise ProtectError(
                    f"{part['file']}: cannot decrypt (not encrypted to this identity, or damaged)"
                ) from None
            finally:
                sink.close()
            if sink.sha256 != part["plaintext_sha256"]:
                raise ProtectError(f"{part['file']}: decrypted content differs from the manifest")
            if pq.ParquetFile(target).metadata.num_rows != part["rows"]:
                raise ProtectError(f"{part['file']}: row count differs from the manifest")
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return written
