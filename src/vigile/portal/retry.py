"""Retry a case-store call that lost a race with another writer (SQLite).

On SQLite an audited read (the person's page, the operator's list of requests) reads the
audit chain's head before its transaction holds the file's write lock, so two writers at
once may both take the same sequence number: the later one fails (IntegrityError on
audit_log.seq, or "database is locked") and its whole transaction is rolled back. Doing
the call again is then safe and gives the same result. PostgreSQL serialises the chain
with a row lock and never needs this. (The root cause is in vigile.case.audit; this only
keeps the portal and the operator's run from failing until it is fixed there.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

T = TypeVar("T")
TRIES = 30


def retry_concurrent(fn: Callable[..., T], *args, **kwargs) -> T:
    for attempt in range(TRIES):
        try:
            return fn(*args, **kwargs)
        except (IntegrityError, OperationalError):
            if attempt == TRIES - 1:
                raise
            time.sleep(0.002 * (attempt + 1) + random.random() * 0.01)
    raise AssertionError("unreachable")  # pragma: no cover
