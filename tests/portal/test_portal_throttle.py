"""The portal's limits live in the case store: every worker sees the same counts, a restart
forgets nothing, the store holds no client address, and logout ends a session for good.
Regressions: the limits were in memory per worker (N workers gave N x 5 guesses, a
restart reset them) and a session cookie still opened the page after logout."""

from __future__ import annotations

import glob
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from portal_support import build_case, csrf_of, make_portal

from vigile.case import CodeLimits, Throttle, contacts, open_store
from vigile.case import codes as C
from vigile.portal.security import SESSION_COOKIE

FIELDS = {"last_name": "TESTNOM1", "first_name": "CAMILLE", "birth_date": "1970-01-01",
          "postcode": "35000"}  # fmt: skip


@pytest.fixture
def fresh(tmp_path):
    return build_case(tmp_path, persons=4, with_codes=4)


def _guess(client: TestClient, code: str) -> int:
    token = csrf_of(client.get("/").text)
    r = client.post("/code", data={"code": code, "csrf": token}, follow_redirects=False)
    return r.status_code


def _ask(app, host: str) -> int:
    with TestClient(app, client=(host, 40000)) as c:
        token = csrf_of(c.get("/sans-code").text)
        return c.post("/sans-code", data=FIELDS | {"csrf": token}).status_code


def test_wrong_codes_are_counted_across_workers_and_restarts(fresh):
    (app_a, _, store_a), (app_b, _, store_b) = make_portal(fresh), make_portal(fresh)
    host = ("198.51.100.50", 40000)
    try:
        with TestClient(app_a, client=host) as a, TestClient(app_b, client=host) as b:
            # 5 wrong codes spread over two workers lock the client on both
            assert [_guess(a, C.generate_code()) for _ in range(3)] == [400] * 3
            assert [_guess(b, C.generate_code()) for _ in range(2)] == [400] * 2
            assert _guess(a, C.generate_code()) == 429
            assert _guess(b, next(iter(fresh.codes.values()))) == 429
    finally:
        store_a.close()
        store_b.close()
    app_c, _, store_c = make_portal(fresh)  # the portal restarted
    try:
        with TestClient(app_c, client=host) as c:
            assert _guess(c, next(iter(fresh.codes.values()))) == 429
        with TestClient(app_c, client=("198.51.100.51", 40000)) as other:
            assert _guess(other, next(iter(fresh.codes.values()))) == 303
    finally:
        store_c.close()


def test_the_store_holds_no_client_address(fresh):
    app, _, store = make_portal(fresh, identity_requests_per_day=1)
    try:
        for host in ("198.51.100.77", "2001:db8:aa:bb::1"):
            with TestClient(app, client=(host, 40000)) as c:
                assert _guess(c, C.generate_code()) == 400
            assert _ask(app, host) == 200
    finally:
        store.close()
    db = fresh.url.removeprefix("sqlite:///")
    # The store file and its WAL side files (data may still sit in the -wal file).
    raw = b"".join(open(p, "rb").read() for p in glob.glob(glob.escape(db) + "*"))
    for text in ("198.51.100.77", "2001:db8:aa:bb", "2001:0db8"):
        assert text.encode() not in raw
    with sqlite3.connect(fresh.url.removeprefix("sqlite:///")) as db:
        clients = {c for (c,) in db.execute("select client from portal_throttle")}
    assert len(clients - {"*"}) == 2 and all(len(c) == 64 for c in clients - {"*"})


def test_no_code_requests_per_client_are_counted_across_workers(fresh):
    (app_a, _, store_a), (app_b, _, store_b) = (
        make_portal(fresh, identity_requests_per_day=2),
        make_portal(fresh, identity_requests_per_day=2),
    )
    try:
        pages = [_ask(app_a, "2001:db8:5:6::1"), _ask(app_b, "2001:db8:5:6::2")]
        pages.append(_ask(app_b, "2001:db8:5:6::3"))  # same /64, other worker: over
        pages.append(_ask(app_a, "2001:db8:5:7::1"))  # another network
        assert pages == [200] * 4
        assert contacts.count_requests(store_a, fresh.incident_id) == 3
    finally:
        store_a.close()
        store_b.close()


def _login(client: TestClient, code: str) -> str:
    token = csrf_of(client.get("/").text)
    r = client.post("/code", data={"code": code, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    return r.cookies[SESSION_COOKIE]


def test_logout_ends_the_session_on_the_server(fresh):
    (app_a, _, store_a), (app_b, _, store_b) = make_portal(fresh), make_portal(fresh)
    code = next(iter(fresh.codes.values()))
    try:
        with TestClient(app_a, client=("203.0.113.5", 40000)) as c:
            cookie = _login(c, code)
            assert c.get("/mon-dossier", follow_redirects=False).status_code == 200
            token = csrf_of(c.get("/mon-dossier").text)
            r = c.post("/mon-dossier/fin", data={"csrf": token}, follow_redirects=False)
            assert r.status_code == 303
        with TestClient(app_a, client=("203.0.113.5", 40000)) as c:
            kept = _login(c, code)  # a later session of the same person
        for app in (app_a, app_b):  # the ended cookie, replayed on any worker
            with TestClient(app, client=("203.0.113.6", 40000)) as thief:
                thief.cookies.set(SESSION_COOKIE, cookie)
                r = thief.get("/mon-dossier", follow_redirects=False)
                assert r.status_code == 303 and r.headers["location"] == "/"
                assert (
                    thief.get("/mon-dossier/attestation.pdf", follow_redirects=False).status_code
                    == 303
                )
                thief.cookies.set(SESSION_COOKIE, kept)  # the other session lives on
                assert thief.get("/mon-dossier", follow_redirects=False).status_code == 200
    finally:
        store_a.close()
        store_b.close()


def test_throttle_windows_and_locks_expire(fresh):
    t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    limits = CodeLimits(max_failures=3, window_s=60, lockout_s=600, global_limit=100)
    with open_store(fresh.url, key=fresh.key) as store:
        th = Throttle(store, fresh.incident_id, limits)
        assert [th.fail("c1", t0 + timedelta(seconds=i)).locked for i in range(2)] == [False] * 2
        # the window ended: the count starts again
        assert not th.fail("c1", t0 + timedelta(seconds=70)).locked
        assert not th.fail("c1", t0 + timedelta(seconds=71)).locked
        assert th.fail("c1", t0 + timedelta(seconds=72)).locked
        assert th.locked("c1", t0 + timedelta(seconds=600))
        th.succeed("c1", t0 + timedelta(seconds=600))  # a right code does not lift a lock
        assert th.locked("c1", t0 + timedelta(seconds=671))
        assert not th.locked("c1", t0 + timedelta(seconds=673))
        assert not th.locked("c2", t0)
        assert th.allow("x", "c1", 2, 60, t0) and th.allow("x", "c1", 2, 60, t0)
        assert not th.allow("x", "c1", 2, 60, t0)
        assert th.allow("x", "c1", 2, 60, t0 + timedelta(seconds=61))
        assert store.audit_report().ok
