"""Two extractions a month apart share most patients: told apart by their canaries and
by the rows only one of them holds, with a confidence that says how sure."""

from __future__ import annotations

import polars as pl
import pytest

from vigile.provenance import origin_sentence, register_file, trace_path

from .world import history, renamed


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    d = tmp_path_factory.mktemp("months")
    df = history(d / "lab.csv", 3_000, seed=23)
    people = df["__person"].unique().sort()
    n = people.len()
    early = people.head(int(n * 0.9))  # January: 90 % of the patients
    late = people.tail(int(n * 0.95))  # February: most of them, and newcomers
    jan = df.filter(pl.col("__person").is_in(early.implode())).drop("__person")
    feb = df.filter(pl.col("__person").is_in(late.implode())).drop("__person")
    jan.write_csv(d / "jan.csv", separator=";")
    feb.write_csv(d / "feb.csv", separator=";")
    return d, df, early, late


@pytest.fixture(scope="module")
def registered(months, tmp_path_factory):
    from vigile.provenance import open_registry

    d, *_ = months
    db = str(d / "store.db")
    with open_registry(db, d / "registry.key", create=True) as reg:
        for m in ("jan", "feb"):
            register_file(d / f"{m}.csv", reg, recipient=f"Éditeur {m}", purpose="migration",
                          software="LIS", canaries=3, out=d / f"{m}_sent.csv")  # fmt: skip
    return db


def _open(db):
    from pathlib import Path

    from vigile.provenance import open_registry

    return open_registry(db, Path(db).with_name("registry.key"))


def _trace(db, path):
    with _open(db) as reg:
        return trace_path(path, reg)


def _only(d, df, people, name, with_canary_from=None, tmp=None):
    rows = df.filter(pl.col("__person").is_in(people.implode())).drop("__person").head(400)
    if with_canary_from:
        sent = pl.read_csv(d / with_canary_from, separator=";", infer_schema=False)
        known = df.drop("__person").select("NIR").drop_nulls()["NIR"]
        canary = sent.filter(~pl.col("NIR").is_in(known.implode()) & pl.col("NIR").is_not_null())
        rows = pl.concat([rows, canary.head(1)])
    path = tmp / name
    renamed(rows.sample(fraction=1.0, shuffle=True, seed=3)).write_csv(path, separator=",")
    return path


def test_rows_in_both_cannot_be_told_apart_and_say_so(months, registered, tmp_path):
    d, df, early, late = months
    both = early.filter(early.is_in(late.implode()))
    r = _trace(registered, _only(d, df, both, "both.csv", tmp=tmp_path))
    assert [m.export.name for m in r.matches][:2] in (
        ["jan_sent.csv", "feb_sent.csv"], ["feb_sent.csv", "jan_sent.csv"],
    )  # fmt: skip
    assert all(0.4 < m.confidence < 0.6 for m in r.matches[:2])
    assert "ne permettent pas de départager" in origin_sentence(r)


def test_rows_only_february_holds_name_february(months, registered, tmp_path):
    d, df, early, late = months
    newcomers = late.filter(~late.is_in(early.implode()))
    shared = early.filter(early.is_in(late.implode())).head(200)
    r = _trace(registered, _only(d, df, pl.concat([shared, newcomers]), "feb.csv", tmp=tmp_path))
    assert r.matches[0].export.name == "feb_sent.csv"
    assert r.matches[0].confidence > 0.99
    assert r.matches[0].canaries == 0
    assert "provient de l'extraction « feb_sent.csv »" in origin_sentence(r)


def test_a_canary_names_its_export(months, registered, tmp_path):
    d, df, early, late = months
    both = early.filter(early.is_in(late.implode()))
    path = _only(d, df, both, "canary.csv", with_canary_from="jan_sent.csv", tmp=tmp_path)
    r = _trace(registered, path)
    assert r.matches[0].export.name == "jan_sent.csv"
    assert r.matches[0].canaries == 1 and r.matches[0].confidence > 0.99
    assert "témoin" in origin_sentence(r)
    assert "canary" in origin_sentence(r, "en")


def test_canaries_are_flagged_and_real_patients_are_not(months, registered):
    from vigile.provenance.fingerprint import normalise_date, normalise_name, normalise_nir

    d, df, *_ = months
    sent = pl.read_csv(d / "jan_sent.csv", separator=";", infer_schema=False)
    fields = sent.select(
        normalise_nir(pl.col("NIR")).alias("nir"),
        normalise_name(pl.col("NOM")).alias("last_name"),
        normalise_name(pl.col("PRENOM")).alias("first_name"),
        normalise_date(pl.col("DT_NAIS")).alias("birth_date"),
    )
    with _open(registered) as reg:
        mask = reg.canary_mask(fields)
    assert mask.sum() == 3
    known = set(df["NIR"].drop_nulls().to_list())
    assert not set(sent.filter(mask)["NIR"].to_list()) & known
