"""SIGKILL at the worst moments of registering: the rerun resumes to the same state.

A driver process runs the real CLI with one function wrapped to SIGKILL the process
right before or after it (a real kill at an exact window, not a simulated one); the
test then reruns the same command and checks the final state."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vigile.cli  # noqa: F401  (registers every command)
from vigile.cli.app import app
from vigile.protect import plan_export, verify_export
from vigile.provenance import open_registry

from .lab import export_keys, lab_folder
from .world import renamed

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"

# Wraps module.Class.method so the process SIGKILLs itself before or after it runs.
DRIVER = """
import os, signal, sys, importlib
mod, cls, meth, when = sys.argv[1:5]
C = getattr(importlib.import_module(mod), cls)
orig = getattr(C, meth)
def killed(*a, **k):
    if when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    out = orig(*a, **k)
    os.kill(os.getpid(), signal.SIGKILL)
setattr(C, meth, killed)
import vigile.cli
from vigile.cli.app import app
app(args=sys.argv[5:], prog_name="vigile")
"""


def _killed_run(cwd: Path, target: str, when: str, args: list[str]) -> None:
    mod, cls, meth = target.rsplit(".", 2)
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    p = subprocess.run([sys.executable, "-c", DRIVER, mod, cls, meth, when, *args], cwd=cwd,
                       env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]


@pytest.fixture
def lab(tmp_path, monkeypatch):
    return tmp_path, lab_folder(tmp_path, monkeypatch, 300, seed=62)


def _exports(db: Path) -> list[tuple[str, str | None]]:
    with open_registry(str(db)) as reg:
        return sorted((e.name, e.sha256) for e in reg.exports().values())


def test_export_killed_between_registry_commit_and_manifest_resumes(lab):
    d, df = lab
    keys = d / "keys"
    ident = export_keys(d)
    (d / "profile.yaml").write_text(plan_export(str(d / "lab.csv")))
    args = ["export", "run", "lab.csv", "-p", "profile.yaml", "-r", str(ident.to_public()),
            "--out", "exp-1", "--signing-key", str(keys / "signing.key"),
            "--secret-file", str(keys / "pseudonym.secret"), "--register", "--to", "Éditeur Y",
            "--purpose", "migration", "--db", "store.db"]  # fmt: skip
    _killed_run(d, "vigile.provenance.hook.ExportHook.finish", "after", args)
    registered = _exports(d / "store.db")
    assert [n for n, _ in registered] == ["exp-1"]  # committed...
    assert not (d / "exp-1" / "manifest.json").exists()  # ...but no manifest written
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert verify_export(d / "exp-1").ok
    assert _exports(d / "store.db") == registered  # the same registration, nothing added
    assert sorted(p.name for p in (d / "exp-1").iterdir()) == [
        "01-lab.csv.parquet.age", "manifest.json", "manifest.sig"]  # fmt: skip
    # a finished export is not redone, and another content under the name is refused
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "not empty" in r.output
    (d / "exp-2").mkdir()
    (d / "exp-2" / "01-lab.csv.parquet.age").write_bytes(b"left by a killed run")
    df.head(100).write_csv(d / "lab.csv", separator=";")
    r = runner.invoke(app, [*args[:7], "--out", "exp-2", *args[9:]])
    assert r.exit_code == 0, r.output  # exp-2 is free: resumed from the killed leftovers
    (d / "exp-1").rename(d / "exp-1-done")
    (d / "exp-1").mkdir()  # as a killed run leaves it
    r = runner.invoke(app, args)  # other content (100 rows) under the registered name
    assert r.exit_code == 2 and "other content" in r.output and "Traceback" not in r.output
    assert not (d / "exp-1").exists()  # no half export left behind


@pytest.mark.parametrize(
    "target, when",
    [
        ("vigile.provenance.registry.Registry.register", "before"),  # copy written, not registered
        ("vigile.provenance.registry.Registry._insert", "after"),  # committed, not reported
    ],
)
def test_register_killed_resumes(lab, target, when):
    d, df = lab
    args = ["provenance", "register", "lab.csv", "--recipient", "Éditeur X", "--purpose",
            "migration", "--canaries", "2", "--out", "sent.csv", "--db", "store.db", "-q"]  # fmt: skip
    _killed_run(d, target, when, args)
    sent = (d / "sent.csv").read_bytes()
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert (d / "sent.csv").read_bytes() == sent  # the same copy, canaries in the same places
    [(name, digest)] = _exports(d / "store.db")
    assert name == "sent.csv"
    r = runner.invoke(app, args)  # and again: nothing changes
    assert r.exit_code == 0 and "already registered" in r.output
    renamed(df.sample(60, seed=3)).write_csv(d / "found.csv")
    r = runner.invoke(app, ["provenance", "trace", "found.csv", "--db", "store.db", "-f",
                            "json", "-q"])  # fmt: skip
    assert json.loads(r.output)["matches"][0]["export"] == "sent.csv"
