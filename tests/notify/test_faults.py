"""Fault injection on the letters and e-mail runs: SIGKILL at 50 seeded random points of
each, a full disk during letters, SMTP servers answering 4xx and 5xx. After each fault the
run is started again, as an operator would, until it ends: nothing is lost, nothing is sent
twice with different codes, and every code printed or sent opens the person's page.

The child process counts the events of a run (code issuing, log commits, file renames,
lease renewals, SMTP sends; before and after each) and kills itself at event number N,
N drawn from a seeded generator. A run that ends without being killed closes a round; the
state is checked and a fresh case starts the next round, until 50 kills have landed.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from notify_case import check_letters, env_with_key, make_case, new_key

from vigile.case import EMAIL, BusyError, open_store
from vigile.case.codes import find_person
from vigile.case.contacts import answer_request, queue_request
from vigile.notify import render_letters, send_emails, sender_for

HERE = Path(__file__).parent
CODE = re.compile(r"code personnel(?: de [^:]+)? : ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})")
KILLS = int(os.environ.get("VIGILE_FAULT_KILLS", "50"))  # per step; fewer for a quick run
LEASE_TTL = 1.0
PERSONS = 12
BATCH = 5

CHILD = """
import errno, os, signal, smtplib, sys, time
sys.path.insert(0, {here!r})
from vigile.case import BusyError, open_store
from vigile.case.codes import issue_codes
from vigile.case.leases import Lease
from vigile.case.store import CaseStore
import vigile.notify.letters as letters_mod
from vigile.notify import render_letters, send_emails, sender_for

kind, url, target, where, fault = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
seen = [0]

def tick():
    seen[0] += 1
    if fault == "kill" and seen[0] == target:
        os.kill(os.getpid(), signal.SIGKILL)

def hooked(fn):
    def wrapper(*a, **kw):
        tick()
        out = fn(*a, **kw)
        tick()
        return out
    return wrapper

real_replace = os.replace

def replace(src, dst, *a, **kw):
    tick()
    if fault == "enospc-rename" and seen[0] >= target:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    real_replace(src, dst, *a, **kw)
    tick()

if __name__ == "__main__":  # not in the spawned typst worker, which imports this file
    CaseStore.log_notifications = hooked(CaseStore.log_notifications)
    Lease.renew = hooked(Lease.renew)
    os.replace = replace
    smtplib.SMTP.send_message = hooked(smtplib.SMTP.send_message)

class FullDisk:
    # The manifest's file object on a disk that fills after `target` writes.
    def __init__(self, f):
        self._f = f
    def write(self, data):
        tick()
        if seen[0] >= target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._f.write(data)
    def __getattr__(self, name):
        return getattr(self._f, name)
    def __enter__(self):
        self._f.__enter__()
        return self
    def __exit__(self, *exc):
        return self._f.__exit__(*exc)

if fault == "enospc-write":
    import builtins
    def full_open(file, mode="r", *a, **kw):
        f = builtins.open(file, mode, *a, **kw)
        return FullDisk(f) if any(c in mode for c in "wa") else f
    letters_mod.open = full_open

def run(store, iid, snd):
    if kind == "letters":
        return render_letters(store, iid, where, snd, batch_size={batch},
                              issue_code=hooked(issue_codes), lease_ttl={ttl})
    return send_emails(store, iid, where, snd, "dpo@labo-exemple.test",
                       issue_code=hooked(issue_codes), lease_ttl={ttl})

if __name__ == "__main__":
    with open_store(url) as store:
        iid = store.incident().id
        snd = sender_for(store.incident_by_id(iid))
        deadline = time.monotonic() + 60
        while True:  # the previous child's lease expires after its TTL
            try:
                run(store, iid, snd)
                print("EVENTS", seen[0])
                break
            except BusyError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                print("ENOSPC")
                sys.exit(3)
"""


def _child(tmp_path, key, kind, url, target, where, fault="kill") -> int:
    return _child_events(tmp_path, key, kind, url, target, where, fault)[0]


def _child_events(tmp_path, key, kind, url, target, where, fault="kill") -> tuple[int, int]:
    """(exit code, events the run went through when it ended unkilled, else 0)."""
    script = tmp_path / "child.py"
    if not script.exists():
        script.write_text(CHILD.format(here=str(HERE), ttl=LEASE_TTL, batch=BATCH))
    log = tmp_path / f"child-{kind}-{fault}-{target}.log"
    with open(log, "w") as f:  # a file, not a pipe: nothing can hold the test up
        child = subprocess.run(
            [sys.executable, str(script), kind, url, str(target), str(where), fault],
            env=env_with_key(key),
            stdout=f,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
    text = log.read_text()
    assert child.returncode in (0, 3, -signal.SIGKILL), text[-3000:]
    m = re.search(r"^EVENTS (\d+)$", text, re.M)
    return child.returncode, int(m.group(1)) if m else 0


def _kill_rounds(tmp_path, new_case, kind, where, seed, check) -> int:
    """SIGKILL runs at KILLS random points. A round: a fresh case, children each resuming
    the last one's work and killed at a random event, until one ends; then the state is
    checked. Targets are drawn within the events a run still has: a first unkilled run
    (checked too) gives the length of a whole run."""
    rng = random.Random(seed)
    case = new_case(0)
    rc, full = _child_events(tmp_path, case[0], kind, case[1], 10**6, where(0))
    assert rc == 0 and full > 10
    check(*case, where(0))
    kills, rounds = 0, 0
    while kills < KILLS:
        rounds += 1
        case = new_case(rounds)
        left = full
        while kills < KILLS:
            target = rng.randint(1, left)
            rc, _ = _child_events(tmp_path, case[0], kind, case[1], target, where(rounds))
            if rc == 0:
                break
            kills += 1
            left = max(left - target + 6, 6)  # a resumed run redoes a few events
        check(*case, where(rounds))
    return rounds


def _until_lease_free(fn):
    deadline = time.monotonic() + LEASE_TTL + 30
    while True:
        try:
            return fn()
        except BusyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _letters_case(tmp_path, round_no):
    url = f"sqlite:///{tmp_path / f'case{round_no}.db'}"
    key = new_key()
    iid = make_case(url, key, PERSONS)
    with open_store(url, key=key) as store:
        refs = [store.person_ref(p.patient_id) for p in store.affected(iid)]
        requests = {}
        for ref in refs[:2]:  # answered before any letter: their only letter
            rid = queue_request(store, iid, {"last_name": "X"})
            answer_request(store, iid, rid, "letter", person_ref=ref)
            requests[rid] = ref
    return url, key, iid, requests


def test_letters_survive_50_random_kills(tmp_path):
    def new_case(n):
        url, key, iid, requests = _letters_case(tmp_path, n)
        return key, url, iid, requests

    def check(key, url, iid, requests, out):
        with open_store(url, key=key) as store:
            snd = sender_for(store.incident_by_id(iid))
            _until_lease_free(lambda: render_letters(store, iid, out, snd, batch_size=BATCH))
            check_letters(store, iid, out, requests)  # one letter each, codes valid

    rounds = _kill_rounds(tmp_path, new_case, "letters", lambda n: tmp_path / f"out{n}", 13, check)
    assert rounds >= 2 or KILLS < 10  # kills in several runs, runs ended between them


@pytest.mark.parametrize("fault", ["enospc-write", "enospc-rename"])
def test_letters_on_a_full_disk_fail_then_resume(tmp_path, fault):
    url, key, iid, requests = _letters_case(tmp_path, 0)
    out = tmp_path / "letters"
    # The disk fills at a later point each time (the run progresses between failures).
    failures = 0
    for target in (3, 9, 15, 21):
        rc = _child(tmp_path, key, "letters", url, target, out, fault)
        failures += rc == 3
    assert failures >= 2
    with open_store(url, key=key) as store:  # space freed: the run resumes and ends
        snd = sender_for(store.incident_by_id(iid))
        _until_lease_free(lambda: render_letters(store, iid, out, snd, batch_size=BATCH))
        check_letters(store, iid, out, requests)


def test_letters_under_a_file_size_limit_fail_then_resume(tmp_path):
    """A real write refused by the kernel (RLIMIT_FSIZE, EFBIG: what a full quota does),
    in the run and in its typst worker process. The limit lets SQLite size the WAL index
    (-shm, 32 KiB) and stops the store's WAL early in the run."""
    limit = 40_000
    url, key, iid, requests = _letters_case(tmp_path, 0)
    out = tmp_path / "letters"
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from vigile.case import open_store\n"
        "from vigile.notify import render_letters, sender_for\n"
        "try:\n"
        "    with open_store(sys.argv[1]) as store:\n"
        "        iid = store.incident().id\n"
        f"        render_letters(store, iid, sys.argv[2], sender_for(store.incident_by_id(iid)), batch_size={BATCH})\n"
        "except Exception as e:\n"
        "    print('failed', type(e).__name__, e)\n"
        "    sys.exit(3)\n"
    )
    child = subprocess.run([sys.executable, "-c", code, url, str(out)], env=env_with_key(key),
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert child.returncode == 3, child.stdout + child.stderr[-3000:]
    # Regression: the lease turned any store error into "another run started at the same
    # moment".
    assert "BusyError" not in child.stdout and "another run" not in child.stdout
    cli = (
        "import resource, runpy, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "sys.argv = ['vigile', 'notify', 'letters', '--db', sys.argv[1], '--out', sys.argv[2],"
        " '--quiet']\n"
        "runpy.run_module('vigile', run_name='__main__')\n"
    )
    child = subprocess.run([sys.executable, "-c", cli, url, str(out)], env=env_with_key(key),
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert child.returncode == 2 and "Traceback" not in child.stderr, child.stderr[-3000:]
    # One line saying the disk refused the write and to free space (not "internal failure").
    lines = [ln for ln in child.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("erreur : "), child.stderr
    assert "libérez de l'espace" in lines[0]
    with open_store(url, key=key) as store:
        snd = sender_for(store.incident_by_id(iid))
        _until_lease_free(lambda: render_letters(store, iid, out, snd, batch_size=BATCH))
        check_letters(store, iid, out, requests)


# -- e-mails -------------------------------------------------------------------------
class Sink:
    """An SMTP server that can answer 4xx/5xx at RCPT or at DATA, per address."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.rcpt_answer: dict[str, str] = {}
        self.data_answer: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.rcpt_answer:
            return self.rcpt_answer[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        for address in envelope.rcpt_tos:
            if address in self.data_answer:
                return self.data_answer[address]
        self.messages.append(envelope.content)
        return "250 Message accepted"


@pytest.fixture
def sink():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Sink()
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield handler, f"smtp://127.0.0.1:{port}"
    finally:
        ctl.stop()


def _email_case(tmp_path, round_no):
    url = f"sqlite:///{tmp_path / f'mail{round_no}.db'}"
    key = new_key()
    iid = make_case(url, key, 30, email_share=0.5)
    with open_store(url, key=key) as store:
        people = {store.person_ref(p.patient_id): p for p in store.affected(iid)}
    targets = {r: p.identity["email"] for r, p in people.items()
               if p.identity.get("channel") == "email"}  # fmt: skip
    return url, key, iid, targets


def _send(url, key, iid, smtp_url):
    with open_store(url, key=key) as store:
        snd = sender_for(store.incident_by_id(iid))
        return _until_lease_free(
            lambda: send_emails(store, iid, smtp_url, snd, "dpo@labo-exemple.test")
        )


def _check_emails(url, key, iid, targets, messages, bounced=frozenset()):
    """Every target e-mailed or bounced, logged once; a person's messages carry one code
    (a resent copy: the same Message-ID and code), and that code opens their page."""
    with open_store(url, key=key) as store:
        states = store.notification_states(iid, EMAIL)
        assert set(states) == set(targets)
        assert {r for r, s in states.items() if s == "bounced"} == set(bounced)
        assert {r for r, s in states.items() if s == "sent"} == set(targets) - set(bounced)
        entries = store.notification_entries(iid, EMAIL)
        done = [ref for ref, s, _ in entries if s in ("sent", "bounced")]
        assert len(done) == len(set(done))  # logged once each
        codes_of: dict[str, set[str]] = defaultdict(set)
        by_id: dict[str, set[str]] = defaultdict(set)
        for raw in messages:
            msg = message_from_bytes(raw, policy=policy.default)
            code = CODE.search(" ".join(msg.get_content().split())).group(1)
            ref = find_person(store, iid, code)
            assert ref in targets and str(msg["To"]) == targets[ref]
            codes_of[ref].add(code)
            by_id[msg["Message-ID"]].add(code)
        assert all(len(c) == 1 for c in codes_of.values())  # never a second code
        assert all(len(c) == 1 for c in by_id.values())
        assert set(codes_of) == set(targets) - set(bounced)  # nothing lost


def test_emails_survive_50_random_kills(tmp_path, sink):
    handler, smtp_url = sink

    def new_case(n):
        handler.messages.clear()
        url, key, iid, targets = _email_case(tmp_path, n)
        return key, url, iid, targets

    def check(key, url, iid, targets, _where):
        _send(url, key, iid, smtp_url)
        _check_emails(url, key, iid, targets, handler.messages)

    rounds = _kill_rounds(tmp_path, new_case, "email", lambda n: smtp_url, 29, check)
    assert rounds >= 2 or KILLS < 10


def test_smtp_4xx_then_5xx_answers(tmp_path, sink):
    """4xx at RCPT or DATA: deferred, sent by a later run with the same code; 5xx at RCPT
    or DATA: bounced, logged once, never retried."""
    handler, smtp_url = sink
    url, key, iid, targets = _email_case(tmp_path, 0)
    refs = sorted(targets)
    assert len(refs) >= 6
    later_rcpt, later_data, never_rcpt, never_data = (targets[r] for r in refs[:4])
    handler.rcpt_answer = {later_rcpt: "451 4.3.0 try again later",
                           never_rcpt: "550 5.1.1 mailbox unavailable"}  # fmt: skip
    handler.data_answer = {later_data: "452 4.3.1 insufficient system storage",
                           never_data: "554 5.6.0 message refused"}  # fmt: skip
    first = _send(url, key, iid, smtp_url)
    assert (first.deferred, first.bounced) == (2, 2)
    assert first.sent == len(targets) - 4
    again = _send(url, key, iid, smtp_url)  # still refusing for now
    assert (again.sent, again.deferred, again.bounced) == (0, 2, 0)
    handler.rcpt_answer.pop(later_rcpt)
    handler.data_answer.pop(later_data)
    last = _send(url, key, iid, smtp_url)
    assert (last.sent, last.deferred, last.bounced) == (2, 0, 0)
    assert _send(url, key, iid, smtp_url).sent == 0
    _check_emails(url, key, iid, targets, handler.messages, bounced={refs[2], refs[3]})


def test_a_421_and_kills_keep_the_code(tmp_path, sink):
    """A server answering 421 (it closes the connection) and runs killed while a message
    is deferred: the later run sends it with its code. Regression: after a 421 the run
    went on with the closed connection and died (SMTPServerDisconnected)."""
    handler, smtp_url = sink
    url, key, iid, targets = _email_case(tmp_path, 0)
    busy = targets[sorted(targets)[0]]
    handler.rcpt_answer = {busy: "421 4.7.0 too busy"}
    rng = random.Random(7)
    for _ in range(3):
        _child(tmp_path, key, "email", url, rng.randint(1, 40), smtp_url)
    handler.rcpt_answer.clear()
    _send(url, key, iid, smtp_url)
    _check_emails(url, key, iid, targets, handler.messages)
