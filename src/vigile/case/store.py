"""The incident's secure store: SQLite file by default, PostgreSQL by URL.

Personal fields (patient id, identity, review masks) are AES-GCM sealed with a
key held outside the store; every action is audited in a hash chain in the
same transaction as the action itself.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from pathlib import Path

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from ..categories import CATEGORY_IDS
from . import audit as audit_chain
from .clock import deadline_clock, from_db, to_utc, utcnow
from .crypto import FieldCipher
from .errors import CaseError, IncidentNotFoundError, KeyMissingError, StoreNotFoundError
from .keys import load_key
from .migrate import upgrade_head
from .models import (
    MATCH_METHODS,
    PASSWORD_FORMS,
    AffectedPerson,
    CnilDraft,
    CnilSubmission,
    Evidence,
    Incident,
    ProvenanceRecord,
    ReviewItem,
)
from .schema import (
    access_codes,
    affected,
    evidence,
    incidents,
    meta,
    notifications,
    portal_contacts,
    portal_requests,
    portal_sessions_ended,
    portal_throttle,
    review,
    triage,
)

DEFAULT_DB_FILE = "vigile-case.db"
ENV_DB = "VIGILE_DB"
BATCH = 5_000
_KNOWN_CATEGORIES = frozenset(CATEGORY_IDS)
# What `update_settings` takes: facts about the case, never about a person.
SETTINGS = frozenset(
    {
        "portal_url",  # where persons check with their code (printed in letters)
        "dpo_name",  # who signs the letters
        "dpo_title",
        "processor",  # the processor/subcontractor involved, if any
        "data_encrypted",  # were the leaked data encrypted (bool)
        "cnil_answers",  # answers to the CNIL form's fields vigile cannot establish
        "lang",
    }
)
_CNIL_CHANNEL = "cnil"
# The CNIL form's field a provenance trace answers (see vigile.notify.cnil), and where the
# traces recorded with the case are kept in its settings (by the found file's sha256).
ORIGIN_FIELD = "origin.circumstances"
PROVENANCE_SETTING = "provenance"
_DELIVERED = ("handed_over", "sent")


def resolve_db_url(url: str | None = None) -> str:
    """Explicit URL, else VIGILE_DB, else a SQLite file in the working directory.

    A bare path is taken as a SQLite file; `postgresql://` gets the psycopg 3 driver.
    """
    url = url or os.environ.get(ENV_DB) or DEFAULT_DB_FILE
    if "://" not in url:
        return f"sqlite:///{Path(url).absolute()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def safe_url(url: str) -> str:
    """The URL for messages: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def open_store(
    url: str | None = None,
    key: bytes | None = None,
    actor: str | None = None,
    *,
    key_file: str | os.PathLike | None = None,
    create: bool = True,
) -> CaseStore:
    """Open (and migrate to `head`) the store. Without a key the store opens locked:
    incident, status, audit and purge work; reading or writing personal data raises
    KeyMissingError. A key that does not match the store raises WrongKeyError now.
    """
    full_url = resolve_db_url(url)
    try:
        sqlite_file = _sqlite_path(full_url)
    except ArgumentError:
        raise CaseError("invalid database URL") from None
    if sqlite_file is not None and not sqlite_file.exists():
        if not create:
            raise StoreNotFoundError(f"no case store at {sqlite_file}: run `vigile case new`")
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        # The store is the most sensitive file vigile writes: owner-only from birth.
        os.close(os.open(sqlite_file, os.O_CREAT | os.O_WRONLY, 0o600))
    if sqlite_file is not None:
        _owner_only(sqlite_file)
    master = load_key(key, key_file)
    engine = create_engine(full_url)
    if engine.dialect.name == "sqlite":
        wal = sqlite_file is not None and _wal_allowed(sqlite_file)
        event.listen(engine, "connect", lambda conn, rec: _sqlite_pragmas(conn, rec, wal=wal))
        event.listen(engine, "begin", _sqlite_begin)
    try:
        upgrade_head(engine)
    except OperationalError as e:
        engine.dispose()
        # Driver messages can quote SQL parameters: name the store and the error type only.
        raise CaseError(
            f"cannot open case store {safe_url(full_url)} ({type(e.orig).__name__})"
        ) from None
    store = CaseStore(engine, FieldCipher(master) if master else None, actor or _default_actor())
    store._check_key()
    return store


# Connections of the store that only read (marked by CaseStore._read): they start a plain
# deferred transaction. Every other transaction on SQLite is a write transaction.
READ_ONLY = "vigile_read_only"


# File systems reached over a network (or through FUSE to a remote host). SQLite's WAL
# keeps its index in shared memory (the -shm file, mmap-ed), which only works between
# processes of one host: "WAL does not work over a network filesystem" (sqlite.org/wal.html).
# Its locks are unreliable there too, so PostgreSQL is the store for such a setup.
_NETWORK_FS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "coda", "9p", "ceph",
        "glusterfs", "lustre", "gpfs", "davfs", "fuse.sshfs", "fuse.glusterfs",
        "fuse.cephfs", "fuse.s3fs", "fuse.rclone", "fuse.gcsfuse", "fuse.davfs2",
        "fuse.smbnetfs", "fuse.juicefs",
    }
)  # fmt: skip
_network_warned: set[str] = set()


def _file_system(path: Path) -> str | None:
    """The type of the file system holding `path` (the longest mount point above it, from
    psutil's reading of the mount table), or None when it cannot be told."""
    import psutil

    try:
        target = os.path.realpath(path)
        best = None
        for part in psutil.disk_partitions(all=True):
            mp = part.mountpoint
            if target == mp or target.startswith(mp.rstrip(os.sep) + os.sep):
                if best is None or len(mp) >= len(best.mountpoint):  # last mount wins
                    best = part
    except (OSError, RuntimeError):
        return None
    return best.fstype.lower() if best is not None else None


def _owner_only(sqlite_file: Path) -> None:
    """A store file (or its -wal/-shm side files) left readable by others, e.g. by an
    older vigile or a copy made under umask 022, is made owner-only (0600) with one
    warning line: SQLite gives the side files the store file's mode."""
    import logging
    import stat

    for path in (sqlite_file, Path(f"{sqlite_file}-wal"), Path(f"{sqlite_file}-shm")):
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                os.chmod(path, 0o600)
                logging.getLogger(__name__).warning(
                    "warning: %s was readable by other users; it is now owner-only (0600)",
                    path.name,
                )
        except FileNotFoundError:
            continue
        except PermissionError:
            logging.getLogger(__name__).warning(
                "warning: %s is readable by other users and cannot be made owner-only: "
                "chmod 600 it",
                path.name,
            )


def _wal_allowed(sqlite_file: Path) -> bool:
    """WAL on a local file; the rollback journal (and a one-line warning, once per file and
    process) when the file is on a network file system."""
    import logging

    fs = _file_system(sqlite_file)
    if fs not in _NETWORK_FS:
        return True
    if str(sqlite_file) not in _network_warned:
        _network_warned.add(str(sqlite_file))
        logging.getLogger(__name__).warning(
            "warning: the case store %s is on a network file system (%s): SQLite runs "
            "there without WAL, slowly and with unreliable locks; PostgreSQL is advised "
            "(--db postgresql://…)",
            sqlite_file.name,
            fs,
        )
    return False


def _sqlite_pragmas(dbapi_conn, _record, *, wal: bool = False) -> None:
    # The driver's own transaction handling is off: it begins a transaction lazily, at the
    # first write, so a transaction that read first (the audit chain's head) could lose its
    # sequence number to another process, or fail with "database is locked" when SQLite
    # refuses to upgrade its read lock. `_sqlite_begin` emits BEGIN itself (SQLAlchemy's
    # documented recipe for pysqlite; it also makes SAVEPOINTs behave).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # WAL: readers never wait for the writer and a commit is one append + fsync of the
    # -wal file (12 ms a wrong portal code on disk, against 39 ms with the rollback
    # journal, whose writers queued past the busy timeout under a flood). synchronous=FULL
    # fsyncs the WAL at every commit: an issued code is never rolled back by a power cut
    # after a letter printed it (NORMAL would be 5.5 ms but may lose the last commits).
    # The -wal and -shm files get the store file's mode (0600) from SQLite. The mode is a
    # property of the file: set once, every later connection uses it; a file moved to a
    # network file system goes back to the rollback journal.
    import sqlite3

    try:
        cur.execute(f"PRAGMA journal_mode={'WAL' if wal else 'DELETE'}").fetchall()
    except sqlite3.OperationalError:
        pass  # another process holds the file right now: its mode stays, the next one sets it
    cur.execute("PRAGMA synchronous=FULL")
    # Deleted rows (a purge) are overwritten with zeros in the file and the WAL, not left
    # in free pages for whoever copies the file later.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE: a write transaction takes the file's write lock before its first
    read, waiting (busy_timeout) for another writer to finish. Writers are serialised the
    way PostgreSQL's row lock on the chain head serialises them: no two can read the same
    audit head. Read-only connections begin a deferred transaction (readers run side by
    side)."""
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _affected_aad(incident_id: int, person_ref: str) -> bytes:
    return f"vigile.case/affected/{incident_id}/{person_ref}".encode()


def _review_aad(incident_id: int) -> bytes:
    return f"vigile.case/review/{incident_id}".encode()


class CaseStore:
    """One store, possibly holding several incidents. Thread-safe as far as the engine is."""

    def __init__(self, engine: Engine, cipher: FieldCipher | None, actor: str):
        self.engine = engine
        self._cipher = cipher
        self.actor = actor

    # -- plumbing -----------------------------------------------------------------
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def locked(self) -> bool:
        return self._cipher is None

    def _read(self) -> Connection:
        """A connection for reading only (SQLite: a deferred transaction, which readers share;
        a write through it could fail under contention, so none may be made)."""
        return self.engine.connect().execution_options(**{READ_ONLY: True})

    def _require_key(self) -> FieldCipher:
        if self._cipher is None:
            raise KeyMissingError(
                "this operation reads or writes personal data and needs the store key: "
                "set VIGILE_KEY (base64 of 32 bytes) or VIGILE_KEY_FILE, or pass --key-file"
            )
        return self._cipher

    def _check_key(self) -> None:
        if self._cipher is None:
            return
        with self.engine.begin() as conn:
            blob = conn.execute(
                select(meta.c.value).where(meta.c.key == "key_check")
            ).scalar_one_or_none()
            if blob is None:  # first key to meet this store becomes its key
                conn.execute(insert(meta).values(key="key_check", value=self._cipher.key_check()))
            else:
                self._cipher.verify_key_check(blob)

    def _audit(self, conn: Connection, action: str, details: dict | None = None) -> None:
        if self._cipher is None:
            raise KeyMissingError(
                "writing to the case needs its key (every change is recorded in a keyed audit "
                "log): pass --key-file (the file `vigile case new` created), or set "
                "VIGILE_KEY_FILE or VIGILE_KEY"
            )
        audit_chain.append(conn, self.actor, action, details, self._cipher)

    @property
    def store_id(self) -> str:
        """A random id given to the store at creation (names it in anchors and key files)."""
        with self.engine.begin() as conn:
            raw = conn.execute(
                select(meta.c.value).where(meta.c.key == "store_id")
            ).scalar_one_or_none()
            if raw is None:
                raw = os.urandom(16).hex().encode()
                conn.execute(insert(meta).values(key="store_id", value=raw))
        return bytes(raw).decode()

    def person_ref(self, patient_id: str) -> str:
        """Keyed reference of a patient, for `log_notification` and lookups (needs the key)."""
        return self._require_key().person_ref(patient_id)

    # -- incidents ----------------------------------------------------------------
    def new_incident(
        self,
        name: str,
        discovered: datetime,
        controller: str | None = None,
        dpo_contact: str | None = None,
    ) -> int:
        if not name or len(name) > 200:
            raise ValueError("incident name must be 1 to 200 characters")
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                iid = conn.execute(
                    insert(incidents).values(
                        name=name,
                        discovered_at=to_utc(discovered),
                        controller=controller,
                        dpo_contact=dpo_contact,
                        created_at=now,
                        created_by=self.actor,
                        affected_count=0,
                    )
                ).inserted_primary_key[0]
                self._audit(
                    conn,
                    "incident.new",
                    {"incident_id": iid, "name": name, "discovered": to_utc(discovered)},
                )
        except IntegrityError:
            raise CaseError(f"an incident named {name!r} already exists") from None
        return int(iid)

    def incident(self, name: str | None = None) -> Incident:
        q = select(incidents)
        q = q.where(incidents.c.name == name) if name else q.order_by(incidents.c.id.desc())
        with self._read() as conn:
            row = conn.execute(q.limit(1)).mappings().first()
        if row is None:
            raise IncidentNotFoundError(
                f"no incident named {name!r}" if name else "this store holds no incident yet"
            )
        return _incident_from_row(row)

    def incident_by_id(self, incident_id: int) -> Incident:
        with self._read() as conn:
            row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).mappings()
            row = row.first()
        if row is None:
            raise IncidentNotFoundError(f"no incident with id {incident_id}")
        return _incident_from_row(row)

    def update_settings(self, incident_id: int, **values) -> dict:
        """Set what the DPO tells vigile about the case (keys of SETTINGS; None removes one).

        Settings hold no personal value: the portal's address, the DPO's name and title,
        the processor involved, whether the data were encrypted, the answers to the CNIL
        form. Returns the settings after the change."""
        unknown = set(values) - SETTINGS
        if unknown:
            raise ValueError(f"unknown case settings {sorted(unknown)}; known: {sorted(SETTINGS)}")
        with self.engine.begin() as conn:
            self._ensure_incident(conn, incident_id)
            text = conn.execute(
                select(incidents.c.settings).where(incidents.c.id == incident_id)
            ).scalar_one_or_none()
            current = json.loads(text) if text else {}
            for k, v in values.items():
                if v is None:
                    current.pop(k, None)
                else:
                    current[k] = v
            conn.execute(
                update(incidents)
                .where(incidents.c.id == incident_id)
                .values(settings=audit_chain.canonical_json(current))
            )
            self._audit(
                conn, "incident.settings", {"incident_id": incident_id, "changed": sorted(values)}
            )
        return current

    def _ensure_incident(self, conn: Connection, incident_id: int) -> None:
        found = conn.execute(select(incidents.c.id).where(incidents.c.id == incident_id)).first()
        if found is None:
            raise IncidentNotFoundError(f"no incident with id {incident_id}")

    # -- evidence & triage --------------------------------------------------------
    def add_evidence(
        self,
        incident_id: int,
        path: str,
        sha256: str,
        size: int,
        *,
        found_where: str | None = None,
        found_at: datetime | None = None,
    ) -> bool:
        """Record a file as evidence (idempotent: the same path and digest once).

        `found_where` (a URL, a forum, a share) and `found_at` say where and when it was
        found. Returns True when the evidence is new."""
        sha = _check_sha256(sha256)
        with self.engine.begin() as conn:
            self._ensure_incident(conn, incident_id)
            return self._insert_evidence(conn, incident_id, path, sha, size, found_where, found_at)

    def _insert_evidence(
        self, conn: Connection, incident_id: int, path: str, sha: str, size: int,
        found_where: str | None, found_at: datetime | None,
    ) -> bool:  # fmt: skip
        exists = conn.execute(
            select(evidence.c.id).where(
                evidence.c.incident_id == incident_id,
                evidence.c.path == path,
                evidence.c.sha256 == sha,
            )
        ).first()
        if exists:
            return False
        conn.execute(
            insert(evidence).values(
                incident_id=incident_id,
                path=path,
                sha256=sha,
                size=size,
                recorded_at=utcnow(),
                found_where=found_where,
                found_at=to_utc(found_at) if found_at else None,
                recorded_by=self.actor,
            )
        )
        self._audit(
            conn,
            "evidence.add",
            {
                "incident_id": incident_id,
                "path": path,
                "sha256": sha,
                "size": size,
                "found_where": found_where,
                "found_at": to_utc(found_at) if found_at else None,
            },
        )
        return True

    def record_provenance(
        self,
        incident_id: int,
        *,
        path: str,
        sha256: str,
        size: int,
        origin: str,
        matches: Sequence[Mapping[str, object]],
        found_where: str | None = None,
        found_at: datetime | None = None,
    ) -> ProvenanceRecord:
        """Record a found file traced to its export(s) (`vigile.provenance`), in one
        transaction: the file as evidence (idempotent), the trace's answer (`matches`:
        export names, recipients, shares, confidences — no personal value) kept with the
        case under settings["provenance"][sha256], and `origin` (the sentence for the CNIL
        form) as the answer to `origin.circumstances` — unless the DPO answered that field
        (an answer that is not one a trace wrote is the DPO's and is kept)."""
        sha = _check_sha256(sha256)
        if not origin or len(origin) > 4000:
            raise ValueError("origin must be 1 to 4000 characters")
        traced = [dict(m) for m in matches]
        audit_chain.canonical_json(traced)  # JSON values only (raises TypeError otherwise)
        with self.engine.begin() as conn:
            self._ensure_incident(conn, incident_id)
            new = self._insert_evidence(conn, incident_id, path, sha, size, found_where, found_at)
            text = conn.execute(
                select(incidents.c.settings).where(incidents.c.id == incident_id)
            ).scalar_one_or_none()
            current = json.loads(text) if text else {}
            traces = dict(current.get(PROVENANCE_SETTING) or {})
            written = {t.get("origin") for t in traces.values() if isinstance(t, dict)}
            answers = dict(current.get("cnil_answers") or {})
            answered = answers.get(ORIGIN_FIELD)
            kept = bool(answered) and answered != origin and answered not in written
            if not kept:
                answers[ORIGIN_FIELD] = origin
                current["cnil_answers"] = answers
            traces[sha] = {"origin": origin, "matches": traced, "traced_at": utcnow().isoformat()}
            current[PROVENANCE_SETTING] = traces
            conn.execute(
                update(incidents)
                .where(incidents.c.id == incident_id)
                .values(settings=audit_chain.canonical_json(current))
            )
            self._audit(
                conn,
                "provenance.trace",
                {
                    "incident_id": incident_id,
                    "sha256": sha,
                    "matches": traced,
                    "origin_answer": "kept" if kept else "set",
                },
            )
        return ProvenanceRecord(
            evidence_added=new, origin_set=not kept, answer=answers[ORIGIN_FIELD]
        )

    def evidence(self, incident_id: int) -> list[Evidence]:
        with self._read() as conn:
            rows = conn.execute(
                select(
                    evidence.c.path,
                    evidence.c.sha256,
                    evidence.c.size,
                    evidence.c.recorded_at,
                    evidence.c.found_where,
                    evidence.c.found_at,
                    evidence.c.recorded_by,
                )
                .where(evidence.c.incident_id == incident_id)
                .order_by(evidence.c.id)
            ).mappings()
            return [
                Evidence(
                    **dict(
                        r,
                        recorded_at=from_db(r["recorded_at"]),
                        found_at=from_db(r["found_at"]),
                    )
                )
                for r in rows
            ]

    def save_triage(self, incident_id: int, triage_json: dict) -> None:
        """Keep the latest triage result (masked aggregates only, by design of vigile.triage),
        with the vigile version that computed it."""
        from .. import __version__

        text = audit_chain.canonical_json(triage_json)
        with self.engine.begin() as conn:
            self._ensure_incident(conn, incident_id)
            conn.execute(delete(triage).where(triage.c.incident_id == incident_id))
            conn.execute(
                insert(triage).values(
                    incident_id=incident_id,
                    saved_at=utcnow(),
                    triage_json=text,
                    vigile_version=__version__,
                )
            )
            digest = hashlib.sha256(text.encode()).hexdigest()
            self._audit(conn, "triage.save", {"incident_id": incident_id, "sha256": digest})

    def triage(self, incident_id: int) -> dict | None:
        with self._read() as conn:
            text = conn.execute(
                select(triage.c.triage_json).where(triage.c.incident_id == incident_id)
            ).scalar_one_or_none()
        return json.loads(text) if text else None

    # -- affected persons ---------------------------------------------------------
    def replace_affected(
        self, incident_id: int, persons: Iterable[AffectedPerson], unmatched_leak_persons: int
    ) -> int:
        """Replace the incident's affected persons in one transaction (idempotent re-runs).

        Encryption is per person by nature (one blob each); inserts go in executemany batches.
        """
        cipher = self._require_key()
        now = utcnow()
        seen: set[str] = set()
        by_category: Counter[str] = Counter()
        by_method: Counter[str] = Counter()
        with self.engine.begin() as conn:
            self._ensure_incident(conn, incident_id)
            conn.execute(delete(affected).where(affected.c.incident_id == incident_id))
            it = iter(persons)
            position = 0
            while batch := list(islice(it, BATCH)):
                rows = []
                for p in batch:
                    _validate_person(p, position)
                    ref = cipher.person_ref(p.patient_id)
                    if ref in seen:
                        raise ValueError(f"person #{position}: patient id given twice")
                    seen.add(ref)
                    by_category.update(p.categories)
                    by_method[p.match_method] += 1
                    rows.append(
                        {
                            "incident_id": incident_id,
                            "person_ref": ref,
                            "match_probability": float(p.match_probability),
                            "match_method": p.match_method,
                            "categories": ",".join(sorted(p.categories)),
                            "sealed": cipher.seal(
                                {
                                    "patient_id": p.patient_id,
                                    "identity": dict(p.identity),
                                    "exposure": p.exposure_json(),
                                },
                                _affected_aad(incident_id, ref),
                            ),
                            "created_at": now,
                        }
                    )
                    position += 1
                _bulk_insert(conn, affected, rows)
            aggregates = self._aggregates(conn, incident_id)
            aggregates["affected"] = {
                "persons": len(seen),
                "by_category": dict(sorted(by_category.items())),
                "by_method": dict(sorted(by_method.items())),
            }
            conn.execute(
                update(incidents)
                .where(incidents.c.id == incident_id)
                .values(
                    affected_count=len(seen),
                    unmatched_leak_persons=int(unmatched_leak_persons),
                    linked_at=now,
                    aggregates=json.dumps(aggregates),
                )
            )
            self._audit(
                conn,
                "affected.replace",
                {
                    "incident_id": incident_id,
                    "persons": len(seen),
                    "unmatched_leak_persons": int(unmatched_leak_persons),
                    "by_method": dict(sorted(by_method.items())),
                },
            )
        return len(seen)

    def affected(self, incident_id: int) -> Iterator[AffectedPerson]:
        """Decrypted persons, streamed in batches (the access itself is audited)."""
        cipher = self._require_key()
        with self.engine.begin() as conn:
            self._audit(conn, "affected.read", {"incident_id": incident_id})
        return self._stream_affected(cipher, incident_id)

    def _stream_affected(self, cipher: FieldCipher, incident_id: int) -> Iterator[AffectedPerson]:
        for page in self._affected_pages(cipher, incident_id, BATCH):
            for _, person in page:
                yield person

    def affected_pages(
        self, incident_id: int, page_size: int = 1000, *, purpose: str = "affected.read"
    ) -> Iterator[list[tuple[str, AffectedPerson]]]:
        """Affected persons as lists of (person_ref, AffectedPerson), `page_size` at a time.

        Each page is its own short read (keyset paging), so writes made between pages (the
        notification log) never wait on an open cursor's lock. The access is audited once.
        """
        cipher = self._require_key()
        with self.engine.begin() as conn:
            self._audit(conn, purpose, {"incident_id": incident_id})
        return self._affected_pages(cipher, incident_id, page_size)

    def _affected_pages(
        self, cipher: FieldCipher, incident_id: int, page_size: int
    ) -> Iterator[list[tuple[str, AffectedPerson]]]:
        last = 0
        while True:
            q = (
                select(*_AFFECTED_COLS, affected.c.id)
                .where(affected.c.incident_id == incident_id, affected.c.id > last)
                .order_by(affected.c.id)
                .limit(page_size)
            )
            with self._read() as conn:
                rows = conn.execute(q).all()
            if not rows:
                return
            yield [(row[0], _person_from_row(cipher, incident_id, row)) for row in rows]
            last = rows[-1][-1]

    def exposure(
        self, incident_id: int, person_ref: str, purpose: str = "affected.read_one"
    ) -> AffectedPerson | None:
        """One person's exposure record (the access is audited under `purpose`, with the
        pseudonymous reference, so the controller can answer "who saw my page")."""
        cipher = self._require_key()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(*_AFFECTED_COLS).where(
                    affected.c.incident_id == incident_id, affected.c.person_ref == person_ref
                )
            ).first()
            if row is None:
                return None
            self._audit(conn, purpose, {"incident_id": incident_id, "person_ref": person_ref})
        return _person_from_row(cipher, incident_id, row)

    def count_affected(self, incident_id: int) -> int:
        with self._read() as conn:
            return conn.execute(
                select(func.count())
                .select_from(affected)
                .where(affected.c.incident_id == incident_id)
            ).scalar_one()

    # -- manual review ------------------------------------------------------------
    def add_review(
        self, incident_id: int, items: Iterable[ReviewItem], replace_pending: bool = False
    ) -> int:
        """Queue items for review. `replace_pending` first drops the undecided items of an
        earlier run (a new linkage replaces its gray zone; decisions already made stay)."""
        cipher = self._require_key()
        now = utcnow()
        aad = _review_aad(incident_id)
        rows = [
            {
                "incident_id": incident_id,
                "match_probability": float(it.match_probability),
                "sealed": cipher.seal(
                    {
                        "leak_key": it.leak_key,
                        "patient_id": it.patient_id,
                        "leak_masked": dict(it.leak_masked),
                        "patient_masked": dict(it.patient_masked),
                    },
                    aad,
                ),
                "decision": None,
                "created_at": now,
            }
            for it in items
        ]
        with self.engine.begin() as conn:
            self._ensure_incident(conn, incident_id)
            dropped = 0
            if replace_pending:
                dropped = conn.execute(
                    delete(review).where(
                        review.c.incident_id == incident_id, review.c.decision.is_(None)
                    )
                ).rowcount
            if rows:
                conn.execute(insert(review), rows)
            self._audit(
                conn,
                "review.add",
                {"incident_id": incident_id, "items": len(rows), "pending_replaced": dropped},
            )
        return len(rows)

    def review_queue(self, incident_id: int, include_decided: bool = False) -> list[ReviewItem]:
        cipher = self._require_key()
        q = select(review).where(review.c.incident_id == incident_id).order_by(review.c.id)
        if not include_decided:
            q = q.where(review.c.decision.is_(None))
        with self.engine.begin() as conn:
            rows = conn.execute(q).mappings().all()
            self._audit(conn, "review.read", {"incident_id": incident_id, "items": len(rows)})
        aad = _review_aad(incident_id)
        out = []
        for r in rows:
            d = cipher.open(bytes(r["sealed"]), aad)
            out.append(
                ReviewItem(
                    id=r["id"],
                    leak_key=d["leak_key"],
                    patient_id=d["patient_id"],
                    match_probability=r["match_probability"],
                    leak_masked=d["leak_masked"],
                    patient_masked=d["patient_masked"],
                    decision=r["decision"],
                )
            )
        return out

    def decide_review(self, review_id: int, accept: bool) -> None:
        decision = "accepted" if accept else "rejected"
        with self.engine.begin() as conn:
            iid = conn.execute(
                select(review.c.incident_id).where(review.c.id == review_id)
            ).scalar_one_or_none()
            if iid is None:
                raise CaseError(f"no review item with id {review_id}")
            conn.execute(
                update(review)
                .where(review.c.id == review_id)
                .values(decision=decision, decided_at=utcnow(), decided_by=self.actor)
            )
            self._audit(
                conn,
                "review.decide",
                {"incident_id": iid, "review_id": review_id, "decision": decision},
            )

    # -- notifications ------------------------------------------------------------
    def log_notifications(
        self,
        incident_id: int,
        channel: str,
        state: str,
        rows: Iterable[tuple[str, dict | None]],
        audit: dict | None = None,
    ) -> int:
        """Record `state` for every (person_ref, detail) of a batch in one transaction with
        one audit entry (the commit point of a resumable run). Details hold no personal
        value: reference, batch, page, SMTP code."""
        from .notifications import log_many

        return log_many(self, incident_id, channel, state, rows, audit)

    def notification_entries(self, incident_id: int, channel: str) -> list[tuple[str, str, dict]]:
        """(person_ref, state, detail) of a channel, oldest first."""
        from .notifications import entries

        return entries(self, incident_id, channel)

    def notification_states(self, incident_id: int, channel: str) -> dict[str, str]:
        """person_ref -> its latest state on a channel."""
        from .notifications import latest_states

        return latest_states(self, incident_id, channel)

    # -- the CNIL notification ---------------------------------------------------------
    def record_cnil_draft(
        self,
        incident_id: int,
        kind: str,
        json_sha256: str,
        pdf_sha256: str,
        at: datetime | None = None,
    ) -> int:
        """Record a written draft; returns its version number."""
        from .cnil_record import record_draft

        return record_draft(self, incident_id, kind, json_sha256, pdf_sha256, at)

    def cnil_drafts(self, incident_id: int) -> list[CnilDraft]:
        from .cnil_record import drafts

        return drafts(self, incident_id)

    def record_cnil_submission(
        self, incident_id: int, submitted_at: datetime, receipt: str, version: int | None = None
    ) -> CnilSubmission:
        """Record that a draft (default: the latest) was submitted on the CNIL's service."""
        from .cnil_record import record_submission

        return record_submission(self, incident_id, submitted_at, receipt, version)

    def cnil_submissions(self, incident_id: int) -> list[CnilSubmission]:
        from .cnil_record import submissions

        return submissions(self, incident_id)

    def next_cnil_kind(self, incident_id: int) -> str:
        """ "initial" until a submission is recorded, "complementary" after."""
        from .cnil_record import next_kind

        return next_kind(self, incident_id)

    # -- one run at a time -------------------------------------------------------------
    def lease(self, incident_id: int, step: str, ttl: float | None = None):
        """Context manager: hold the lease of `step` for this incident (BusyError when
        another run holds it). Renew it with `.renew()` as the work goes on."""
        from .leases import DEFAULT_TTL, held

        return held(self, f"{incident_id}:{step}", ttl or DEFAULT_TTL)

    def log_notification(
        self,
        incident_id: int,
        person_ref: str,
        channel: str,
        state: str,
        detail: str | None = None,
    ) -> None:
        """One step of a notification. `person_ref` is a reference (see `person_ref()`),
        never a name or address; channel "cnil" is the authority's notification."""
        from .notifications import log_many

        log_many(
            self, incident_id, channel, state, [(person_ref, detail)], action="notification.log"
        )

    def _notification_counts(self, conn: Connection, incident_id: int) -> dict:
        """Distinct persons per channel and state, plus the first CNIL delivery time."""
        rows = conn.execute(
            select(
                notifications.c.channel,
                notifications.c.state,
                func.count(func.distinct(notifications.c.person_ref)),
                func.min(notifications.c.at),
            )
            .where(notifications.c.incident_id == incident_id)
            .group_by(notifications.c.channel, notifications.c.state)
        ).all()
        counts: dict[str, dict[str, int]] = {}
        cnil_at = None
        for channel, state, n, first in rows:
            counts.setdefault(channel, {})[state] = int(n)
            if channel == _CNIL_CHANNEL and state in _DELIVERED:
                first = from_db(first)
                cnil_at = first if cnil_at is None or first < cnil_at else cnil_at
        return {"by_channel": counts, "cnil_notified_at": cnil_at.isoformat() if cnil_at else None}

    def _persons_reached(self, conn: Connection, incident_id: int, states: tuple[str, ...]) -> int:
        return conn.execute(
            select(func.count(func.distinct(notifications.c.person_ref))).where(
                notifications.c.incident_id == incident_id,
                notifications.c.channel != _CNIL_CHANNEL,
                notifications.c.state.in_(states),
            )
        ).scalar_one()

    # -- audit ----------------------------------------------------------------------
    def audit(self, action: str, details: dict | None = None) -> None:
        """Record an action done outside the store. `details` must hold no personal value."""
        with self.engine.begin() as conn:
            self._audit(conn, action, details)

    def verify_audit(self) -> bool:
        return self.audit_report().ok

    def audit_report(self) -> audit_chain.ChainReport:
        """The chain recomputed; with the key, every row's MAC is checked."""
        with self._read() as conn:
            return audit_chain.verify_chain(conn, self._cipher)

    def audit_anchor(self) -> dict:
        """The chain's state (rows, head) with a MAC, to keep outside the database: later,
        `check_audit_anchor` shows whether rows were cut, wiped or rewritten since."""
        cipher = self._require_key()
        store_id = self.store_id
        with self._read() as conn:
            doc = audit_chain.anchor(conn, cipher, store_id)
        self.audit("audit.anchor", {"rows": doc["rows"], "head": doc["head"]})
        return doc

    def check_audit_anchor(self, doc: dict) -> str | None:
        """None when the log still holds the anchored state; else what is wrong."""
        cipher = self._require_key()
        store_id = self.store_id
        with self._read() as conn:
            return audit_chain.check_anchor(conn, cipher, doc, store_id)

    # -- retention ------------------------------------------------------------------
    def purge(self, incident_id: int, before: datetime | None = None) -> int:
        """Delete the incident's personal data stored before `before` (default: all of it).

        Keeps the incident, evidence fingerprints, triage, aggregate figures and the
        audit log; notification rows lose their person reference and detail.
        Returns the number of affected persons deleted.
        """
        cutoff = to_utc(before) if before else None
        with self.engine.begin() as conn:
            self._ensure_incident(conn, incident_id)
            aggregates = self._aggregates(conn, incident_id)
            aggregates["notifications"] = self._notification_counts(conn, incident_id)
            aggregates["notifications"]["persons_rendered"] = self._persons_reached(
                conn, incident_id, ("rendered", *_DELIVERED)
            )
            aggregates["notifications"]["persons_sent"] = self._persons_reached(
                conn, incident_id, _DELIVERED
            )

            def _older(col):
                return [col < cutoff] if cutoff else []

            n = conn.execute(
                delete(affected).where(
                    affected.c.incident_id == incident_id, *_older(affected.c.created_at)
                )
            ).rowcount
            reviews = conn.execute(
                delete(review).where(
                    review.c.incident_id == incident_id, *_older(review.c.created_at)
                )
            ).rowcount
            conn.execute(
                update(notifications)
                .where(notifications.c.incident_id == incident_id, *_older(notifications.c.at))
                .values(person_ref=None, detail=None)
            )
            portal_rows = _purge_portal(conn, incident_id, cutoff)
            remaining = conn.execute(
                select(func.count())
                .select_from(affected)
                .where(affected.c.incident_id == incident_id)
            ).scalar_one()
            values: dict = {"aggregates": json.dumps(aggregates)}
            if remaining == 0:
                values["purged_at"] = utcnow()
            conn.execute(update(incidents).where(incidents.c.id == incident_id).values(**values))
            self._audit(
                conn,
                "purge",
                {
                    "incident_id": incident_id,
                    "before": cutoff,
                    "persons_deleted": n,
                    "review_items_deleted": reviews,
                    "portal_rows_deleted": portal_rows,
                },
            )
        if self.engine.dialect.name == "sqlite":
            # WAL: until a checkpoint the -wal file still holds pages written before the
            # purge; move them into the (zeroed) main file and empty the WAL now.
            # On the driver's connection, outside any transaction (autocommit).
            raw = self.engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                raw.close()
        return n

    # -- status -----------------------------------------------------------------------
    def status(self, incident_id: int, now: datetime | None = None) -> dict:
        """The 72 h clock and what is done / due, from figures only (no key needed)."""
        inc = self.incident_by_id(incident_id)
        with self._read() as conn:
            n_evidence = conn.execute(
                select(func.count())
                .select_from(evidence)
                .where(evidence.c.incident_id == incident_id)
            ).scalar_one()
            triage_at = conn.execute(
                select(triage.c.saved_at).where(triage.c.incident_id == incident_id)
            ).scalar_one_or_none()
            pending_review = conn.execute(
                select(func.count())
                .select_from(review)
                .where(review.c.incident_id == incident_id, review.c.decision.is_(None))
            ).scalar_one()
            if inc.purged_at is None:
                notif = self._notification_counts(conn, incident_id)
                rendered = self._persons_reached(conn, incident_id, ("rendered", *_DELIVERED))
                sent = self._persons_reached(conn, incident_id, _DELIVERED)
            else:  # person refs are gone: use the figures saved by the purge
                notif = inc.aggregates.get("notifications", {})
                rendered = notif.get("persons_rendered", 0)
                sent = notif.get("persons_sent", 0)
        submitted = self.cnil_submissions(incident_id)
        if submitted:
            cnil_at = min(x.submitted_at for x in submitted).isoformat()
        else:  # stores before 0003 logged the CNIL as a notification channel
            cnil_at = notif.get("cnil_notified_at")
        clock = deadline_clock(inc.discovered, now or utcnow())
        if cnil_at:
            late = (datetime.fromisoformat(cnil_at) - inc.discovered).total_seconds() / 3600 - 72
            clock["cnil_notified_late_hours"] = round(max(late, 0.0), 2)
        persons = inc.affected_count
        steps = {
            "evidence_recorded": {"done": n_evidence > 0, "count": n_evidence},
            "triage_saved": {
                "done": triage_at is not None,
                "at": from_db(triage_at).isoformat() if triage_at else None,
            },
            "persons_linked": {
                "done": inc.linked_at is not None,
                "count": persons,
                "unmatched_leak_persons": inc.unmatched_leak_persons,
                "review_pending": pending_review,
            },
            "cnil_notified": {
                "done": cnil_at is not None,
                "at": cnil_at,
                "drafts": len(self.cnil_drafts(incident_id)),
                "submissions": len(submitted),
            },
            "letters_rendered": {
                "done": inc.linked_at is not None and rendered >= persons,
                "count": rendered,
                "of": persons,
            },
            "letters_sent": {
                "done": inc.linked_at is not None and sent >= persons,
                "count": sent,
                "of": persons,
            },
        }
        return {
            "incident": {
                "id": inc.id,
                "name": inc.name,
                "controller": inc.controller,
                "dpo_contact": inc.dpo_contact,
                "discovered": inc.discovered.isoformat(),
                "purged_at": inc.purged_at.isoformat() if inc.purged_at else None,
            },
            "now": to_utc(now or utcnow()).isoformat(),
            "clock": clock,
            "steps": steps,
            "due": [k for k, v in steps.items() if not v["done"]],
        }

    def _aggregates(self, conn: Connection, incident_id: int) -> dict:
        text = conn.execute(
            select(incidents.c.aggregates).where(incidents.c.id == incident_id)
        ).scalar_one_or_none()
        return json.loads(text) if text else {}


def _purge_portal(conn: Connection, incident_id: int, cutoff: datetime | None) -> int:
    """Portal rows hold codes, typed identities and e-mails: they go with the persons.
    Codes and contacts of persons no longer affected, and requests older than the
    cutoff, are deleted."""
    still = select(affected.c.person_ref).where(affected.c.incident_id == incident_id)
    n = 0
    for table in (access_codes, portal_contacts):
        n += conn.execute(
            delete(table).where(
                table.c.incident_id == incident_id, table.c.person_ref.not_in(still)
            )
        ).rowcount
    older = [portal_requests.c.created_at < cutoff] if cutoff else []
    n += conn.execute(
        delete(portal_requests).where(portal_requests.c.incident_id == incident_id, *older)
    ).rowcount
    # The portal's limits and ended sessions hold no personal value: only expired ones go.
    now = utcnow()
    for table in (portal_throttle, portal_sessions_ended):
        conn.execute(
            delete(table).where(table.c.incident_id == incident_id, table.c.expires_at < now)
        )
    return n


def _check_sha256(sha256: str) -> str:
    sha = sha256.lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError("sha256 must be 64 hex digits")
    return sha


def _bulk_insert(conn: Connection, table, rows: list[dict]) -> None:
    """executemany; on PostgreSQL a COPY on the same transaction (several times faster than
    SQLAlchemy's multi-VALUES executemany for 500k rows of bytea)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    cols = list(rows[0])
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([r[c] for c in cols])


def _validate_person(p: AffectedPerson, position: int) -> None:
    # Messages give the position in the input, never the values.
    if p.match_method not in MATCH_METHODS:
        raise ValueError(f"person #{position}: match_method must be one of {sorted(MATCH_METHODS)}")
    if not 0.0 <= p.match_probability <= 1.0:
        raise ValueError(f"person #{position}: match_probability must be within [0, 1]")
    unknown = set(p.categories) - _KNOWN_CATEGORIES
    if unknown:
        raise ValueError(f"person #{position}: unknown category ids {sorted(unknown)}")
    if not p.patient_id:
        raise ValueError(f"person #{position}: empty patient_id")
    if p.password is not None and p.password not in PASSWORD_FORMS:
        raise ValueError(f"person #{position}: password must be one of {sorted(PASSWORD_FORMS)}")


_AFFECTED_COLS = (
    affected.c.person_ref,
    affected.c.match_probability,
    affected.c.match_method,
    affected.c.categories,
    affected.c.sealed,
)


def _person_from_row(cipher: FieldCipher, incident_id: int, row) -> AffectedPerson:
    ref, prob, method, cats, sealed = row[:5]
    data = cipher.open(bytes(sealed), _affected_aad(incident_id, ref))
    exp = data.get("exposure") or {}
    return AffectedPerson(
        patient_id=data["patient_id"],
        match_probability=prob,
        match_method=method,
        categories=frozenset(cats.split(",")) if cats else frozenset(),
        identity=data["identity"],
        health_kinds=frozenset(exp.get("health_kinds") or ()),
        password=exp.get("password"),
        minor=bool(exp.get("minor")),
        protected=bool(exp.get("protected")),
    )


def _incident_from_row(r) -> Incident:
    return Incident(
        id=r["id"],
        name=r["name"],
        discovered=from_db(r["discovered_at"]),
        controller=r["controller"],
        dpo_contact=r["dpo_contact"],
        created_at=from_db(r["created_at"]),
        created_by=r["created_by"],
        linked_at=from_db(r["linked_at"]),
        affected_count=r["affected_count"] or 0,
        unmatched_leak_persons=r["unmatched_leak_persons"],
        aggregates=json.loads(r["aggregates"]) if r["aggregates"] else {},
        purged_at=from_db(r["purged_at"]),
        settings=json.loads(r["settings"]) if r["settings"] else {},
    )
