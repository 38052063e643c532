"""SIGKILL at every step of an incident, rerun: the incident ends as if nothing happened.

Two incidents on the same synthetic leak and patient database, each in its own store:
a reference run, and a run where every step (triage --case, link, notify cnil, notify
letters, portal requests --process, the reprints, notify email to a local SMTP sink) is
first SIGKILLed at several seeded moments of its reference duration, then run to the end
(a rerun refused because the killed run's hold on the step has not expired yet waits as
the message says; VIGILE_LEASE_TTL shortens that hold to a few seconds).

The final states are compared patient by patient (person references and codes are keyed
per store, so they differ between the two stores): the same affected persons and exposure
records, the same triage, one CNIL draft, exactly one letter per person and one reprint
per no-code request, exactly one e-mail per opt-in (the SMTP sink counts what it received
per recipient), every request answered the same way, each person's code the same in the
letter, the reprint and the e-mail and valid on the portal, and the audit chain verified
by `vigile case verify`.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from incident_support import CODE_RE, REF_RE, child_env, pdf_texts, vigile_cmd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notify"))
from notify_case import check_letters  # noqa: E402 (the letters' final-state check)

pytestmark = pytest.mark.slow

NAME = "fuite-kill"
ROWS = 2_500  # about 1,000 persons
SEED = 11
KILLS_PER_STEP = 3
LEASE_TTL = "3"
OPTIN_EVERY, ASK_EVERY = 37, 41


def _steps(d: Path, leak: Path, patients: Path, smtp: str) -> list[tuple[str, list[str]]]:
    db = ["--db", str(d / "case.db")]
    return [
        ("triage", ["triage", str(leak), "--case", NAME, *db, "-q", "-f", "json",
                    "-o", str(d / "triage.json"), "--found-where", "forum"]),
        ("link", ["link", str(leak), "--patients", str(patients), *db, "-q"]),
        ("notify cnil", ["notify", "cnil", "--out", str(d / "cnil"), *db]),
        ("notify letters", ["notify", "letters", "--out", str(d / "courriers"), *db, "-q",
                            "--batch-size", "100"]),
        ("portal visits", []),  # in this process, over HTTP
        ("portal requests", ["portal", "requests", "--process", *db]),
        ("notify letters (reprints)", ["notify", "letters", "--out", str(d / "courriers"),
                                       *db, "-q", "--batch-size", "100"]),
        ("notify email", ["notify", "email", "--smtp", smtp, *db, "-q"]),
    ]  # fmt: skip


def _start(args: list[str], env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        vigile_cmd(*args), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _kill_at(args: list[str], env: dict, cwd: Path, moment: float) -> bool:
    """Start the step, SIGKILL it `moment` seconds later; True when it was killed (not
    already finished)."""
    p = _start(args, env, cwd)
    try:
        p.wait(timeout=moment)
        p.communicate()
        return False
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.communicate()
        return True


def _complete(args: list[str], env: dict, cwd: Path) -> float:
    """Run the step to its end; a refusal because a killed run's hold has not expired yet
    waits as long as the message says, then reruns. Returns the duration of the last run."""
    for _ in range(10):
        t = time.perf_counter()
        p = _start(args, env, cwd)
        out, err = p.communicate(timeout=600)
        took = time.perf_counter() - t
        if p.returncode == 0:
            return took
        wait = re.search(r"rerun in (\d+) s", err)
        assert wait, f"{args[:2]} failed after a kill: {err.strip()[-500:]}"
        time.sleep(int(wait.group(1)))
    raise AssertionError(f"{args[:2]} still refused after ten reruns")


def _visits(url: str, key: bytes) -> None:
    """Persons opt in to e-mail and send no-code requests, chosen by patient id (the same
    persons in both stores), through the real portal over HTTP."""
    from vigile.case import open_store
    from vigile.case.codes import issue_codes
    from vigile.demo.portal_client import PortalClient
    from vigile.demo.server import LiveServer
    from vigile.portal import Portal, PortalConfig, create_app

    with open_store(url, key=key, create=False) as store:
        iid = store.incident(NAME).id
        records = {p.patient_id: (r, p) for pg in store.affected_pages(iid, 5000) for r, p in pg}
        pids = sorted(records)
        optin = pids[::OPTIN_EVERY]
        ask = [p for p in pids[5::ASK_EVERY] if p not in set(optin)]
        codes = issue_codes(store, iid, [records[p][0] for p in optin])
        relaxed = PortalConfig(client_requests_per_minute=10**6, identity_requests_per_day=10**6)
        with LiveServer(create_app(Portal(store, iid, relaxed))) as server:
            for pid in optin:
                client = PortalClient(server.url)
                assert client.enter_code(codes[records[pid][0]])[0] == 200
                assert client.opt_in(f"{pid.lower()}@demo.invalid") == 200
            for pid in ask:
                ident = records[pid][1].identity
                fields = ("last_name", "first_name", "birth_date", "postcode")
                PortalClient(server.url).no_code_request({k: ident.get(k, "") for k in fields})


def _open_incident(d: Path) -> tuple[str, bytes, dict]:
    """A new store in folder d with the incident opened; (url, key, child env)."""
    d.mkdir()
    key = os.urandom(32)
    env = child_env(VIGILE_KEY=base64.b64encode(key).decode(), VIGILE_LEASE_TTL=LEASE_TTL)
    for var in ("VIGILE_DB", "VIGILE_KEY_FILE"):
        env.pop(var, None)
    setup = [
        ["case", "new", NAME, "--discovered", "2021-02-23T09:00", "--controller",
         "Laboratoire Test", "--dpo", "dpo@labo-test.invalid, 02 99 00 00 00"],
        ["case", "set", "--portal-url", "https://verif.labo-test.invalid"],
    ]  # fmt: skip
    for args in setup:
        _complete([*args, "--db", str(d / "case.db")], env, d)
    return f"sqlite:///{d / 'case.db'}", key, env


def _verify(d: Path, env: dict) -> None:
    verify = subprocess.run(
        vigile_cmd("case", "verify", "--db", str(d / "case.db")),
        env=env, cwd=d, capture_output=True, text=True,
    )  # fmt: skip
    assert verify.returncode == 0 and "audit chain intact" in verify.stdout, verify.stdout


def _letter_codes(out: Path) -> dict[str, set[str]]:
    """Letter reference -> the codes printed on its pages (first letter and reprints)."""
    codes: dict[str, set[str]] = {}
    for text in pdf_texts(sorted(out.glob("letters-*.pdf")), layout=False):
        for page in text.split("\f"):
            if page.strip():
                ref, code = REF_RE.search(page), CODE_RE.search(page)
                codes.setdefault(ref.group(1), set()).add(code.group(1))
    return codes


def _state(d: Path, url: str, key: bytes, messages) -> dict:
    """The incident's final state keyed by patient id (comparable across stores); the
    checks that need the store's own keys (codes) are asserted here."""
    from vigile.case import EMAIL, LETTER, open_store
    from vigile.case import contacts as C
    from vigile.case.codes import find_person, issue_codes
    from vigile.notify import reference

    with open_store(url, key=key, create=False) as store:
        iid = store.incident(NAME).id
        records = {r: p for pg in store.affected_pages(iid, 5000) for r, p in pg}
        pid = {r: p.patient_id for r, p in records.items()}
        requests = C.list_requests(store, iid, pending_only=False)
        check_letters(store, iid, d / "courriers", {q.id: q.person_ref for q in requests})
        codes = issue_codes(store, iid, sorted(records))  # already issued: returned as is
        by_reference = {reference(iid, r): r for r in records}
        printed = _letter_codes(d / "courriers")
        for ref_text, seen in printed.items():  # first letter and reprint: one code
            ref = by_reference[ref_text]
            assert seen == {codes[ref]} and find_person(store, iid, codes[ref]) == ref
        optins = C.email_optins(store, iid)
        received: dict[str, list] = {}
        for m in messages:
            received.setdefault(str(m["To"]).lower(), []).append(m)
        by_address = {a.lower(): r for r, a in optins.items()}
        for address, copies in received.items():
            assert len(copies) == 1, f"{len(copies)} e-mails to one recipient"
            assert codes[by_address[address]] in copies[0].get_content()
        manifest = pl.read_csv(d / "courriers" / "manifest.csv", infer_schema=False)
        owner = {reference(iid, r): pid[r] for r in records}
        tri = store.triage(iid)
        return {
            "affected": {
                p.patient_id: (sorted(p.categories), p.password, p.minor, p.protected)
                for p in records.values()
            },
            "triage": {k: v for k, v in tri.items() if k not in ("analysed_at", "inputs")},
            "inputs": [(i["sha256"], i["size"], i["rows"]) for i in tri["inputs"]],
            "evidence": [(e.sha256, e.size, e.found_where) for e in store.evidence(iid)],
            "cnil drafts": [(x.version, x.kind) for x in store.cnil_drafts(iid)],
            "cnil files": sorted(p.name for p in (d / "cnil").iterdir()),
            "letters": Counter(
                owner[r]
                for r, q in manifest.select("reference", "request").iter_rows()
                if q is None
            ),
            "reprints": Counter(
                owner[r]
                for r, q in manifest.select("reference", "request").iter_rows()
                if q is not None
            ),
            "letter states": Counter(store.notification_states(iid, LETTER).values()),
            "emails": Counter({a: len(c) for a, c in received.items()}),
            "email states": Counter(store.notification_states(iid, EMAIL).values()),
            "optins": sorted(pid[r] for r in optins),
            "requests": sorted((pid.get(q.person_ref), q.state, q.outcome) for q in requests),
            "status": {  # what is done, without the times it was done at
                k: {f: x for f, x in v.items() if f != "at"}
                for k, v in store.status(iid)["steps"].items()
            },
        }


def test_killed_at_every_step_ends_in_the_same_state(tmp_path):
    """The two incidents advance step by step together, so that each step's kill moments
    are drawn from the duration the reference run of that same step just took."""
    from vigile.demo.smtp_sink import SmtpSink
    from vigile.synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db

    leak, patients = tmp_path / "fuite.csv", tmp_path / "patients.parquet"
    truth = generate_lab_export(ExportSpec(rows=ROWS, seed=SEED, fields="full"), leak)
    generate_patient_db(PatientDbSpec(size=int(truth.persons * 2.5), seed=SEED), truth, patients)
    ref_dir, kill_dir = tmp_path / "reference", tmp_path / "killed"
    ref_url, ref_key, ref_env = _open_incident(ref_dir)
    kill_url, kill_key, kill_env = _open_incident(kill_dir)
    rng = random.Random(SEED)
    durations: dict[str, float] = {}
    made: Counter = Counter()
    with SmtpSink() as ref_sink, SmtpSink() as kill_sink:
        ref_steps = _steps(ref_dir, leak, patients, ref_sink.url)
        kill_steps = _steps(kill_dir, leak, patients, kill_sink.url)
        for (name, ref_args), (_, kill_args) in zip(ref_steps, kill_steps, strict=True):
            if not ref_args:
                _visits(ref_url, ref_key)
                _visits(kill_url, kill_key)
                continue
            durations[name] = took = _complete(ref_args, ref_env, ref_dir)
            # Early moments: a run that finishes leaves the next tries nothing to do.
            for _ in range(KILLS_PER_STEP):
                made[name] += _kill_at(kill_args, kill_env, kill_dir, rng.uniform(0.05, 0.7) * took)
            _complete(kill_args, kill_env, kill_dir)
        _verify(ref_dir, ref_env)
        _verify(kill_dir, kill_env)
        reference_state = _state(ref_dir, ref_url, ref_key, ref_sink.messages)
        killed_state = _state(kill_dir, kill_url, kill_key, kill_sink.messages)
    print(json.dumps({"reference durations (s)": durations, "kills landed": made}, indent=1))
    assert reference_state["affected"] and reference_state["optins"] and reference_state["requests"]
    for key in reference_state:
        assert killed_state[key] == reference_state[key], key
    # Every step was killed at least once (a kill can only miss if the step ended sooner).
    assert all(made[name] for name in durations), made
