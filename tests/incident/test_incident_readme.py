"""The README's "typical incident" runs as written, on a small synthetic leak.

Every `vigile` command of the README's block (and of its comments: `portal requests
--process`) runs in a child process in a fresh folder, on `vigile synth` outputs named as
the README names them, with two substitutions only: `portal serve` listens on a free port
and is stopped once it answers, and `notify email` talks to a local SMTP sink.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from incident_support import child_env, vigile_cmd

README = Path(__file__).resolve().parents[2] / "README.md"


def typical_incident() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index("A typical incident")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S).group(1)
    commands = []
    for line in block.splitlines():
        code, _, comment = line.partition("  #")
        for part in code.split(";"):
            if part.strip():
                commands.append(shlex.split(part))
        later = re.search(r"later: (vigile portal requests --process)", comment)
        if later:
            commands.append(shlex.split(later.group(1)))
    assert all(c[0] == "vigile" for c in commands)
    return commands


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_until_up(args: list[str], env: dict, cwd: Path) -> None:
    port = _free_port()
    p = subprocess.Popen(
        vigile_cmd(*args[1:], "--port", str(port)),
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert p.poll() is None, p.stderr.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    assert r.status == 200
                    return
            except OSError:
                time.sleep(0.5)
        raise AssertionError("the portal did not answer")
    finally:
        p.terminate()
        p.wait(30)


@pytest.fixture
def folder(tmp_path):
    env = child_env(VIGILE_KEY_DIR=str(tmp_path / "keys"))
    for var in ("VIGILE_DB", "VIGILE_KEY", "VIGILE_KEY_FILE"):
        env.pop(var, None)
    made = subprocess.run(
        vigile_cmd("synth", "fuite.csv", "--rows", "1500", "--seed", "4", "--patients",
                   "patients.parquet"),
        env=env, cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return tmp_path, env


@pytest.mark.slow
def test_typical_incident_runs_as_written(folder):
    from vigile.demo.smtp_sink import SmtpSink

    cwd, env = folder
    commands = typical_incident()
    assert len(commands) >= 12
    with SmtpSink() as sink:
        for args in commands:
            if args[1:3] == ["portal", "serve"]:
                _serve_until_up(args, env, cwd)
                continue
            if "--smtp" in args:
                args = [*args]
                args[args.index("--smtp") + 1] = sink.url
            p = subprocess.run(
                vigile_cmd(*args[1:]), env=env, cwd=cwd, capture_output=True, text=True,
                stdin=subprocess.DEVNULL, timeout=600,
            )  # fmt: skip
            assert p.returncode == 0, f"{shlex.join(args)}: {p.stderr.strip()}"
            assert "Traceback" not in p.stderr
    assert (cwd / "triage.html").exists() and (cwd / "ancre.json").exists()
    assert list((cwd / "courriers").glob("letters-*.pdf"))
    assert list((cwd / "cnil").glob("cnil-notification-v1.*"))


# Regression: load_answers refused the empty fields its own template says to leave empty.
def test_answers_template_with_one_field_filled(folder):
    cwd, env = folder

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(vigile_cmd(*args), env=env, cwd=cwd, capture_output=True, text=True)

    assert run("case", "new", "fuite-2021", "--discovered", "2021-02-23T09:00", "--controller",
               "Laboratoire X", "--dpo", "dpo@labo.fr, 02 99 00 00 00").returncode == 0  # fmt: skip
    assert run("notify", "cnil", "--out", "cnil/").returncode == 0
    template = (cwd / "cnil" / "cnil-answers-template.yaml").read_text(encoding="utf-8")
    filled = template.replace("org.siren:", "org.siren: 123 456 789", 1)
    (cwd / "reponses.yaml").write_text(filled, encoding="utf-8")
    p = run("notify", "cnil", "--out", "cnil/", "--answers", "reponses.yaml")
    assert p.returncode == 0, p.stderr
