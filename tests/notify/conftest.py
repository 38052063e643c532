"""Fixtures of the notify tests: small case stores with fake affected persons."""

from __future__ import annotations

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller
from notify_case import REFUSED, make_case, new_key


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    for var in ("VIGILE_DB", "VIGILE_KEY", "VIGILE_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def key() -> bytes:
    return new_key()


@pytest.fixture
def case(tmp_path, key):
    """(url, key, incident_id) of a SQLite case with 25 affected persons."""
    url = f"sqlite:///{tmp_path / 'case.db'}"
    return url, key, make_case(url, key, 25)


@pytest.fixture
def pdftoppm():
    import shutil

    path = shutil.which("pdftoppm")
    if path is None:
        pytest.fail("pdftoppm missing: apt-get install -y poppler-utils")
    return path


class Inbox:
    def __init__(self):
        self.messages = []
        self.busy: set[str] = set()  # answered 451 (try again later)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        if address in self.busy:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 Message accepted"

    def parsed(self):
        return [
            (tos, email.message_from_bytes(raw, policy=policy.default))
            for tos, raw in self.messages
        ]


@pytest.fixture
def smtp():
    """(Inbox, smtp URL) of a local aiosmtpd server that refuses REFUSED for good."""
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
