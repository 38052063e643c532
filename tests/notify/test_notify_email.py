"""E-mails over SMTP to a local aiosmtpd server: plain text, chosen channel, logged, resumable."""

from __future__ import annotations

import email
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from notify_case import stand_in_issue_code

from vigile.case import open_store
from vigile.notify import EMAIL, send_emails, sender_for
from vigile.notify.email import SmtpUrlError, smtp_params
from vigile.notify.log import latest_states

REFUSED = "patient9@exemple.test"  # one of the fixture persons who chose e-mail


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp():
    import socket

    with socket.socket() as s:  # a free port (aiosmtpd's start-up check cannot use port 0)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        ctl.stop()


def _send(url, key, iid, smtp_url, **kw):
    with open_store(url, key=key) as store:
        snd = sender_for(store.incident_by_id(iid))
        return send_emails(
            store, iid, smtp_url, snd, "dpo@labo-exemple.test",
            issue_code=stand_in_issue_code, today=date(2021, 3, 3), **kw,
        )  # fmt: skip


def test_emails_sent_logged_and_resumed(case, smtp):
    url, key, iid = case
    inbox, smtp_url = smtp
    with open_store(url, key=key) as store:
        chosen = {
            store.person_ref(p.patient_id): p.identity["email"]
            for p in store.affected(iid)
            if p.identity.get("channel") == "email"
        }
    assert chosen, "fixture must hold persons who chose e-mail"
    first = _send(url, key, iid, smtp_url, limit=2)
    assert first.sent + first.bounced == 2
    rest = _send(url, key, iid, smtp_url)
    assert rest.already == 2
    refused = sum(a == REFUSED for a in chosen.values())
    assert refused == 1
    assert first.sent + rest.sent == len(chosen) - refused
    assert first.bounced + rest.bounced == refused
    delivered = [to for tos, _ in inbox.messages for to in tos]
    assert sorted(delivered) == sorted(a for a in chosen.values() if a != REFUSED)  # once each
    with open_store(url, key=key) as store:
        states = latest_states(store, iid, EMAIL)
    assert set(states) == set(chosen)
    assert set(states.values()) <= {"sent", "bounced"}
    # A third run has nothing left to send.
    assert _send(url, key, iid, smtp_url).sent == 0


def test_email_is_plain_text_without_links(case, smtp):
    url, key, iid = case
    inbox, smtp_url = smtp
    _send(url, key, iid, smtp_url, limit=1)
    msg = email.message_from_bytes(inbox.messages[0][1])
    assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
    body = msg.get_payload(decode=True).decode("utf-8")
    assert "Votre code personnel : TEST-" in body
    assert "02 99 12 34 56" in body and "CNIL" in body
    assert "http" not in body and "<a " not in body
    assert msg["Message-ID"].startswith(f"<{iid}-")


def test_smtp_url():
    p = smtp_params("smtps://user:p%40ss@mail.example:2465?starttls=0")
    assert (p["ssl"], p["host"], p["port"], p["user"], p["password"]) == (
        True, "mail.example", 2465, "user", "p@ss",
    )  # fmt: skip
    with pytest.raises(SmtpUrlError) as e:
        smtp_params("http://user:secret@host")
    assert "secret" not in str(e.value)


def test_late_bounce_is_marked_by_reference(case, smtp):
    from vigile.notify import mark_letters
    from vigile.notify.log import entries

    url, key, iid = case
    _, smtp_url = smtp
    _send(url, key, iid, smtp_url, limit=1)
    with open_store(url, key=key) as store:
        ((ref, state, detail),) = entries(store, iid, EMAIL)
        assert state == "sent"
        assert mark_letters(store, iid, "bounced", references={detail["ref"]}, channel=EMAIL) == 1
        assert latest_states(store, iid, EMAIL) == {ref: "bounced"}
