"""A letters run killed (SIGKILL) at any point and run again produces every letter exactly once."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from notify_case import env_with_key, stand_in_issue_code
from pypdf import PdfReader

from vigile.case import open_store
from vigile.notify import LETTER, render_letters, sender_for
from vigile.notify.log import entries

HERE = Path(__file__).parent

CHILD = """
import os, signal, sys
sys.path.insert(0, {here!r})
from notify_case import stand_in_issue_code
from vigile.case import open_store
from vigile.notify import letters, render_letters, sender_for

where, url, out = sys.argv[1], sys.argv[2], sys.argv[3]
seen = {{"codes": 0, "logs": 0}}

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def code(store, iid, refs):
    seen["codes"] += 1
    if where == "mid_batch" and seen["codes"] == 3:  # batch 3 being prepared, 2 compiling
        die()
    return stand_in_issue_code(store, iid, refs)

real_log = letters.log_many
def log_many(*a, **kw):
    seen["logs"] += 1
    if where == "before_log" and seen["logs"] == 2:
        die()
    n = real_log(*a, **kw)
    if where == "after_log" and seen["logs"] == 2:
        die()
    return n
letters.log_many = log_many

with open_store(url) as store:
    iid = store.incident().id
    snd = sender_for(store.incident_by_id(iid))
    render_letters(store, iid, out, snd, batch_size=10, issue_code=code)
"""


@pytest.mark.parametrize("where", ["mid_batch", "before_log", "after_log"])
def test_killed_run_resumes_exactly_once(case, tmp_path, where):
    url, key, iid = case
    out = tmp_path / "letters"
    log = tmp_path / "child.log"
    with open(log, "w") as f:  # a file, not a pipe: nothing can hold the test up
        child = subprocess.run(
            [sys.executable, "-c", CHILD.format(here=str(HERE)), where, url, str(out)],
            env=env_with_key(key),
            stdout=f,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    assert child.returncode == -signal.SIGKILL, log.read_text()[-2000:]
    with open_store(url, key=key) as store:
        logged_before = len(entries(store, iid, LETTER))
        assert logged_before == (20 if where == "after_log" else 10)
        run = render_letters(
            store, iid, out, sender_for(store.incident_by_id(iid)),
            batch_size=10, issue_code=stand_in_issue_code, today=date(2021, 3, 3),
        )  # fmt: skip
        log = entries(store, iid, LETTER)
        persons = {store.person_ref(p.patient_id) for p in store.affected(iid)}
    assert run.rendered == 25 - logged_before
    per_person = Counter(ref for ref, state, _ in log if state == "rendered")
    assert set(per_person) == persons and set(per_person.values()) == {1}
    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 25 and len({r["reference"] for r in rows}) == 25
    by_batch = Counter(r["file"] for r in rows)
    pdfs = sorted(p.name for p in out.glob("letters-*.pdf"))
    assert pdfs == sorted(by_batch)  # no orphan batch, no missing one
    for name, n in by_batch.items():
        assert len(PdfReader(out / name).pages) == n
    assert not list(out.glob("*.tmp"))
