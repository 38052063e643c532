"""The typer application and the shared consoles."""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

app = typer.Typer(
    name="vigile",
    help=(
        "Guard French health data: find sensitive patient data in files (scan), profile a "
        "leaked file without spreading it (triage), and prepare what the law then requires."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
console_err = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line to stderr and exit. Called while handling an exception that
    comes from a full disk, the line says so instead (whatever layer raised it)."""
    handled = sys.exc_info()[1]
    line = no_room_line(handled) if handled is not None else None
    if line is not None:
        console_err.print(line, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    console_err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


# A write refused for lack of room: a full disk, a full quota, the file size limit (what
# RLIMIT_FSIZE or a filesystem's maximum gives).
_NO_ROOM = frozenset(
    n for n in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG) if n is not None
)
_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full" (ENOSPC)
# SQLite reports a write refused for EFBIG or EDQUOT (and a real I/O error) as "disk I/O
# error", its errno kept to itself: SQLITE_IOERR_WRITE, and SQLITE_IOERR_SHMSIZE when the
# WAL index (-shm, 32 KiB) cannot be sized.
_SQLITE_WRITE_REFUSED = frozenset({778, 4874})
_PG_DISK_FULL = "53100"  # PostgreSQL's disk_full: the server's disk
_NO_ROOM_LINES = {
    ("disk", "fr"): "erreur : disque plein (plus d'espace libre, quota ou taille maximale de "
    "fichier atteints) : libérez de l'espace sur le disque, puis relancez la commande",
    ("disk", "en"): "error: disk full (no space left, or a quota or file size limit reached): "
    "free some space on the disk, then run the command again",
    ("write", "fr"): "erreur : le disque refuse l'écriture (disque plein, quota ou taille "
    "maximale de fichier atteints, ou erreur d'entrée-sortie) : libérez de l'espace sur le "
    "disque et vérifiez-le, puis relancez la commande",
    ("write", "en"): "error: the disk refused a write (disk full, a quota or file size limit "
    "reached, or an I/O error): free some space on the disk and check it, then run the "
    "command again",
    ("server", "fr"): "erreur : le disque du serveur PostgreSQL est plein : libérez de "
    "l'espace sur le serveur, puis relancez la commande",
    ("server", "en"): "error: the PostgreSQL server's disk is full: free some space on the "
    "server, then run the command again",
}  # fmt: skip


def _causes(exc: BaseException):
    """The exception, what caused it or was being handled (even under `from None`), and a
    database driver's original error (SQLAlchemy's `.orig`)."""
    seen: set[int] = set()
    todo: list = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen or not isinstance(e, BaseException):
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__, getattr(e, "orig", None)]


def no_room(exc: BaseException) -> str | None:
    """'disk' when `exc` comes from a write refused for lack of room on this machine,
    'write' when SQLite says a write was refused without saying why (a full quota or a
    file size limit, or an I/O error), 'server' when the PostgreSQL server's disk is full,
    else None."""
    import sqlite3

    for e in _causes(exc):
        if isinstance(e, OSError) and e.errno in _NO_ROOM:
            return "disk"
        if isinstance(e, sqlite3.Error):
            code = getattr(e, "sqlite_errorcode", None)
            if code == _SQLITE_FULL or "database or disk is full" in str(e):
                return "disk"
            if code in _SQLITE_WRITE_REFUSED:
                return "write"
        if getattr(e, "sqlstate", None) == _PG_DISK_FULL:
            return "server"
    return None


def cli_lang(argv: list[str] | None = None) -> str:
    """The language of a message printed before a command could choose: `--lang en` on the
    command line gives English, else French (the default of --lang)."""
    argv = sys.argv if argv is None else argv
    for i, a in enumerate(argv):
        if a == "--lang=en" or (a == "--lang" and argv[i + 1 : i + 2] == ["en"]):
            return "en"
    return "fr"


def no_room_line(exc: BaseException) -> str | None:
    """The one line that says the disk is full and what to do, or None."""
    where = no_room(exc)
    return None if where is None else _NO_ROOM_LINES[(where, cli_lang())]


def require_paths(paths: list[Path]) -> None:
    """Fail with one line naming every input that does not exist (names in their shown
    form: a name may hold a personal value or terminal escapes)."""
    from ..read.names import shown_path

    missing = [shown_path(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}: check the path and try again")


def emit(text: str, output: Path | None) -> None:
    """A report to its file (saying where) or to stdout."""
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"report written to {output}", markup=False)
    else:
        sys.stdout.write(text)


def spark_or_fail(master: str | None, connect: str | None = None):
    """A SparkSession for `--engine spark`, or a one-line error naming what to install or
    fix (pyspark, Java, an unreachable master); the same for every command."""
    from ..link.spark_session import SparkUnavailable, get_spark

    if master and connect:
        fail("give --spark-master or --spark-connect, not both")
    try:
        return get_spark(master, connect)
    except SparkUnavailable as e:
        fail(str(e))
