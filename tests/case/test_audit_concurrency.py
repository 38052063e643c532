"""Several processes appending to the audit log at once never collide on a sequence number:
every call succeeds (no retry in the caller) and the chain stays whole, on SQLite and on
PostgreSQL. Regression: on SQLite an audited read took the chain head before it held the
write lock, so two processes could take the same number (IntegrityError) or fail with
"database is locked" (the portal wrapped its calls in a retry loop)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from vigile.case import AffectedPerson, open_store

PROCESSES = 4
ROUNDS = 40

# Each child waits for the go file, then mixes the three kinds of audited work: a plain
# audit row, an audited read (the portal's person page: reads, then appends) and a write
# with its audit row (a no-code request).
CHILD = """
import os, sys, time
from vigile.case import open_store
from vigile.case.contacts import queue_request

url, go, n, ref = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open_store(url, actor="p" + str(os.getpid())) as store:
    iid = store.incident().id
    open(go + "." + str(os.getpid()), "w").close()  # ready
    while not os.path.exists(go):
        time.sleep(0.005)
    for i in range(n):
        kind = i % 3
        if kind == 0:
            store.audit("test.append", {"i": i})
        elif kind == 1:
            assert store.exposure(iid, ref, "portal.page_view") is not None
        else:
            queue_request(store, iid, {"last_name": "X"})
"""


def _release(go, n: int) -> None:
    """Wait until the n children are ready (store open), then let them go at once."""
    import time

    deadline = time.monotonic() + 120
    while len(list(go.parent.glob(go.name + ".*"))) < n:
        assert time.monotonic() < deadline, "children did not start"
        time.sleep(0.01)
    go.touch()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, sqlite_url):
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_processes_appending_at_once_keep_one_chain(store_url, key, tmp_path):
    person = AffectedPerson("P1", 1.0, "nir", frozenset({"last_name"}), {"last_name": "X"})
    with open_store(store_url, key=key) as store:
        iid = store.new_incident("concurrent", datetime(2021, 2, 1, tzinfo=UTC))
        store.replace_affected(iid, [person], unmatched_leak_persons=0)
        ref = store.person_ref("P1")
        before = store.audit_report().rows
    go = tmp_path / "go"
    env = {**os.environ, "VIGILE_KEY": base64.b64encode(key).decode()}
    logs = [open(tmp_path / f"child{i}.log", "w+") for i in range(PROCESSES)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, store_url, str(go), str(ROUNDS), ref],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    _release(go, PROCESSES)  # all start appending together
    codes = [c.wait(timeout=300) for c in children]
    for log, code in zip(logs, codes, strict=True):
        log.seek(0)
        assert code == 0, log.read()[-2000:]
        log.close()
    with open_store(store_url, key=key) as store:
        report = store.audit_report()
        assert report.ok, report.problem
        assert report.rows == before + PROCESSES * ROUNDS


FIRST = """
import os, sys, time
from vigile.case import open_store
url, go = sys.argv[1], sys.argv[2]
with open_store(url, actor="p" + str(os.getpid())) as store:
    open(go + "." + str(os.getpid()), "w").close()  # ready
    while not os.path.exists(go):
        time.sleep(0.002)
    store.audit("test.first", {})
"""


def test_the_first_rows_written_at_once(store_url, key, tmp_path):
    """A fresh store: no chain head to lock yet (PostgreSQL created it twice)."""
    with open_store(store_url, key=key) as store:
        assert store.audit_report().rows == 0
    go = tmp_path / "go"
    env = {**os.environ, "VIGILE_KEY": base64.b64encode(key).decode()}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", FIRST, store_url, str(go)], env=env, stderr=subprocess.PIPE
        )  # fmt: skip
        for _ in range(PROCESSES)
    ]
    _release(go, PROCESSES)
    for c in children:
        _, err = c.communicate(timeout=120)
        assert c.returncode == 0, err.decode()[-2000:]
    with open_store(store_url, key=key) as store:
        report = store.audit_report()
        assert report.ok and report.rows == PROCESSES, report
