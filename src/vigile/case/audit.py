"""Append-only, hash-chained audit log.

Each row stores hash = sha256(prev_hash + canonical JSON of the row); the chain
head (last seq and hash) is also kept in case_meta so that removing the last
rows shows too. `verify_chain` recomputes everything.
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


def append(conn: Connection, actor: str, action: str, details: dict | None) -> str:
    """Append one row inside the caller's transaction; returns its hash.

    `details` must never hold a personal value: the audit log outlives a purge.
    """
    head = _read_head(conn, lock=True)
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at = utcnow().isoformat()
    body = canonical_json(details or {})
    h = row_hash(prev, seq, at, actor, action, body)
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


def verify_chain(conn: Connection) -> ChainReport:
    prev, expected_seq, n = GENESIS, 1, 0
    rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings()
    for r in rows:
        n += 1
        if r["seq"] != expected_seq:
            return ChainReport(False, n, None, f"row {expected_seq} is missing")
        if r["prev_hash"] != prev:
            return ChainReport(False, n, None, f"row {r['seq']} does not follow its predecessor")
        h = row_hash(prev, r["seq"], r["at"], r["actor"], r["action"], r["details"])
        if h != r["hash"]:
            return ChainReport(False, n, None, f"row {r['seq']} was altered")
        prev, expected_seq = h, expected_seq + 1
    head = _read_head(conn, lock=False)
    if head is None and n:
        return ChainReport(False, n, None, "the chain head record is missing")
    if head is not None and head != (n, prev):
        return ChainReport(False, n, None, f"the chain head says {head[0]} rows, found {n}")
    return ChainReport(True, n, prev if n else None)
