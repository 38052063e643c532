"""A wrong-code flood against a portal whose case store is an SQLite file on disk.

Regression (issue 13): every wrong code is a synced write; with the rollback journal a
commit locks readers out and writers queued past the 10 s busy timeout, so the portal
answered 500 "database is locked". The store now runs in WAL mode: readers (a right code
from a clean client reads only) never wait for a writer, and a commit is one WAL append.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time

from fastapi.testclient import TestClient
from portal_support import build_case, csrf_of, make_portal

from vigile.case import codes as C

FLOOD_SECONDS = 2.5
PROCESSES = 3
THREADS = 6  # per process: 18 clients at once, each a new address every 4 guesses


def _post(client: TestClient, code: str, token: str) -> int:
    r = client.post("/code", data={"code": code, "csrf": token}, follow_redirects=False)
    return r.status_code


def _right_code(app, code: str, host: str) -> int:
    client = TestClient(app, client=(host, 40000))
    return _post(client, code, csrf_of(client.get("/").text))


def _flood_worker(app, store, n: int, ready, go, stop, out) -> None:
    """One portal process (a forked worker, as uvicorn's) with THREADS guessing clients."""
    store.engine.dispose(close=False)  # connections of its own (SQLAlchemy's fork recipe)
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def guess(t: int) -> None:
        k = 0
        while not stop.is_set():
            client = TestClient(app, client=(f"10.{n}.{t}.{k % 250 + 1}", 40000))
            token = csrf_of(client.get("/").text)
            for _ in range(4):  # below the lock of 5: every guess is a counted write
                if stop.is_set():
                    break
                s = _post(client, C.generate_code(), token)
                with lock:
                    statuses[s] = statuses.get(s, 0) + 1
            k += 1

    ready.set()
    go.wait(60)
    threads = [threading.Thread(target=guess, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    store.close()
    out.put(statuses)


def test_flood_of_wrong_codes_on_disk_sqlite_never_fails_a_request(tmp_path):
    case = build_case(tmp_path, persons=20, with_codes=20)  # tmp_path: a real disk file
    ctx = multiprocessing.get_context("fork")  # no re-import: the test stays short
    out, go, stop = ctx.Queue(), ctx.Event(), ctx.Event()
    ready = [ctx.Event() for _ in range(PROCESSES)]
    app, _, store = make_portal(case)
    TestClient(app).get("/")
    procs = [
        ctx.Process(target=_flood_worker, args=(app, store, n, ready[n], go, stop, out))
        for n in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    right: list[int] = []
    flood: dict[int, int] = {}
    try:
        codes = list(case.codes.values())
        assert all(r.wait(60) for r in ready)
        go.set()
        end = time.monotonic() + FLOOD_SECONDS
        n = 0
        while time.monotonic() < end:  # meanwhile a person types a right code
            right.append(_right_code(app, codes[n % len(codes)], f"203.0.113.{n % 250 + 1}"))
            n += 1
            time.sleep(0.05)
        stop.set()
        for _ in procs:
            for s, k in out.get(timeout=60).items():
                flood[s] = flood.get(s, 0) + k
    finally:
        stop.set()
        go.set()
        for p in procs:
            p.join(60)
        store.close()
    assert all(p.exitcode == 0 for p in procs)
    assert sum(flood.values()) > 50, flood  # a flood happened
    assert set(flood) <= {400, 429}, flood  # wrong code or locked client: never a 500
    assert right and set(right) == {303}, right  # every right code got in


def test_a_right_code_answers_while_another_process_holds_the_write_lock(tmp_path):
    """A commit in progress (held here on purpose) does not stop a right code: the look-up
    only reads, and WAL readers do not wait for the writer. With the rollback journal the
    request waited for the lock (up to the busy timeout, then failed)."""
    case = build_case(tmp_path, persons=3, with_codes=3)
    app, _, store = make_portal(case)
    held, done, released = threading.Event(), threading.Event(), threading.Event()

    def writer() -> None:
        raw = sqlite3.connect(case.url.removeprefix("sqlite:///"), isolation_level=None)
        raw.execute("BEGIN EXCLUSIVE")
        raw.execute("UPDATE portal_throttle SET count = count")
        held.set()
        done.wait(8)
        raw.execute("ROLLBACK")
        released.set()
        raw.close()

    th = threading.Thread(target=writer)
    th.start()
    try:
        assert held.wait(10)
        status = _right_code(app, next(iter(case.codes.values())), "203.0.113.9")
        answered_while_held = not released.is_set()
    finally:
        done.set()
        th.join()
        store.close()
    assert status == 303
    assert answered_while_held
