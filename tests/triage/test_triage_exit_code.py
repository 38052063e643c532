"""`vigile triage --exit-code`: the convention of scan and sweep (0 nothing found and all
read, 1 found, 3 nothing found but something not fully read)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import vigile.cli  # noqa: F401  (registers every command)
from read import hostile_corpus as hc  # tests/ is on sys.path under pytest
from vigile.cli.app import app


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("exit")
    out = hc.build(d / "hostile", only={"ods_malformed"})
    (d / "leak.csv").write_bytes(hc.leak_csv(30))
    (d / "clean.csv").write_text("code;quantite\nA1;2\nB7;5\nC3;1\n", encoding="utf-8")
    return {"leak": d / "leak.csv", "clean": d / "clean.csv", "broken": out["ods_malformed"]}


def _triage(*args) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["triage", "-q", "-f", "json", *map(str, args)])
    return r.exit_code, r.output


@pytest.mark.parametrize(
    ("inputs", "with_flag", "expected"),
    [
        (["leak"], 1, 1),  # personal data found
        (["leak", "broken"], 1, 1),  # found wins over not fully read
        (["clean"], 1, 0),  # nothing found, everything read
        (["clean", "broken"], 1, 3),  # nothing found, but one input was not read
        (["clean", "broken"], 0, 0),  # without the flag: the exit says only "done"
        (["leak"], 0, 0),
    ],
)
def test_exit_code(files, inputs, with_flag, expected):
    code, output = _triage(*(files[k] for k in inputs), *(["--exit-code"] if with_flag else []))
    assert code == expected, output
    assert "Traceback" not in output


def test_nothing_readable_is_still_exit_2_with_or_without_the_flag(files):
    for flag in ([], ["--exit-code"]):
        code, output = _triage(files["broken"], *flag)
        assert code == 2 and "no table could be read" in output
