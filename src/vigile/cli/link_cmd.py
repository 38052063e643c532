"""`vigile link LEAK --patients DB` (same as `vigile link run …`) and `vigile link review`.

`link` is a group whose default command is the linkage run, so both
`vigile link LEAK --patients FILE` and `vigile link review` work. Output is
counts only; the review shows partially masked values unless --reveal (audited).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path

import typer
from typer.core import TyperGroup

from .app import app, console, console_err, fail, spark_or_fail
from .common import (
    DB_OPTION,
    INCIDENT_OPTION,
    KEY_FILE_OPTION,
    find_incident,
    lease_ttl,
    open_case,
)
from .progress import byte_progress


class _DefaultRunGroup(TyperGroup):
    """Anything that is not a subcommand name is the argument list of `run`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


link_app = typer.Typer(
    cls=_DefaultRunGroup,
    no_args_is_help=True,
    help="Find exactly which of your patients are in a leak (NIR, then probabilistic "
    "linkage) and record each one's exposure in the case.\n\n"
    "`vigile link LEAK --patients DB` is short for `vigile link run LEAK --patients DB`; "
    "`vigile link review` decides the pairs left to a person.",
)
app.add_typer(link_app, name="link")

QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="No progress display on stderr.")
ENGINE_OPTION = typer.Option(
    "duckdb",
    "--engine",
    help="duckdb (one machine) or spark (the patient database read and linked on Apache "
    "Spark; same model and thresholds; needs `pip install 'vigile[spark]'` and Java 17+).",
)
MEMORY_LIMIT_OPTION = typer.Option(
    None,
    "--memory-limit",
    help="With --engine duckdb: DuckDB's memory limit (8GB, 512MiB); what does not fit "
    "spills to disk. Default: half the memory available ($VIGILE_DUCKDB_MEMORY_LIMIT).",
)
SPILL_DIR_OPTION = typer.Option(
    None,
    "--spill-dir",
    help="With --engine duckdb: folder for DuckDB's spill, which holds the compared "
    "personal values (an owner-only subfolder, removed at the end; put it on an encrypted "
    "disk). Default: the system's temporary folder ($VIGILE_SPILL_DIR).",
)
SPARK_MASTER_OPTION = typer.Option(
    None,
    "--spark-master",
    help="With --engine spark: the master URL (spark://host:7077, yarn, k8s://…, local[4]); "
    "default: the spark-submit session, else local[*].",
)
SPARK_CONNECT_OPTION = typer.Option(
    None, "--spark-connect", help="With --engine spark: a Spark Connect server, sc://host:15002."
)


@contextmanager
def _stages(enabled: bool):
    """Yield stage(description): a context manager showing a spinner with the elapsed time
    on stderr while the step runs (the line stays, with its time, when it is done)."""
    if not enabled:
        yield lambda _name: nullcontext()
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(finished_text="done"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console_err,
        transient=False,
    ) as bars:

        @contextmanager
        def stage(name: str):
            task = bars.add_task(name, total=None)
            try:
                yield
            finally:
                bars.update(task, total=1, completed=1)

        yield stage


def _reference_date(inc):
    from ..case.clock import PARIS

    return inc.discovered.astimezone(PARIS).date()


def _without_canaries(leak_persons, db: str | None):
    """The leak's persons less the canaries of exports registered in the store's database
    (`vigile provenance register --canaries`): planted synthetic patients are never linked,
    written to the case, or notified. (leak persons, canaries set aside)."""
    from dataclasses import replace

    import polars as pl

    from ..provenance import CANARY_FIELDS, is_canary
    from ..provenance.registry import registry_exists

    persons = leak_persons.persons
    if persons.height == 0 or not registry_exists(db):
        return leak_persons, 0
    fields = persons.select(
        [pl.col(c) if c in persons.columns else pl.lit(None, pl.String).alias(c)
         for c in CANARY_FIELDS]
    )  # fmt: skip
    mask = is_canary(fields, db=db)
    n = int(mask.sum())
    if n == 0:
        return leak_persons, 0
    return replace(leak_persons, persons=persons.filter(~mask)), n


@link_app.command("run")
def run(
    leak: Path = typer.Argument(..., help="The leaked file (any format `vigile scan` reads)."),
    patients: str = typer.Option(
        ...,
        "--patients",
        help="Patient database: CSV/Parquet/any table file, or a SQL table as URL#table "
        "(e.g. postgresql://host/db#patients).",
    ),
    id_column: str | None = typer.Option(
        None, "--id-column", help="The database's own patient id column (inferred if omitted)."
    ),
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    incident: str | None = INCIDENT_OPTION,
    affected_csv: Path | None = typer.Option(
        None,
        "--affected-csv",
        help="Also write one row per affected patient here (the database's own id, "
        "probability, method, categories, password form, minor, protected; no identity).",
    ),
    leak_role: list[str] = typer.Option(
        [],
        "--leak-role",
        help="Name a leak column's role: ROLE=COLUMN (e.g. last_name=NOM). Roles: last_name, "
        "birth_name, first_name, birth_date, sex, nir, nir_key, postcode, city, address, "
        "phone, email, password.",
    ),
    patient_role: list[str] = typer.Option(
        [],
        "--patient-role",
        help="Name a patient-database column's role: ROLE=COLUMN (same roles, plus "
        "protection: a yes/no tutelle/curatelle column).",
    ),
    match_threshold: float = typer.Option(0.95, help="Probability from which a pair is a match."),
    review_threshold: float = typer.Option(
        0.5, help="Pairs between this and the match threshold go to review."
    ),
    quiet: bool = QUIET_OPTION,
    engine: str = ENGINE_OPTION,
    spark_master: str | None = SPARK_MASTER_OPTION,
    spark_connect: str | None = SPARK_CONNECT_OPTION,
    memory_limit: str | None = MEMORY_LIMIT_OPTION,
    spill_dir: Path | None = SPILL_DIR_OPTION,
) -> None:
    """Link LEAK to the patient database and record every affected patient's exposure in the
    case (categories, health kinds, password form, minor at discovery, legal protection).

    The leak is read once; minors are counted at the incident's discovery date."""
    from ..link import (
        LeakError,
        LinkOptions,
        PatientsError,
        RoleError,
        link_loaded,
        load_leak,
        load_patients,
        parse_role_flags,
        save_to_case,
        write_affected_csv,
    )
    from ..link.patients import is_url
    from ..read.names import shown_path

    if not leak.exists():
        fail(f"no such file: {shown_path(leak)}: check the path of the leaked file")
    if not leak.is_file():
        fail(f"{shown_path(leak)} is not a file: give the leaked table itself")
    if engine not in ("duckdb", "spark"):
        fail(f"--engine must be duckdb or spark, not {engine!r}")
    if engine == "duckdb" and (spark_master or spark_connect):
        fail("--spark-master/--spark-connect need --engine spark")
    if engine == "spark" and (memory_limit or spill_dir):
        fail("--memory-limit/--spill-dir are DuckDB's: give Spark its memory with --conf")
    if memory_limit:
        from ..link.probabilistic import check_memory_limit

        try:
            check_memory_limit(memory_limit)
        except ValueError as e:
            fail(f"--memory-limit: {e}")
    if spill_dir and not spill_dir.is_dir():
        fail(f"--spill-dir: no such folder: {shown_path(spill_dir)}")
    spark = spark_or_fail(spark_master, spark_connect) if engine == "spark" else None
    if spark is None and not is_url(patients) and not Path(patients).exists():
        fail(
            f"no such patient database: {shown_path(patients)} (a file, or a SQL table as URL#table)"
        )
    if not 0 < review_threshold <= match_threshold <= 1:
        fail("thresholds must satisfy 0 < review-threshold <= match-threshold <= 1")
    try:
        leak_roles = parse_role_flags(leak_role)
        patient_roles = parse_role_flags(patient_role)
    except RoleError as e:
        fail(str(e))
    store = open_case(db, key_file)
    inc = find_incident(store, incident)
    shown = not quiet and sys.stderr.isatty()
    from ..link import SplinkOptions

    splink = SplinkOptions(
        memory_limit=memory_limit, spill_dir=str(spill_dir) if spill_dir else None
    )
    options = LinkOptions(
        match_threshold=match_threshold, review_threshold=review_threshold, splink=splink
    )
    try:
        with byte_progress(enabled=shown) as progress:
            leak_persons = load_leak(leak, leak_roles, progress=progress)
        leak_persons, canaries = _without_canaries(leak_persons, db)
        if canaries and not quiet:
            console_err.print(
                f"{canaries:,} canary record(s) of a registered export set aside: "
                "they are no patients and are never linked or notified",
                markup=False,
            )
        sql = is_url(patients) or spark is not None
        with byte_progress(enabled=shown and not sql) as progress, _stages(shown and sql) as st:
            with st("reading the patient table"):
                if spark is not None:
                    from ..link.spark_patients import load_patients_spark

                    people = load_patients_spark(spark, patients, id_column, patient_roles)
                else:
                    people = load_patients(patients, id_column, patient_roles, progress=progress)
        with _stages(shown) as stage:
            if spark is not None:
                from ..link.spark_engine import link_spark

                result = link_spark(
                    leak_persons,
                    people,
                    spark,
                    options=options,
                    reference_date=_reference_date(inc),
                    stage=stage,
                )
            else:
                result = link_loaded(
                    leak_persons,
                    people,
                    options=options,
                    reference_date=_reference_date(inc),
                    stage=stage,
                )
            with stage("recording in the case store"), store.lease(inc.id, "link", ttl=lease_ttl()):
                saved = save_to_case(result, store, inc.id)
    except LeakError as e:
        store.close()
        fail(f"{e}; give `vigile link` the leaked table itself")
    except (PatientsError, RoleError) as e:
        store.close()
        fail(str(e))
    except Exception as e:  # noqa: BLE001 - a library error must not print cell values
        from ..case import CaseError

        store.close()
        if isinstance(e, CaseError):
            fail(str(e))
        fail(f"linkage failed ({type(e).__name__}); nothing was recorded in the case")
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
    e = exposure_counts(result)
    out(
        f"exposure: {e['health']} with a health condition named, {e['plain']} with a password "
        f"in clear, {e['hashed']} hashed only; letters to a representative: {e['minor']} minors, "
        f"{e['protected']} under legal protection",
        markup=False,
    )
    out(f"review queue: {saved['review']} pairs (run `vigile link review`)", markup=False)
    out(
        f"found in no record: {c['unmatched_leak_persons']} leak persons "
        "(public communication, GDPR art. 34(3)(c))",
        markup=False,
    )
    for w in result.leak.warnings[:5]:
        console_err.print(f"warning: {w}", markup=False, highlight=False)
    if affected_csv:
        n = write_affected_csv(result, affected_csv)
        out(f"affected patients written to {affected_csv} ({n} rows)", markup=False)
    store.close()


def exposure_counts(result) -> dict[str, int]:
    import polars as pl

    from ..link.exposure import PW_HASHED, PW_PLAIN

    a = result.affected()
    return a.select(
        health=(pl.col("kinds") != 0).sum(),
        plain=(pl.col("pw") == PW_PLAIN).sum(),
        hashed=(pl.col("pw") == PW_HASHED).sum(),
        minor=pl.col("minor").sum(),
        protected=pl.col("protected").sum(),
    ).row(0, named=True)


def _show(item, reveal: bool) -> None:
    from rich.table import Table

    from ..link.review import side_by_side

    table = Table(title=f"review #{item.id}  p={item.match_probability:.3f}", title_justify="left")
    which = "in clear" if reveal else "partly masked"
    for col in ("field", f"leak ({which})", "verdict", f"patient ({which})"):
        table.add_column(col)
    for row in side_by_side(item, reveal=reveal):
        table.add_row(*row)
    console.print(table)


def _ask(prompt: str) -> str:
    """One answer from stdin; end of input is 'q'."""
    console.print(prompt, end="", markup=False, highlight=False)
    line = sys.stdin.readline()
    return line.strip().lower() if line else "q"


@link_app.command("review")
def review(
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    incident: str | None = INCIDENT_OPTION,
    accept: list[str] = typer.Option(
        [], "--accept", help="Accept these review ids: 1,2,5-9 (repeatable)."
    ),
    reject: list[str] = typer.Option(
        [], "--reject", help="Reject these review ids: 3,7-8 (repeatable)."
    ),
    decisions_file: Path | None = typer.Option(
        None,
        "--decisions",
        help="A file of decisions: CSV lines `id,decision` (accept/reject) or JSON "
        '[{"id": 1, "decision": "accept"}, ...].',
    ),
    list_only: bool = typer.Option(False, "--list", help="Show the queue, decide nothing."),
    reveal: bool = typer.Option(
        False,
        "--reveal",
        help="Show the values in clear (for the authorised reviewer; every item shown is "
        "recorded in the audit log).",
    ),
) -> None:
    """Decide the gray-zone pairs: per field a verdict (same, differs, close: typo, swapped
    day-month, compound name part...) beside partially masked values (--reveal: in clear).

    Decide in a batch (--accept/--reject/--decisions), or interactively through the whole
    queue (a accept, r reject, s skip, q stop). Every decision is audited and the affected
    persons are recomputed once, at the end."""
    from ..case import CaseError
    from ..link.review import DecisionError, apply_decisions, parse_ids, read_decisions

    decisions: dict[int, bool] = {}
    try:
        if decisions_file is not None:
            if not decisions_file.is_file():
                fail(f"no such decisions file: {decisions_file}")
            decisions = read_decisions(decisions_file)
        for spec, ok in [(s, True) for s in accept] + [(s, False) for s in reject]:
            for rid in parse_ids(spec):
                if decisions.get(rid, ok) != ok:
                    raise DecisionError(f"review id {rid} is both accepted and rejected")
                decisions[rid] = ok
    except DecisionError as e:
        fail(str(e))
    if list_only and decisions:
        fail("--list decides nothing: drop it to apply --accept/--reject/--decisions")
    store = open_case(db, key_file)
    inc = find_incident(store, incident)
    queue = store.review_queue(inc.id)
    by_id = {it.id: it for it in queue}
    unknown = sorted(i for i in decisions if i not in by_id)
    if unknown:
        store.close()
        fail(
            f"no pending review item with id {', '.join(map(str, unknown))} "
            "(see `vigile link review --list`); nothing was decided"
        )
    if not queue:
        console.print("review queue is empty", markup=False)
        store.close()
        return

    def show(it) -> None:
        if reveal:
            store.audit("review.reveal", {"incident_id": inc.id, "review_id": it.id})
        _show(it, reveal)

    if list_only:
        for it in queue:
            show(it)
        console.print(f"{len(queue)} pairs pending, none decided", markup=False)
        store.close()
        return
    if not decisions:  # interactive: the whole queue, decisions applied at the end
        for n, it in enumerate(queue, 1):
            show(it)
            answer = ""
            while answer[:1] not in ("a", "r", "s", "q"):
                answer = _ask(f"[{n}/{len(queue)}] accept / reject / skip / quit [a/r/s/q]: ")
            if answer.startswith("q"):
                break
            if answer[:1] in ("a", "r"):
                decisions[it.id] = answer.startswith("a")
        if not decisions:
            console.print(f"{len(queue)} pairs pending, none decided", markup=False)
            store.close()
            return
    try:
        with store.lease(inc.id, "link", ttl=lease_ttl()):
            decided = []
            for rid, ok in decisions.items():
                store.decide_review(rid, ok)
                it = by_id[rid]
                decided.append(
                    type(it)(**{**it.__dict__, "decision": "accepted" if ok else "rejected"})
                )
            unmatched = inc.unmatched_leak_persons or 0
            total = apply_decisions(store, inc.id, decided, unmatched)
    except CaseError as e:
        store.close()
        fail(str(e))
    n_ok = sum(decisions.values())
    left = len(queue) - len(decisions)
    console.print(
        f"{n_ok} accepted, {len(decisions) - n_ok} rejected; {total} affected patients "
        f"recorded; {left} pairs still pending",
        markup=False,
    )
    store.close()
