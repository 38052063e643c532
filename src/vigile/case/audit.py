"""Append-only, keyed hash-chained audit log.

Each row stores hash = HMAC-SHA256(audit key, prev_hash + canonical JSON of the row),
the audit key being derived from the store key, which the store file does not hold: a
tamperer with write access to the database can neither rewrite a row and recompute the
chain nor forge new rows. Rows written before vigile kept a keyed chain (stores older
than migration 0003) stay plain SHA-256; the first keyed row's number is kept sealed in
case_meta. The chain head (last seq and hash) is kept in case_meta so that removing the
last rows shows too; an *anchor* (`anchor()`: row count and head, MAC'd) kept outside
the database shows truncation and wiping. `verify_chain` recomputes everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from .clock import utcnow
from .schema import audit_log, meta

GENESIS = "0" * 64
_HEAD_KEY = "audit_head"
_KEYED_FROM = "audit_keyed_from"
_KEYED_AAD = b"vigile.case/audit-keyed-from"
ANCHOR_SCHEMA = "vigile.audit-anchor/1"


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, details: str) -> str:
    body = canonical_json(
        {"seq": seq, "at": at, "actor": actor, "action": action, "details": details}
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _read_head(conn: Connection, lock: bool) -> tuple[int, str] | None:
    q = select(meta.c.value).where(meta.c.key == _HEAD_KEY)
    if lock:
        q = q.with_for_update()  # PostgreSQL: serialise writers; SQLite locks the file anyway
    raw = conn.execute(q).scalar_one_or_none()
    if raw is None:
        return None
    seq, h = json.loads(raw)
    return int(seq), str(h)


def keyed_row_hash(cipher, prev_hash: str, seq: int, at: str, actor: str, action: str,
                   details: str) -> str:  # fmt: skip
    body = canonical_json(
        {"seq": seq, "at": at, "actor": actor, "action": action, "details": details}
    )
    return cipher.audit_mac(prev_hash + body)


def keyed_from(conn: Connection, cipher) -> int | None:
    """The first keyed row's number (None: no keyed row yet, or no key to read it)."""
    raw = conn.execute(select(meta.c.value).where(meta.c.key == _KEYED_FROM)).scalar_one_or_none()
    if raw is None or cipher is None:
        return None
    return int(cipher.open(bytes(raw), _KEYED_AAD))


def _has_keyed_marker(conn: Connection) -> bool:
    q = select(meta.c.key).where(meta.c.key == _KEYED_FROM)
    return conn.execute(q).first() is not None


def append(conn: Connection, actor: str, action: str, details: dict | None, cipher) -> str:
    """Append one keyed row inside the caller's transaction; returns its hash.

    `cipher` is the store's FieldCipher (the key): writing to the audit log needs it.
    `details` must never hold a personal value: the audit log outlives a purge.
    """
    head = _read_head(conn, lock=True)
    if head is None and conn.dialect.name == "postgresql":
        # The first row: two transactions would both find no head to lock. The head record
        # is created empty (or found created by the other one, which we then wait for).
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        empty = json.dumps([0, GENESIS]).encode()
        conn.execute(pg_insert(meta).values(key=_HEAD_KEY, value=empty).on_conflict_do_nothing())
        head = _read_head(conn, lock=True)
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at = utcnow().isoformat()
    body = canonical_json(details or {})
    if not _has_keyed_marker(conn):
        conn.execute(insert(meta).values(key=_KEYED_FROM, value=cipher.seal(seq, _KEYED_AAD)))
    h = keyed_row_hash(cipher, prev, seq, at, actor, action, body)
    conn.execute(
        insert(audit_log).values(
            seq=seq, at=at, actor=actor, action=action, details=body, prev_hash=prev, hash=h
        )
    )
    value = json.dumps([seq, h]).encode()
    if head:
        conn.execute(update(meta).where(meta.c.key == _HEAD_KEY).values(value=value))
    else:
        conn.execute(insert(meta).values(key=_HEAD_KEY, value=value))
    return h


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    head: str | None
    problem: str | None = None  # first break found, by sequence number
    keyed: bool = True  # False: the MACs were not checked (no key given)
    unkeyed_rows: int = 0  # rows of a store older than the keyed chain (plain SHA-256)


def verify_chain(conn: Connection, cipher=None) -> ChainReport:
    """Recompute the chain. With the key (`cipher`) every MAC is checked; without it, only
    the links and the plain rows are (the report says so)."""
    first_keyed = keyed_from(conn, cipher)
    marker = _has_keyed_marker(conn)
    prev, expected_seq, n = GENESIS, 1, 0
    rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings()
    for r in rows:
        n += 1
        if r["seq"] != expected_seq:
            return ChainReport(False, n, None, f"row {expected_seq} is missing")
        if r["prev_hash"] != prev:
            return ChainReport(False, n, None, f"row {r['seq']} does not follow its predecessor")
        args = (prev, r["seq"], r["at"], r["actor"], r["action"], r["details"])
        if marker and (first_keyed is None or r["seq"] >= first_keyed):
            if cipher is None:  # cannot check a MAC without the key: follow the links only
                h = r["hash"]
            else:
                h = keyed_row_hash(cipher, *args)
        else:
            h = row_hash(*args)
        if h != r["hash"]:
            return ChainReport(False, n, None, f"row {r['seq']} was altered")
        prev, expected_seq = h, expected_seq + 1
    head = _read_head(conn, lock=False)
    if head is None and n:
        return ChainReport(False, n, None, "the chain head record is missing")
    if head is not None and head != (n, prev):
        return ChainReport(False, n, None, f"the chain head says {head[0]} rows, found {n}")
    if cipher is not None and n and not marker:
        # A store written by this version always has the marker from its first row on.
        unkeyed = n
    elif first_keyed is not None:
        unkeyed = first_keyed - 1
    else:
        unkeyed = 0
    return ChainReport(True, n, prev if n else None, keyed=cipher is not None,
                       unkeyed_rows=unkeyed)  # fmt: skip


def anchor(conn: Connection, cipher, store_id: str) -> dict:
    """The chain's state to keep outside the database (a file, the CNIL submission record,
    a signed mail): rows, head, time, and a MAC under the audit key."""
    report = verify_chain(conn, cipher)
    if not report.ok:
        raise ValueError(f"the audit chain is broken ({report.problem}): not anchoring it")
    body = {
        "schema": ANCHOR_SCHEMA,
        "store": store_id,
        "rows": report.rows,
        "head": report.head,
        "at": utcnow().isoformat(),
    }
    return {**body, "mac": cipher.audit_mac(canonical_json(body))}


def check_anchor(conn: Connection, cipher, anchor_doc: dict, store_id: str) -> str | None:
    """None when the chain still holds the anchored state (and may have grown since);
    otherwise what is wrong."""
    body = {k: anchor_doc.get(k) for k in ("schema", "store", "rows", "head", "at")}
    if body["schema"] != ANCHOR_SCHEMA:
        return "not a vigile audit anchor"
    if cipher.audit_mac(canonical_json(body)) != anchor_doc.get("mac"):
        return "the anchor was not made with this store's key, or it was altered"
    if body["store"] != store_id:
        return "the anchor belongs to another store"
    report = verify_chain(conn, cipher)
    if not report.ok:
        return report.problem
    rows, head = int(body["rows"]), body["head"]
    if report.rows < rows:
        return f"the log was cut: the anchor saw {rows} rows, {report.rows} remain"
    if rows:
        found = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == rows)).scalar()
        if found != head:
            return f"row {rows} differs from the anchored head"
    return None
