"""A letters or e-mail run killed (SIGKILL) at random points and run again ends in the same
state: every person one letter with a valid code, one e-mail per person with one code."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from notify_case import check_letters, env_with_key

from vigile.case import EMAIL, BusyError, open_store
from vigile.case.codes import find_person
from vigile.case.contacts import answer_request, queue_request, save_email_optin
from vigile.notify import render_letters, send_emails, sender_for

HERE = Path(__file__).parent
CODE = re.compile(r"code personnel(?: de [^:]+)? : ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})")
LEASE_TTL = 3.0

# The child counts the events of a run (code issuing, log commits, renames, lease renewals,
# SMTP sends; before and after each) and kills itself with SIGKILL at event number N.
CHILD = """
import os, signal, smtplib, sys
sys.path.insert(0, {here!r})
from vigile.case import open_store
from vigile.case.codes import issue_codes
from vigile.case.leases import Lease
from vigile.case.store import CaseStore
from vigile.notify import render_letters, send_emails, sender_for

kind, url, target, where = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
seen = [0]

def tick():
    seen[0] += 1
    if seen[0] == target:
        os.kill(os.getpid(), signal.SIGKILL)

def hooked(fn):
    def wrapper(*a, **kw):
        tick()
        out = fn(*a, **kw)
        tick()
        return out
    return wrapper

CaseStore.log_notifications = hooked(CaseStore.log_notifications)
Lease.renew = hooked(Lease.renew)
os.replace = hooked(os.replace)
smtplib.SMTP.send_message = hooked(smtplib.SMTP.send_message)

def run(store, iid, snd):
    if kind == "letters":
        render_letters(store, iid, where, snd, batch_size=7, issue_code=hooked(issue_codes),
                       lease_ttl={ttl})
    else:
        send_emails(store, iid, where, snd, "dpo@labo-exemple.test",
                    issue_code=hooked(issue_codes), lease_ttl={ttl})

if __name__ == "__main__":
    import time
    from vigile.case import BusyError
    with open_store(url) as store:
        iid = store.incident().id
        snd = sender_for(store.incident_by_id(iid))
        for _ in range(100):  # the previous child's lease expires after its TTL
            try:
                run(store, iid, snd)
                break
            except BusyError:
                time.sleep(0.5)
"""


def _child(tmp_path, key, kind, url, target, where) -> int:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(here=str(HERE), ttl=LEASE_TTL))
    log = tmp_path / f"child-{kind}-{target}.log"
    with open(log, "w") as f:  # a file, not a pipe: nothing can hold the test up
        child = subprocess.run(
            [sys.executable, str(script), kind, url, str(target), str(where)],
            env=env_with_key(key),
            stdout=f,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
    assert child.returncode in (0, -signal.SIGKILL), log.read_text()[-3000:]
    return child.returncode


def _until_lease_free(fn):
    """Rerun as an operator would: the killed run's lease expires after its TTL."""
    deadline = time.monotonic() + LEASE_TTL + 20
    while True:
        try:
            return fn()
        except BusyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_letters_killed_at_random_points_end_the_same(case, tmp_path, seed):
    url, key, iid = case
    out = tmp_path / "letters"
    with open_store(url, key=key) as store:
        refs = [store.person_ref(p.patient_id) for p in store.affected(iid)]
        requests = {}
        for ref in refs[:2]:  # answered before any letter: their only letter, rendered once
            rid = queue_request(store, iid, {"last_name": "X"})
            answer_request(store, iid, rid, "letter", person_ref=ref)
            requests[rid] = ref
    rng = random.Random(seed)
    # 25 persons in batches of 7: about 60 events; some targets land past the end.
    codes = [
        _child(tmp_path, key, "letters", url, t, out) for t in sorted(rng.sample(range(1, 70), 2))
    ]
    assert -signal.SIGKILL in codes
    with open_store(url, key=key) as store:
        _until_lease_free(
            lambda: render_letters(
                store, iid, out, sender_for(store.incident_by_id(iid)),
                batch_size=7, today=date(2021, 3, 3),
            )
        )  # fmt: skip
        check_letters(store, iid, out, requests)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_emails_killed_at_random_points_never_change_a_code(case, tmp_path, smtp, seed):
    inbox, smtp_url = smtp
    url, key, iid = case
    with open_store(url, key=key) as store:
        people = {store.person_ref(p.patient_id): p for p in store.affected(iid)}
        optin = next(r for r, p in people.items() if "channel" not in p.identity)
        save_email_optin(store, iid, optin, "portail@exemple.test")
        asked = next(r for r, p in people.items() if p.identity.get("channel") == "email")
        rid = queue_request(store, iid, {"last_name": "X"})
        answer_request(store, iid, rid, "email", person_ref=asked)
    targets = {r for r, p in people.items() if p.identity.get("channel") == "email"} | {optin}
    rng = random.Random(seed)
    codes = [
        _child(tmp_path, key, "email", url, t, smtp_url)
        for t in sorted(rng.sample(range(1, 60), 3))
    ]
    assert -signal.SIGKILL in codes
    with open_store(url, key=key) as store:
        _until_lease_free(
            lambda: send_emails(
                store, iid, smtp_url, sender_for(store.incident_by_id(iid)),
                "dpo@labo-exemple.test", today=date(2021, 3, 3),
            )
        )  # fmt: skip
        states = store.notification_states(iid, EMAIL)
        entries = store.notification_entries(iid, EMAIL)
        assert set(states) == targets and set(states.values()) <= {"sent", "bounced"}
        done = Counter((ref, d.get("request")) for ref, s, d in entries if s in ("sent", "bounced"))
        assert set(done.values()) == {1}  # logged once each
        assert set(done) == {(r, None) for r in targets - {asked}} | {(asked, rid)}
        codes_of: dict[str, set[str]] = defaultdict(set)
        by_id: dict[str, set[str]] = defaultdict(set)
        for _tos, raw in inbox.messages:
            msg = message_from_bytes(raw, policy=policy.default)
            text = " ".join(msg.get_payload(decode=True).decode().split())
            code = CODE.search(text).group(1)
            ref = find_person(store, iid, code)
            assert ref in targets
            codes_of[ref].add(code)
            by_id[msg["Message-ID"]].add(code)
        # Resent after a kill: same Message-ID, same code; never a second code for a person.
        assert all(len(c) == 1 for c in codes_of.values())
        assert all(len(c) == 1 for c in by_id.values())
        delivered = {ref for ref in codes_of}
        assert delivered == {r for r in targets if states[r] == "sent"}
