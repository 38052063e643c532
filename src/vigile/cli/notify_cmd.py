"""`vigile notify`: the CNIL notification draft, the letters and the e-mails."""

from __future__ import annotations

from pathlib import Path

import typer

from ..case import CaseError, open_store
from ..case.keys import ENV_KEY_FILE
from .app import app, console, fail

notify_app = typer.Typer(
    help="Notify: the CNIL notification draft, a letter per affected person, e-mails.",
    no_args_is_help=True,
)
app.add_typer(notify_app, name="notify")

DB_OPTION = typer.Option(
    None, "--db", envvar="VIGILE_DB", help="Store URL (default: ./vigile-case.db)."
)
KEY_FILE_OPTION = typer.Option(
    None, "--key-file", envvar=ENV_KEY_FILE, help="File holding the store key."
)
INCIDENT_OPTION = typer.Option(None, "--incident", help="Incident name (default: the latest).")
PHONE_OPTION = typer.Option(
    None, "--phone", help="Number to call to verify a letter (default: found in the DPO contact)."
)
SENDER_OPTION = typer.Option(
    [], "--sender-line", help="A line of the controller's postal address (repeat)."
)
PLACE_OPTION = typer.Option(None, "--place", help="Town printed before the date.")


def _open(db: str | None, key_file: Path | None):
    try:
        return open_store(db, key_file=key_file, create=False)
    except CaseError as e:
        fail(str(e))


def _sender(store, iid, phone, sender_lines, place):
    from ..notify import SenderError, sender_for

    try:
        return sender_for(
            store.incident_by_id(iid), phone=phone, sender_lines=tuple(sender_lines), place=place
        )
    except SenderError as e:
        fail(str(e))


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
) -> None:
    """Render the letters not rendered yet (resumable), in print-ready PDF batches."""
    from ..notify import RenderError, render_letters

    with _open(db, key_file) as store:
        try:
            iid = store.incident(incident).id
            snd = _sender(store, iid, phone, sender_line, place)
            run = render_letters(store, iid, out, snd, batch_size=batch_size)
        except (CaseError, RenderError) as e:
            fail(str(e))
            return
    console.print(
        f"{run.rendered} letters rendered in {len(run.batches)} batches "
        f"({run.already} already rendered, {run.undeliverable} without a usable address: "
        f"see undeliverable.csv); manifest: {out / 'manifest.csv'}",
        highlight=False,
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
    with _open(db, None) as store:
        try:
            n = mark_letters(
                store,
                store.incident(incident).id,
                state,
                batches=set(batch),
                references=set(ref),
                channel=channel,
            )
        except (CaseError, ValueError) as e:
            fail(str(e))
            return
    console.print(f"{n} {channel}s marked {state}")


@notify_app.command("email")
def email(
    smtp: str = typer.Option(..., "--smtp", help="smtp://host:port, smtps://user:pass@host."),
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    incident: str | None = INCIDENT_OPTION,
    from_addr: str | None = typer.Option(
        None, "--from", help="Sender address (default: the e-mail of the DPO contact)."
    ),
    phone: str | None = PHONE_OPTION,
) -> None:
    """E-mail persons who chose that channel and were not e-mailed yet (resumable)."""
    import smtplib

    from ..notify import RenderError, send_emails
    from ..notify.email import SmtpUrlError
    from ..notify.sender import email_in

    with _open(db, key_file) as store:
        try:
            iid = store.incident(incident).id
            snd = _sender(store, iid, phone, [], None)
            sender_addr = from_addr or email_in(snd.dpo_contact)
            if not sender_addr:
                fail("no sender address: pass --from or put an e-mail in the DPO contact")
            run = send_emails(store, iid, smtp, snd, sender_addr)
        except (CaseError, RenderError, SmtpUrlError) as e:
            fail(str(e))
            return
        except (OSError, smtplib.SMTPException) as e:
            fail(f"SMTP failure ({type(e).__name__}); rerun to resume")
            return
    console.print(
        f"{run.sent} e-mails sent, {run.bounced} refused, {run.already} already done, "
        f"{run.not_chosen} persons with an address but no recorded e-mail choice"
    )
