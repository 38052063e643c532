"""vigile.case.Throttle on SQLite and PostgreSQL: processes counting at once lose no count."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from vigile.case import CodeLimits, Throttle, open_store

PROCESSES = 4
EACH = 15

CHILD = """
import os, sys, time
from vigile.case import CodeLimits, Throttle, open_store
url, go, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open_store(url) as store:
    th = Throttle(store, store.incident().id, CodeLimits(max_failures=10**6, global_limit=10**6))
    while not os.path.exists(go):
        time.sleep(0.005)
    for _ in range(n):
        th.fail("2001:db8::/64")
        assert th.allow("no_code", "198.51.100.1", 10**6, 3600)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, sqlite_url):
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_counts_from_processes_at_once_add_up(store_url, key, tmp_path):
    with open_store(store_url, key=key) as store:
        iid = store.new_incident("throttle", datetime(2021, 2, 1, tzinfo=UTC))
    go = tmp_path / "go"
    env = {**os.environ, "VIGILE_KEY": base64.b64encode(key).decode()}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, store_url, str(go), str(EACH)],
            env=env,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for _ in range(PROCESSES)
    ]
    go.touch()
    for c in children:
        _, err = c.communicate(timeout=300)
        assert c.returncode == 0, err.decode()[-2000:]
    total = PROCESSES * EACH
    with open_store(store_url, key=key) as store:
        # the next one is number total + 1, for the client and for all clients
        th = Throttle(store, iid, CodeLimits(max_failures=total + 1, global_limit=total))
        assert not th.flood()
        outcome = th.fail("2001:db8::/64")
        assert outcome.locked and outcome.flood
        assert not th.allow("no_code", "198.51.100.1", total, 3600)
        assert store.audit_report().ok


def test_windows_and_locks(store_url, key):
    t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    limits = CodeLimits(max_failures=2, window_s=60, lockout_s=600, global_limit=3)
    with open_store(store_url, key=key) as store:
        iid = store.new_incident("throttle", t0)
        th = Throttle(store, iid, limits)
        assert not th.fail("a", t0).locked
        assert th.fail("a", t0).locked and th.locked("a", t0 + timedelta(seconds=599))
        assert not th.locked("a", t0 + timedelta(seconds=601))
        assert not th.fail("b", t0).flood
        assert th.fail("c", t0).flood  # the 4th wrong code of all clients in the hour
        assert th.fail("c", t0).locked is True
        assert not th.flood(t0 + timedelta(hours=1, seconds=1))
        th.end_session("s1", t0 + timedelta(minutes=15))
        th.end_session("s1", t0 + timedelta(minutes=15))  # twice: no error
        assert th.session_ended("s1") and not th.session_ended("s2")
