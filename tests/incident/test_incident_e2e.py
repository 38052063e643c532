"""The whole incident on a synthetic leak of more than 20,000 persons, checked person by person.

`vigile.demo.run_incident` runs every step through the real CLI commands (case new, triage
--case, link, case set, notify cnil, notify letters, portal visits over HTTP, notify cnil
--submitted, portal requests --process, notify email to a local SMTP sink, the reprints);
this test then reads back what each channel told each person and compares it with the
generator's own truth (`vigile.demo.truth.exposure_truth`: the values synth wrote in that
person's rows, never vigile's detection).

For EVERY affected person:
- the letter: its page in the PDF batches, read with `pdftotext -layout`;
- the e-mail: rendered with the functions `notify email` sends with (`common_texts`,
  `profile(profile_key(person))`, `body_text`); the messages the SMTP sink actually
  received (every opt-in) are read too and must say the same;
- the portal page and the attestation: rendered with the portal's own public pieces, once
  per distinct exposure (categories, password form): describe() into the portal's
  `dossier.html` template with `Portal.page_context()`, and `attestation.build_pdf` with the
  portal's signing key (signature checked); each person's exposure record (read from the
  case, as the portal reads it) selects its rendering. Checking 20,000 pages over HTTP would
  take several minutes, so a sample of persons (minors, clear-text passwords, health data,
  and random ones) also goes through the real portal over HTTP (code -> page ->
  attestation) and must read exactly the same.

Known disagreements between the generator's labels and vigile's health lexicons
(`KNOWN_LABEL_GAPS`, now empty) would be the only differences allowed with the truth, and
only for persons whose rows hold one of those texts; the strict version is
`test_health_words_equal_generator_labels_exactly`.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import time
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from incident_support import (
    Told,
    parse_attestation,
    parse_email,
    parse_page,
    read_letters,
)

ROWS = 49_000  # -> about 20,300 persons in the leak, all of them our patients
SEED = 2021
OPTINS = 60
REQUESTS = 25
HTTP_SAMPLE = 40

pytestmark = pytest.mark.slow

# Generator texts whose health words vigile's lexicons read otherwise (the generator's label
# -> what the case records). This test found twelve at 49,000 rows; all are fixed.
KNOWN_LABEL_GAPS: dict[str, tuple[set[str], set[str]]] = {
    # text: (categories vigile adds, categories vigile drops). Empty since the lexicons
    # were aligned with the generator's labels (treatments no longer read as conditions,
    # chemotherapy and trithérapie read as treatments): keep it empty.
}
TEXT_HEALTH = {"health_condition", "medication"}


@dataclasses.dataclass
class Incident:
    result: object  # vigile.demo.DemoResult
    workdir: Path
    incident_id: int
    triage: dict
    draft: dict
    records: dict[str, object]  # person_ref -> AffectedPerson (the case's exposure record)
    truth: dict[str, object]  # patient_id -> PersonTruth
    texts: dict[str, frozenset[str]]  # patient_id -> free-text cells of the person's rows
    letters: dict[str, Told]  # person_ref -> the letter
    emails: dict[str, Told]  # person_ref -> the e-mail (rendered)
    sent: dict[str, list[Told]]  # address -> e-mails the sink received
    pages: dict[str, Told]  # person_ref -> the portal page
    attestations: dict[str, Told]  # person_ref -> the attestation
    http: dict[str, tuple[Told, Told]]  # person_ref -> (page, attestation) over HTTP
    letter_log: list[tuple[str, str, dict]]
    email_log: list[tuple[str, str, dict]]
    requests: list[object]  # NoCodeRequest
    manifest: pl.DataFrame
    codes: dict[str, str]
    timings: dict[str, float]  # seconds: the demo's steps, then this test's reading back


def _free_texts(truth, links: pl.DataFrame) -> dict[str, frozenset[str]]:
    from vigile.demo.truth import _read_leak

    values = _read_leak(truth, truth.path)
    person = truth.row_persons().sort("row").get_column("person")
    cols = [c for c, cats in truth.text_columns.items() if cats and c in values.columns]
    cells = (
        values.select(cols)
        .with_columns(person=person)
        .unpivot(index="person", on=cols)
        .filter(pl.col("value").is_in(list(KNOWN_LABEL_GAPS)))
        .group_by("person")
        .agg(pl.col("value").unique())
    )
    joined = links.select(pl.col("leak_person").alias("person"), "patient_id").join(
        cells, on="person"
    )
    return {pid: frozenset(v) for pid, v in joined.select("patient_id", "value").iter_rows()}


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from vigile.case import EMAIL, LETTER, contacts
    from vigile.case.codes import issue_codes
    from vigile.cli.common import open_case
    from vigile.demo import run_incident
    from vigile.demo.portal_client import PortalClient
    from vigile.demo.server import LiveServer
    from vigile.demo.truth import exposure_truth
    from vigile.notify import reference, sender_for
    from vigile.notify.email import body_text, person_name
    from vigile.notify.letters import profile, profile_key
    from vigile.notify.sender import cnil_notified_on, common_texts
    from vigile.portal import Portal, PortalConfig, attestation, create_app
    from vigile.portal import app as portal_app
    from vigile.wording import describe

    work = tmp_path_factory.mktemp("incident")
    clock = [time.perf_counter()]
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = now - clock[0]
        clock[0] = now

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIGILE_KEY_DIR", str(work / "keys"))
        for var in ("VIGILE_DB", "VIGILE_KEY", "VIGILE_KEY_FILE"):
            mp.delenv(var, raising=False)
        res = run_incident(
            work / "demo", rows=ROWS, seed=SEED, optins=OPTINS, requests=REQUESTS,
            portal_checks=20,
        )  # fmt: skip
        lap("demo (all steps)")
        failed = [c.detail for c in res.checks if not c.ok]
        assert res.ok and res.checks, f"the demo's own checks failed: {failed}"
        wd = res.workdir
        lt, dbt = res.leak_truth, res.db_truth
        store = open_case(res.db_url.removeprefix("sqlite:///"), None)
        try:
            iid = res.incident_id
            inc = store.incident_by_id(iid)
            records = {ref: p for page in store.affected_pages(iid, 5000) for ref, p in page}
            codes = issue_codes(store, iid, sorted(records))  # the codes already issued
            from vigile.case import PARIS

            discovered = inc.discovered.astimezone(PARIS).date()  # link counts minors then
            truth = exposure_truth(lt, dbt.links, on=discovered)
            texts = _free_texts(lt, dbt.links)
            draft = json.loads((wd / "cnil" / "cnil-notification-v1.json").read_text("utf-8"))
            lap("records and truth")

            # The e-mail of every person, with the functions `notify email` sends with.
            sender = sender_for(inc)
            common = common_texts(
                inc, sender, store.triage(iid), date.today(),
                cnil_notified_on(store.cnil_submissions(iid)), channel="email",
            )  # fmt: skip
            profiles: dict = {}
            emails = {}
            for ref, p in records.items():
                key = profile_key(p)
                prof = profiles.get(key) or profiles.setdefault(key, profile(*key))
                body = body_text(common, prof, reference(iid, ref), codes[ref], person_name(p))
                emails[ref] = parse_email(body)

            lap("e-mails rendered")
            # The portal page and attestation of every distinct exposure.
            portal = Portal(store, iid, PortalConfig())
            env = Environment(
                loader=FileSystemLoader(Path(portal_app.__file__).parent / "templates"),
                autoescape=select_autoescape(),
            )
            template = env.get_template("dossier.html")
            public = portal.signing_key.public_key()
            by_exposure: dict = {}
            for p in records.values():
                key = (p.categories, p.password)
                if key in by_exposure:
                    continue
                text = describe(p.categories, p.password)
                page = template.render(
                    portal.page_context() | {"title": "t", "csrf": "c"},
                    exposed=text.exposed, not_exposed=text.not_exposed,
                    advice=text.advice_texts(),
                )  # fmt: skip
                facts = attestation.AttestationFacts(
                    controller=inc.controller, incident=inc.name, discovered=inc.discovered,
                    dpo_contact=inc.dpo_contact, full_name="Prénom NOM", birth_date="01/01/2000",
                    exposed=list(text.exposed), not_exposed=list(text.not_exposed),
                    issued=inc.discovered,
                )  # fmt: skip
                pdf = attestation.build_pdf(facts, portal.signing_key)
                by_exposure[key] = (parse_page(page), parse_attestation(pdf, public))
            pages = {r: by_exposure[(p.categories, p.password)][0] for r, p in records.items()}
            atts = {r: by_exposure[(p.categories, p.password)][1] for r, p in records.items()}

            lap(f"pages and attestations ({len(by_exposure)} exposures)")
            # A sample through the real portal over HTTP.
            rng = random.Random(SEED)
            refs = sorted(records)
            minors = [r for r in refs if records[r].minor]
            plain = [r for r in refs if records[r].password == "plain"]
            health = [r for r in refs if "health_condition" in records[r].categories]
            sample = set(rng.sample(minors, 10) + rng.sample(plain, 10) + rng.sample(health, 10))
            # Regression: drawing the rest from every ref could pick one already sampled
            # (refs are keyed per store, so ~1.5 % of runs had 39 persons, not 40).
            rest = [r for r in refs if r not in sample]
            sample |= set(rng.sample(rest, HTTP_SAMPLE - len(sample)))
            assert len(sample) == HTTP_SAMPLE
            relaxed = PortalConfig(
                client_requests_per_minute=10**6, identity_requests_per_day=10**6
            )
            http = {}
            with LiveServer(create_app(Portal(store, iid, relaxed))) as server:
                for ref in sorted(sample):
                    client = PortalClient(server.url)
                    status, page = client.enter_code(codes[ref])
                    assert status == 200
                    status, pdf = client.attestation()
                    assert status == 200 and pdf.startswith(b"%PDF")
                    http[ref] = (parse_page(page), parse_attestation(pdf, public))

            lap("portal over HTTP (sample)")
            sent: dict[str, list[Told]] = {}
            for m in res.emails:
                sent.setdefault(str(m["To"]).lower(), []).append(parse_email(m.get_content()))
            requests = contacts.list_requests(store, iid, pending_only=False)
            letter_log = store.notification_entries(iid, LETTER)
            email_log = store.notification_entries(iid, EMAIL)
            tri = store.triage(iid)
        finally:
            store.close()
    letters_by_reference = read_letters(wd / "courriers")
    lap("letters read (pdftotext)")
    letters = {ref: letters_by_reference[reference(iid, ref)] for ref in records
               if reference(iid, ref) in letters_by_reference}  # fmt: skip
    return Incident(
        result=res, workdir=wd, incident_id=iid, triage=tri, draft=draft, records=records,
        truth=truth, texts=texts, letters=letters, emails=emails, sent=sent, pages=pages,
        attestations=atts, http=http, letter_log=letter_log, email_log=email_log,
        requests=requests, manifest=pl.read_csv(wd / "courriers" / "manifest.csv"), codes=codes,
        timings={**{f"demo: {k}": v for k, v in res.timings.items()}, **timings},
    )  # fmt: skip


def _expected(inc: Incident, ref: str) -> Told:
    """What the generator's truth for the person's own rows says, in describe()'s words."""
    from vigile.wording import describe

    t = inc.truth[inc.records[ref].patient_id]
    text = describe(t.categories, t.password)
    return Told(exposed=text.exposed, not_exposed=text.not_exposed)


def _allowed(inc: Incident, ref: str) -> Told:
    """The expectation with the known label gaps of this person's own rows applied."""
    from vigile.wording import describe

    p = inc.records[ref]
    t = inc.truth[p.patient_id]
    cats = set(t.categories)
    texts = inc.texts.get(p.patient_id, frozenset())
    added = set().union(*(KNOWN_LABEL_GAPS[x][0] for x in texts)) if texts else set()
    dropped = set().union(*(KNOWN_LABEL_GAPS[x][1] for x in texts)) if texts else set()
    got = set(p.categories)
    # a gap explains a difference only in its own direction, for this person's own texts
    cats |= got & added
    cats -= dropped - got
    text = describe(cats, t.password)
    return Told(exposed=text.exposed, not_exposed=text.not_exposed)


def test_size_and_links(incident):
    print("\n".join(f"{k}: {v:.1f} s" for k, v in incident.timings.items()))
    assert len(incident.records) >= 20_000
    assert {p.patient_id for p in incident.records.values()} == set(incident.truth)


def test_cnil_draft_figures_equal_the_triage(incident):
    from vigile.notify.cnil import DATA_GROUPS

    tri = incident.triage
    fields = {f["id"]: f for s in incident.draft["sections"] for f in s["fields"]}
    number = re.compile(r"\d+(?:[\u202f\u00a0 ]\d{3})*(?:\.\d+)?")

    def numbers(fid: str) -> list[float]:
        return [float(re.sub(r"\s", "", n)) for n in number.findall(str(fields[fid]["value"]))]

    cats, creds = tri["categories"], tri["credentials"]
    expected = {
        "count.persons": [tri["persons"]],
        "count.records": [tri["rows"]],
        "count.identified": [len(incident.records)],
        "persons.minors": [tri["minors"]],
        "persons.vulnerable": [tri["over_75"], 75],
        "sensitive.health": [n for n in tri["health_mentions"].values() if n],
    }
    for gid, (_, _, ids) in DATA_GROUPS.items():
        if f"data.{gid}" in fields:
            expected[f"data.{gid}"] = [max(cats.get(c, 0) for c in ids)]
    expected["data.credentials"] += [
        creds["persons_with_password"], creds["plain_text"], creds["hashed_only"],
    ]  # fmt: skip
    triage_fields = {fid for fid, f in fields.items() if f.get("source") == "triage"}
    wrong = {
        fid: (numbers(fid), want)
        for fid, want in expected.items()
        if sorted(numbers(fid)) != sorted(float(w) for w in want)
    }
    assert not wrong
    # every figure of a field filled from the triage is checked above
    for fid in triage_fields - set(expected):
        sev = tri["severity"]
        if fid == "harm.severity":
            assert str(sev["score"]) in fields[fid]["value"]
            assert fields[fid]["value"].startswith(sev["cnil_gravite"])
        elif fid != "dates.data_period":  # compared as text below
            assert not numbers(fid), f"{fid} holds a figure this test does not check"
    span = tri["time_span"]
    assert fields["dates.data_period"]["value"] == f"{span['earliest']} — {span['latest']}"
    due = tri["duties"]["health_incident_report"]["due"]
    assert fields["measures.ars_report"]["value"] == (
        "à effectuer sans délai" if due else "non requis"
    )


def test_every_person_is_told_the_same_on_every_channel(incident):
    """Letter, e-mail, portal page, attestation: the same phrases, in the same order, for
    every person; and the case's exposure record is what they all say."""
    from vigile.wording import describe

    assert set(incident.letters) == set(incident.records)  # every person has a letter
    differ = Counter()
    for ref, p in incident.records.items():
        text = describe(p.categories, p.password)
        record = Told(exposed=text.exposed, not_exposed=text.not_exposed)
        for name, told in (
            ("letter", incident.letters[ref]),
            ("email", incident.emails[ref]),
            ("page", incident.pages[ref]),
            ("attestation", incident.attestations[ref]),
        ):
            said = Told(exposed=told.exposed, not_exposed=told.not_exposed)
            differ[name] += said != record
    assert differ == Counter({"letter": 0, "email": 0, "page": 0, "attestation": 0})


def test_every_person_is_told_the_generator_truth(incident):
    """Each person's words equal describe() of the generator's truth for that person's own
    rows, apart from the listed label gaps, each only where the person's rows hold its text."""
    wrong = [
        ref for ref in incident.records
        if incident.letters[ref].exposed != _allowed(incident, ref).exposed
    ]  # fmt: skip
    wrong_not = [
        ref for ref in incident.records
        if incident.letters[ref].not_exposed != _allowed(incident, ref).not_exposed
    ]  # fmt: skip
    assert (len(wrong), len(wrong_not)) == (0, 0)


def test_health_words_equal_generator_labels_exactly(incident):
    wrong = [
        r for r in incident.records if incident.letters[r].exposed != _expected(incident, r).exposed
    ]
    assert not wrong, f"{len(wrong)} persons are told other health words than the generator wrote"


def test_http_sample_reads_the_same(incident):
    assert len(incident.http) == HTTP_SAMPLE
    for ref, (page, att) in incident.http.items():
        assert page == incident.pages[ref]
        assert att == incident.attestations[ref]
        assert page.exposed == incident.letters[ref].exposed


def test_minor_letters_go_to_the_legal_representatives(incident):
    minors = [r for r, p in incident.records.items() if p.minor]
    assert minors
    for ref, p in incident.records.items():
        truth_minor = incident.truth[p.patient_id].minor
        assert p.minor == truth_minor
        assert incident.letters[ref].representatives == p.minor
        assert incident.emails[ref].representatives == p.minor


def test_every_optin_gets_exactly_one_email(incident):
    optins = {a.lower(): ref for ref, a in incident.result.optins.items()}
    assert len(optins) == OPTINS
    assert set(incident.sent) == set(optins)
    for address, told in incident.sent.items():
        ref = optins[address]
        assert len(told) == 1
        assert told[0] == incident.emails[ref]  # the same words and the same code
        assert told[0].code == incident.letters[ref].code == incident.codes[ref]
    sent_log = Counter(ref for ref, state, d in incident.email_log if state == "sent")
    assert sent_log == Counter(set(incident.result.optins))


def test_every_no_code_request_ends_in_one_queued_letter(incident):
    askers = set(incident.result.askers)
    reqs = incident.requests
    assert len(reqs) == REQUESTS == len(askers)
    assert all(r.state != "pending" and r.outcome == "letter" for r in reqs)
    assert {r.person_ref for r in reqs} == askers
    rendered = Counter(
        d["request"] for ref, state, d in incident.letter_log
        if state == "rendered" and "request" in d
    )  # fmt: skip
    assert rendered == Counter({r.id: 1 for r in reqs})
    reprints = incident.manifest.filter(pl.col("request").is_not_null())
    assert sorted(reprints.get_column("request").cast(pl.Int64).to_list()) == sorted(
        r.id for r in reqs
    )
    firsts = incident.manifest.filter(pl.col("request").is_null()).get_column("reference")
    assert firsts.n_unique() == firsts.len() == len(incident.records)
