"""Two, then four, `vigile notify letters` and `vigile notify email` runs started at once
(real processes, letters and e-mails side by side) on SQLite and on PostgreSQL: every
person gets exactly one letter, every address at most one e-mail, a person's letter and
e-mail carry the same code, and every printed code opens the person's page on the portal.
A run that finds another under way says so in one line and exits 2; run again after the
others, it finds nothing left to do. Regressions (issue 13): two letter runs gave everyone
two letters and killed the first run's codes; two e-mail runs sent 2 messages per person;
an e-mail run voided the letter codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from notify_case import check_letters, env_with_key, make_case, new_key
from pypdf import PdfReader

from vigile.case import EMAIL, open_store
from vigile.demo.smtp_sink import SmtpSink

CODE = re.compile(r"code personnel(?: de [^:]+)? : ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})")
PERSONS = 40


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'case.db'}"
    return request.getfixturevalue("pg_url")


def _run_at_once(commands: list[list[str]], env: dict, tmp: Path) -> list[tuple[int, str]]:
    """Start every command, all released together, and wait for them."""
    go = tmp / "go"
    go.unlink(missing_ok=True)
    gate = f"import os,time\nwhile not os.path.exists({str(go)!r}): time.sleep(0.002)\n"
    logs = [tmp / f"run{i}-{time.monotonic_ns()}.log" for i in range(len(commands))]
    procs = []
    for cmd, log in zip(commands, logs, strict=True):
        code = gate + "import sys, runpy\nsys.argv = ['vigile', *sys.argv[1:]]\n"
        code += "runpy.run_module('vigile', run_name='__main__')\n"
        f = open(log, "w")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", code, *cmd], env=env, stdout=f, stderr=subprocess.STDOUT
            )
        )
    time.sleep(1.0)  # every interpreter started and waiting at the gate
    go.touch()
    out = []
    for p, log in zip(procs, logs, strict=True):
        p.wait(timeout=600)
        out.append((p.returncode, log.read_text()))
    return out


def _busy_or_done(results: list[tuple[int, str]]) -> None:
    for code, text in results:
        assert "Traceback" not in text, text[-3000:]
        if code != 0:  # lost the lease to a run under way: one clear line, exit 2
            assert code == 2, text[-3000:]
            lines = [ln for ln in text.splitlines() if ln.startswith("error:")]
            assert len(lines) == 1 and "another run" in lines[0], text[-3000:]


def _letter_codes(out: Path) -> dict[str, str]:
    """{letter reference: code printed} from the PDFs and the manifest."""
    import csv

    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    pages: dict[str, list[str]] = {}
    codes: dict[str, str] = {}
    for r in rows:
        if r["file"] not in pages:
            reader = PdfReader(out / r["file"])
            pages[r["file"]] = [" ".join(p.extract_text().split()) for p in reader.pages]
        text = pages[r["file"]][int(r["page"]) - 1]
        assert r["reference"] not in codes  # one letter per person
        codes[r["reference"]] = CODE.search(text).group(1)
    return codes


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _portal_opens(url: str, key: bytes, iid: int, codes: set[str]) -> None:
    """Every code, typed on the portal (its public look-up), opens a person's page."""
    from vigile.portal import Portal, PortalConfig, create_app

    with open_store(url, key=key, actor="portal") as store:
        portal = Portal(store, iid, PortalConfig(client_requests_per_minute=10**6))
        app = create_app(portal)
        for i, code in enumerate(sorted(codes)):
            with TestClient(app, client=(f"10.{i // 250}.{i % 250}.1", 40000)) as c:
                token = csrf_of(c.get("/").text)
                r = c.post("/code", data={"code": code, "csrf": token}, follow_redirects=False)
                assert r.status_code == 303, (r.status_code, i)
                assert c.get("/mon-dossier", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("runs", [2, 4])
def test_simultaneous_letter_and_email_runs(store_url, tmp_path, runs):
    key = new_key()
    iid = make_case(store_url, key, PERSONS, email_share=0.4)
    env = env_with_key(key)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).parent), env.get("PYTHONPATH")) if p
    )
    out = tmp_path / "letters"
    with SmtpSink() as sink:
        letters = ["notify", "letters", "--db", store_url, "--out", str(out),
                   "--batch-size", "7", "--quiet"]  # fmt: skip
        email = ["notify", "email", "--db", store_url, "--smtp", sink.url, "--quiet"]
        results = _run_at_once([letters] * runs + [email] * runs, env, tmp_path)
        _busy_or_done(results)
        assert any(c == 0 for c, _ in results[:runs]) and any(c == 0 for c, _ in results[runs:])
        # Run each again, one at a time: nothing is left to do.
        again = _run_at_once([letters], env, tmp_path) + _run_at_once([email], env, tmp_path)
        assert [c for c, _ in again] == [0, 0], again
        assert "0 letters rendered" in again[0][1], again[0][1]
        assert "0 e-mails sent" in again[1][1], again[1][1]
        messages = list(sink.messages)
    with open_store(store_url, key=key) as store:
        check_letters(store, iid, out)  # one letter each, manifest = PDFs, codes valid
        from vigile.notify import reference

        letter_code = _letter_codes(out)
        by_address = Counter(str(m["To"]) for m in messages)
        assert by_address and set(by_address.values()) == {1}  # at most one per address
        sent = {ref for ref, s in store.notification_states(iid, EMAIL).items() if s == "sent"}
        assert len(sent) == len(messages)
        refs = {reference(iid, r) for r in sent}
        for m in messages:
            text = " ".join(m.get_content().split())
            ref = re.search(r"Référence\s*:\s*(\S+)", text).group(1)
            assert ref in refs
            assert CODE.search(text).group(1) == letter_code[ref]  # one code per person
    assert len(letter_code) == PERSONS
    _portal_opens(store_url, key, iid, set(letter_code.values()))
