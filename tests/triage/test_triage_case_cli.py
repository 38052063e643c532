"""`vigile triage --case`: evidence and triage kept in the case; bad input refused cleanly."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import vigile.cli  # noqa: F401  (registers every command)
from vigile.case import open_store
from vigile.cli.app import app
from vigile.synth import ExportSpec, generate_lab_export

DISCOVERED = "2021-02-14T09:00"


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    path = tmp_path_factory.mktemp("leak") / "export_labo.csv"
    truth = generate_lab_export(ExportSpec(rows=1500, seed=5), path)
    return path, truth


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VIGILE_DB", raising=False)
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(app, [str(a) for a in args], **kw)


@pytest.fixture
def case(cli, tmp_path):
    """A store with the incident 'labs' opened; its path."""
    db = tmp_path / "case.db"
    r = cli("case", "new", "labs", "--discovered", DISCOVERED, "--db", db)
    assert r.exit_code == 0, r.output
    return db


def _one_line(output: str) -> str:
    """The error as the user reads it (the console wraps long lines at its width)."""
    return " ".join(output.split())


def _state(db):
    with open_store(str(db), create=False) as s:
        iid = s.incident("labs").id
        return s.status(iid), s.evidence(iid), s.triage(iid)


def test_case_records_evidence_and_triage(cli, case, export):
    path, truth = export
    r = cli("triage", path, "--case", "labs", "--db", case, "-q", "--output", "r.md",
            "--found-where", "forum public", "--found-at", "2021-02-13T20:15")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "1 file(s) recorded as evidence" in r.output and "triage saved" in r.output
    status, evidence, saved = _state(case)
    assert status["steps"]["triage_saved"]["done"]
    assert status["steps"]["evidence_recorded"]["done"]
    assert status["steps"]["evidence_recorded"]["count"] == 1
    (ev,) = evidence
    assert ev.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert ev.size == path.stat().st_size and ev.path == str(path.resolve())
    assert ev.found_where == "forum public"
    assert ev.found_at.isoformat() == "2021-02-13T19:15:00+00:00"  # Paris time, stored UTC
    # the saved triage is the vigile.triage/1 JSON of this run
    assert saved["schema"] == "vigile.triage/1"
    assert saved["rows"] == truth.rows and saved["persons"] == truth.persons
    assert saved["inputs"][0]["sha256"] == ev.sha256
    # the report was still written, in French
    assert (case.parent / "r.md").read_text(encoding="utf-8").startswith("# Vigile — triage")


def test_second_run_is_idempotent_for_evidence(cli, case, export):
    path, _ = export
    args = ("triage", path, "--case", "labs", "--db", case, "-q", "-f", "json", "-o", "t.json")
    assert cli(*args).exit_code == 0
    first = _state(case)[2]
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert "0 file(s) recorded as evidence (1 already recorded)" in again.output
    status, evidence, saved = _state(case)
    assert len(evidence) == 1 and status["steps"]["evidence_recorded"]["count"] == 1
    assert saved["persons"] == first["persons"]
    report = json.loads((case.parent / "t.json").read_text(encoding="utf-8"))
    assert report["persons"] == saved["persons"] and report["duties"] == saved["duties"]


def test_without_case_nothing_is_opened(cli, export, tmp_path):
    r = cli("triage", export[0], "-q")
    assert r.exit_code == 0 and "## Personnes" in r.output
    assert not (tmp_path / "vigile-case.db").exists()


def test_missing_store_says_to_open_the_case(cli, export, tmp_path):
    r = cli("triage", export[0], "--case", "labs", "--db", tmp_path / "none.db", "-q")
    line = _one_line(r.output)
    assert r.exit_code == 2 and "vigile case new labs --discovered TIME" in line
    assert "Traceback" not in r.output and not (tmp_path / "none.db").exists()


def test_unknown_incident_says_to_open_it(cli, case, export):
    r = cli("triage", export[0], "--case", "other", "--db", case, "-q")
    line = _one_line(r.output)
    assert r.exit_code == 2 and "vigile case new NAME --discovered TIME" in line
    assert _state(case)[1] == []


def test_found_options_need_a_case_and_a_time(cli, case, export):
    r = cli("triage", export[0], "--found-where", "forum", "-q")
    assert r.exit_code == 2 and "--case" in r.output
    r = cli("triage", export[0], "--case", "labs", "--db", case, "--found-at", "hier", "-q")
    assert r.exit_code == 2 and "ISO time" in _one_line(r.output)
    assert _state(case)[1] == []


def _assert_refused(r, case, raw: bytes = b"") -> None:
    line = _one_line(r.output)
    assert r.exit_code == 2, r.output
    assert line.startswith("error: no table") and "nothing was recorded" in line
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)
    if raw:
        assert raw.decode("latin-1") not in r.output
    status, evidence, saved = _state(case)
    assert evidence == [] and saved is None
    assert not status["steps"]["triage_saved"]["done"]
    assert not status["steps"]["evidence_recorded"]["done"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("dump.bin", bytes(range(256)) * 20),  # random-looking bytes
        ("empty.csv", b""),
        ("header_only.csv", b"NOM;PRENOM;NIR\n"),
        ("notes.txt", b"Patient DUPONT Jean 1 85 03 75 123 456 78 vu le 12/03\n"),  # free text
    ],
)
def test_not_a_table_is_one_line_and_nothing_saved(cli, case, tmp_path, name, content):
    leak = tmp_path / name
    leak.write_bytes(content)
    r = cli("triage", leak, "--case", "labs", "--db", case, "-q")
    _assert_refused(r, case, raw=b"DUPONT" if b"DUPONT" in content else b"")
    assert "1 85 03 75" not in r.output


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blob=st.binary(min_size=1, max_size=2000))
def test_arbitrary_bytes_never_crash(cli, case, tmp_path, blob):
    leak = tmp_path / "leak.dat"
    leak.write_bytes(blob)
    before = _state(case)
    r = cli("triage", leak, "--case", "labs", "--db", case, "-q", "-o", "out.md")
    assert r.exit_code in (0, 2), r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    if r.exit_code == 2:  # refused: the case is as it was
        after = _state(case)
        assert after[1] == before[1] and after[2] == before[2]


def test_an_unreadable_file_beside_a_table_is_a_warning(cli, case, export, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    r = cli("triage", export[0], junk, "--case", "labs", "--db", case, "-q", "-o", "r.md")
    assert r.exit_code == 0, r.output
    assert "warning: " in r.output and "junk.bin" in r.output
    _, evidence, saved = _state(case)
    assert [e.path for e in evidence] == [str(export[0].resolve())]  # only what was read
    assert saved["errors"] and saved["persons"] > 0


def test_lang_en_and_bad_lang(cli, export):
    r = cli("triage", export[0], "-q", "--lang", "en")
    assert r.exit_code == 0 and "## Persons" in r.output and "## Personnes" not in r.output
    bad = cli("triage", export[0], "-q", "--lang", "de")
    assert bad.exit_code == 2 and "fr or en" in bad.output
