"""One letter per affected person: batches of print-ready PDFs, a manifest, a resumable log.

Resumability: the case's notification log is the single source of truth. A batch is
compiled to a temporary file, renamed into place, and only then are its letters logged as
"rendered" in one transaction. A run killed anywhere and started again skips the logged
persons and renders the rest, reusing the first unlogged batch number (so a PDF renamed
but not logged is simply overwritten). `manifest.csv` is rebuilt from the log at start.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from ..case.models import AffectedPerson
from .address import AddressError, address_block
from .log import LETTER, affected_pages, entries, log_many
from .sender import Sender, common_texts
from .texts import advice_keys, exposed_words, not_exposed_words
from .typst_render import RenderError, render_pdf

DEFAULT_BATCH_SIZE = 1000
MANIFEST = "manifest.csv"
UNDELIVERABLE = "undeliverable.csv"
WORKDIR = ".letter-bodies"
# (store, incident_id, person_refs) -> {person_ref: code}; one call per batch.
CodeIssuer = Callable[[object, int, list[str]], dict[str, str]]
Progress = Callable[[int, int], None]  # (letters rendered in this run, persons pending)


@dataclass
class LetterRun:
    rendered: int = 0  # letters rendered by this run
    already: int = 0  # letters found rendered by an earlier run
    undeliverable: int = 0  # persons without a usable postal address (see undeliverable.csv)
    batches: list[int] = field(default_factory=list)  # batch numbers written by this run
    profiles: int = 0  # distinct exposure profiles (one letter body each)

    def to_json(self) -> dict:
        return {
            "rendered": self.rendered,
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


def profile(categories: frozenset[str]) -> dict:
    """What a letter says about an exposure: the same for every person with these categories."""
    return {
        "exposed": exposed_words(categories),
        "not_exposed": not_exposed_words(categories),
        "advice": advice_keys(categories),
    }


def letter_record(person: AffectedPerson, incident_id: int, person_ref: str, code: str) -> dict:
    """The per-person part of a letter (raises AddressError when it cannot be delivered)."""
    return {
        "address": list(address_block(person.identity).lines),
        "ref": reference(incident_id, person_ref),
        "code": code,
    }


class LetterPress:
    """Renders batches of letters: each profile's body once, then one page per person.

    Profile bodies are PDFs in `workdir` (no personal value in them: category words and the
    incident's common texts); letter.typ places them under each person's fields.
    """

    def __init__(self, common: dict, workdir: Path):
        self.common = common
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._where: dict[frozenset[str], tuple[str, int]] = {}
        self._files = 0

    @property
    def profiles(self) -> int:
        return len(self._where)

    def _bodies(self, profiles: list[frozenset[str]]) -> None:
        new = [c for c in dict.fromkeys(profiles) if c not in self._where]
        if not new:
            return
        data = {"common": self.common, "profiles": [profile(c) for c in new]}
        reader = PdfReader(BytesIO(render_pdf("letter_body.typ", data)))
        if len(reader.pages) != len(new):
            raise RenderError("a letter body does not fit on one page")
        # One file per body: Typst re-reads a whole multi-page PDF for each page it places.
        for page, cats in zip(reader.pages, new, strict=True):
            self._files += 1
            name = f"body-{self._files:05d}.pdf"
            writer = PdfWriter()
            writer.add_page(page)
            writer.write(self.workdir / name)
            self._where[cats] = (name, 1)

    def document(self, letters: list[tuple[dict, frozenset[str]]]) -> dict:
        """letter.typ's input for (letter record, categories) pairs; renders missing bodies."""
        self._bodies([cats for _, cats in letters])
        pages = []
        for rec, cats in letters:
            body, page = self._where[cats]
            pages.append({**rec, "body": body, "page": page})
        return {"common": self.common, "letters": pages}

    def render(self, letters: list[tuple[dict, frozenset[str]]]) -> bytes:
        """One PDF page per (letter record, categories), in order."""
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


def default_code_issuer() -> CodeIssuer:
    """The portal's code issuer: creates or replaces each person's code, returns it in clear.

    Re-issuing on a resumed run is what keeps codes right: letters of a batch that was not
    logged are rendered again with fresh codes, replacing the ones never sent."""
    from ..case.codes import issue_codes

    return issue_codes


def _tmp(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".tmp")


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _rebuild_manifest(out_dir: Path, logged: list[tuple[str, str, dict]]) -> int:
    """manifest.csv from the log (reference, batch, page, file); returns the last batch number."""
    rows = sorted(
        (d["batch"], d["page"], d["ref"]) for _, state, d in logged if state == "rendered"
    )
    tmp = out_dir / (MANIFEST + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["reference", "batch", "page", "file"])
        w.writerows((ref, b, p, batch_name(b)) for b, p, ref in rows)
    os.replace(tmp, out_dir / MANIFEST)
    return rows[-1][0] if rows else 0


def _pending(
    store, incident_id: int, done: set[str], page_size: int
) -> Iterator[tuple[str, AffectedPerson]]:
    for page in affected_pages(store, incident_id, page_size):
        for ref, person in page:
            if ref not in done:
                yield ref, person


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
) -> LetterRun:
    """Render every letter not yet in the log, `batch_size` letters per PDF."""
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    issue = issue_code or default_code_issuer()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    incident = store.incident_by_id(incident_id)
    common = common_texts(incident, sender, store.triage(incident_id), today or date.today())

    logged = entries(store, incident_id, LETTER)
    done = {ref for ref, state, _ in logged}
    batch = _rebuild_manifest(out, logged)
    run = LetterRun(already=len(done))
    press = LetterPress(common, out / WORKDIR)
    pending_total = max(store.count_affected(incident_id) - len(done), 0)
    undeliverable: list[tuple[str, str]] = []

    def finish(job) -> None:
        """Put a compiled batch in place, then log it: the log is the commit point."""
        future, number, refs, letters = job
        future.result()
        final = out / batch_name(number)
        os.replace(_tmp(final), final)
        log_many(
            store,
            incident_id,
            LETTER,
            "rendered",
            [
                (ref, {"ref": rec["ref"], "batch": number, "page": i + 1})
                for i, (ref, rec) in enumerate(zip(refs, letters, strict=True))
            ],
            audit={"batch": number, "file": batch_name(number)},
        )
        writer.writerows(
            (rec["ref"], number, i + 1, batch_name(number)) for i, rec in enumerate(letters)
        )
        manifest.flush()
        run.rendered += len(letters)
        run.batches.append(number)
        if progress:
            progress(run.rendered, pending_total)

    # Typst compiles batch k in a worker process while this one decrypts, formats addresses
    # and issues codes for batch k+1: the two halves of the work on the two cores.
    workers = (
        ProcessPoolExecutor(
            1,
            mp_context=get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        if pending_total > batch_size
        else _Serial()
    )
    with open(out / MANIFEST, "a", newline="", encoding="utf-8") as manifest, workers as pool:
        writer = csv.writer(manifest)
        pending = _pending(store, incident_id, done, max(batch_size, 1000))
        inflight = None
        while chunk := list(islice(pending, batch_size)):
            letters, refs, cats = [], [], []
            for ref, person in chunk:
                try:
                    rec = letter_record(person, incident_id, ref, "")
                except AddressError as e:
                    undeliverable.append((reference(incident_id, ref), str(e)))
                    continue
                letters.append(rec)
                refs.append(ref)
                cats.append(person.categories)
            if not letters:
                continue
            codes = issue(store, incident_id, refs)
            for rec, ref in zip(letters, refs, strict=True):
                rec["code"] = codes[ref]
            batch += 1
            data = press.document(list(zip(letters, cats, strict=True)))
            tmp = str(_tmp(out / batch_name(batch)))
            future = pool.submit(_compile_batch, data, str(press.workdir), tmp)
            if inflight:
                finish(inflight)
            inflight = (future, batch, refs, letters)
        if inflight:
            finish(inflight)

    shutil.rmtree(out / WORKDIR, ignore_errors=True)
    run.profiles = press.profiles
    run.undeliverable = len(undeliverable)
    with open(out / UNDELIVERABLE, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["reference", "reason"])
        w.writerows(undeliverable)
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
    references (a returned letter comes back with its reference printed on it)."""
    if state == "rendered":
        raise ValueError("letters are marked rendered by rendering them")
    first: dict[str, dict] = {}  # person_ref -> detail of its first entry (ref, batch)
    for ref, _, d in entries(store, incident_id, channel):
        first.setdefault(ref, d)
    rows = [
        (ref, {k: d[k] for k in ("ref", "batch") if k in d})
        for ref, d in first.items()
        if (batches and d.get("batch") in batches) or (references and d.get("ref") in references)
    ]
    log_many(store, incident_id, channel, state, rows)
    return len(rows)
