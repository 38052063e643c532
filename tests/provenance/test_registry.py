"""The registry: its own tables and Alembic chain beside the case's, its own secret, one
transaction per export, and no personal value anywhere in the database."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3

import polars as pl
import pytest
from sqlalchemy import create_engine, inspect

from vigile.case import open_store
from vigile.provenance import ProvenanceError, open_registry, register_file
from vigile.provenance.migrate import HEAD, current_revision, head_revision
from vigile.provenance.schema import VERSION_TABLE

from .world import history


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    d = tmp_path_factory.mktemp("reglab")
    df = history(d / "lab.csv", 800, seed=31).drop("__person")
    df.write_csv(d / "lab.csv", separator=";")
    return d / "lab.csv", df


def test_case_store_and_registry_share_a_database_not_tables(lab, tmp_path):
    path, _ = lab
    db = str(tmp_path / "store.db")
    with open_store(db, key=os.urandom(32)) as store:
        store.new_incident("leak", dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    with open_registry(db, tmp_path / "r.key", create=True) as reg:
        register_file(path, reg, recipient="X", purpose="migration")
        assert current_revision(reg.engine) == head_revision() == HEAD
    names = set(inspect(create_engine(f"sqlite:///{db}")).get_table_names())
    assert {"alembic_version", VERSION_TABLE, "provenance_keys", "incidents"} <= names
    with open_store(db, key=None) as store:  # the case's chain is untouched
        assert store.incident("leak").name == "leak"


def test_no_personal_value_is_stored(lab, tmp_path):
    path, df = lab
    db = tmp_path / "store.db"
    with open_registry(str(db), tmp_path / "r.key", create=True) as reg:
        register_file(path, reg, recipient="X", purpose="migration", canaries=2,
                      out=tmp_path / "sent.csv")  # fmt: skip
    raw = db.read_bytes()
    values = set()
    for c in ("NIR", "NOM", "PRENOM", "MAIL", "TEL_PORT", "DT_NAIS"):
        values |= {v for v in df[c].drop_nulls().unique().to_list() if len(v) >= 6}
    sent = pl.read_csv(tmp_path / "sent.csv", separator=";", infer_schema=False)
    values |= set(sent["NIR"].drop_nulls().to_list()) | set(sent["MAIL"].drop_nulls().to_list())
    leaked = [v for v in values if v.encode() in raw or v.upper().encode() in raw]
    assert not leaked and len(values) > 500


def test_another_secret_is_refused(lab, tmp_path):
    path, _ = lab
    db = str(tmp_path / "store.db")
    with open_registry(db, tmp_path / "a.key", create=True) as reg:
        register_file(path, reg, recipient="X", purpose="migration")
    with pytest.raises(ProvenanceError, match="not the one the registry was made with"):
        open_registry(db, tmp_path / "b.key", create=True)


def test_registering_twice_changes_nothing_and_a_name_is_one_export(lab, tmp_path):
    path, _ = lab
    db = tmp_path / "store.db"
    with open_registry(str(db), tmp_path / "r.key", create=True) as reg:
        a = register_file(path, reg, recipient="X", purpose="migration")
        b = register_file(path, reg, recipient="X", purpose="migration")
        assert a.created and not b.created and a.record == b.record
        other = tmp_path / "other.csv"
        other.write_text("NIR;NOM\n", encoding="utf-8")
        with pytest.raises(ProvenanceError):
            register_file(other, reg, recipient="X", purpose="m", name=a.record.name)
    n = sqlite3.connect(db).execute("select count(*) from provenance_exports").fetchone()[0]
    assert n == 1


def test_tracing_without_a_registry_says_what_to_do(tmp_path):
    with pytest.raises(ProvenanceError, match="register an export first"):
        open_registry(str(tmp_path / "none.db"))


def test_postgresql(lab, pg_url, tmp_path):
    path, _ = lab
    from vigile.provenance import trace_path

    with open_registry(pg_url, tmp_path / "r.key", create=True) as reg:
        r = register_file(path, reg, recipient="X", purpose="migration")
        assert r.record.units > 100
        res = trace_path(path, reg)
    assert res.matches[0].export.name == "lab.csv" and res.matches[0].share == 1.0


def test_large_exports_stored_by_bucket_trace_the_same(lab, tmp_path, monkeypatch):
    from vigile.provenance import registry as registry_mod
    from vigile.provenance import trace_path

    path, df = lab
    found = tmp_path / "found.csv"
    df.sample(100, seed=8).write_csv(found)
    answers = []
    for threshold in (10**9, 10):  # key by key, then by bucket
        monkeypatch.setattr(registry_mod, "BLOCK_THRESHOLD", threshold)
        db = tmp_path / f"store{threshold}.db"
        with open_registry(str(db), tmp_path / "r.key", create=True) as reg:
            register_file(path, reg, recipient="X", purpose="m", canaries=2,
                          out=tmp_path / f"sent{threshold}.csv")  # fmt: skip
            res = trace_path(found, reg)
            answers.append([(m.export.name[:4], m.rows_matched, m.canaries) for m in res.matches])
        con = sqlite3.connect(db)
        n_blocks = con.execute("select count(*) from provenance_blocks").fetchone()[0]
        n_keys = con.execute("select count(*) from provenance_keys").fetchone()[0]
        assert (n_blocks > 0) == (threshold == 10) and n_keys > 0  # canaries key by key
    assert answers[0] == answers[1] and answers[0][0][1] == 100


def test_two_registrations_at_once_give_one_export(lab, tmp_path):
    import threading

    path, _ = lab
    db = str(tmp_path / "store.db")
    with open_registry(db, tmp_path / "r.key", create=True):
        pass
    results, errors = [], []

    def run():
        try:
            with open_registry(db, tmp_path / "r.key") as reg:
                results.append(register_file(path, reg, recipient="X", purpose="migration"))
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(r.created for r in results) == [False, True]
    n = sqlite3.connect(db).execute("select count(*) from provenance_exports").fetchone()[0]
    assert n == 1


def test_lookup_examines_the_exports_holding_most_hashes_and_any_canary(tmp_path):
    """A trace's look-up is bounded: the `top` exports by hashes held (counted in the
    database), plus every export whose canary is hit, however many exports match."""
    from vigile.provenance.fingerprint import KeyColumns

    keys = KeyColumns(emails=("MAIL",))
    mails = [f"p{i}@exemple.fr" for i in range(40)]
    with open_registry(str(tmp_path / "r.db"), create=True, secret=os.urandom(32)) as reg:
        for e in range(6):  # export e holds the first 5 * (e + 1) addresses
            fp = reg.fingerprint(keys)
            fp.add(pl.DataFrame({"MAIL": mails[: 5 * (e + 1)]}))
            canary = None
            if e == 0:  # the smallest export has a canary
                kf = reg.hasher.key_frame(
                    pl.DataFrame({"row": [0], "view": [4], "value": ["canari@exemple.fr"]},
                                 schema_overrides={"row": pl.UInt32, "view": pl.UInt8})
                )  # fmt: skip
                canary = kf.select("h", pl.lit(-1, pl.Int64).alias("unit"),
                                   pl.col("view").cast(pl.Int16))  # fmt: skip
            reg.register(fp, name=f"e{e}", recipient="r", purpose="p", software="s",
                         columns=["MAIL"], canary_keys=canary)  # fmt: skip
        ids = {r.name: r.id for r in reg.exports().values()}
        found = reg.hasher.key_frame(
            pl.DataFrame({"row": list(range(41)), "view": [4] * 41,
                          "value": [*mails, "canari@exemple.fr"]},
                         schema_overrides={"row": pl.UInt32, "view": pl.UInt8})
        )  # fmt: skip
        every = reg.lookup(found["h"])
        assert set(every["export_id"].unique()) == set(ids.values())
        bounded = reg.lookup(found["h"], top=2)
        assert set(bounded["export_id"].unique()) == {ids["e5"], ids["e4"], ids["e0"]}
        assert bounded.height == 30 + 25 + 5 + 1  # their every key among the hashes


def test_a_fingerprint_holds_each_identity_s_keys_once_sorted_by_hash(tmp_path):
    """A person's repeated rows (in one batch or several) are one identity; a value in
    two columns of one view (same phone twice) is one key; the frame is sorted by hash."""
    from vigile.provenance.fingerprint import KeyColumns

    keys = KeyColumns(phones=("TEL1", "TEL2"), emails=("MAIL",))
    a = ("06 12 34 56 78", "06 12 34 56 78", "a@exemple.fr")  # same phone twice
    b = ("06 99 88 77 66", "01 44 55 66 77", "b@exemple.fr")
    c = (None, None, "c@exemple.fr")

    def frame(rows):
        return pl.DataFrame(rows, schema=["TEL1", "TEL2", "MAIL"], orient="row")

    with open_registry(str(tmp_path / "r.db"), create=True, secret=os.urandom(32)) as reg:
        fp = reg.fingerprint(keys)
        fp.add(frame([a, b, a, (None, None, None)]))
        fp.add(frame([c, a, b]))
        f = fp.frame()
        assert fp.units == 3 and fp.rows == 7
        assert f["h"].is_sorted() and f.select("h", "unit").is_unique().all()
        per_unit = sorted(f.group_by("unit").len()["len"].to_list())
        assert per_unit == [1, 2, 3]  # c: e-mail; a: phone once + e-mail; b: 2 phones + e-mail
        rec, created = reg.register(fp, name="e", recipient="r", purpose="p", software="s",
                                    columns=["TEL1", "TEL2", "MAIL"])  # fmt: skip
        assert created and rec.units == 3 and rec.rows == 7
