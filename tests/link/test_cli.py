"""`vigile link LEAK --patients …` and `vigile link review` through the real typer app."""

from __future__ import annotations

import base64
import os

import polars as pl
import pytest
from link_pairs import make_pair
from typer.testing import CliRunner

import vigile.cli.case_cmd  # noqa: F401  (registers `case`)
import vigile.cli.link_cmd  # noqa: F401  (registers `link`)
from vigile.cli.app import app
from vigile.link import AFFECTED_CSV_COLUMNS


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    p = make_pair(tmp, persons=80, others=500, seed=3, strangers=4)
    e = {
        "VIGILE_DB": f"sqlite:///{tmp / 'case.db'}",
        "VIGILE_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    r = CliRunner().invoke(
        app, ["case", "new", "labo-2021", "--discovered", "2021-02-14T09:00"], env=e
    )
    assert r.exit_code == 0, r.output
    return tmp, p, e


def _raw_values(p) -> set[str]:
    """Personal values from both inputs that must never be printed."""
    out: set[str] = set()
    for path, cols in (
        (p.leak, ["NIR", "TEL_PORT", "MAIL", "DT_NAIS"]),
        (p.patients, ["NIR", "MAIL", "IPP"]),
    ):
        df = pl.read_csv(path, separator=";", infer_schema=False)
        for c in cols:
            out |= {v for v in df.get_column(c).drop_nulls().to_list() if len(v) >= 6}
    return out


@pytest.fixture(scope="module")
def ran(env):
    tmp, p, e = env
    csv = tmp / "affected.csv"
    r = CliRunner().invoke(
        app,
        ["link", str(p.leak), "--patients", str(p.patients), "--affected-csv", str(csv),
         "--match-threshold", "0.99999"],
        env=e,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return r, csv


def test_run_reports_counts_only(ran, env):
    r, _ = ran
    assert "distinct persons" in r.output and "review queue" in r.output
    assert "found in no record" in r.output
    leaked = [v for v in _raw_values(env[1]) if v in r.output]
    assert not leaked, f"{len(leaked)} raw values printed"


def test_affected_csv_contract(ran, env):
    _, csv = ran
    df = pl.read_csv(csv, infer_schema=False)
    assert tuple(df.columns[:4]) == AFFECTED_CSV_COLUMNS
    assert df.height > 0 and df.get_column("patient_id").is_unique().all()
    assert set(df.get_column("match_method").unique()) <= {"nir", "probabilistic"}
    # Only the database's own ids, all present in the database.
    ids = set(pl.read_csv(env[1].patients, separator=";", infer_schema=False).get_column("IPP"))
    assert set(df.get_column("patient_id")) <= ids
    assert df.get_column("categories").str.contains("birth_date").all()


def test_review_round_trip(ran, env):
    tmp, p, e = env
    runner = CliRunner()
    shown = runner.invoke(app, ["link", "review", "--list"], env=e)
    assert shown.exit_code == 0, shown.output
    assert "review #" in shown.output and "leak (masked)" in shown.output
    assert not [v for v in _raw_values(p) if v in shown.output]
    from vigile.case import open_store

    store = open_store(e["VIGILE_DB"], key=base64.b64decode(e["VIGILE_KEY"]))
    inc = store.incident()
    queue = store.review_queue(inc.id)
    assert queue, "the strict match threshold should leave pairs to review"
    before = store.count_affected(inc.id)
    first, second = queue[0], queue[1] if len(queue) > 1 else None
    already = first.patient_id in {a.patient_id for a in store.affected(inc.id)}
    args = ["link", "review", "--accept", str(first.id)]
    if second:
        args += ["--reject", str(second.id)]
    done = runner.invoke(app, args, env=e)
    assert done.exit_code == 0, done.output
    assert store.count_affected(inc.id) == before + (not already)
    added = [a for a in store.affected(inc.id) if a.patient_id == first.patient_id]
    assert added and added[0].match_method == "review" and added[0].identity.get("last_name")
    assert store.incident().unmatched_leak_persons == inc.unmatched_leak_persons + (
        1 if second else 0
    )
    left = {it.id for it in store.review_queue(inc.id)}
    assert first.id not in left and (second is None or second.id not in left)
    # Interactive: the next pending item, answered "r".
    if left:
        inter = runner.invoke(app, ["link", "review"], input="r\n" + "q\n" * 5, env=e)
        assert inter.exit_code == 0, inter.output
        assert "1 rejected" in inter.output or "0 accepted, 1 rejected" in inter.output
    assert store.verify_audit()


def test_run_subcommand_form_and_role_override(env):
    tmp, p, e = env
    r = CliRunner().invoke(
        app,
        ["link", "run", str(p.leak), "--patients", str(p.patients), "--id-column", "IPP",
         "--patient-role", "last_name=NOM_NAISSANCE", "--leak-role", "last_name=NOM_JF"],
        env=e,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "affected patients recorded" in r.output


def test_bad_role_flag_and_missing_column(env):
    tmp, p, e = env
    bad = CliRunner().invoke(
        app, ["link", str(p.leak), "--patients", str(p.patients), "--leak-role", "nom"], env=e
    )
    assert bad.exit_code == 2 and "ROLE=COLUMN" in bad.output
    missing = CliRunner().invoke(
        app, ["link", str(p.leak), "--patients", str(p.patients), "--id-column", "NOPE"], env=e
    )
    assert missing.exit_code == 2 and "NOPE" in missing.output
