"""The e-mail variant of the letter, sent over SMTP, each message logged in the case.

Plain text only (no HTML, no links), same words as the letter. Sent to persons who have an
e-mail address and whose choice of the e-mail channel is recorded. Each message is logged
"sent" (or "bounced" when the server refuses the recipient) right after the SMTP exchange;
a restarted run skips persons already logged. The window where a kill can resend one
message (after the server accepted it, before the log commit) is one message wide, and the
Message-ID is derived from the reference so a resent copy carries the same id.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from ..case.models import AffectedPerson
from .letters import CodeIssuer, default_code_issuer, profile, reference
from .log import EMAIL, affected_pages, latest_states, log_many
from .sender import Sender, common_texts

EMAIL_CHANNEL_VALUES = frozenset({"email", "e-mail", "courriel", "mail"})


class SmtpUrlError(ValueError):
    pass


@dataclass
class EmailRun:
    sent: int = 0
    bounced: int = 0
    already: int = 0
    not_chosen: int = 0  # persons with an address but no recorded choice of e-mail

    def to_json(self) -> dict:
        return dict(self.__dict__)


def chose_email(person: AffectedPerson) -> bool:
    """The recorded channel choice: identity field `channel` (e.g. "email"), from the patient
    database or the portal's "receive future messages by e-mail"."""
    return str(person.identity.get("channel", "")).strip().lower() in EMAIL_CHANNEL_VALUES


def body_text(common: dict, prof: dict, ref: str, code: str) -> str:
    lines = [
        "Madame, Monsieur,",
        "",
        *(p + "\n" for p in common["intro"]),
        common["exposed_intro"],
        *(f"  - {w}" for w in prof["exposed"]),
        "",
    ]
    if prof["not_exposed"]:
        lines += [f"{common['not_exposed_intro']} {', '.join(prof['not_exposed'])}.", ""]
    lines += [
        f"Ce que nous avons fait : {common['measures']}",
        "",
        common["advice_intro"],
        *(f"  - {common['advice'][k]}" for k in prof["advice"]),
        "",
        f"Votre référence : {ref}",
        f"Votre code personnel : {code}. {common['code_text']}",
        "",
        common["contact"],
        "",
        common["complaint"],
        "",
        common["closing"],
        "",
        common["signature"],
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
) -> EmailRun:
    """Send the e-mail to every person who chose it and has not been sent one yet."""
    params = smtp_params(smtp_url)
    issue = issue_code or default_code_issuer()
    incident = store.incident_by_id(incident_id)
    common = common_texts(incident, sender, store.triage(incident_id), today or date.today())
    done = latest_states(store, incident_id, EMAIL)
    run = EmailRun(already=len(done))
    domain = from_addr.rpartition("@")[2] or "localhost"
    smtp = _connect(params)
    try:
        for page in affected_pages(store, incident_id, 1000):
            for ref, person in page:
                address = person.identity.get("email")
                if ref in done or not address:
                    continue
                if not chosen(person):
                    run.not_chosen += 1
                    continue
                if limit is not None and run.sent + run.bounced >= limit:
                    break
                letter_ref = reference(incident_id, ref)
                msg = EmailMessage()
                msg["From"] = from_addr
                msg["To"] = address
                msg["Subject"] = common["title"]
                msg["Date"] = formatdate(localtime=False)
                msg["Message-ID"] = f"<{letter_ref}.{incident_id}@{domain}>"
                msg.set_content(
                    body_text(
                        common,
                        profile(person.categories),
                        letter_ref,
                        issue(store, incident_id, [ref])[ref],
                    )
                )
                try:
                    smtp.send_message(msg)
                except smtplib.SMTPRecipientsRefused as e:
                    code = next(iter(e.recipients.values()))[0]
                    log_many(
                        store,
                        incident_id,
                        EMAIL,
                        "bounced",
                        [(ref, {"ref": letter_ref, "smtp": code})],
                    )
                    run.bounced += 1
                    continue
                log_many(store, incident_id, EMAIL, "sent", [(ref, {"ref": letter_ref})])
                run.sent += 1
            else:
                continue
            break  # the limit was reached inside the page
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            pass
    store.audit("notify.email", {"incident_id": incident_id, **run.to_json()})
    return run
