"""`vigile link LEAK --patients …`, `vigile link run …` and `vigile link review` through the
real typer app: both forms, the key found without --key-file, exposure recorded per person,
batch and interactive review, audited reveals, and one-line errors that leave the store as it
was."""

from __future__ import annotations

import base64
import json
import os

import polars as pl
import pytest
from link_pairs import make_pair
from typer.testing import CliRunner

import vigile.cli.case_cmd  # noqa: F401  (registers `case`)
import vigile.cli.link_cmd  # noqa: F401  (registers `link`)
from vigile.case import open_store
from vigile.cli.app import app
from vigile.link import AFFECTED_CSV_COLUMNS


@pytest.fixture(scope="module")
def env(tmp_path_factory, case_cli):
    tmp = tmp_path_factory.mktemp("cli")
    p = make_pair(tmp, persons=80, others=500, seed=3, strangers=4)
    return tmp, p, case_cli.new(tmp)


def _store(e):
    return open_store(e["VIGILE_DB"], key=base64.b64decode(e["VIGILE_KEY"]), create=False)


def _raw_values(p) -> set[str]:
    """Personal values from both inputs that must never be printed."""
    out: set[str] = set()
    for path, cols in (
        (p.leak, ["NIR", "TEL_PORT", "MAIL", "DT_NAIS", "NOM"]),
        (p.patients, ["NIR", "MAIL", "IPP", "NOM"]),
    ):
        df = pl.read_csv(path, separator=";", infer_schema=False)
        for c in cols:
            out |= {v for v in df.get_column(c).drop_nulls().to_list() if len(v) >= 6}
    return out


@pytest.fixture(scope="module")
def ran(env):
    tmp, p, e = env
    csv = tmp / "affected.csv"
    spill = tmp / "spill"
    spill.mkdir()
    r = CliRunner().invoke(
        app,
        ["link", str(p.leak), "--patients", str(p.patients), "--affected-csv", str(csv),
         "--match-threshold", "0.99999", "--memory-limit", "256MB", "--spill-dir", str(spill)],
        env=e,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return r, csv


def test_duckdb_spill_folder_is_removed(ran, env):
    tmp, _, _ = env
    assert list((tmp / "spill").iterdir()) == []


def test_run_reports_counts_only(ran, env):
    r, _ = ran
    assert "distinct persons" in r.output and "review queue" in r.output
    assert "found in no record" in r.output and "exposure:" in r.output
    leaked = [v for v in _raw_values(env[1]) if v in r.output]
    assert not leaked, f"{len(leaked)} raw values printed"


def test_affected_csv_contract(ran, env):
    _, csv = ran
    df = pl.read_csv(csv, infer_schema=False)
    assert tuple(df.columns) == AFFECTED_CSV_COLUMNS
    assert df.height > 0 and df.get_column("patient_id").is_unique().all()
    assert set(df.get_column("match_method").unique()) <= {"nir", "probabilistic"}
    # Only the database's own ids, all present in the database.
    ids = set(pl.read_csv(env[1].patients, separator=";", infer_schema=False).get_column("IPP"))
    assert set(df.get_column("patient_id")) <= ids
    assert df.get_column("categories").str.contains("birth_date").all()
    assert set(df.get_column("minor").unique()) <= {"true", "false"}


def test_exposure_recorded_per_person(ran, env):
    """Each affected person's record holds their own rows' exposure, at the discovery date."""
    _, p, e = env
    store = _store(e)
    inc = store.incident()
    people = list(store.affected(inc.id))
    assert people
    leak = pl.read_csv(p.leak, separator=";", infer_schema=False)
    # Pregnancy is written in some women's comments only (link_pairs.COMMENTS).
    with_pregnancy = [a for a in people if "pregnancy" in a.health_kinds]
    assert 0 < len(with_pregnancy) < len(people)
    assert all(a.identity.get("sex") == "F" for a in with_pregnancy)
    assert leak.get_column("COMMENTAIRE").str.contains("Grossesse").any()
    # Born 2003-2014 in the pairs: minors on 2021-02-14 exist, and adults too.
    minors = [a for a in people if a.minor]
    assert 0 < len(minors) < len(people)
    for a in people:
        year, month, day = (int(x) for x in a.identity["birth_date"].split("/")[::-1])
        age = 2021 - year - ((month, day) > (2, 14))
        assert a.minor == (age < 18)
    assert not any(a.protected for a in people)  # no protection column in this database
    store.close()


def test_run_subcommand_form_and_role_override(env):
    tmp, p, e = env
    r = CliRunner().invoke(
        app,
        ["link", "run", str(p.leak), "--patients", str(p.patients), "--id-column", "IPP",
         "--patient-role", "last_name=NOM_NAISSANCE", "--leak-role", "last_name=NOM_JF",
         "--quiet"],
        env=e,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "affected patients recorded" in r.output


def test_help_names_both_forms_and_every_option():
    runner = CliRunner()
    group = runner.invoke(app, ["link", "--help"])
    assert group.exit_code == 0
    assert "vigile link LEAK --patients DB" in group.output
    assert "run" in group.output and "review" in group.output
    run = runner.invoke(app, ["link", "run", "--help"], env={"COLUMNS": "200"})
    for opt in ("--patients", "--id-column", "--db", "--key-file", "--incident", "--affected-csv",
                "--leak-role", "--patient-role", "--match-threshold", "--review-threshold",
                "--quiet", "--memory-limit", "--spill-dir"):  # fmt: skip
        assert opt in run.output, opt
    rev = runner.invoke(app, ["link", "review", "--help"], env={"COLUMNS": "200"})
    for opt in ("--accept", "--reject", "--decisions", "--list", "--reveal", "--incident"):
        assert opt in rev.output, opt


def test_key_file_of_case_new_is_found(tmp_path, monkeypatch):
    """No VIGILE_KEY, no --key-file: the key `vigile case new` created is used."""
    p = make_pair(tmp_path, persons=30, others=100, seed=9, strangers=2)
    monkeypatch.delenv("VIGILE_KEY", raising=False)
    monkeypatch.delenv("VIGILE_KEY_FILE", raising=False)
    e = {"VIGILE_DB": f"sqlite:///{tmp_path / 'k.db'}"}
    runner = CliRunner()
    new = runner.invoke(app, ["case", "new", "x", "--discovered", "2021-02-14T09:00"], env=e)
    assert new.exit_code == 0, new.output
    r = runner.invoke(app, ["link", str(p.leak), "--patients", str(p.patients), "-q"], env=e)
    assert r.exit_code == 0, r.output
    assert "affected patients recorded" in r.output


# --- bad input: one line, no traceback, no value, store untouched -----------------


def test_bad_inputs_fail_in_one_line_and_leave_the_store(ran, env, case_cli):
    tmp, p, e = env
    before = case_cli.snapshot(e)
    runner = CliRunner()
    not_table = tmp / "notes.txt"
    not_table.write_text("Compte rendu de la réunion\nRien à signaler.\n")
    png = tmp / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    no_identity = tmp / "no_identity.csv"
    pl.DataFrame({"IPP": ["P1", "P2"], "VILLE": ["RENNES", "BREST"]}).write_csv(
        no_identity, separator=";"
    )
    cases = {
        "leak_text": ["link", str(not_table), "--patients", str(p.patients)],
        "leak_binary": ["link", str(png), "--patients", str(p.patients)],
        "leak_missing": ["link", str(tmp / "nope.csv"), "--patients", str(p.patients)],
        "patients_no_identity": ["link", str(p.leak), "--patients", str(no_identity)],
        "patients_missing": ["link", str(p.leak), "--patients", str(tmp / "nope.csv")],
        "unknown_incident": [
            "link",
            str(p.leak),
            "--patients",
            str(p.patients),
            "--incident",
            "no-such-incident",
        ],  # fmt: skip
        "bad_role": ["link", str(p.leak), "--patients", str(p.patients), "--leak-role", "nom"],
        "missing_column": [
            "link",
            str(p.leak),
            "--patients",
            str(p.patients),
            "--id-column",
            "NOPE",
        ],  # fmt: skip
        "bad_memory_limit": [
            "link",
            str(p.leak),
            "--patients",
            str(p.patients),
            "--memory-limit",
            "lots",
        ],  # fmt: skip
        "missing_spill_dir": [
            "link",
            str(p.leak),
            "--patients",
            str(p.patients),
            "--spill-dir",
            str(tmp / "no"),
        ],  # fmt: skip
    }
    msgs = {}
    for name, args in cases.items():
        r = runner.invoke(app, args, env=e)
        msgs[name] = case_cli.one_line_error(r)
        assert not [v for v in _raw_values(p) if v in r.output], name
    assert "--patient-role" in msgs["patients_no_identity"]
    assert "last_name" in msgs["patients_no_identity"]
    assert "--leak-role" in msgs["leak_text"] or "not a table" in msgs["leak_text"]
    assert "no-such-incident" in msgs["unknown_incident"]
    assert "ROLE=COLUMN" in msgs["bad_role"] and "NOPE" in msgs["missing_column"]
    assert "--memory-limit" in msgs["bad_memory_limit"] and "8GB" in msgs["bad_memory_limit"]
    assert "--spill-dir" in msgs["missing_spill_dir"]
    wrong = {**e, "VIGILE_KEY": base64.b64encode(os.urandom(32)).decode()}
    r = runner.invoke(app, cases["leak_text"][:1] + [str(p.leak), "--patients", str(p.patients)],
                      env=wrong)  # fmt: skip
    assert "key" in case_cli.one_line_error(r)
    assert case_cli.snapshot(e) == before


# --- review -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def gray(tmp_path_factory):
    """A linkage whose first six probabilistic matches (typos, swaps, moves) are sent to
    review instead."""
    import dataclasses
    import datetime as dt

    from vigile.link import link
    from vigile.link.pipeline import iter_affected_persons

    p = make_pair(tmp_path_factory.mktemp("gray"), persons=80, others=500, seed=3, strangers=4)
    result = link(p.leak, p.patients, reference_date=dt.date(2021, 2, 14))
    gray = result.matches.sort("match_method", descending=True).head(6)
    # What linking them directly would have recorded: the review must record the same.
    expected = {
        a.patient_id: a
        for a in iter_affected_persons(result.affected())
        if a.patient_id in set(gray.get_column("patient_id"))
    }
    return (
        p,
        expected,
        dataclasses.replace(
            result,
            matches=result.matches.join(gray, on="leak_key", how="anti"),
            review=gray.select("leak_key", "patient_id", pl.lit(0.7).alias("match_probability")),
        ),
    )


@pytest.fixture()
def queued(tmp_path, gray, case_cli):
    """A fresh store whose review queue holds those six pairs."""
    from vigile.link import save_to_case

    p, _, result = gray
    e = case_cli.new(tmp_path, name="r", discovered="2021-02-14")
    store = _store(e)
    save_to_case(result, store, store.incident().id)
    ids = [it.id for it in store.review_queue(store.incident().id)]
    store.close()
    assert len(ids) == 6
    return p, e, ids


@pytest.fixture()
def spy(monkeypatch):
    """Calls the CLI makes to the store's public API: audit, decide_review, replace_affected."""
    from vigile.case import CaseStore

    calls: list[tuple[str, object]] = []
    for name in ("audit", "decide_review", "replace_affected"):
        real = getattr(CaseStore, name)

        def wrapper(self, *a, _real=real, _name=name, **kw):
            calls.append((_name, a[:2]))
            return _real(self, *a, **kw)

        monkeypatch.setattr(CaseStore, name, wrapper)
    return calls


def test_list_shows_partial_values_and_verdicts(queued, spy):
    p, e, ids = queued
    r = CliRunner().invoke(app, ["link", "review", "--list"], env={**e, "COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "review #" in r.output and "partly masked" in r.output and "verdict" in r.output
    assert any(v in r.output for v in ("same", "close:", "differs"))
    assert not [v for v in _raw_values(p) if v in r.output]
    assert not [c for c in spy if c[0] == "audit"]  # nothing revealed
    assert not [c for c in spy if c[0] != "audit"]  # nothing decided


def test_reveal_shows_clear_values_and_is_audited(queued, spy):
    p, e, ids = queued
    r = CliRunner().invoke(
        app, ["link", "review", "--list", "--reveal"], env={**e, "COLUMNS": "200"}
    )
    assert r.exit_code == 0, r.output
    assert "in clear" in r.output
    store = _store(e)
    inc = store.incident()
    first = store.review_queue(inc.id)[0]
    store.close()
    assert json.loads(first.leak_masked["_clear"])["last_name"] in r.output
    reveals = [args for name, args in spy if name == "audit"]
    assert all(action == "review.reveal" for action, _ in reveals)
    assert sorted(d["review_id"] for _, d in reveals) == sorted(ids)
    assert all(d == {"incident_id": inc.id, "review_id": d["review_id"]} for _, d in reveals)


def test_batch_decisions_with_ranges(queued, spy, gray):
    p, e, ids = queued
    expected = gray[1]
    store = _store(e)
    inc = store.incident()
    before_unmatched = inc.unmatched_leak_persons
    store.close()
    a, b, c = ids[0], ids[1], ids[2]
    r = CliRunner().invoke(
        app, ["link", "review", "--accept", f"{a}-{b}", "--reject", str(c)], env=e
    )
    assert r.exit_code == 0, r.output
    assert "2 accepted, 1 rejected" in r.output
    store = _store(e)
    inc = store.incident()
    left = {it.id for it in store.review_queue(inc.id)}
    assert not left & {a, b, c} and left == set(ids) - {a, b, c}
    assert inc.unmatched_leak_persons == before_unmatched + 1
    people = {x.patient_id: x for x in store.affected(inc.id)}
    decided = {it.id: it for it in store.review_queue(inc.id, include_decided=True)}
    for rid in (a, b):
        person = people[decided[rid].patient_id]
        want = expected[person.patient_id]
        assert person.match_method == "review" and person.identity == want.identity
        assert (person.categories, person.health_kinds, person.password) == (
            want.categories, want.health_kinds, want.password
        )  # fmt: skip
        assert (person.minor, person.protected) == (want.minor, want.protected)
    # Each decision through decide_review (which audits it); persons recomputed once.
    decide = [args for name, args in spy if name == "decide_review"]
    assert sorted(decide) == sorted([(a, True), (b, True), (c, False)])
    assert [name for name, _ in spy if name == "replace_affected"] == ["replace_affected"]
    assert store.verify_audit()
    store.close()


def test_decisions_file_and_conflicts(queued, tmp_path, case_cli):
    p, e, ids = queued
    runner = CliRunner()
    conflict = runner.invoke(
        app, ["link", "review", "--accept", str(ids[0]), "--reject", str(ids[0])], env=e
    )
    assert "both accepted and rejected" in case_cli.one_line_error(conflict)
    unknown = runner.invoke(app, ["link", "review", "--accept", "99999"], env=e)
    assert "99999" in case_cli.one_line_error(unknown)
    f = tmp_path / "decisions.json"
    f.write_text(json.dumps([{"id": ids[0], "decision": "reject"},
                             {"id": ids[1], "decision": "accept"}]))  # fmt: skip
    r = runner.invoke(app, ["link", "review", "--decisions", str(f)], env=e)
    assert r.exit_code == 0, r.output and "1 accepted, 1 rejected" in r.output
    csv = tmp_path / "decisions.csv"
    csv.write_text(f"id,decision\n{ids[2]},accept\n")
    r = runner.invoke(app, ["link", "review", "--decisions", str(csv)], env=e)
    assert r.exit_code == 0 and "1 accepted, 0 rejected" in r.output, r.output
    store = _store(e)
    left = {it.id for it in store.review_queue(store.incident().id)}
    store.close()
    assert left == set(ids) - set(ids[:3])


def test_interactive_goes_through_the_whole_queue(queued):
    p, e, ids = queued
    answers = "a\nr\nwhat\ns\n" + "s\n" * (len(ids) - 3)
    r = CliRunner().invoke(app, ["link", "review"], input=answers, env=e)
    assert r.exit_code == 0, r.output
    assert r.output.count("review #") == len(ids)  # not one item and out
    assert "1 accepted, 1 rejected" in r.output
    store = _store(e)
    left = {it.id for it in store.review_queue(store.incident().id)}
    store.close()
    assert left == set(ids) - set(ids[:2])
    # q stops; what was decided before it is applied.
    r = CliRunner().invoke(app, ["link", "review"], input="r\nq\n", env=e)
    assert r.exit_code == 0 and "0 accepted, 1 rejected" in r.output, r.output
