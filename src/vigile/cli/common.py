"""What every command that opens a case store shares: the options, the key discovery, the
incident look-up, and their one-line errors that say what to do."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ..case import CaseError, CaseStore, Incident, WrongKeyError, open_store, resolve_db_url
from ..case.keys import ENV_KEY, ENV_KEY_FILE, find_key_file
from .app import fail

DB_OPTION = typer.Option(
    None,
    "--db",
    envvar="VIGILE_DB",
    help="Case store: a SQLite file or a postgresql:// URL (default: ./vigile-case.db).",
)
KEY_FILE_OPTION = typer.Option(
    None,
    "--key-file",
    envvar=ENV_KEY_FILE,
    help="File holding the store key (default: the one `vigile case new` created; "
    "VIGILE_KEY may hold the key itself).",
)
INCIDENT_OPTION = typer.Option(
    None, "--incident", "--case", help="Incident name (default: the latest)."
)
LANG_OPTION = typer.Option("fr", "--lang", help="Language of what the DPO reads: fr or en.")


def open_case(
    db: str | None,
    key_file: Path | str | None = None,
    *,
    need_key: bool = True,
    create: bool = False,
) -> CaseStore:
    """Open the store with the key every command finds the same way (`find_key_file`).

    The key is used whenever one is found (writing to the case always needs it: the audit
    log is keyed). `need_key`: fail now, with what to do, when none is found (rather than at
    the first personal field or write)."""
    url = resolve_db_url(db)
    try:
        found = find_key_file(url, key_file)
        if found is not None and not found.exists() and not need_key and key_file is None:
            found = None  # VIGILE_KEY_FILE naming a missing file: only figures are wanted
        store = open_store(url, key_file=found, create=create)
    except WrongKeyError as e:
        fail(
            f"{e}: use the key file `vigile case new` created for this store (--key-file, "
            f"{ENV_KEY_FILE}), or its key in {ENV_KEY}"
        )
    except CaseError as e:
        fail(str(e))
    if need_key and store.locked:
        store.close()
        fail(
            "no key for this case store: pass --key-file (the file `vigile case new` "
            f"created), or set {ENV_KEY_FILE} or {ENV_KEY}"
        )
    return store


def find_incident(store: CaseStore, name: str | None) -> Incident:
    try:
        return store.incident(name)
    except CaseError as e:
        store.close()
        fail(
            f"{e}: open one with `vigile case new NAME --discovered TIME`, or name an "
            "existing one with --incident (see `vigile case status`)"
        )


def check_lang(lang: str) -> str:
    if lang not in ("fr", "en"):
        fail("--lang takes fr or en")
    return lang


ENV_LEASE_TTL = "VIGILE_LEASE_TTL"


def lease_ttl() -> float | None:
    """How long a run's hold on its step outlives it when it is killed (seconds), from
    VIGILE_LEASE_TTL; None: the store's default (2 minutes). A live run renews its hold as
    it works, so a short value only shortens the wait after a kill."""
    text = os.environ.get(ENV_LEASE_TTL, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1 <= value <= 86_400:
        fail(f"{ENV_LEASE_TTL} must be a number of seconds between 1 and 86400 (or unset)")
    return value
