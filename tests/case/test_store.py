"""The case store end to end, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text

from vigile.case import (
    AffectedPerson,
    CaseError,
    IncidentNotFoundError,
    ReviewItem,
    open_store,
)
from vigile.case.migrate import current_revision, head_revision

DISCOVERED = datetime(2021, 2, 14, 9, 0, tzinfo=UTC)
SECRET_NAME = "QUENTREC-ZYLBER"  # distinctive values to look for in raw bytes
SECRET_PID = "PAT-7f3e91c2"


def person(i: int, **kw) -> AffectedPerson:
    defaults = dict(
        patient_id=f"{SECRET_PID}-{i}",
        match_probability=0.99,
        match_method="nir",
        categories=frozenset({"nir", "last_name", "health_condition"}),
        identity={"last_name": f"{SECRET_NAME}{i}", "first_name": "Maëlys", "city": "Rennes"},
    )
    defaults.update(kw)
    return AffectedPerson(**defaults)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, sqlite_url):
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_core_flow(url, key):
    with open_store(url, key=key, actor="alice") as store:
        iid = store.new_incident("labs-2021", DISCOVERED, controller="Labo", dpo_contact="dpo@l.fr")
        inc = store.incident()
        assert (inc.id, inc.name, inc.discovered, inc.controller) == (
            iid,
            "labs-2021",
            DISCOVERED,
            "Labo",
        )
        assert store.incident("labs-2021") == inc
        with pytest.raises(IncidentNotFoundError):
            store.incident("other")
        with pytest.raises(CaseError, match="already exists"):
            store.new_incident("labs-2021", DISCOVERED)

        store.add_evidence(iid, "leak.csv", "ab" * 32, 1234)
        store.add_evidence(iid, "leak.csv", "ab" * 32, 1234)  # same fingerprint: recorded once
        assert [e.sha256 for e in store.evidence(iid)] == ["ab" * 32]
        store.save_triage(iid, {"persons": 3, "categories": ["nir"]})
        assert store.triage(iid) == {"persons": 3, "categories": ["nir"]}

        persons = [person(i) for i in range(3)] + [
            person(3, match_method="probabilistic", match_probability=0.8, categories=frozenset())
        ]
        assert store.replace_affected(iid, persons, unmatched_leak_persons=7) == 4
        assert list(store.affected(iid)) == persons
        assert store.count_affected(iid) == 4
        agg = store.incident().aggregates["affected"]
        assert agg["by_method"] == {"nir": 3, "probabilistic": 1}
        assert agg["by_category"]["health_condition"] == 3

        item = ReviewItem(None, "leak-row-9", "PAT-9", 0.6, {"nom": "Q***C"}, {"nom": "Q***C"})
        assert store.add_review(iid, [item, item]) == 2
        queue = store.review_queue(iid)
        assert [(q.leak_key, q.patient_masked, q.decision) for q in queue] == [
            ("leak-row-9", {"nom": "Q***C"}, None)
        ] * 2
        store.decide_review(queue[0].id, accept=True)
        assert len(store.review_queue(iid)) == 1
        decided = store.review_queue(iid, include_decided=True)
        assert decided[0].decision == "accepted"

        store.log_notification(iid, "cnil", "cnil", "sent")
        for p in persons[:2]:
            store.log_notification(iid, store.person_ref(p.patient_id), "letter", "rendered")
        store.log_notification(iid, store.person_ref(persons[0].patient_id), "letter", "sent")
        with pytest.raises(ValueError):
            store.log_notification(iid, "x", "letter", "lost")

        st = store.status(iid, now=DISCOVERED + timedelta(hours=10))
        steps = st["steps"]
        assert steps["evidence_recorded"] == {"done": True, "count": 1}
        assert steps["triage_saved"]["done"] and steps["persons_linked"]["count"] == 4
        assert steps["persons_linked"]["unmatched_leak_persons"] == 7
        assert steps["persons_linked"]["review_pending"] == 1
        assert steps["cnil_notified"]["done"]
        assert (steps["letters_rendered"]["count"], steps["letters_sent"]["count"]) == (2, 1)
        assert st["due"] == ["letters_rendered", "letters_sent"]
        assert st["clock"]["hours_left"] == 62.0

        assert store.purge(iid) == 4
        assert store.count_affected(iid) == 0 and list(store.affected(iid)) == []
        assert store.review_queue(iid, include_decided=True) == []
        after = store.status(iid, now=DISCOVERED)
        assert after["incident"]["purged_at"] is not None
        assert after["steps"]["persons_linked"]["count"] == 4  # aggregate figure survives
        assert after["steps"]["letters_sent"]["count"] == 1
        assert store.incident().aggregates["affected"]["persons"] == 4

        report = store.audit_report()
        assert report.ok and report.rows >= 12
        with store.engine.connect() as c:
            actions = c.execute(text("SELECT action, actor FROM audit_log ORDER BY seq")).all()
        assert actions[0] == ("incident.new", "alice")
        assert ("purge", "alice") in actions and ("affected.read", "alice") in actions


def test_replace_affected_is_idempotent(url, key):
    with open_store(url, key=key) as store:
        iid = store.new_incident("x", DISCOVERED)
        first = [person(i) for i in range(5)]
        store.replace_affected(iid, first, 0)
        store.replace_affected(iid, first, 0)
        assert store.count_affected(iid) == 5
        second = [person(i, match_probability=0.5, match_method="probabilistic") for i in (1, 7)]
        assert store.replace_affected(iid, second, 3) == 2
        assert list(store.affected(iid)) == second
        assert store.incident().unmatched_leak_persons == 3


def test_audit_log_is_append_only_in_the_database(url, key):
    with open_store(url, key=key) as store:
        store.new_incident("x", DISCOVERED)
        for stmt in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="append-only"):
                with store.engine.begin() as c:
                    c.execute(text(stmt))
        assert store.verify_audit()


def test_replace_affected_rolls_back_on_bad_input_without_leaking(url, key):
    with open_store(url, key=key) as store:
        iid = store.new_incident("x", DISCOVERED)
        store.replace_affected(iid, [person(0)], 0)
        with pytest.raises(ValueError) as dup:
            store.replace_affected(iid, [person(1), person(2), person(1)], 0)
        assert "#2" in str(dup.value) and SECRET_PID not in str(dup.value)
        with pytest.raises(ValueError, match="unknown category"):
            store.replace_affected(iid, [person(1, categories=frozenset({"shoe_size"}))], 0)
        assert list(store.affected(iid)) == [person(0)]  # the earlier set is intact


def test_alembic_upgrade_from_empty(tmp_path, key):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    store = open_store(url, key=key)
    assert current_revision(store.engine) == head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert {"incidents", "affected", "audit_log", "alembic_version"} <= tables
    store.new_incident("x", DISCOVERED)
    store.close()
    with open_store(url, key=key) as again:  # upgrade on an up-to-date store is a no-op
        assert again.incident().name == "x"
    assert (tmp_path / "fresh.db").stat().st_mode & 0o077 == 0


def test_missing_store_is_not_created_when_asked_not_to(tmp_path):
    from vigile.case import StoreNotFoundError

    with pytest.raises(StoreNotFoundError):
        open_store(f"sqlite:///{tmp_path / 'absent.db'}", create=False)
    assert not (tmp_path / "absent.db").exists()


def test_unreachable_postgres_is_a_clear_error_without_password():
    with pytest.raises(CaseError) as e:
        open_store("postgresql://u:hunter2@/db?host=/nonexistent-socket-dir")
    assert "hunter2" not in str(e.value) and "***" in str(e.value)


def test_encryption_at_rest(tmp_path, key):
    db = tmp_path / "case.db"
    with open_store(f"sqlite:///{db}", key=key) as store:
        iid = store.new_incident("x", DISCOVERED)
        store.replace_affected(iid, [person(i) for i in range(50)], 0)
        store.add_review(iid, [ReviewItem(None, "LEAKROW-XYZ", SECRET_PID, 0.5, {}, {})])
        assert store.count_affected(iid) == 50
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for needle in (SECRET_NAME, SECRET_PID, "Maëlys", "Rennes", "LEAKROW-XYZ"):
        assert needle.encode() not in raw
        assert needle.encode("utf-16-le") not in raw
    assert key not in raw


def test_encryption_at_rest_postgresql(pg_url, key):
    with open_store(pg_url, key=key) as store:
        iid = store.new_incident("x", DISCOVERED)
        store.replace_affected(iid, [person(0)], 0)
        with store.engine.connect() as c:
            dump = "".join(
                str(tuple(r))
                for t in ("affected", "review", "audit_log", "incidents", "case_meta")
                for r in c.execute(text(f"SELECT * FROM {t}"))
            )
    assert SECRET_NAME not in dump and SECRET_PID not in dump


def test_purge_respects_the_cutoff(url, key):
    with open_store(url, key=key) as store:
        iid = store.new_incident("x", DISCOVERED)
        store.replace_affected(iid, [person(i) for i in range(3)], 0)
        store.log_notification(iid, store.person_ref(person(0).patient_id), "email", "sent", "ok")
        assert store.purge(iid, before=DISCOVERED) == 0  # data is younger than the cutoff
        assert store.count_affected(iid) == 3 and store.incident().purged_at is None
        assert store.purge(iid, before=datetime.now(UTC) + timedelta(seconds=5)) == 3
        assert store.incident().purged_at is not None
        with store.engine.connect() as c:
            left = c.execute(text("SELECT person_ref, detail, state FROM notifications")).all()
        assert left == [(None, None, "sent")]
        assert store.status(iid)["steps"]["letters_sent"]["count"] == 1
        assert store.verify_audit()
