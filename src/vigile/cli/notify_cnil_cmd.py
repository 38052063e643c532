"""`vigile notify cnil`: the CNIL notification draft, and the record of its submission."""

from __future__ import annotations

from pathlib import Path

import typer

from ..case import CaseError
from .app import console, fail
from .notify_cmd import DB_OPTION, INCIDENT_OPTION, KEY_FILE_OPTION, _open, notify_app


@notify_app.command("cnil")
def cnil(
    out: Path = typer.Option(..., "--out", help="Directory for cnil-notification-vN.json/.pdf."),
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    incident: str | None = INCIDENT_OPTION,
    kind: str | None = typer.Option(
        None, "--kind", help="initial, complementary or complete (default: by history)."
    ),
) -> None:
    """Draft the CNIL breach notification (next version), prefilled from the case."""
    from ..notify import write_cnil

    with _open(db, key_file) as store:
        try:
            iid = store.incident(incident).id
            js, pdf = write_cnil(store, iid, out, kind)
        except (CaseError, ValueError) as e:
            fail(str(e))
            return
    console.print(f"CNIL notification draft written: {js} and {pdf}", highlight=False)
    console.print('Fields marked "à compléter" must be filled in before submitting.')
