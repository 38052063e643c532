"""One letter per affected person: batches of print-ready PDFs, a manifest, a resumable log.

What a letter says about the exposure is `vigile.wording.describe(person.categories,
person.password)`, in the third person when the letter goes to a minor's or a protected
person's legal representatives (`texts.said`); nothing else.

One run at a time: a run holds the case's "letters" lease (`store.lease`) and renews it
for every batch; a second run started meanwhile stops with BusyError.

Resumability: the case's notification log is the single source of truth. A batch is
compiled to a temporary file, renamed into place, and only then are its letters logged as
"rendered" in one transaction. A run killed anywhere and started again first removes
batch files the log does not know (renamed but never logged), then renders the persons
not logged yet, numbering on from the last logged batch. Each person's code comes from
`vigile.case.codes.issue_codes`: issued once, the same in every rerun, reprint and e-mail.
`manifest.csv` is rebuilt from the log at start.

Requests: a no-code request answered with a letter (`vigile.case.contacts.answer_request`)
is a "planned" letter with detail {"request": id}. Each is rendered once, as a reprint with
the person's same code, in batches of their own, and logged "rendered" with its request id.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice
from multiprocessing import get_context
from pathlib import Path

from ..case import LETTER
from ..case.models import AffectedPerson
from ..wording import describe
from .address import AddressError, address_block
from .sender import Sender, cnil_notified_on, common_texts
from .texts import SELF, audience_of, said, typeset
from .typst_render import RenderError, Template, render_pdf

DEFAULT_BATCH_SIZE = 1000
MANIFEST = "manifest.csv"
UNDELIVERABLE = "undeliverable.csv"
WORKDIR = ".letter-bodies"
FOLDER_MARKER = ".vigile-letters.json"  # which incident's letters the folder holds
LEASE_STEP = "letters"
REPRINT_NOTE = "(nouvel envoi)"
ONE_PAGE = "a letter body does not fit on one page"  # letter_body.typ's assertion
_BATCH_FILE = re.compile(r"^letters-(\d{5,})\.pdf$")
# (store, incident_id, person_refs) -> {person_ref: code}; one call per batch.
CodeIssuer = Callable[[object, int, list[str]], dict[str, str]]
Progress = Callable[[int, int], None]  # (letters rendered in this run, letters to render)
ProfileKey = tuple[frozenset[str], str | None, str]  # categories, password form, audience


@dataclass
class LetterRun:
    rendered: int = 0  # letters rendered by this run (reprints included)
    reprints: int = 0  # of which reprints answering no-code requests
    already: int = 0  # persons found with a letter rendered by an earlier run
    undeliverable: int = 0  # letters without a usable postal address (see undeliverable.csv)
    batches: list[int] = field(default_factory=list)  # batch numbers written by this run
    profiles: int = 0  # distinct exposure profiles (one letter body each)

    def to_json(self) -> dict:
        return {
            "rendered": self.rendered,
            "reprints": self.reprints,
            "already": self.already,
            "undeliverable": self.undeliverable,
            "batches": self.batches,
            "profiles": self.profiles,
        }


def reference(incident_id: int, person_ref: str) -> str:
    """Letter reference: stable per person, derived from the keyed person reference only."""
    h = person_ref[:16].upper()
    return f"{incident_id}-{h[:4]}-{h[4:8]}-{h[8:12]}-{h[12:16]}"


def batch_name(batch: int) -> str:
    return f"letters-{batch:05d}.pdf"


def profile_key(person: AffectedPerson) -> ProfileKey:
    return (person.categories, person.password, audience_of(person))


def profile(categories: frozenset[str], password: str | None = None, audience: str = SELF) -> dict:
    """What a letter says about an exposure: describe()'s words for this reader."""
    words = said(describe(categories, password), audience)
    return {
        "audience": audience,
        "exposed": typeset(list(words.exposed)),
        "not_exposed": typeset(list(words.not_exposed)),
        "advice": typeset(list(words.advice)),
    }


def letter_record(
    person: AffectedPerson, incident_id: int, person_ref: str, code: str, reprint: bool = False
) -> dict:
    """The per-person part of a letter (raises AddressError when it cannot be delivered)."""
    audience = audience_of(person)
    return {
        "address": list(address_block(person.identity, audience != SELF).lines),
        "ref": reference(incident_id, person_ref),
        "code": code,
        "audience": audience,
        "reprint": reprint,
    }


# -- files, owner-only ------------------------------------------------------------------
def _private_dir(path: Path) -> Path:
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
    return path


def _write_file(path: Path, data: bytes) -> None:
    """Write (owner-only, fsynced); the file is new or replaced whole."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _write_csv(path: Path, header: list[str], rows: Iterable) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _tmp(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".tmp")


class LetterPress:
    """Renders batches of letters: each profile's body once, then one page per person.

    Profile bodies are one-page PDFs in `workdir` (no personal value in them: describe()'s
    words and the incident's common texts); letter.typ places them under each person's
    fields. A body is compiled on its own (Typst re-reads a whole multi-page PDF for each
    page it places, so one file per body), by a compiler kept for the run.
    """

    def __init__(self, common: dict, workdir: Path):
        self.common = common
        self.workdir = _private_dir(Path(workdir))
        self._where: dict[ProfileKey, str] = {}
        self._template: Template | None = None

    @property
    def profiles(self) -> int:
        return len(self._where)

    def _body(self, key: ProfileKey) -> str:
        name = self._where.get(key)
        if name is None:
            if self._template is None:
                self._template = Template("letter_body.typ")
            data = {"common": self.common, "profile": profile(*key)}
            try:
                pdf = self._template.render(data)
            except RenderError as e:
                if ONE_PAGE not in str(e):
                    raise
                pdf = self._template.render({**data, "fit": True})  # smaller type, one page
            name = f"body-{len(self._where) + 1:05d}.pdf"
            _write_file(self.workdir / name, pdf)
            self._where[key] = name
        return name

    def document(self, letters: list[tuple[dict, ProfileKey]]) -> dict:
        """letter.typ's input for (letter record, profile key) pairs; renders missing bodies."""
        pages = [{**rec, "body": self._body(key), "page": 1} for rec, key in letters]
        return {"common": self.common, "letters": pages}

    def render(self, letters: list[tuple[dict, ProfileKey]]) -> bytes:
        """One PDF page per (letter record, profile key), in order."""
        return render_pdf("letter.typ", self.document(letters), self.workdir)


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: a run killed with SIGKILL must not leave its Typst worker behind."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _compile_batch(data: dict, workdir: str, tmp: str) -> None:
    """Worker side: compile one batch into its temporary file (fsynced, not yet in place)."""
    _write_file(Path(tmp), render_pdf("letter.typ", data, Path(workdir)))


class _Serial:
    """Stands in for the worker pool when there is a single batch (no process start-up)."""

    def submit(self, fn, *args):
        f: Future = Future()
        try:
            f.set_result(fn(*args))
        except Exception as e:  # noqa: BLE001 - handed to the caller through the future
            f.set_exception(e)
        return f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


# -- what the log says ------------------------------------------------------------------
@dataclass
class _Logged:
    done: set[str]  # persons with a letter rendered (their first letter is done)
    batches: set[int]  # batch numbers in the log
    rows: list[tuple[int, int, str, int | None]]  # (batch, page, reference, request id)


def _read_log(store, incident_id: int) -> _Logged:
    done: set[str] = set()
    batches: set[int] = set()
    rows = []
    for ref, state, d in store.notification_entries(incident_id, LETTER):
        if state == "planned":
            continue
        done.add(ref)
        if state == "rendered" and "batch" in d:
            batches.add(d["batch"])
            rows.append((d["batch"], d["page"], d["ref"], d.get("request")))
    return _Logged(done, batches, sorted(rows, key=lambda r: r[:2]))


def pending_requests(store, incident_id: int, channel: str = LETTER) -> list[tuple[str, int]]:
    """(person_ref, request id) of the requests planned on `channel` not answered yet."""
    planned: dict[int, str] = {}
    answered: set[int] = set()
    final = ("rendered",) if channel == LETTER else ("sent", "bounced")
    for ref, state, d in store.notification_entries(incident_id, channel):
        rid = d.get("request")
        if rid is None:
            continue
        if state == "planned":
            planned.setdefault(rid, ref)
        elif state in final:
            answered.add(rid)
    return [(ref, rid) for rid, ref in planned.items() if rid not in answered]


MANIFEST_HEADER = ["reference", "batch", "page", "file", "request"]


def _manifest_row(batch: int, page: int, ref: str, request: int | None) -> list:
    return [ref, batch, page, batch_name(batch), "" if request is None else request]


class OutputFolderError(RuntimeError):
    """The output folder holds another incident's letters (the message says what to do)."""


def _claim(out: Path, incident) -> None:
    """Mark the folder as this incident's letters, or refuse one that holds others': a
    rerun removes the batch files its log does not know, which must never be another
    incident's."""
    marker = out / FOLDER_MARKER
    mine = {"incident_id": incident.id, "incident": incident.name}
    if marker.exists():
        try:
            theirs = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            theirs = None
        if theirs == mine:
            return
    elif not any(_BATCH_FILE.match(p.name) for p in out.iterdir()):
        _write_file(_tmp(marker), json.dumps(mine).encode())
        os.replace(_tmp(marker), marker)
        return
    raise OutputFolderError(
        f"{out} holds letters that are not this incident's: give another --out folder"
    )


def _tidy(out: Path, logged: _Logged) -> None:
    """Remove what a killed run left that the log does not know: batch files renamed but
    never logged, temporary files, the bodies' work folder."""
    for p in out.iterdir():
        m = _BATCH_FILE.match(p.name)
        if (m and int(m.group(1)) not in logged.batches) or p.name.endswith(".tmp"):
            p.unlink(missing_ok=True)
    shutil.rmtree(out / WORKDIR, ignore_errors=True)


# -- the run -----------------------------------------------------------------------------
Item = tuple[str, AffectedPerson, int | None]  # person_ref, person, request id


def _first_letters(store, incident_id: int, skip: set[str], page_size: int) -> Iterator[Item]:
    for page in store.affected_pages(incident_id, page_size, purpose="letters.read"):
        for ref, person in page:
            if ref not in skip:
                yield ref, person, None


def _reprints(store, incident_id: int, undeliverable: list) -> Iterator[Item]:
    """The requests' letters, read when the first letters are all prepared (a request
    answered meanwhile is included)."""
    for ref, rid in pending_requests(store, incident_id, LETTER):
        person = store.exposure(incident_id, ref, purpose="letters.reprint")
        if person is None:
            undeliverable.append((reference(incident_id, ref), "not an affected person", rid))
            continue
        yield ref, person, rid


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while chunk := list(islice(items, size)):
        yield chunk


def render_letters(
    store,
    incident_id: int,
    out_dir: str | os.PathLike,
    sender: Sender,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    issue_code: CodeIssuer | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    lease_ttl: float | None = None,
) -> LetterRun:
    """Render every letter not yet in the log, `batch_size` letters per PDF, then the
    reprints that answer no-code requests. Raises BusyError when another run is under way."""
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    if issue_code is None:
        from ..case.codes import issue_codes as issue_code
    incident = store.incident_by_id(incident_id)
    common = common_texts(
        incident,
        sender,
        store.triage(incident_id),
        today or date.today(),
        cnil_notified_on(store.cnil_submissions(incident_id)),
    )
    common["reprint_note"] = REPRINT_NOTE
    out = _private_dir(Path(out_dir))
    with store.lease(incident_id, LEASE_STEP, ttl=lease_ttl) as lease:
        _claim(out, incident)
        return _render(store, incident_id, out, common, batch_size, issue_code, progress, lease)


def _render(store, incident_id, out, common, batch_size, issue, progress, lease) -> LetterRun:
    logged = _read_log(store, incident_id)
    _tidy(out, logged)
    _write_csv(out / MANIFEST, MANIFEST_HEADER, (_manifest_row(*r) for r in logged.rows))
    batch = max(logged.batches, default=0)
    requested = pending_requests(store, incident_id, LETTER)
    # A person whose request came before any letter gets the request's letter only.
    skip = logged.done | {ref for ref, _ in requested}
    run = LetterRun(already=len(logged.done))
    press = LetterPress(common, out / WORKDIR)
    affected = store.count_affected(incident_id)
    total = max(affected - len(logged.done) - len({r for r, _ in requested} - logged.done), 0)
    total += len(requested)
    undeliverable: list[tuple[str, str, int | str]] = []

    def finish(job) -> None:
        """Put a compiled batch in place, then log it: the log is the commit point."""
        future, number, items, letters = job
        future.result()
        final = out / batch_name(number)
        os.replace(_tmp(final), final)
        details = []
        for i, ((ref, _, rid), rec) in enumerate(zip(items, letters, strict=True)):
            d = {"ref": rec["ref"], "batch": number, "page": i + 1}
            if rid is not None:
                d["request"] = rid
            details.append((ref, d))
        store.log_notifications(
            incident_id,
            LETTER,
            "rendered",
            details,
            audit={"batch": number, "file": batch_name(number)},
        )
        writer.writerows(
            _manifest_row(number, d["page"], d["ref"], d.get("request")) for _, d in details
        )
        manifest.flush()
        run.rendered += len(letters)
        run.reprints += sum(rid is not None for _, _, rid in items)
        run.batches.append(number)
        if progress:
            progress(run.rendered, total)

    # Typst compiles batch k in a worker process while this one decrypts, formats addresses
    # and issues codes for batch k+1: the two halves of the work on the two cores.
    workers = (
        ProcessPoolExecutor(
            1,
            mp_context=get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        if total > batch_size
        else _Serial()
    )
    chunks = chain(
        _chunks(_first_letters(store, incident_id, skip, max(batch_size, 1000)), batch_size),
        _chunks(_reprints(store, incident_id, undeliverable), batch_size),
    )
    with open(out / MANIFEST, "a", newline="", encoding="utf-8") as manifest, workers as pool:
        writer = csv.writer(manifest)
        inflight = None
        for chunk in chunks:
            items, letters, keys = [], [], []
            for ref, person, rid in chunk:
                try:
                    rec = letter_record(person, incident_id, ref, "", reprint=rid is not None)
                except AddressError as e:
                    undeliverable.append((reference(incident_id, ref), str(e), rid or ""))
                    continue
                items.append((ref, person, rid))
                letters.append(rec)
                keys.append(profile_key(person))
            if not letters:
                continue
            codes = issue(store, incident_id, [ref for ref, _, _ in items])
            for rec, (ref, _, _) in zip(letters, items, strict=True):
                rec["code"] = codes[ref]
            lease.renew()  # still ours: no other run has started on these persons
            batch += 1
            data = press.document(list(zip(letters, keys, strict=True)))
            tmp = str(_tmp(out / batch_name(batch)))
            future = pool.submit(_compile_batch, data, str(press.workdir), tmp)
            if inflight:
                finish(inflight)
            inflight = (future, batch, items, letters)
        if inflight:
            lease.renew()
            finish(inflight)

    shutil.rmtree(out / WORKDIR, ignore_errors=True)
    run.profiles = press.profiles
    run.undeliverable = len(undeliverable)
    _write_csv(out / UNDELIVERABLE, ["reference", "reason", "request"], undeliverable)
    store.audit(
        "notify.letters",
        {"incident_id": incident_id, **{k: v for k, v in run.to_json().items() if k != "batches"}},
    )
    return run


def mark_letters(
    store,
    incident_id: int,
    state: str,
    *,
    batches: set[int] | None = None,
    references: set[str] | None = None,
    channel: str = LETTER,
) -> int:
    """Record a later state (handed_over, sent, returned, bounced) for whole batches or for
    references (a returned letter comes back with its reference printed on it). A reprint
    is a letter of its own batch: marking a batch marks the letters printed in it."""
    if state in ("rendered", "planned"):
        raise ValueError("letters are marked rendered by rendering them")
    seen: set[tuple[str, int | None]] = set()
    rows = []
    for ref, st, d in store.notification_entries(incident_id, channel):
        if st == "planned":
            continue
        hit = (batches and d.get("batch") in batches) or (references and d.get("ref") in references)
        if not hit or (ref, d.get("batch")) in seen:
            continue
        seen.add((ref, d.get("batch")))
        rows.append((ref, {k: d[k] for k in ("ref", "batch", "request") if k in d}))
    store.log_notifications(incident_id, channel, state, rows)
    return len(rows)
