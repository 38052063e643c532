"""`vigile case`: open an incident store, follow the 72 h clock, verify the audit chain, purge."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import typer

from ..case import CaseError, create_key_file, open_store, resolve_db_url
from ..case.clock import format_hours
from ..case.keys import ENV_KEY, ENV_KEY_FILE
from .app import app, console, fail

case_app = typer.Typer(
    help="The incident's secure store: open it, follow the 72 h clock, verify, purge.",
    no_args_is_help=True,
)
app.add_typer(case_app, name="case")

DB_OPTION = typer.Option(
    None,
    "--db",
    envvar="VIGILE_DB",
    help="Store URL: sqlite:///path or postgresql://... (default: ./vigile-case.db).",
)
KEY_FILE_OPTION = typer.Option(
    None,
    "--key-file",
    envvar=ENV_KEY_FILE,
    help="File holding the store key (base64 of 32 bytes). VIGILE_KEY may hold the key itself.",
)


def _parse_time(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected an ISO time such as 2021-02-14T09:00 (local) or ...+01:00")
        raise typer.Exit(2) from None  # unreachable: fail() exits


def _default_key_path(db_url: str) -> Path:
    """Beside a SQLite store (never inside it), else in the working directory."""
    from sqlalchemy.engine import make_url

    u = make_url(db_url)
    if u.get_backend_name() == "sqlite" and u.database:
        return Path(u.database).with_suffix(".key")
    return Path("vigile-case.key")


@case_app.command("new")
def new(
    name: str = typer.Argument(..., help="Incident name, unique in the store."),
    discovered: str = typer.Option(
        ...,
        "--discovered",
        help="When the controller became aware (ISO time): starts the 72 h clock.",
    ),
    db: str | None = DB_OPTION,
    controller: str | None = typer.Option(None, "--controller", help="The data controller."),
    dpo: str | None = typer.Option(None, "--dpo", help="The DPO's contact."),
    key_file: Path | None = KEY_FILE_OPTION,
) -> None:
    """Open an incident. Creates the store and, when no key is configured, a 0600 key file."""
    when = _parse_time(discovered, "--discovered")
    url = resolve_db_url(db)
    key = None
    created_key: Path | None = None
    if not os.environ.get(ENV_KEY) and (key_file is None or not key_file.exists()):
        created_key = key_file or _default_key_path(url)
        try:
            key = create_key_file(created_key)
        except CaseError as e:
            fail(f"{e}; pass it with --key-file or VIGILE_KEY_FILE")
    try:
        with open_store(url, key=key, key_file=None if key else key_file) as store:
            iid = store.new_incident(name, when, controller=controller, dpo_contact=dpo)
            inc = store.incident_by_id(iid)
    except CaseError as e:
        fail(str(e))
        return
    console.print(f"incident {inc.name!r} opened (id {iid}); 72 h deadline {_deadline(inc)}")
    if created_key:
        console.print(
            f"created key file {created_key} (mode 0600). Keep it apart from the store and back "
            f"it up: without it the personal data in the store cannot be read. "
            f"Use it with --key-file or {ENV_KEY_FILE}={created_key}",
            markup=False,
            highlight=False,
            soft_wrap=True,  # keep the path on one line for copy-paste
        )


def _deadline(inc) -> str:
    from ..case.clock import NOTIFICATION_DEADLINE

    return (inc.discovered + NOTIFICATION_DEADLINE).isoformat()


def _open_existing(db: str | None):
    try:
        # No key needed: status, verify and purge touch figures only.
        return open_store(db, key=None, create=False)
    except CaseError as e:
        fail(str(e))


@case_app.command("status")
def status(
    name: str | None = typer.Argument(None, help="Incident name (default: the latest)."),
    db: str | None = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The 72 h clock from awareness, what is done and what is due."""
    with _open_existing(db) as store:
        try:
            st = store.status(store.incident(name).id)
        except CaseError as e:
            fail(str(e))
            return
    if as_json:
        console.print_json(json.dumps(st))
        return
    inc, clock = st["incident"], st["clock"]
    console.print(f"[bold]{inc['name']}[/] — discovered {inc['discovered']}", highlight=False)
    if clock["overdue"]:
        console.print(
            f"[red]72 h deadline {clock['deadline']} passed {format_hours(clock['hours_late'])} ago[/]"
        )
    else:
        console.print(
            f"72 h deadline {clock['deadline']}: {format_hours(clock['hours_left'])} left"
        )
    for step, info in st["steps"].items():
        mark = "[green]done[/]" if info["done"] else "[yellow]due[/] "
        extra = ""
        if "of" in info:
            extra = f" ({info['count']}/{info['of']})"
        elif "count" in info:
            extra = f" ({info['count']})"
        console.print(f"  {mark} {step.replace('_', ' ')}{extra}")
    if inc["purged_at"]:
        console.print(f"personal data purged on {inc['purged_at']}")


@case_app.command("verify")
def verify(db: str | None = DB_OPTION) -> None:
    """Check the audit log's hash chain. Exit 1 when it was tampered with."""
    with _open_existing(db) as store:
        report = store.audit_report()
    if not report.ok:
        console.print(f"[red]audit chain BROKEN[/]: {report.problem} ({report.rows} rows read)")
        raise typer.Exit(1)
    console.print(f"audit chain intact: {report.rows} rows; head {report.head}")
    console.print("Record the head hash outside the store to detect later truncation.")


@case_app.command("purge")
def purge(
    name: str | None = typer.Argument(None, help="Incident name (default: the latest)."),
    db: str | None = DB_OPTION,
    before: str | None = typer.Option(
        None, "--before", help="Only data stored before this ISO time (default: all of it)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do it without asking (irreversible)."),
) -> None:
    """Delete an incident's personal data at the end of retention; keep figures and the audit log."""
    cutoff = _parse_time(before, "--before") if before else None
    with _open_existing(db) as store:
        try:
            inc = store.incident(name)
        except CaseError as e:
            fail(str(e))
            return
        if not yes and not typer.confirm(
            f"Delete the personal data of incident {inc.name!r}? This cannot be undone."
        ):
            raise typer.Exit(1)
        n = store.purge(inc.id, cutoff)
    console.print(f"purged {n} affected persons of {inc.name!r}; figures and audit log kept")
