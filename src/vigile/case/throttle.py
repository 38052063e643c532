"""The portal's limits, kept in the case store: shared by every worker process and machine,
kept across restarts.

What is counted, per incident:
- wrong codes per client (`code_fail`): `max_failures` within `window` lock the client for
  `lockout` seconds; a right code clears the count (not a lock);
- wrong codes of all clients together (`*`) per `global_window`: past `global_limit` the
  portal is under a guessing flood and every client is locked at its first wrong code.
  A right code is never refused for the flood: a person whose own client has no wrong
  code still gets in (guessing must never become a denial of service). The bound on
  guessing then comes from the lock per client and from the portal's look-up rate (see
  tests/portal/test_portal_bruteforce.py);
- no-code requests per client (`no_code`), `limit` per `window`;
- sessions ended by logout (a replayed cookie is refused until it would have expired).

A client (an IPv4 address or an IPv6 /64, `vigile.portal.limits.client_key`) is stored as
a keyed pseudonym: HMAC-SHA256 under a sub-key of the store key. An address is personal
data; the store never holds one. Rows expire and are swept as the portal works.

Written by hand: the rate-limit libraries (limits, slowapi) keep counters in memory or in
Redis/Memcached, not in the SQL database the case already is.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .clock import from_db, to_utc, utcnow
from .schema import portal_sessions_ended, portal_throttle

CODE_FAIL = "code_fail"
NO_CODE = "no_code"
ALL_CLIENTS = "*"
_PURPOSE = b"vigile.portal/client-pseudonym/v1"
_SWEEP_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class CodeLimits:
    max_failures: int = 5  # wrong codes per client within `window`...
    window_s: float = 15 * 60
    lockout_s: float = 60 * 60  # ...lock it this long
    global_limit: int = 5_000  # wrong codes of all clients within `global_window_s`
    global_window_s: float = 3600


@dataclass(frozen=True)
class Failure:
    """What one wrong code did: `locked` the client; the portal is under a `flood`."""

    locked: bool
    flood: bool


class Throttle:
    """The limits of one incident's portal. Thread-safe (each call is one transaction)."""

    def __init__(self, store, incident_id: int, limits: CodeLimits | None = None):
        from .codes import store_subkey

        self.store, self.incident_id = store, incident_id
        self.limits = limits or CodeLimits()
        self._key = store_subkey(store, _PURPOSE)
        self._swept: datetime | None = None

    def client(self, client_key: str) -> str:
        """The pseudonym a client's rows are kept under (never the address)."""
        return hmac.new(self._key, client_key.encode(), hashlib.sha256).hexdigest()

    # -- wrong codes -----------------------------------------------------------------
    def locked(self, client_key: str, now: datetime | None = None) -> bool:
        now = to_utc(now) if now else utcnow()
        q = select(portal_throttle.c.locked_until).where(*self._row(CODE_FAIL, client_key))
        with self.store._read() as conn:
            until = conn.execute(q).scalar_one_or_none()
        return until is not None and from_db(until) > now

    def fail(self, client_key: str, now: datetime | None = None) -> Failure:
        """Count one wrong code of this client (and of all clients)."""
        lim = self.limits
        now = to_utc(now) if now else utcnow()
        with self.store.engine.begin() as conn:
            total = self._bump(conn, ALL_CLIENTS, ALL_CLIENTS, lim.global_window_s, now)
            flood = total > lim.global_limit
            threshold = 1 if flood else lim.max_failures
            n = self._bump(conn, CODE_FAIL, self.client(client_key), lim.window_s, now)
            locked = n >= threshold
            if locked:
                until = now + timedelta(seconds=lim.lockout_s)
                conn.execute(
                    update(portal_throttle)
                    .where(*self._row(CODE_FAIL, client_key))
                    .values(
                        locked_until=until,
                        window_start=now,
                        count=0,
                        expires_at=until + timedelta(seconds=lim.window_s),
                    )
                )
                self.store._audit(
                    conn, "portal.lockout", {"incident_id": self.incident_id, "flood": flood}
                )
            self._sweep(conn, now)
        return Failure(locked, flood)

    def succeed(self, client_key: str, now: datetime | None = None) -> None:
        """A right code clears the client's wrong codes (not an active lock)."""
        now = to_utc(now) if now else utcnow()
        q = select(portal_throttle.c.count).where(*self._row(CODE_FAIL, client_key))
        with self.store._read() as conn:
            if conn.execute(q).first() is None:
                return  # nothing to clear: no write (the common case)
        with self.store.engine.begin() as conn:
            conn.execute(
                delete(portal_throttle).where(
                    *self._row(CODE_FAIL, client_key),
                    (portal_throttle.c.locked_until.is_(None))
                    | (portal_throttle.c.locked_until <= now),
                )
            )

    def flood(self, now: datetime | None = None) -> bool:
        """Whether wrong codes of all clients are past the global limit in this window."""
        now = to_utc(now) if now else utcnow()
        q = select(portal_throttle.c.window_start, portal_throttle.c.count).where(
            *self._row(ALL_CLIENTS, ALL_CLIENTS, pseudonym=False)
        )
        with self.store._read() as conn:
            row = conn.execute(q).first()
        if row is None or now - from_db(row.window_start) >= timedelta(
            seconds=self.limits.global_window_s
        ):
            return False
        return row.count > self.limits.global_limit

    # -- no-code requests ------------------------------------------------------------
    def allow(self, scope: str, client_key: str, limit: int, window_s: float,
              now: datetime | None = None) -> bool:  # fmt: skip
        """Count one event of the client under `scope`; False once it is past `limit`
        events in the current window of `window_s` seconds."""
        now = to_utc(now) if now else utcnow()
        with self.store.engine.begin() as conn:
            n = self._bump(conn, scope, self.client(client_key), window_s, now)
            self._sweep(conn, now)
        return n <= limit

    # -- sessions --------------------------------------------------------------------
    def end_session(self, session_id: str, expires_at: datetime) -> None:
        """Refuse this session from now on (until its cookie would have expired anyway)."""
        digest = hashlib.sha256(session_id.encode()).hexdigest()
        ins = _insert(self.store.engine.dialect.name)
        with self.store.engine.begin() as conn:
            conn.execute(
                ins(portal_sessions_ended)
                .values(session=digest, incident_id=self.incident_id, expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=["session"])
            )

    def session_ended(self, session_id: str) -> bool:
        digest = hashlib.sha256(session_id.encode()).hexdigest()
        q = select(portal_sessions_ended.c.session).where(portal_sessions_ended.c.session == digest)
        with self.store._read() as conn:
            return conn.execute(q).first() is not None

    # -- plumbing --------------------------------------------------------------------
    def _row(self, scope: str, client: str, pseudonym: bool | None = None):
        if pseudonym is None:
            pseudonym = scope == CODE_FAIL
        name = self.client(client) if pseudonym else client
        return (
            portal_throttle.c.incident_id == self.incident_id,
            portal_throttle.c.scope == scope,
            portal_throttle.c.client == name,
        )

    def _bump(self, conn: Connection, scope: str, client: str, window_s: float,
              now: datetime) -> int:  # fmt: skip
        """Count one event in the row's fixed window (a new window when it is over);
        returns the count. The row is locked (PostgreSQL) or the file is (SQLite, BEGIN
        IMMEDIATE) until the transaction ends: concurrent workers never lose a count."""
        window = timedelta(seconds=window_s)
        key = (
            portal_throttle.c.incident_id == self.incident_id,
            portal_throttle.c.scope == scope,
            portal_throttle.c.client == client,
        )
        conn.execute(
            _insert(conn.dialect.name)(portal_throttle)
            .values(
                incident_id=self.incident_id,
                scope=scope,
                client=client,
                window_start=now,
                count=0,
                expires_at=now + window,
            )  # fmt: skip
            .on_conflict_do_nothing(index_elements=["incident_id", "scope", "client"])
        )
        row = conn.execute(
            select(
                portal_throttle.c.window_start,
                portal_throttle.c.count,
                portal_throttle.c.locked_until,
            )  # fmt: skip
            .where(*key)
            .with_for_update()
        ).one()
        start, count = from_db(row.window_start), row.count
        if now - start >= window:
            start, count = now, 0
        count += 1
        locked = from_db(row.locked_until) if row.locked_until is not None else None
        expires = max(start + window, locked or start)
        conn.execute(
            update(portal_throttle)
            .where(*key)
            .values(window_start=start, count=count, expires_at=expires)
        )
        return count

    def _sweep(self, conn: Connection, now: datetime) -> None:
        """Delete expired rows, at most every few minutes per process."""
        if self._swept is not None and now - self._swept < _SWEEP_EVERY:
            return
        self._swept = now
        conn.execute(delete(portal_throttle).where(portal_throttle.c.expires_at < now))
        conn.execute(delete(portal_sessions_ended).where(portal_sessions_ended.c.expires_at < now))


def _insert(dialect: str):
    return pg_insert if dialect == "postgresql" else sqlite_insert


__all__ = ["ALL_CLIENTS", "CODE_FAIL", "NO_CODE", "CodeLimits", "Failure", "Throttle"]
