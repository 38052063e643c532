"""`vigile notify`: the letters, the e-mails, and what happened to them after."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from ..case import CaseError
from .app import app, console, console_err, fail
from .common import (
    DB_OPTION,
    INCIDENT_OPTION,
    KEY_FILE_OPTION,
    find_incident,
    lease_ttl,
    open_case,
)

notify_app = typer.Typer(
    help="Notify: the CNIL notification draft, a letter per affected person, e-mails.",
    no_args_is_help=True,
)
app.add_typer(notify_app, name="notify")

__all__ = ["DB_OPTION", "INCIDENT_OPTION", "KEY_FILE_OPTION", "_open", "notify_app"]

PHONE_OPTION = typer.Option(
    None, "--phone", help="Number to call to verify a letter (default: found in the DPO contact)."
)
SENDER_OPTION = typer.Option(
    [], "--sender-line", help="A line of the controller's postal address (repeat)."
)
PLACE_OPTION = typer.Option(None, "--place", help="Town printed before the date.")
MEASURES_OPTION = typer.Option(
    None,
    "--measures",
    help="What you did about the breach, in French, added to the letters' measures "
    "paragraph (the CNIL sentence comes from the recorded submissions).",
)
PROGRESS_OPTION = typer.Option(
    False, "--progress", help="Show the progress bar even when stderr is not a terminal."
)
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="No progress bar.")


def _open(db: str | None, key_file: Path | None, need_key: bool = True):
    """The case store, with the key found the way every command finds it."""
    return open_case(db, key_file, need_key=need_key)


def _sender(incident, phone, sender_lines, place, measures=None):
    from ..notify import SenderError, sender_for

    try:
        return sender_for(
            incident,
            phone=phone,
            sender_lines=tuple(sender_lines),
            place=place,
            measures=measures,
        )
    except SenderError as e:
        fail(str(e))


def _show_progress(progress: bool, quiet: bool) -> bool:
    return not quiet and (progress or sys.stderr.isatty())


def _cnil_note(store, iid: int, what: str) -> None:
    if not store.cnil_submissions(iid):
        console_err.print(
            f"note: no CNIL submission is recorded for this case, so the {what} say the "
            "CNIL will be notified; record the submission first to have them say when it was",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@notify_app.command("letters")
def letters(
    out: Path = typer.Option(..., "--out", help="Directory for the PDF batches and manifest.csv."),
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    incident: str | None = INCIDENT_OPTION,
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Letters per PDF."),
    phone: str | None = PHONE_OPTION,
    sender_line: list[str] = SENDER_OPTION,
    place: str | None = PLACE_OPTION,
    measures: str | None = MEASURES_OPTION,
    progress: bool = PROGRESS_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Render the letters not rendered yet (resumable, one run at a time), in print-ready
    PDF batches, then the reprints that answer no-code requests."""
    from ..notify import OutputFolderError, RenderError, render_letters
    from .progress import count_progress

    with _open(db, key_file) as store:
        inc = find_incident(store, incident)
        snd = _sender(inc, phone, sender_line, place, measures)
        try:
            with count_progress(
                "letters", None, _show_progress(progress, quiet), unit="letters"
            ) as advance:
                run = render_letters(
                    store,
                    inc.id,
                    out,
                    snd,
                    batch_size=batch_size,
                    progress=lambda done, total: advance(done, total),
                    lease_ttl=lease_ttl(),
                )
        except (CaseError, RenderError, OutputFolderError) as e:
            fail(str(e))
        if run.rendered:
            _cnil_note(store, inc.id, "letters")
    console.print(
        f"{run.rendered} letters rendered in {len(run.batches)} batches "
        f"({run.reprints} reprints answering requests; {run.already} persons already had "
        f"theirs; {run.undeliverable} without a usable address: see undeliverable.csv); "
        f"manifest: {out / 'manifest.csv'}",
        highlight=False,
        soft_wrap=True,
    )


@notify_app.command("mark")
def mark(
    state: str = typer.Argument(..., help="handed_over, sent, returned or bounced."),
    db: str | None = DB_OPTION,
    incident: str | None = INCIDENT_OPTION,
    batch: list[int] = typer.Option([], "--batch", help="A batch number (repeat)."),
    ref: list[str] = typer.Option([], "--ref", help="A letter reference (repeat)."),
    channel: str = typer.Option("letter", "--channel", help="letter or email."),
) -> None:
    """Record what happened to letters after rendering (mail house, returns)."""
    from ..notify import mark_letters

    if not batch and not ref:
        fail("give --batch or --ref")
    if channel not in ("letter", "email"):
        fail("--channel takes letter or email")
    with _open(db, None, need_key=False) as store:
        inc = find_incident(store, incident)
        try:
            n = mark_letters(
                store, inc.id, state, batches=set(batch), references=set(ref), channel=channel
            )
        except (CaseError, ValueError) as e:
            fail(str(e))
    console.print(f"{n} {channel}s marked {state}")


@notify_app.command("email")
def email(
    smtp: str = typer.Option(
        ...,
        "--smtp",
        help="smtp://host:port, or smtps://user@host (the password from VIGILE_SMTP_PASSWORD, "
        "else asked for; never on the command line).",
    ),
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    incident: str | None = INCIDENT_OPTION,
    from_addr: str | None = typer.Option(
        None, "--from", help="Sender address (default: the e-mail of the DPO contact)."
    ),
    phone: str | None = PHONE_OPTION,
    measures: str | None = MEASURES_OPTION,
    progress: bool = PROGRESS_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """E-mail persons who opted in on the portal or chose e-mail and were not e-mailed yet,
    and answer no-code requests by e-mail (resumable, one run at a time)."""
    import smtplib

    from ..notify import RenderError, send_emails
    from ..notify.email import SmtpUrlError
    from ..notify.sender import email_in
    from .progress import count_progress

    smtp = _with_password(smtp)
    with _open(db, key_file) as store:
        inc = find_incident(store, incident)
        snd = _sender(inc, phone, [], None, measures)
        sender_addr = from_addr or email_in(snd.dpo_contact)
        if not sender_addr:
            fail("no sender address: pass --from or put an e-mail in the DPO contact")
        try:
            with count_progress(
                "e-mails", None, _show_progress(progress, quiet), unit="e-mails"
            ) as advance:
                run = send_emails(
                    store,
                    inc.id,
                    smtp,
                    snd,
                    sender_addr,
                    progress=lambda done, total: advance(done, total),
                    lease_ttl=lease_ttl(),
                )
        except (CaseError, RenderError, SmtpUrlError) as e:
            fail(str(e))
        except (OSError, smtplib.SMTPException) as e:
            fail(f"SMTP failure ({type(e).__name__}); rerun to resume")
        if run.sent:
            _cnil_note(store, inc.id, "e-mails")
    console.print(
        f"{run.sent} e-mails sent ({run.requests} answering requests), {run.bounced} refused, "
        f"{run.deferred} deferred by the server (rerun later), {run.already} persons already "
        f"e-mailed, {run.not_chosen} persons with an address but no recorded e-mail choice",
        highlight=False,
        soft_wrap=True,
    )


ENV_SMTP_PASSWORD = "VIGILE_SMTP_PASSWORD"


def _with_password(url: str) -> str:
    """An SMTP URL naming a user but no password gets it from VIGILE_SMTP_PASSWORD, or
    typed at a prompt (hidden): a password on the command line would stay in the shell's
    history and in the process list."""
    from urllib.parse import quote, urlsplit, urlunsplit

    try:
        u = urlsplit(url)
        user, password, host, port = u.username, u.password, u.hostname, u.port
    except ValueError:
        fail("--smtp: give an address such as smtp://host:25 or smtps://user@host")
    if not user or password is not None or not host:
        return url
    password = os.environ.get(ENV_SMTP_PASSWORD)
    if password is None:
        if not sys.stdin.isatty():
            fail(
                f"--smtp names the user {user!r} but no password: set {ENV_SMTP_PASSWORD}, "
                "or run the command from a terminal to type it"
            )
        password = typer.prompt(f"SMTP password for {user}", hide_input=True)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(u._replace(netloc=netloc + (f":{port}" if port else "")))
