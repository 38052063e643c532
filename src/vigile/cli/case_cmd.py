"""`vigile case`: open an incident store, set what the DPO knows, follow the 72 h clock,
verify the audit chain, purge."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import typer

from ..case import CaseError, create_key_file, open_store, resolve_db_url
from ..case.clock import TimeFormatError, format_hours, parse_time, show_time
from ..case.keys import ENV_KEY, ENV_KEY_FILE, default_key_path, shares_folder_with_store
from .app import app, console, console_err, fail
from .common import (
    DB_OPTION,
    KEY_FILE_OPTION,
    LANG_OPTION,
    check_lang,
    find_incident,
    open_case,
)

case_app = typer.Typer(
    help="The incident's secure store: open it, set its facts, follow the 72 h clock, verify, "
    "purge.",
    no_args_is_help=True,
)
app.add_typer(case_app, name="case")


def _parse_time(value: str, option: str) -> datetime:
    try:
        return parse_time(value)
    except TimeFormatError as e:
        fail(f"{option}: {e}")


@case_app.command("new")
def new(
    name: str = typer.Argument(..., help="Incident name, unique in the store."),
    discovered: str = typer.Option(
        ...,
        "--discovered",
        help="When the controller became aware (ISO time; Paris time unless a zone is given): "
        "starts the 72 h clock.",
    ),
    db: str | None = DB_OPTION,
    controller: str | None = typer.Option(None, "--controller", help="The data controller."),
    dpo: str | None = typer.Option(
        None, "--dpo", help="The DPO's contact (e-mail and a phone persons can call)."
    ),
    key_file: Path | None = KEY_FILE_OPTION,
) -> None:
    """Open an incident. Creates the store and, when no key is configured, a 0600 key file in
    your configuration folder (never beside the data)."""
    when = _parse_time(discovered, "--discovered")
    url = resolve_db_url(db)
    key = None
    created_key: Path | None = None
    if not os.environ.get(ENV_KEY) and (key_file is None or not key_file.exists()):
        created_key = key_file or default_key_path(url)
        if created_key.exists():  # the store's key from an earlier `case new`
            key_file, created_key = created_key, None
        else:
            try:
                key = create_key_file(created_key)
            except CaseError as e:
                fail(f"{e}; pass it with --key-file or {ENV_KEY_FILE}")
    try:
        with open_store(url, key=key, key_file=None if key else key_file) as store:
            iid = store.new_incident(name, when, controller=controller, dpo_contact=dpo)
            inc = store.incident_by_id(iid)
    except CaseError as e:
        fail(f"{e}: choose another name, or follow the existing one with `vigile case status`")
    console.print(
        f"incident {inc.name!r} opened (id {iid}); 72 h deadline {_deadline(inc)}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    used = created_key or key_file
    if created_key:
        console.print(
            f"created key file {created_key} (mode 0600). Back it up apart from the store: "
            "without it the personal data in the store cannot be read. Every vigile command "
            f"finds it for this store; elsewhere use --key-file or {ENV_KEY_FILE}.",
            markup=False,
            highlight=False,
            soft_wrap=True,  # keep the path on one line for copy-paste
        )
    if used and shares_folder_with_store(used, url):
        console_err.print(
            f"warning: the key file {used} is in the same folder as the store: whoever copies "
            "the folder gets both the data and its key. Move the key elsewhere.",
            markup=False,
            highlight=False,
        )


def _deadline(inc, lang: str = "en") -> str:
    from ..case.clock import NOTIFICATION_DEADLINE

    return show_time(inc.discovered + NOTIFICATION_DEADLINE, lang)


def _open_existing(db: str | None, need_key: bool = False):
    # Status and verify read figures only; a found key is still used (to check the audit
    # log's MACs, and because every write to the case needs it).
    return open_case(db, None, need_key=need_key)


@case_app.command("set")
def set_(
    name: str | None = typer.Argument(None, help="Incident name (default: the latest)."),
    db: str | None = DB_OPTION,
    portal_url: str | None = typer.Option(
        None, "--portal-url", help="The portal's address, printed in every letter and e-mail."
    ),
    dpo_name: str | None = typer.Option(None, "--dpo-name", help="Who signs the letters."),
    dpo_title: str | None = typer.Option(None, "--dpo-title", help="The signatory's title."),
    processor: str | None = typer.Option(
        None, "--processor", help="The processor (sous-traitant) involved, for the CNIL form."
    ),
    encrypted: bool | None = typer.Option(
        None, "--encrypted/--not-encrypted", help="Were the leaked data encrypted?"
    ),
) -> None:
    """Set what the DPO knows about the case (no personal value): the portal's address,
    the signatory, the processor involved, whether the data were encrypted."""
    values = {
        k: v
        for k, v in {
            "portal_url": portal_url,
            "dpo_name": dpo_name,
            "dpo_title": dpo_title,
            "processor": processor,
            "data_encrypted": encrypted,
        }.items()
        if v is not None
    }
    if portal_url is not None and not portal_url.startswith(("https://", "http://")):
        fail("--portal-url must be an address such as https://verification.labo.fr")
    if not values:
        fail("nothing to set: give at least one option (see --help)")
    with _open_existing(db, need_key=True) as store:
        inc = find_incident(store, name)
        settings = store.update_settings(inc.id, **values)
    console.print(f"incident {inc.name!r}: set {', '.join(sorted(values))}", markup=False)
    console.print(json.dumps(settings, ensure_ascii=False, indent=2), markup=False)


STEP_WORDS = {
    "fr": {
        "evidence_recorded": "preuves enregistrées (empreintes du fichier)",
        "triage_saved": "triage enregistré",
        "persons_linked": "personnes identifiées parmi les patients",
        "cnil_notified": "notification à la CNIL enregistrée",
        "letters_rendered": "courriers produits",
        "letters_sent": "courriers remis à l'envoi",
    },
    "en": {
        "evidence_recorded": "evidence recorded",
        "triage_saved": "triage saved",
        "persons_linked": "persons linked",
        "cnil_notified": "CNIL notified",
        "letters_rendered": "letters rendered",
        "letters_sent": "letters sent",
    },
}


@case_app.command("status")
def status(
    name: str | None = typer.Argument(None, help="Incident name (default: the latest)."),
    db: str | None = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    lang: str = LANG_OPTION,
) -> None:
    """The 72 h clock from awareness, what is done and what is due."""
    check_lang(lang)
    with _open_existing(db) as store:
        st = store.status(find_incident(store, name).id)
    if as_json:
        console.print_json(json.dumps(st))
        return
    fr = lang == "fr"
    inc, clock = st["incident"], st["clock"]
    found = show_time(datetime.fromisoformat(inc["discovered"]), lang)
    deadline = show_time(datetime.fromisoformat(clock["deadline"]), lang)
    out = console.print
    out(
        f"[bold]{inc['name']}[/] — {'connaissance le' if fr else 'discovered'} {found}",
        highlight=False,
    )
    if clock["overdue"]:
        late = format_hours(clock["hours_late"], lang)
        out(
            f"[red]{'échéance des 72 h' if fr else '72 h deadline'} {deadline} "
            f"{'dépassée de' if fr else 'passed'} {late}{'' if fr else ' ago'}[/]",
            highlight=False,
        )
    else:
        left = format_hours(clock["hours_left"], lang)
        out(
            f"échéance des 72 h : {deadline} — reste {left}"
            if fr
            else f"72 h deadline {deadline}: {left} left",
            highlight=False,
        )
    words = STEP_WORDS[lang]
    for step, info in st["steps"].items():
        mark = (
            ("[green]fait[/]   " if fr else "[green]done[/] ")
            if info["done"]
            else ("[yellow]à faire[/]" if fr else "[yellow]due[/]  ")
        )
        extra = ""
        if "of" in info:
            extra = f" ({info['count']}/{info['of']})"
        elif "count" in info:
            extra = f" ({info['count']})"
        if step == "cnil_notified" and info.get("at"):
            extra = f" ({show_time(datetime.fromisoformat(info['at']), lang)})"
        out(f"  {mark} {words[step]}{extra}", highlight=False)
    if inc["purged_at"]:
        when = show_time(datetime.fromisoformat(inc["purged_at"]), lang)
        out(f"{'données personnelles purgées le' if fr else 'personal data purged on'} {when}")


@case_app.command("verify")
def verify(
    db: str | None = DB_OPTION,
    anchor: Path | None = typer.Option(
        None,
        "--anchor",
        help="An anchor file from `vigile case anchor`: also detect cut or "
        "wiped logs since it was made.",
    ),
) -> None:
    """Check the audit log's keyed hash chain. Exit 1 when it was tampered with."""
    with _open_existing(db, need_key=anchor is not None) as store:
        report = store.audit_report()
        problem = report.problem if not report.ok else None
        if problem is None and anchor is not None:
            try:
                doc = json.loads(anchor.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                fail(f"cannot read the anchor file {anchor} (JSON from `vigile case anchor`)")
            problem = store.check_audit_anchor(doc if isinstance(doc, dict) else {})
    if problem is not None:
        console.print(
            f"[red]audit chain BROKEN[/]: {problem} ({report.rows} rows read)", highlight=False
        )
        raise typer.Exit(1)
    console.print(f"audit chain intact: {report.rows} rows; head {report.head}", highlight=False)
    if not report.keyed:
        console.print(
            "[yellow]MACs not checked[/]: no store key found (pass --key-file to check them)."
        )
    if report.unkeyed_rows:
        console.print(
            f"{report.unkeyed_rows} rows predate the keyed chain (plain SHA-256 links only)."
        )
    if anchor is None:
        console.print(
            "Keep an anchor outside the store (`vigile case anchor --out FILE`) to detect a cut "
            "or wiped log later."
        )


@case_app.command("anchor")
def anchor_cmd(
    db: str | None = DB_OPTION,
    out: Path | None = typer.Option(
        None, "--out", help="Write the anchor here (JSON) instead of printing it."
    ),
) -> None:
    """Print (or write) the audit log's anchor: row count and head, MAC'd with the store key.
    Keep it outside the store (with the CNIL submission record, a signed e-mail, a safe)."""
    with _open_existing(db, need_key=True) as store:
        try:
            doc = store.audit_anchor()
        except ValueError as e:
            fail(str(e))
    text = json.dumps(doc, indent=2)
    if out is None:
        console.print(text, markup=False, highlight=False)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"anchor written to {out}: {doc['rows']} rows", markup=False)


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
    with _open_existing(db, need_key=True) as store:
        inc = find_incident(store, name)
        if not yes and not typer.confirm(
            f"Delete the personal data of incident {inc.name!r}? This cannot be undone."
        ):
            raise typer.Exit(1)
        n = store.purge(inc.id, cutoff)
    console.print(f"purged {n} affected persons of {inc.name!r}; figures and audit log kept")
