"""`triage_path`: stream every table once, classify its columns, derive and aggregate.

One read per table: the first batches are held while the column profiler
classifies their first `profile_rows` rows, then they and every later batch go
through the derived-row expressions. Columns are classified on those first
rows (plenty to tell a name from a date, and it saves a second full read);
every figure is computed on every row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .. import __version__
from ..categories import CATEGORIES, CATEGORY_IDS
from ..detect import ColumnProfiler
from ..read import Limits, ReadError, Table, open_tables
from ..read.errors import safe_message
from ..read.names import shown_path
from ..read.table import UNREAD
from ..scan import iter_files  # same expansion of directories as the scan
from ..shapes import ColumnFinding
from .aggregate import Figures, compute
from .derive import Plan, derive_batch, derive_plan, present_categories
from .duties import legal_duties
from .enisa import Circumstances, assess
from .model import InputEvidence, TriageResult
from .persons import KeyPlan, plan_key, resolve_persons
from .roles import Roles, assign_roles

# progress(display_path, bytes_read, total_bytes_or_None), as in vigile.scan
ProgressFn = Callable[[str, int, int | None], None]
PROFILE_ROWS = 100_000  # rows the column classification looks at


@dataclass(frozen=True)
class TableTriage:
    path: str
    rows: int
    frame: pl.DataFrame | None  # derived rows; None for free-text sources
    findings: tuple[ColumnFinding, ...]
    roles: Roles | None
    plan: KeyPlan | None
    categories: tuple[str, ...]
    errors: tuple[str, ...]
    profiled_rows: int = 0


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def triage_table(
    table: Table,
    source_index: int,
    progress: ProgressFn | None = None,
    profile_rows: int = PROFILE_ROWS,
) -> TableTriage:
    held: list[pl.DataFrame] = []
    frames: list[pl.DataFrame] = []
    errors: list[str] = []
    profiler: ColumnProfiler | None = None
    findings: tuple[ColumnFinding, ...] = ()
    derive: Plan | None = None
    roles = plan = None
    cats: list[str] = []
    rows = 0

    def setup() -> None:
        nonlocal findings, derive, roles, plan, cats
        findings = tuple(profiler.finish()) if profiler else ()
        roles = assign_roles(findings, held[0] if held else None)
        plan = plan_key(roles)
        cats = present_categories(roles)
        derive = derive_plan(roles, plan, present_categories=cats)

    def flush(batch: pl.DataFrame) -> None:
        nonlocal rows
        frames.append(derive_batch(batch, derive, rows, source_index))
        rows += batch.height

    text = table.source.kind == "text"
    seen = 0  # rows given to the profiler
    try:
        for batch in table.batches():
            if derive is None:
                if profiler is None:
                    profiler = ColumnProfiler(columns=batch.columns, kind=table.source.kind)
                if text or seen < profile_rows:
                    part = batch if text else batch.head(profile_rows - seen)
                    profiler.update(part)
                    seen += part.height
                if text:
                    rows += batch.height
                    continue
                held.append(batch)
                if seen >= profile_rows:
                    setup()
                    for b in held:
                        flush(b)
                    held.clear()
            else:
                flush(batch)
            if progress:
                progress(table.source.path, table.bytes_read, table.source.size)
    except ReadError as err:
        errors.append(str(err))
    # Parts not read are errors (every output shows them; the result is then incomplete).
    errors += [f"{table.source.path}: {UNREAD}{why}" for why in table.unread]
    if text:
        findings = tuple(profiler.finish()) if profiler else ()
        return TableTriage(table.source.path, rows, None, findings, None, None, (), tuple(errors))
    if derive is None and profiler is not None:
        setup()
        for b in held:
            flush(b)
    frame = pl.concat(frames, how="vertical") if frames else None
    return TableTriage(
        table.source.path, rows, frame, findings, roles, plan, tuple(cats), tuple(errors), seen
    )


def triage_path(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    *,
    circumstances: Circumstances = Circumstances(),
    progress: ProgressFn | None = None,
    limits: Limits | None = None,
    reference_date: dt.date | None = None,
    profile_rows: int = PROFILE_ROWS,
) -> TriageResult:
    """Triage every table of every input file together (persons deduplicated across them).

    Paths in the result are in their shown form (`vigile.read.names.shown_path`); every
    file, member, sheet or table not (fully) read is one of `errors`, so the result says
    nothing is exposed only when everything was read.

    `reference_date` is the day ages are computed at (default: the day after the latest
    event date, i.e. when the extraction was made, so figures do not drift with the day of
    analysis; today when the file has no event date).
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    inputs: list[InputEvidence] = []
    errors: list[str] = []
    tables: list[TableTriage] = []
    hides_nothing = 0
    for path in iter_files(paths):
        file_rows = 0
        fmt = sha = None
        display = shown_path(path)
        try:
            for item in open_tables(path, limits=limits or Limits()):
                if isinstance(item, ReadError):
                    errors.append(str(item))
                    hides_nothing += item.read  # an empty file, a dump without data
                    continue
                fmt = fmt or item.source.format
                if item.source.path == display:  # the reader hashed the file itself
                    sha = sha or item.source.sha256
                t = triage_table(item, len(tables), progress, profile_rows)
                tables.append(t)
                errors.extend(t.errors)
                file_rows += t.rows
            inputs.append(
                InputEvidence(
                    display, sha or _file_sha256(path), path.stat().st_size, fmt, file_rows
                )
            )
        except OSError as err:
            errors.append(f"{display}: {safe_message(err)}")
    return summarise(
        tables, inputs, errors, circumstances, reference_date, now,
        unread=len(errors) - hides_nothing,
    )  # fmt: skip


def summarise(
    tables: list[TableTriage],
    inputs: list[InputEvidence],
    errors: list[str],
    circumstances: Circumstances,
    reference_date: dt.date | None,
    now: dt.datetime,
    *,
    unread: int = 0,
    figures: Figures | None = None,
) -> TriageResult:
    """The result; `unread` counts the `errors` that stand for something not (fully) read.
    `figures`: already computed from the tables' rows elsewhere (`triage.spark`, whose
    tables then hold no frame)."""
    frames = [t.frame for t in tables if t.frame is not None and t.frame.height]
    cats = [c for c in CATEGORY_IDS if any(c in t.categories for t in tables)]
    notes: list[str] = []
    if figures is not None:
        fig = figures
    elif frames:
        rows = resolve_persons(pl.concat(frames, how="diagonal_relaxed"))
        if reference_date is None:
            latest = rows.get_column("event").max()
            reference_date = latest + dt.timedelta(days=1) if latest else now.date()
        fig = compute(rows, cats, reference_date)
    else:
        rows = None
        fig = None
    if unread and fig is not None:
        notes.append(
            f"Not fully read: {unread} file(s), sheet(s) or table(s) could not be read "
            "completely (see the errors): the figures count only what was read, and a category "
            "listed as not found, or a duty judged not due, may be wrong."
        )
    if fig is None:
        notes.append(
            "No table could be read from the input(s): these figures say nothing about the "
            "risk of the file; see the errors."
        )
    text_tables = [t for t in tables if t.frame is None and t.roles is None]
    if text_tables:
        notes.append(
            f"{len(text_tables)} free-text source(s) (logs, documents) were read but not counted "
            "in persons: they have no columns to key persons on."
        )
    sampled = [t for t in tables if t.roles is not None and t.profiled_rows < t.rows]
    if sampled:
        notes.append(
            "Columns were classified on the first "
            f"{min(t.profiled_rows for t in sampled):,} rows of each table; every figure "
            "counts every row."
        )
    plans = {t.plan.label for t in tables if t.plan}
    key_label = " | ".join(sorted(plans)) or "none"

    categories = fig.categories if fig else {}
    exposed = {c for c, n in categories.items() if n > 0}
    hm = fig.health_mentions if fig else {}
    health_conditions = any(n > 0 for k, n in hm.items() if k != "treatment")
    health_data = any(CATEGORIES[c].gdpr_class == "health" for c in exposed)
    health_context = (
        health_data or bool(exposed & {"finess", "rpps"}) or bool(fig and fig.establishments)
    )
    minors = fig.minors if fig else 0
    sev = assess(
        exposed,
        circumstances,
        health_conditions=health_conditions,
        health_context=health_context,
        minors=minors > 0,
    )
    persons = fig.persons if fig else 0
    duties = legal_duties(
        sev, persons=persons, health_data=health_data, health_establishment=health_context
    )
    n_rows = fig.rows if fig else 0
    reference_date = reference_date or now.date()
    person_key = {
        "key": key_label,
        "row_coverage": {
            k: round(v / n_rows, 4) if n_rows else 0.0
            for k, v in (fig.rows_by_key if fig else {}).items()
        },
        "persons_by_key": fig.persons_by_key if fig else {},
    }
    if fig and fig.rows_by_key.get("row"):
        notes.append(
            f"{fig.rows_by_key['row']:,} row(s) carry no usable identifier: each is counted as a "
            "distinct person (an upper bound)."
        )
    not_found = tuple(c for c in CATEGORY_IDS if c not in exposed)
    return TriageResult(
        vigile_version=__version__,
        analysed_at=now.isoformat().replace("+00:00", "Z"),
        inputs=tuple(inputs),
        rows=n_rows,
        persons=persons,
        person_key=person_key,
        minors=minors,
        over_75=fig.over_75 if fig else 0,
        age_reference_date=reference_date.isoformat(),
        categories={c: categories[c] for c in CATEGORY_IDS if c in categories},
        health_mentions=hm,
        credentials=fig.credentials if fig else {},
        departements=fig.departements if fig else {},
        departement_sources=fig.departement_sources if fig else {},
        regions=fig.regions if fig else {},
        top_towns=fig.top_towns if fig else (),
        establishments=fig.establishments if fig else (),
        prescribers=fig.prescribers if fig else None,
        time_span=fig.time_span if fig else {},
        severity=sev,
        duties=duties,
        not_found=not_found,
        notes=tuple(notes),
        errors=tuple(errors),
        unread=unread,
    )


def triage_frame(
    df: pl.DataFrame,
    findings: Iterable[ColumnFinding],
    *,
    circumstances: Circumstances = Circumstances(),
    reference_date: dt.date | None = None,
    name: str = "<frame>",
) -> TriageResult:
    """Triage one in-memory table whose columns were already classified (tests, linkage)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    findings = tuple(findings)
    roles = assign_roles(findings, df)
    plan = plan_key(roles)
    cats = present_categories(roles)
    frame = derive_batch(df, derive_plan(roles, plan, present_categories=cats), 0, 0)
    t = TableTriage(name, df.height, frame, findings, roles, plan, tuple(cats), ())
    evidence = InputEvidence(name, None, None, "frame", df.height)
    return summarise([t], [evidence], [], circumstances, reference_date, now)
