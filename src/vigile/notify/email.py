"""The e-mail variant of the letter, sent over SMTP, each message logged in the case.

Plain text only (no HTML, no link markup), the same words as the letter: describe()'s
words for the person's exposure, the portal's address and the person's code. Sent, once
each, to every affected person who opted in on the portal (to the address given there)
or whose identity has an e-mail address and a recorded choice of the e-mail channel; and,
once each, for every no-code request answered with an e-mail.

One run at a time: a run holds the case's "email" lease and renews it for every batch.

Resumability: before a message goes to the SMTP server its intent is logged ("planned",
with its Message-ID); after the exchange it is logged "sent", or "bounced" when the server
refuses it for good (5xx). A temporary refusal (4xx) leaves the intent for the next run.
A run killed between the server's acceptance and the log resends that message with the
same Message-ID (derived from the person's reference) and the same code
(`vigile.case.codes.issue_codes`): the code a person was given never changes, so an
e-mail never voids a letter.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate
from itertools import islice
from urllib.parse import parse_qs, unquote, urlsplit

from ..case import EMAIL
from ..case.models import AffectedPerson
from .letters import CodeIssuer, Progress, pending_requests, profile, profile_key, reference
from .sender import Sender, cnil_notified_on, common_texts
from .texts import NBSP, SELF, audience_of

EMAIL_CHANNEL_VALUES = frozenset({"email", "e-mail", "courriel", "mail"})
LEASE_STEP = "email"
BATCH = 50  # messages planned in one transaction, between two renewals of the lease
REQUESTED = "Ce message vous est envoyé à votre demande."


class SmtpUrlError(ValueError):
    pass


@dataclass
class EmailRun:
    sent: int = 0
    bounced: int = 0  # refused for good by the server (5xx)
    deferred: int = 0  # refused for now (4xx): sent by the next run
    already: int = 0  # persons e-mailed by an earlier run
    requests: int = 0  # of the sent, those answering a no-code request
    not_chosen: int = 0  # persons with an address but no recorded choice of e-mail
    no_address: int = 0  # requests answered by e-mail for a person without an address

    def to_json(self) -> dict:
        return dict(self.__dict__)


def chose_email(person: AffectedPerson) -> bool:
    """The recorded channel choice: identity field `channel` (e.g. "email"), from the patient
    database or the portal's "receive future messages by e-mail"."""
    return str(person.identity.get("channel", "")).strip().lower() in EMAIL_CHANNEL_VALUES


def message_id(incident_id: int, person_ref: str, domain: str, request: int | None = None) -> str:
    """Stable per person (and per request): a resent copy carries the same id."""
    extra = f".r{request}" if request is not None else ""
    return f"<{reference(incident_id, person_ref)}{extra}.{incident_id}@{domain}>"


def person_name(person: AffectedPerson) -> str:
    """'Prénom NOM' for the line naming whom a representative's e-mail is about."""
    first = str(person.identity.get("first_name") or "").strip()
    last = str(person.identity.get("last_name") or "").strip().upper()
    return f"{first} {last}".strip()


def body_text(
    common: dict, prof: dict, ref: str, code: str, name: str = "", request: bool = False
) -> str:
    """The message: the letter's words in plain text."""
    a = common["audiences"][prof["audience"]]
    lines: list[str] = []
    if prof["audience"] != SELF:
        lines += [f"Ce message est adressé aux représentants légaux de {name}.", ""]
    if request:
        lines += [REQUESTED, ""]
    lines += [
        "Madame, Monsieur,",
        "",
        *(p + "\n" for p in a["intro"]),
        f"{a['data_heading']} {a['exposed_intro']}",
        *(f"  - {w}" for w in prof["exposed"]),
        "",
    ]
    if prof["not_exposed"]:
        lines += [f"{a['not_exposed_intro']} {', '.join(prof['not_exposed'])}.", ""]
    lines += [
        f"Ce que nous avons fait. {common['measures']}",
        "",
        f"Ce que vous pouvez faire. {a['advice_intro']}",
        *(f"  - {text}" for text in prof["advice"]),
        "",
        f"Référence{NBSP}: {ref}",
        f"{a['code_label']} {code}",
        a["code_use"],
        "",
        common["contact"],
        "",
        common["complaint"],
        "",
        common["closing"],
        "",
        *common["signature"],
        common["controller"],
    ]
    return "\n".join(lines) + "\n"


def smtp_params(url: str) -> dict:
    """smtp://[user:pass@]host[:port][?starttls=1] or smtps://... (password never echoed)."""
    u = urlsplit(url)
    if u.scheme not in ("smtp", "smtps") or not u.hostname:
        raise SmtpUrlError("SMTP URL must look like smtp://host:port or smtps://user@host")
    q = parse_qs(u.query)
    return {
        "ssl": u.scheme == "smtps",
        "starttls": q.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        "host": u.hostname,
        "port": u.port or (465 if u.scheme == "smtps" else 25),
        "user": unquote(u.username) if u.username else None,
        "password": unquote(u.password) if u.password else None,
    }


def _connect(p: dict) -> smtplib.SMTP:
    ctx = ssl.create_default_context()
    smtp = (
        smtplib.SMTP_SSL(p["host"], p["port"], context=ctx, timeout=30)
        if p["ssl"]
        else smtplib.SMTP(p["host"], p["port"], timeout=30)
    )
    if p["starttls"]:
        smtp.starttls(context=ctx)
    if p["user"]:
        smtp.login(p["user"], p["password"] or "")
    return smtp


@dataclass(frozen=True)
class _Target:
    """One message to send (kept small: the person's words are rebuilt from these)."""

    ref: str
    address: str
    request: int | None
    key: tuple  # profile key: categories, password form, audience
    name: str  # 'Prénom NOM', only for a representative's message


def _target(ref: str, person: AffectedPerson, address: str, request: int | None) -> _Target:
    rep = audience_of(person) != SELF
    return _Target(ref, address, request, profile_key(person), person_name(person) if rep else "")


@dataclass
class _Log:
    done: set[str]  # persons e-mailed (sent or bounced), for a request or not
    planned: dict[str, str]  # person -> Message-ID of a first e-mail planned, not done
    planned_requests: dict[int, str]  # request -> Message-ID of its e-mail, planned


def _read_log(store, incident_id: int) -> _Log:
    done: set[str] = set()
    planned: dict[str, str] = {}
    planned_requests: dict[int, str] = {}
    for ref, state, d in store.notification_entries(incident_id, EMAIL):
        rid = d.get("request")
        if state == "planned":
            if "message_id" not in d:
                continue  # a request queued by the portal: its intent is logged when sent
            if rid is None:
                planned.setdefault(ref, d["message_id"])
            else:
                planned_requests.setdefault(rid, d["message_id"])
        else:  # sent or bounced (or marked later): a first e-mail or a request's
            done.add(ref)
    planned = {ref: mid for ref, mid in planned.items() if ref not in done}
    return _Log(done, planned, planned_requests)


def send_emails(
    store,
    incident_id: int,
    smtp_url: str,
    sender: Sender,
    from_addr: str,
    *,
    issue_code: CodeIssuer | None = None,
    chosen: Callable[[AffectedPerson], bool] = chose_email,
    today: date | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    lease_ttl: float | None = None,
) -> EmailRun:
    """Send the e-mail to every person who opted in or chose it and was not e-mailed yet,
    then the e-mails answering no-code requests. Raises BusyError when another run is
    under way; SMTP and network errors propagate (rerun to resume)."""
    params = smtp_params(smtp_url)
    if issue_code is None:
        from ..case.codes import issue_codes as issue_code
    incident = store.incident_by_id(incident_id)
    common = common_texts(
        incident,
        sender,
        store.triage(incident_id),
        today or date.today(),
        cnil_notified_on(store.cnil_submissions(incident_id)),
        channel="email",
    )
    domain = from_addr.rpartition("@")[2] or "localhost"
    with store.lease(incident_id, LEASE_STEP, ttl=lease_ttl) as lease:
        return _Sending(
            store, incident_id, params, common, from_addr, domain, issue_code, lease
        ).run(chosen, limit, progress)


class _Sending:
    def __init__(self, store, incident_id, params, common, from_addr, domain, issue, lease):
        self.store, self.iid, self.params = store, incident_id, params
        self.common, self.from_addr, self.domain = common, from_addr, domain
        self.issue, self.lease = issue, lease
        self.smtp: smtplib.SMTP | None = None
        self.profiles: dict[tuple, dict] = {}
        self.log = _Log(set(), {}, {})

    def _targets(self, log: _Log, chosen, run: EmailRun) -> list[_Target]:
        from ..case.contacts import email_optins

        store, iid = self.store, self.iid
        optins = email_optins(store, iid)
        requested = pending_requests(store, iid, EMAIL)
        # A person whose request came before any e-mail gets the request's e-mail only.
        skip = log.done | {ref for ref, _ in requested}
        run.already = len(log.done)
        out: list[_Target] = []
        for page in store.affected_pages(iid, 1000, purpose="email.read"):
            for ref, person in page:
                if ref in skip:
                    continue
                own = str(person.identity.get("email") or "").strip()
                if ref in optins:
                    out.append(_target(ref, person, optins[ref], None))
                elif own and chosen(person):
                    out.append(_target(ref, person, own, None))
                elif own:
                    run.not_chosen += 1
        for ref, rid in requested:
            person = store.exposure(iid, ref, purpose="email.request")
            address = optins.get(ref) or (
                str(person.identity.get("email") or "").strip() if person else ""
            )
            if person is None or not address:
                run.no_address += 1
                continue
            out.append(_target(ref, person, address, rid))
        return out

    def _profile(self, key: tuple) -> dict:
        prof = self.profiles.get(key)
        if prof is None:
            prof = self.profiles[key] = profile(*key)
        return prof

    def _message(self, t: _Target, code: str) -> EmailMessage:
        prof = self._profile(t.key)
        msg = EmailMessage()
        msg["From"] = self.from_addr
        msg["To"] = t.address
        msg["Subject"] = self.common["audiences"][prof["audience"]]["title"]
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = self._mid(t)
        msg.set_content(
            body_text(
                self.common,
                prof,
                reference(self.iid, t.ref),
                code,
                name=t.name,
                request=t.request is not None,
            )
        )
        return msg

    def _detail(self, t: _Target, **extra) -> dict:
        d = {"ref": reference(self.iid, t.ref), "message_id": self._mid(t), **extra}
        if t.request is not None:
            d["request"] = t.request
        return d

    def _mid(self, t: _Target) -> str:
        """The Message-ID logged with the intent when there is one (a resumed message keeps
        it even if the sender's domain changed), else the one derived from the reference."""
        logged = (
            self.log.planned.get(t.ref)
            if t.request is None
            else self.log.planned_requests.get(t.request)
        )
        return logged or message_id(self.iid, t.ref, self.domain, t.request)

    def _send(self, t: _Target, code: str, run: EmailRun) -> None:
        """One SMTP exchange, then its outcome in the log (4xx: left planned)."""
        if self.smtp is None:
            self.smtp = _connect(self.params)
        try:
            self.smtp.send_message(self._message(t, code))
        except smtplib.SMTPRecipientsRefused as e:
            status = next(iter(e.recipients.values()))[0]
            self._refused(t, status, run)
            return
        except smtplib.SMTPDataError as e:
            self._refused(t, e.smtp_code, run)
            return
        finally:
            if self.smtp is not None and self.smtp.sock is None:
                # 421: the server closed the connection (smtplib closed its side): the next
                # message opens a new one instead of failing the run.
                self.smtp = None
        self.store.log_notifications(self.iid, EMAIL, "sent", [(t.ref, self._detail(t))])
        run.sent += 1
        run.requests += t.request is not None

    def _refused(self, t: _Target, status: int, run: EmailRun) -> None:
        if 400 <= status < 500:
            run.deferred += 1  # the intent stays planned: the next run sends it
            return
        self.store.log_notifications(
            self.iid, EMAIL, "bounced", [(t.ref, self._detail(t, smtp=status))]
        )
        run.bounced += 1

    @staticmethod
    def _planned(t: _Target, log: _Log) -> bool:
        if t.request is None:
            return t.ref in log.planned
        return t.request in log.planned_requests

    def run(self, chosen, limit: int | None, progress: Progress | None) -> EmailRun:
        run = EmailRun()
        log = self.log = _read_log(self.store, self.iid)
        targets = self._targets(log, chosen, run)
        if limit is not None:
            targets = targets[:limit]
        total = len(targets)
        done = 0
        todo: Iterator[_Target] = iter(targets)
        try:
            while batch := list(islice(todo, BATCH)):
                codes = self.issue(self.store, self.iid, list(dict.fromkeys(t.ref for t in batch)))
                self.lease.renew()
                # The intent of each message, before any is sent (once: a resumed intent
                # keeps the Message-ID it was logged with, which is the same anyway).
                intents = [(t.ref, self._detail(t)) for t in batch if not self._planned(t, log)]
                if intents:
                    self.store.log_notifications(self.iid, EMAIL, "planned", intents)
                for t in batch:
                    self._send(t, codes[t.ref], run)
                    done += 1
                    if progress:
                        progress(done, total)
        finally:
            if self.smtp is not None:
                try:
                    self.smtp.quit()
                except (smtplib.SMTPException, OSError):
                    pass
        self.store.audit("notify.email", {"incident_id": self.iid, **run.to_json()})
        return run
