"""One run of a step per incident at a time, across processes, machines and backends.

A lease is a row (name, holder, token, expiry) in the store. Taking it is one
transaction: insert when absent, take over only when expired. The holder renews it as it
works (each batch) and deletes it when done; a run killed with SIGKILL leaves a lease
that expires after `ttl` seconds, after which the next run resumes — at once when the
killed run was on the same host (its process is gone). Written by hand: the
databases' own advisory locks differ (SQLite has none) and die with the connection.
"""

from __future__ import annotations

import os
import secrets
import socket
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from .clock import from_db, show_time, utcnow
from .errors import CaseError
from .schema import leases

DEFAULT_TTL = 120.0


class BusyError(CaseError):
    """Another run holds the lease (the message says who since when, and what to do)."""


class Lease:
    def __init__(self, store, name: str, token: str, ttl: float):
        self.store, self.name, self.token, self.ttl = store, name, token, ttl

    def renew(self) -> None:
        """Push the expiry back; raises BusyError when the lease was lost (taken over
        after expiring), so a run that stalled longer than `ttl` stops instead of
        working beside its successor."""
        with self.store.engine.begin() as conn:
            n = conn.execute(
                update(leases)
                .where(leases.c.name == self.name, leases.c.token == self.token)
                .values(expires_at=utcnow() + timedelta(seconds=self.ttl))
            ).rowcount
        if n != 1:
            raise BusyError(f"{self.name}: this run lost its lease to another run; stopping")

    def release(self) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                delete(leases).where(leases.c.name == self.name, leases.c.token == self.token)
            )


def _holder() -> str:
    return (
        f"{os.environ.get('USER') or 'uid' + str(os.getuid())}@{socket.gethostname()}:{os.getpid()}"
    )


def holder_is_dead(holder: str) -> bool:
    """True when the holder ran on this host and its process is gone (a SIGKILLed run):
    the next run need not wait for the lease to expire. Any doubt (another host, a pid
    alive or reused, no permission to ask) keeps the lease until it expires."""
    who, _, pid = holder.rpartition(":")
    host = who.rpartition("@")[2]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, owned by someone else
        return False
    return False


def acquire(store, name: str, ttl: float = DEFAULT_TTL) -> Lease:
    try:
        return _acquire(store, name, ttl)
    except OperationalError as e:
        text = str(e.orig).lower()
        if "locked" in text or "busy" in text:  # SQLite: another writer held the file
            raise BusyError(
                "another run of this step started at the same moment for this incident: "
                "wait for it to end"
            ) from None
        # A full disk, an I/O error...: not another run (the driver's text names no value).
        raise CaseError(
            f"the case store could not be written ({type(e.orig).__name__}: "
            f"{str(e.orig)[:120]}): check the free space of its disk, then rerun"
        ) from None


def _acquire(store, name: str, ttl: float) -> Lease:
    token = secrets.token_hex(16)
    now = utcnow()
    values = {
        "holder": _holder(),
        "token": token,
        "acquired_at": now,
        "expires_at": now + timedelta(seconds=ttl),
    }
    with store.engine.begin() as conn:
        row = conn.execute(
            select(leases.c.holder, leases.c.acquired_at, leases.c.expires_at)
            .where(leases.c.name == name)
            .with_for_update()
        ).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(leases).values(name=name, **values))
            except IntegrityError:
                row = conn.execute(
                    select(leases.c.holder, leases.c.acquired_at, leases.c.expires_at).where(
                        leases.c.name == name
                    )
                ).first()
        if row is not None:
            expires = from_db(row.expires_at)
            if expires > now and not holder_is_dead(row.holder):
                wait = int((expires - now).total_seconds()) + 1
                raise BusyError(
                    f"another run of this step is under way for this incident ({row.holder}, "
                    f"since {show_time(from_db(row.acquired_at), 'en')}): wait for it to end; "
                    f"if it was killed, rerun in {wait} s"
                )
            n = conn.execute(
                update(leases)
                .where(leases.c.name == name, leases.c.expires_at == row.expires_at)
                .values(**values)
            ).rowcount
            if n != 1:
                raise BusyError("another run took this step at the same moment: rerun later")
        store._audit(conn, "lease.acquire", {"lease": name})
    return Lease(store, name, token, ttl)


@contextmanager
def held(store, name: str, ttl: float = DEFAULT_TTL):
    lease = acquire(store, name, ttl)
    try:
        yield lease
    finally:
        lease.release()
