"""The whole incident, step by step, as a DPO runs it, each step checked against the truth.

    result = run_incident(workdir, rows=10_000, seed=2021)
    result.ok, result.checks, result.timings

Every step is a real `vigile` command run in this process (printed as `$ vigile …`); the
checks read the case through its public API and compare with the generator's truth.
"""

from __future__ import annotations

import shlex
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

MARKER = ".vigile-demo"
INCIDENT = "fuite-demo"
CONTROLLER = "Laboratoire Exemple de Bretagne (données synthétiques)"
DPO = "dpo@labo-exemple.invalid, 02 99 00 00 00"


@dataclass(frozen=True)
class Check:
    step: str
    ok: bool
    detail: str


@dataclass
class DemoResult:
    checks: list[Check] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    workdir: Path | None = None
    incident_id: int | None = None
    db_url: str = ""
    # What a test needs to check every person (filled as the steps run): the generator's
    # truth, the e-mail opt-ins (person reference -> address), the persons who sent a
    # no-code request, and every message the SMTP sink received.
    leak_truth: object | None = None
    db_truth: object | None = None
    optins: dict[str, str] = field(default_factory=dict)
    askers: list[str] = field(default_factory=list)
    emails: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


class CommandFailed(RuntimeError):
    pass


def vigile(*args: str, console: Console | None = None) -> int:
    """Run one vigile command in this process, as typed at the shell; returns its exit code."""
    import typer

    from ..cli import app

    if console is not None:
        console.print(
            f"[bold]$ vigile {' '.join(shlex.quote(a) for a in args)}[/]", highlight=False
        )
    try:
        rc = app(list(args), standalone_mode=False, prog_name="vigile")
    except typer.Exit as e:
        rc = e.exit_code
    except SystemExit as e:  # click's own exits
        rc = e.code if isinstance(e.code, int) else 1
    except Exception as e:  # noqa: BLE001 - any other failure is the check's business
        if type(e).__name__ == "NoArgsIsHelpError":
            return 0
        if hasattr(e, "exit_code"):
            return int(e.exit_code)
        raise
    return int(rc or 0)


def _prepare(workdir: Path) -> None:
    """A fresh folder: the demo deletes only a folder it created itself."""
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists():
            raise CommandFailed(
                f"{workdir} exists and was not made by `vigile demo`: choose another --workdir"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by vigile demo; deleted by the next run\n")


def run_incident(
    workdir: str | Path,
    *,
    rows: int = 10_000,
    seed: int = 2021,
    patients_factor: float = 2.5,
    console: Console | None = None,
    optins: int = 25,
    requests: int = 5,
    portal_checks: int = 20,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate a leak and a patient database, run the incident, check every step."""
    import polars as pl

    from ..case import open_store
    from ..case.codes import issue_codes
    from ..cli.common import open_case
    from ..synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db

    say = console.print if console else (lambda *a, **k: None)
    wd = Path(workdir).absolute()
    _prepare(wd)
    res = DemoResult(workdir=wd)
    db = wd / "case.db"
    res.db_url = f"sqlite:///{db}"
    base = ["--db", str(db)]

    def check(step: str, ok: bool, detail: str) -> None:
        res.checks.append(Check(step, bool(ok), detail))
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        say(f"  {mark} {detail}", highlight=False)

    def step(name: str, *args: str) -> None:
        if on_step:
            on_step(name)
        t = time.perf_counter()
        rc = vigile(*args, console=console)
        res.timings[name] = res.timings.get(name, 0.0) + time.perf_counter() - t
        if rc != 0:
            check(name, False, f"`vigile {args[0]} {args[1] if len(args) > 1 else ''}` exited {rc}")
            raise CommandFailed(name)

    # 1. The leaked file and the controller's patient database (synthetic).
    t = time.perf_counter()
    leak = wd / "fuite.csv"
    say("[bold]1. A leaked lab export (synthetic, like 2021's) and our patient database[/]")
    truth = generate_lab_export(
        ExportSpec(rows=rows, seed=seed, encoding="cp1252", separator=";", fields="full"), leak
    )
    patients = wd / "patients.parquet"
    db_truth = generate_patient_db(
        PatientDbSpec(size=max(int(truth.persons * patients_factor), truth.persons), seed=seed),
        truth,
        patients,
    )
    res.timings["generate"] = time.perf_counter() - t
    res.leak_truth, res.db_truth = truth, db_truth
    say(
        f"  {truth.rows:,} rows, {truth.persons:,} persons in the leak; "
        f"{db_truth.size:,} patients in our database",
        highlight=False,
    )

    try:
        discovered = "2021-02-23T09:00"
        say("[bold]2. Open the incident: the 72 h clock starts[/]")
        step("case new", "case", "new", INCIDENT, "--discovered", discovered,
             "--controller", CONTROLLER, "--dpo", DPO, *base)  # fmt: skip
        res.incident_id = 1
        with open_store(res.db_url, create=False) as store:
            res.incident_id = store.incident(INCIDENT).id

        say("[bold]3. Triage: what the file holds, recorded in the case[/]")
        step("triage", "triage", str(leak), "--case", INCIDENT, *base, "-f", "html",
             "-o", str(wd / "triage.html"), "--found-where", "forum (démonstration)",
             "--found-at", "2021-02-23T08:30", "-q")  # fmt: skip
        with open_store(res.db_url, create=False) as store:
            tri = store.triage(res.incident_id) or {}
            ev = store.evidence(res.incident_id)
        check("triage", tri.get("persons") == truth.persons,
              f"triage: {tri.get('persons')} persons (truth {truth.persons})")  # fmt: skip
        check("triage", tri.get("minors") == truth.minors,
              f"triage: {tri.get('minors')} minors (truth {truth.minors})")  # fmt: skip
        check("triage", len(ev) == 1 and ev[0].found_where is not None,
              "evidence recorded: sha256, size, where and when found")  # fmt: skip

        say("[bold]4. Who among our patients is in the leak[/]")
        step("link", "link", str(leak), "--patients", str(patients), *base, "--quiet")
        with open_case(str(db), None) as store:
            affected = {
                p.patient_id: (ref, p)
                for page in store.affected_pages(res.incident_id, 5000)
                for ref, p in page
            }
        expected = set(db_truth.links.get_column("patient_id").to_list())
        found = set(affected)
        tp = len(found & expected)
        precision = tp / len(found) if found else 0.0
        recall = tp / len(expected) if expected else 1.0
        check("link", precision >= 0.99 and recall >= 0.99,
              f"link: {len(found):,} affected patients, precision {precision:.4f}, "
              f"recall {recall:.4f}")  # fmt: skip

        say("[bold]5. The case's facts, then the CNIL notification draft[/]")
        step("case set", "case", "set", INCIDENT, *base, "--portal-url",
             "https://verification.labo-exemple.invalid", "--dpo-name", "Anne Martin",
             "--processor", "Éditeur du logiciel de laboratoire (démonstration)",
             "--not-encrypted")  # fmt: skip
        step("notify cnil", "notify", "cnil", "--out", str(wd / "cnil"), *base)
        import json

        draft = json.loads((wd / "cnil" / "cnil-notification-v1.json").read_text("utf-8"))
        fields = {f["id"]: f for s in draft["sections"] for f in s["fields"]}
        same = (
            fields["count.persons"]["value"] == tri.get("persons")
            and fields["count.records"]["value"] == tri.get("rows")
            and fields["count.identified"]["value"] == len(found)
        )
        check("notify cnil", same, "CNIL draft: persons, records and identified patients "
              "equal the triage's and the link's")  # fmt: skip

        say("[bold]6. One letter per affected person[/]")
        step("notify letters", "notify", "letters", "--out", str(wd / "courriers"), *base)
        manifest = pl.read_csv(wd / "courriers" / "manifest.csv")
        undeliverable = pl.read_csv(wd / "courriers" / "undeliverable.csv")
        refs = manifest.get_column("reference")
        check("notify letters", refs.n_unique() == manifest.height
              and manifest.height + undeliverable.height == len(found),
              f"letters: {manifest.height:,} rendered once each, "
              f"{undeliverable.height} without a usable address")  # fmt: skip

        say("[bold]7. Persons check on the portal with their letter's code[/]")
        res.timings.update(
            _portal_visits(res, affected, optins, requests, portal_checks, check, say)
        )

        say("[bold]8. Record the CNIL submission, answer the no-code requests, e-mail[/]")
        step("notify cnil --submitted", "notify", "cnil", "--submitted", "--receipt",
             "DEMO-0001", "--at", "2021-02-25T10:00", *base)  # fmt: skip
        step("portal requests", "portal", "requests", "--process", *base)
        from .smtp_sink import SmtpSink

        with open_case(str(db), None) as store:
            optins = _optins(store, res.incident_id)
            codes = issue_codes(store, res.incident_id, list(optins))
        res.optins = dict(optins)
        with SmtpSink() as sink:
            step("notify email", "notify", "email", "--smtp", sink.url, *base)
            res.emails = list(sink.messages)
            got: dict[str, int] = {}
            right_code = 0
            for m in sink.messages:
                to = str(m["To"]).lower()
                got[to] = got.get(to, 0) + 1
            by_addr = {email.lower(): ref for ref, email in optins.items()}
            for m in sink.messages:
                ref = by_addr.get(str(m["To"]).lower())
                right_code += bool(ref and codes[ref] in m.get_content())
        check("notify email", set(got) == set(by_addr) and all(n == 1 for n in got.values())
              and right_code == len(sink.messages),
              f"e-mails: {len(sink.messages)} sent for {len(optins)} opt-ins, one each, "
              "each with the person's own code")  # fmt: skip
        step("notify letters (requests)", "notify", "letters", "--out",
             str(wd / "courriers"), *base)  # fmt: skip
        with open_case(str(db), None) as store:
            planned = [
                s for s in store.notification_states(res.incident_id, "letter").values()
                if s == "planned"
            ]  # fmt: skip
        check("portal requests", not planned,
              "no-code requests: each answered by one letter (reprint, same code)")  # fmt: skip

        say("[bold]9. Where the incident stands[/]")
        step("case status", "case", "status", INCIDENT, *base)
        step("case verify", "case", "verify", *base)
    except CommandFailed:
        pass
    return res


def _optins(store, incident_id: int) -> dict[str, str]:
    from ..case import contacts

    return contacts.email_optins(store, incident_id)


def _portal_visits(res, affected, optins, requests, portal_checks, check, say):
    """Persons look themselves up on the portal (served on loopback): the page lists what
    their letter lists; some choose e-mail; some without code send the no-code form."""
    import dataclasses
    import random

    from ..case.codes import issue_codes
    from ..cli.common import open_case
    from ..portal import Portal, PortalConfig, create_app
    from ..wording import describe
    from .portal_client import PortalClient
    from .server import LiveServer

    t = time.perf_counter()
    rng = random.Random(7)
    refs = sorted(ref for ref, _ in affected.values())
    with open_case(res.db_url.removeprefix("sqlite:///"), None) as store:
        codes = issue_codes(store, res.incident_id, refs)
    by_ref = {ref: p for ref, p in affected.values()}
    key_store = open_case(res.db_url.removeprefix("sqlite:///"), None)
    # Every visit comes from 127.0.0.1 here: lift the per-client bounds, keep the rest.
    names = {f.name for f in dataclasses.fields(PortalConfig)}
    relaxed = {
        k: 10**6 for k in ("client_requests_per_minute", "identity_requests_per_day") if k in names
    }
    app = create_app(Portal(key_store, res.incident_id, PortalConfig(**relaxed)))
    sample = rng.sample(refs, min(portal_checks, len(refs)))
    optin = rng.sample(refs, min(optins, len(refs)))
    agree = 0
    with LiveServer(app) as server:
        for ref in sample:
            client = PortalClient(server.url)
            status, page = client.enter_code(codes[ref])
            words = describe(by_ref[ref].categories, by_ref[ref].password).exposed
            agree += status == 200 and all(w in page for w in words)
        check("portal", agree == len(sample),
              f"portal: {agree}/{len(sample)} persons found their page, listing exactly what "
              "their letter lists")  # fmt: skip
        for i, ref in enumerate(optin):
            client = PortalClient(server.url)
            client.enter_code(codes[ref])
            client.opt_in(f"personne{i}@demo.invalid")
        askers = rng.sample([r for r in refs if r not in set(optin)], min(requests, len(refs)))
        for ref in askers:
            ident = by_ref[ref].identity
            PortalClient(server.url).no_code_request(
                {k: ident.get(k, "") for k in ("last_name", "first_name", "birth_date", "postcode")}
            )
    key_store.close()
    res.askers = list(askers)
    say(f"  {len(optin)} persons chose e-mail; {len(askers)} asked without a code", highlight=False)
    return {"portal visits": time.perf_counter() - t}
