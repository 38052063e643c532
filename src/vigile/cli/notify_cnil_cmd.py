"""`vigile notify cnil`: the CNIL notification draft, and the record of its submission."""

from __future__ import annotations

from pathlib import Path

import typer

from ..case import CaseError
from ..case.clock import TimeFormatError, parse_time, show_time
from .app import console, fail
from .common import (
    DB_OPTION,
    INCIDENT_OPTION,
    KEY_FILE_OPTION,
    LANG_OPTION,
    check_lang,
    find_incident,
    open_case,
)
from .notify_cmd import notify_app


@notify_app.command("cnil")
def cnil(
    out: Path | None = typer.Option(
        None, "--out", help="Directory for cnil-notification-vN.json/.pdf (to draft)."
    ),
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    incident: str | None = INCIDENT_OPTION,
    kind: str | None = typer.Option(
        None, "--kind", help="initial, complementary or complete (default: by history)."
    ),
    answers: Path | None = typer.Option(
        None,
        "--answers",
        help="YAML/JSON file of answers to the fields vigile cannot establish (field id: "
        "answer); recorded in the case. A template is written beside each draft.",
    ),
    submitted: bool = typer.Option(
        False, "--submitted", help="Record that a draft was submitted on the CNIL's service."
    ),
    receipt: str | None = typer.Option(
        None, "--receipt", help="With --submitted: the CNIL's receipt (notification number)."
    ),
    at: str | None = typer.Option(
        None, "--at", help="With --submitted: when it was submitted (ISO time, Paris time)."
    ),
    version: int | None = typer.Option(
        None, "--version", help="With --submitted: the draft version (default: the latest)."
    ),
    lang: str = LANG_OPTION,
) -> None:
    """Draft the CNIL breach notification (next version), prefilled from the case; or, with
    --submitted, record its submission (the next draft is then complementary)."""
    from ..notify.cnil import AnswersError, field_ids, load_answers, write_cnil

    check_lang(lang)
    if submitted:
        if not receipt or not at:
            fail("--submitted needs --receipt (the CNIL's number) and --at (when it was sent)")
        try:
            when = parse_time(at)
        except TimeFormatError as e:
            fail(f"--at: {e}")
    elif out is None:
        fail("give --out DIR to write a draft, or --submitted to record a submission")
    with open_case(db, key_file, need_key=False) as store:
        iid = find_incident(store, incident).id
        try:
            if answers is not None:
                given = load_answers(answers, field_ids(store, iid))
                current = dict(store.incident_by_id(iid).settings.get("cnil_answers") or {})
                store.update_settings(iid, cnil_answers={**current, **given})
                console.print(f"{len(given)} answers recorded in the case", highlight=False)
            if submitted:
                s = store.record_cnil_submission(iid, when, receipt, version)
                console.print(
                    f"submission of draft v{s.version} ({s.kind}) recorded: receipt {s.receipt}, "
                    f"{show_time(s.submitted_at, 'en')}. Letters now say the CNIL was notified; "
                    "the next draft is complementary.",
                    highlight=False,
                    markup=False,
                )
            if out is not None:
                js, pdf = write_cnil(store, iid, out, kind, lang=lang)
                console.print(
                    f"CNIL notification draft written: {js} and {pdf}",
                    highlight=False,
                    markup=False,
                )
                console.print(
                    'Fields marked "à compléter": answer them in '
                    f"{out / 'cnil-answers-template.yaml'}, then rerun with --answers.",
                    highlight=False,
                    markup=False,
                )
        except (CaseError, ValueError, AnswersError) as e:
            fail(str(e))
