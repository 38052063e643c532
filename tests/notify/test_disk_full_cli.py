"""A full disk, a full quota or a file size limit, whichever layer meets it, ends a command
in one line that says the disk is full and to free space (French; English with --lang en).
Regression: `vigile notify letters` said "internal failure (OSError)" when a PDF could not
be written, and `notify email` called a full disk an "SMTP failure"."""

from __future__ import annotations

import base64
import errno
import os
import socket
import sqlite3

import psycopg
import pytest
from aiosmtpd.controller import Controller
from notify_case import check_letters, make_case
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

import vigile.notify.letters as letters_mod
from vigile.case import CaseError, open_store
from vigile.cli import main
from vigile.cli.app import cli_lang, no_room

FR_LINE = "erreur : disque plein"


def _vigile(monkeypatch, capsys, url, key, *args) -> tuple[int, str, str]:
    """`vigile ARGS` through the real entry point (its last line of defence included)."""
    monkeypatch.setenv("VIGILE_DB", url)
    monkeypatch.setenv("VIGILE_KEY", base64.b64encode(key).decode())
    monkeypatch.delenv("VIGILE_DEBUG", raising=False)
    monkeypatch.setattr("sys.argv", ["vigile", *map(str, args)])
    with pytest.raises(SystemExit) as ended:
        main()
    out = capsys.readouterr()
    return ended.value.code, out.out, out.err


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_no_room_errnos(code):
    assert no_room(OSError(code, os.strerror(code))) == "disk"


def test_other_errors_are_not_a_full_disk():
    assert no_room(OSError(errno.EACCES, "Permission denied")) is None
    assert no_room(ValueError("x")) is None


def test_a_full_sqlite_file_seen_through_sqlalchemy_and_a_case_error(tmp_path):
    raw = sqlite3.connect(tmp_path / "f.db")
    raw.execute("create table t (x blob)")
    raw.execute(f"pragma max_page_count = {raw.execute('pragma page_count').fetchone()[0]}")
    with pytest.raises(sqlite3.OperationalError) as full:  # a real SQLITE_FULL
        raw.execute("insert into t values (zeroblob(100000))")
    raw.close()
    wrapped = OperationalError("insert", {}, full.value)
    assert no_room(wrapped) == "disk"
    try:  # as the case store raises it: `from None`, the driver error kept as context
        try:
            raise wrapped
        except OperationalError:
            raise CaseError("the case store could not be written") from None
    except CaseError as e:
        assert no_room(e) == "disk"


def test_the_postgresql_server_disk_full():
    assert no_room(OperationalError("insert", {}, psycopg.errors.DiskFull("full"))) == "server"


def test_language_follows_lang_en():
    assert cli_lang(["vigile", "triage", "x.csv"]) == "fr"
    assert cli_lang(["vigile", "triage", "--lang", "en", "x.csv"]) == "en"
    assert cli_lang(["vigile", "triage", "--lang=en"]) == "en"


def test_letters_on_a_full_disk_end_in_one_line_then_resume(tmp_path, monkeypatch, capsys):
    url, key = f"sqlite:///{tmp_path / 'case.db'}", os.urandom(32)
    iid = make_case(url, key, 6)
    out = tmp_path / "letters"
    real_write = letters_mod._write_file

    def full_disk(path, data):  # the first PDF batch: half written, then no space left
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(letters_mod, "_write_file", full_disk)
    code, stdout, err = _vigile(monkeypatch, capsys, url, key, "notify", "letters", "--out", out)
    line = _one_line(err)
    assert code == 2 and stdout == ""
    assert line.startswith(FR_LINE) and "libérez de l'espace" in line
    assert "internal failure" not in err
    monkeypatch.setattr(letters_mod, "_write_file", real_write)  # space freed
    code, stdout, err = _vigile(monkeypatch, capsys, url, key, "notify", "letters", "--out", out)
    assert code == 0, err
    with open_store(url, key=key) as store:
        check_letters(store, iid, out)  # one letter each, every code valid


class _Sink:
    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content)
        return "250 Message accepted"


def test_email_run_with_a_full_store_disk_ends_in_one_line(tmp_path, monkeypatch, capsys):
    """The store's file cannot grow (a real SQLITE_FULL: max_page_count set on every new
    connection to the pages it has) while e-mails are sent."""
    url, key = f"sqlite:///{tmp_path / 'mail.db'}", os.urandom(32)
    make_case(url, key, 30, email_share=1.0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()

    def no_growth(dbapi_conn, _record):
        pages = dbapi_conn.execute("pragma page_count").fetchone()[0]
        dbapi_conn.execute(f"pragma max_page_count = {pages}")

    event.listen(Engine, "connect", no_growth)
    try:
        smtp = f"smtp://127.0.0.1:{port}"
        code, _, err = _vigile(monkeypatch, capsys, url, key, "notify", "email", "--smtp", smtp)
    finally:
        event.remove(Engine, "connect", no_growth)
        ctl.stop()
    line = _one_line(err)
    assert code == 2, err
    assert line.startswith(FR_LINE) and "libérez de l'espace" in line
    assert "SMTP failure" not in err and "internal failure" not in err
