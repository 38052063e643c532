"""Answering the no-code requests: match what a person typed to an affected person, once.

A request holds what someone typed on the portal's no-code form (last name, first name,
birth date, postcode). `process_requests` compares every pending request with the
affected persons' identities in one pass over the case (decrypted page by page, normalised
with vectorised polars, kept only where a key some request asked for appears), then
answers each request through `vigile.case.contacts.answer_request`:

- "email" when the person chose e-mail on the portal (opt-in) or the patient database
  records an e-mail address and the e-mail channel;
- "letter" when a postal address is on file;
- "no_match" when nothing matches, when two persons match (ambiguous: nobody is told
  anything), or when the person matched but has no channel on file;
- "duplicate" when the same person is already waiting for that channel.

Nothing is ever sent to what was typed: the answer goes to the channel on file.
`answer_request` closes a request and queues its notification in one transaction and
refuses a request already handled, so two operators at once or a killed run never
queue a notification twice. `vigile notify letters|email` then render and send them.

Normalisation (same expression for both sides): case, accents, ligatures, hyphens,
apostrophes and spaces are ignored in names; a birth date may be dd/mm/yyyy, d/m/yyyy,
dd-mm-yyyy, dd.mm.yyyy, ddmmyyyy, yyyy-mm-dd (time ignored) or yyyymmdd; a postcode keeps
its letters and digits, a 4-digit one gets its leading zero back (a spreadsheet's loss).
The typed last name may be the birth name or the usage name. First names match in full
first; only when no one matches in full, on the first given name of both sides.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from ..case import EMAIL, LETTER, PARIS, AffectedPerson, CaseStore
from ..case import contacts as C

EMAIL_CHANNELS = frozenset({"email", "e-mail", "courriel", "mail"})
_SEP = "\x1f"
_PAGE = 5_000
_MIN_YEAR, _MAX_YEAR = 1850, 2100


# -- normalisation (polars expressions, used for requests and persons alike) ----------
def name_expr(e: pl.Expr) -> pl.Expr:
    """Lower case, no accents, ligatures spelt out, letters and digits only."""
    return (
        e.fill_null("")
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}+", "")
        .str.to_lowercase()
        .str.replace_all("œ", "oe", literal=True)
        .str.replace_all("æ", "ae", literal=True)
        .str.replace_all("ß", "ss", literal=True)
        .str.replace_all(r"[^\p{L}\p{N}]+", "")
    )


def first_given_name_expr(e: pl.Expr) -> pl.Expr:
    """The first given name of a list ("Marie Claire", "MARIE, ANNE"), normalised; a
    hyphenated name ("Jean-Pierre") is one name."""
    return name_expr(e.fill_null("").str.strip_chars().str.extract(r"^([^\s,;/]+)", 1))


def _checked_date(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    text = pl.concat_str([y, pl.lit("-"), m.str.zfill(2), pl.lit("-"), d.str.zfill(2)])
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    ok = parsed.is_not_null() & parsed.dt.year().is_between(_MIN_YEAR, _MAX_YEAR)
    return pl.when(ok).then(parsed.dt.to_string("%Y-%m-%d")).otherwise(None)


def date_expr(e: pl.Expr) -> pl.Expr:
    """A birth date as yyyy-mm-dd, or null when it is not a real date in a known form.
    (Evaluate it in a lazy frame: its common parts are then computed once.)"""
    # every run of separators (spaces, - / .) becomes one "/": "01 / 02 / 1970", "1.2.1970"
    s = e.fill_null("").str.strip_chars().str.replace_all(r"[\s/.\-]+", "/")
    iso = s.str.extract_groups(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[T/].*)?$")
    fr = s.str.extract_groups(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
    digits = s.str.extract(r"^(\d{8})(?:[T/].*|\d{6})?$", 1)
    return pl.coalesce(
        _checked_date(iso.struct[0], iso.struct[1], iso.struct[2]),
        _checked_date(fr.struct[2], fr.struct[1], fr.struct[0]),
        # ddmmyyyy and yyyymmdd cannot both be valid with years in 1850-2100
        _checked_date(digits.str.slice(4, 4), digits.str.slice(2, 2), digits.str.slice(0, 2)),
        _checked_date(digits.str.slice(0, 4), digits.str.slice(4, 2), digits.str.slice(6, 2)),
    )


def postcode_expr(e: pl.Expr) -> pl.Expr:
    s = e.fill_null("").str.to_uppercase().str.replace_all(r"[^0-9A-Z]+", "")
    return pl.when(s.str.contains(r"^\d{4}$")).then(pl.lit("0") + s).otherwise(s)


def _key(tier: str, last: pl.Expr, first: pl.Expr, birth: pl.Expr, post: pl.Expr) -> pl.Expr:
    """`tier` + the four normalised parts, or null when any part is empty (an empty field
    never matches)."""
    parts = [last, first, birth, post]
    complete = pl.all_horizontal([p.fill_null("").str.len_chars() > 0 for p in parts])
    joined = pl.concat_str([pl.lit(tier), *parts], separator=_SEP)
    return pl.when(complete).then(joined).otherwise(None)


def normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """last_name, first_name, birth_date, postcode (strings, may be null) -> the same columns
    normalised (empty string or null when unusable). For tests and the operator's checks."""
    return (
        frame.lazy()
        .select(
            name_expr(pl.col("last_name")).alias("last_name"),
            name_expr(pl.col("first_name")).alias("first_name"),
            date_expr(pl.col("birth_date")).alias("birth_date"),
            postcode_expr(pl.col("postcode")).alias("postcode"),
        )
        .collect()
    )


def _request_keys(requests: list[C.NoCodeRequest]) -> pl.DataFrame:
    """id, full (tier 1 key), given (tier 2 key) of each request."""
    cols = {f: [r.fields.get(f) or "" for r in requests] for f in C.REQUEST_FIELDS}
    frame = pl.DataFrame({"id": [r.id for r in requests], **cols}, schema_overrides=_STR)
    parts = frame.lazy().select(
        "id",
        name_expr(pl.col("last_name")).alias("last"),
        name_expr(pl.col("first_name")).alias("full"),
        first_given_name_expr(pl.col("first_name")).alias("given"),
        date_expr(pl.col("birth_date")).alias("born"),
        postcode_expr(pl.col("postcode")).alias("post"),
    )
    last, born, post = pl.col("last"), pl.col("born"), pl.col("post")
    return parts.select(
        "id",
        _key("1", last, pl.col("full"), born, post).alias("full"),
        _key("2", last, pl.col("given"), born, post).alias("given"),
    ).collect()


def _text(value) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)


_STR = {f: pl.String for f in (*C.REQUEST_FIELDS, "birth_name")}
_PERSON_FIELDS = ("last_name", "birth_name", "first_name", "birth_date", "postcode")


def _person_keys(page: list[tuple[str, AffectedPerson]]) -> pl.DataFrame:
    """(ref, key) for every key of every person of a page: last name or birth name, full
    first name (tier 1) or first given name (tier 2)."""
    cols = {f: [_text(p.identity.get(f)) for _, p in page] for f in _PERSON_FIELDS}
    frame = pl.DataFrame({"ref": [r for r, _ in page], **cols}, schema_overrides=_STR)
    parts = frame.lazy().select(
        "ref",
        name_expr(pl.col("last_name")).alias("last"),
        name_expr(pl.col("birth_name")).alias("birth_name"),
        name_expr(pl.col("first_name")).alias("full"),
        first_given_name_expr(pl.col("first_name")).alias("given"),
        date_expr(pl.col("birth_date")).alias("born"),
        postcode_expr(pl.col("postcode")).alias("post"),
    )
    born, post = pl.col("born"), pl.col("post")
    keys = [
        _key(tier, pl.col(last), pl.col(first), born, post).alias(f"k{tier}{last}")
        for tier, first in (("1", "full"), ("2", "given"))
        for last in ("last", "birth_name")
    ]
    return (
        parts.select("ref", *keys)
        .unpivot(index="ref", value_name="key")
        .select("ref", "key")
        .drop_nulls("key")
        .unique()
        .collect()
    )


# -- the channel on file ------------------------------------------------------------------
def chose_email(identity: dict) -> bool:
    """An e-mail address in the patient database with the e-mail channel recorded."""
    channel = str(identity.get("channel") or "").strip().lower()
    return bool(str(identity.get("email") or "").strip()) and channel in EMAIL_CHANNELS


def has_postal_address(identity: dict) -> bool:
    return all(str(identity.get(f) or "").strip() for f in ("address", "postcode", "city"))


# -- processing ---------------------------------------------------------------------------
@dataclass
class ProcessRun:
    """Counts only: no typed or stored identity."""

    pending: int = 0  # pending requests found at the start
    email: int = 0  # answered: an e-mail is planned
    letter: int = 0  # answered: a letter is planned
    no_match: int = 0  # answered: no affected person matched (including the two below)
    ambiguous: int = 0  # ... because two or more persons matched
    unreachable: int = 0  # ... because the person matched has no channel on file
    duplicate: int = 0  # answered: the person already waits for that channel
    already_handled: int = 0  # handled meanwhile by another run: left as it was
    persons_read: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        return dict(self.__dict__, seconds=round(self.seconds, 3))


def match_index(
    store: CaseStore,
    incident_id: int,
    keys: Iterable[str],
    page_size: int = _PAGE,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, set[str]], dict[str, dict], int]:
    """One pass over the affected persons: {key: person refs} for the wanted keys, the
    identities of the persons that matched some key, and how many persons were read."""
    wanted = pl.Series("key", sorted(set(keys)), dtype=pl.String)
    index: dict[str, set[str]] = {}
    identities: dict[str, dict] = {}
    read = 0
    pages = store.affected_pages(incident_id, page_size, purpose="portal.requests_match")
    for page in pages:
        read += len(page)
        if progress is not None:
            progress(read)
        hits = _person_keys(page).filter(pl.col("key").is_in(wanted.implode()))
        if hits.is_empty():
            continue
        for ref, key in hits.iter_rows():
            index.setdefault(key, set()).add(ref)
        matched = set(hits["ref"])
        identities.update((r, dict(p.identity)) for r, p in page if r in matched)
    return index, identities, read


def process_requests(
    store: CaseStore,
    incident_id: int,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ProcessRun:
    """Answer every pending no-code request of the incident (see the module's doc).

    `progress(done, total)`: persons read, then requests answered, as one count."""
    t0 = time.perf_counter()
    run = ProcessRun()
    pending = C.list_requests(store, incident_id, pending_only=True)
    run.pending = len(pending)
    if not pending:
        return run
    keys = _request_keys(pending)
    wanted = [k for k in (*keys["full"], *keys["given"]) if k is not None]
    persons = store.count_affected(incident_id) if wanted else 0
    total = persons + len(pending)
    tick = (lambda done: progress(done, total)) if progress is not None else None
    index, identities, run.persons_read = (
        match_index(store, incident_id, wanted, progress=tick) if wanted else ({}, {}, 0)
    )
    optins = C.email_optins(store, incident_id) if identities else {}
    waiting = {
        ch: {r for r, s in store.notification_states(incident_id, ch).items() if s == "planned"}
        for ch in (LETTER, EMAIL)
    }
    for n, (rid, full, given) in enumerate(keys.iter_rows(), start=1):
        refs = index.get(full, set()) if full else set()
        if not refs and given:
            refs = index.get(given, set())
        ref, outcome = None, "no_match"
        if len(refs) == 1:
            ref = next(iter(refs))
            ident = identities.get(ref, {})
            if ref in optins or chose_email(ident):
                outcome = EMAIL
            elif has_postal_address(ident):
                outcome = LETTER
            if outcome in waiting and ref in waiting[outcome]:
                outcome = "duplicate"
        # one transaction: closes the request and plans its notification, or does nothing
        # when another run handled it first (a failed try is rolled back whole)
        if not C.answer_request(store, incident_id, rid, outcome, ref):
            run.already_handled += 1
        else:
            if outcome == "email":
                run.email += 1
            elif outcome == "letter":
                run.letter += 1
            elif outcome == "duplicate":
                run.duplicate += 1
            else:
                run.no_match += 1
                run.ambiguous += len(refs) > 1
                run.unreachable += ref is not None
            if outcome in waiting:
                waiting[outcome].add(ref)
        if tick is not None:
            tick(persons + n)
    run.seconds = time.perf_counter() - t0
    return run


# -- the operator's view -------------------------------------------------------------------
def _paris(moment: datetime | None) -> str | None:
    return moment.astimezone(PARIS).isoformat(timespec="seconds") if moment else None


def summarize(store: CaseStore, incident_id: int, limit: int = 20) -> dict:
    """Counts by state and outcome, the oldest pending and latest request (Paris time),
    and the latest `limit` requests without anything typed (id, time, state, outcome)."""
    every = C.list_requests(store, incident_id, pending_only=False)
    by_state = Counter(r.state for r in every)
    by_outcome = Counter(r.outcome for r in every if r.outcome)
    unreachable = sum(1 for r in every if r.outcome == "no_match" and r.person_ref)
    pending = [r.created_at for r in every if r.state == "pending"]
    latest = sorted(every, key=lambda r: (r.created_at, r.id))[-limit:] if limit else []
    return {
        "requests": len(every),
        "by_state": dict(sorted(by_state.items())),
        "by_outcome": dict(sorted(by_outcome.items())),
        "matched_without_channel": unreachable,
        "oldest_pending": _paris(min(pending)) if pending else None,
        "latest_received": _paris(max(r.created_at for r in every)) if every else None,
        "latest": [
            {
                "id": r.id,
                "received": _paris(r.created_at),
                "state": r.state,
                "outcome": r.outcome,
            }
            for r in reversed(latest)
        ],
    }
