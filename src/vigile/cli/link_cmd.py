"""`vigile link LEAK --patients …` and `vigile link review`.

`link` is a group whose default command is the linkage run, so both
`vigile link LEAK --patients FILE` and `vigile link review` work. Output is
counts and masked values only.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup

from .app import app, console, fail


class _DefaultRunGroup(TyperGroup):
    """Anything that is not a subcommand name is the argument list of `run`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


link_app = typer.Typer(
    cls=_DefaultRunGroup,
    no_args_is_help=True,
    help="Find exactly which of your patients are in a leak (NIR, then probabilistic linkage).",
)
app.add_typer(link_app, name="link")

DB_HELP = "Case store URL (default: VIGILE_DB, else ./vigile-case.db)."
KEY_HELP = "Key file of the case store (default: VIGILE_KEY / VIGILE_KEY_FILE)."


def _default_key_file(db: str | None) -> Path | None:
    """The key `vigile case new` creates when none is configured: beside a SQLite store,
    else in the working directory (same rule as case_cmd)."""
    import os

    from sqlalchemy.engine import make_url

    from ..case import resolve_db_url
    from ..case.keys import ENV_KEY, ENV_KEY_FILE

    if os.environ.get(ENV_KEY) or os.environ.get(ENV_KEY_FILE):
        return None
    u = make_url(resolve_db_url(db))
    path = (
        Path(u.database).with_suffix(".key")
        if u.get_backend_name() == "sqlite" and u.database
        else Path("vigile-case.key")
    )
    return path if path.exists() else None


def _open_store(db: str | None, key_file: Path | None):
    from ..case import CaseError, open_store

    key_file = key_file or _default_key_file(db)
    try:
        return open_store(db, key_file=key_file, create=False)
    except CaseError as e:
        fail(str(e))


def _incident(store, name: str | None):
    from ..case import CaseError

    try:
        return store.incident(name)
    except CaseError as e:
        fail(f"{e} (open one with `vigile case new`)")


@link_app.command("run")
def run(
    leak: Path = typer.Argument(..., help="The leaked file (any format `vigile scan` reads)."),
    patients: str = typer.Option(
        ..., "--patients", help="Patient database: CSV/Parquet file, or SQL table as URL#table."
    ),
    id_column: str | None = typer.Option(
        None, "--id-column", help="The database's own patient id column (inferred if omitted)."
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    key_file: Path | None = typer.Option(None, "--key-file", help=KEY_HELP),
    incident: str | None = typer.Option(
        None, "--incident", help="Incident name (default: latest)."
    ),
    affected_csv: Path | None = typer.Option(
        None, "--affected-csv", help="Also write one row per affected patient here."
    ),
    leak_role: list[str] = typer.Option(
        [], "--leak-role", help="Override a leak column role: ROLE=COLUMN (e.g. last_name=NOM)."
    ),
    patient_role: list[str] = typer.Option(
        [], "--patient-role", help="Override a patient-database column role: ROLE=COLUMN."
    ),
    match_threshold: float = typer.Option(0.95, help="Probability from which a pair is a match."),
    review_threshold: float = typer.Option(
        0.5, help="Pairs between this and the match threshold go to review."
    ),
) -> None:
    """Link LEAK to the patient database and record the affected patients in the case."""
    from ..link import (
        LeakError,
        LinkOptions,
        PatientsError,
        RoleError,
        link,
        parse_role_flags,
        save_to_case,
        write_affected_csv,
    )

    if not leak.exists():
        fail(f"no such file: {leak}")
    if not 0 < review_threshold <= match_threshold <= 1:
        fail("thresholds must satisfy 0 < review-threshold <= match-threshold <= 1")
    store = _open_store(db, key_file)
    inc = _incident(store, incident)
    try:
        result = link(
            leak,
            patients,
            id_column=id_column,
            leak_roles=parse_role_flags(leak_role),
            patient_roles=parse_role_flags(patient_role),
            options=LinkOptions(match_threshold=match_threshold, review_threshold=review_threshold),
        )
    except (LeakError, PatientsError, RoleError) as e:
        fail(str(e))
    saved = save_to_case(result, store, inc.id)
    c = result.counts()
    out = console.print
    out(f"incident: {inc.name}", markup=False)
    out(f"leak: {c['leak_rows']} rows, {c['leak_persons']} distinct persons", markup=False)
    out(f"patient database: {c['patients']} patients", markup=False)
    out(
        f"linked: {c['matched_nir']} by NIR, {c['matched_probabilistic']} probabilistic "
        f"-> {saved['affected']} affected patients recorded",
        markup=False,
    )
    out(f"review queue: {saved['review']} pairs (run `vigile link review`)", markup=False)
    out(
        f"found in no record: {c['unmatched_leak_persons']} leak persons "
        "(public communication, GDPR art. 34(3)(c))",
        markup=False,
    )
    if affected_csv:
        n = write_affected_csv(result, affected_csv)
        out(f"affected patients written to {affected_csv} ({n} rows)", markup=False)


@link_app.command("review")
def review(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    key_file: Path | None = typer.Option(None, "--key-file", help=KEY_HELP),
    incident: str | None = typer.Option(
        None, "--incident", help="Incident name (default: latest)."
    ),
    accept: list[int] = typer.Option(
        [], "--accept", help="Accept this review item id (repeatable)."
    ),
    reject: list[int] = typer.Option(
        [], "--reject", help="Reject this review item id (repeatable)."
    ),
    list_only: bool = typer.Option(False, "--list", help="Show the queue, decide nothing."),
) -> None:
    """Show gray-zone pairs masked side by side; accept or reject them (every decision is audited)."""
    from rich.table import Table

    from ..link.review import apply_decisions, side_by_side

    store = _open_store(db, key_file)
    inc = _incident(store, incident)
    queue = store.review_queue(inc.id)
    if not queue:
        console.print("review queue is empty", markup=False)
        return
    by_id = {it.id: it for it in queue}
    unknown = [i for i in [*accept, *reject] if i not in by_id]
    if unknown:
        fail(f"no pending review item with id {', '.join(map(str, unknown))}")
    decisions: dict[int, bool] = {i: True for i in accept} | {i: False for i in reject}
    interactive = not decisions and not list_only
    for it in queue:
        if decisions and it.id not in decisions:
            continue
        table = Table(title=f"review #{it.id}  p={it.match_probability:.3f}", title_justify="left")
        for col in ("field", "leak (masked)", "", "patient (masked)"):
            table.add_column(col)
        for row in side_by_side(it):
            table.add_row(*row)
        console.print(table)
        if interactive:
            answer = (
                typer.prompt("accept / reject / skip / quit [a/r/s/q]", default="s").strip().lower()
            )
            if answer.startswith("q"):
                break
            if answer[:1] in ("a", "r"):
                decisions[it.id] = answer.startswith("a")
    if list_only or not decisions:
        console.print(f"{len(queue)} pairs pending, none decided", markup=False)
        return
    decided = []
    for rid, ok in decisions.items():
        store.decide_review(rid, ok)
        it = by_id[rid]
        decided.append(type(it)(**{**it.__dict__, "decision": "accepted" if ok else "rejected"}))
    unmatched = inc.unmatched_leak_persons or 0
    total = apply_decisions(store, inc.id, decided, unmatched)
    n_ok = sum(decisions.values())
    console.print(
        f"{n_ok} accepted, {len(decisions) - n_ok} rejected; {total} affected patients recorded",
        markup=False,
    )
