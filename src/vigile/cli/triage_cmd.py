"""`vigile triage`: the report, and with --case the evidence and triage kept in the case."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer

from .app import app, console_err, emit, fail, require_paths, spark_or_fail
from .common import DB_OPTION, KEY_FILE_OPTION, LANG_OPTION, check_lang
from .progress import byte_progress
from .scan_cmd import EXIT_FOUND, EXIT_NOT_FULLY_READ

MAX_WARNINGS = 5  # read errors listed on stderr before "and N more"
NEW_CASE = "vigile case new {name} --discovered TIME"


class TriageFormat(StrEnum):
    html = "html"
    json = "json"
    markdown = "markdown"


@app.command()
def triage(
    paths: list[Path] = typer.Argument(
        ..., help="The leaked file(s) or folder(s), any format scan reads."
    ),
    fmt: TriageFormat = typer.Option(
        TriageFormat.markdown,
        "--format",
        "-f",
        help="html (one self-contained file), json (vigile.triage/1) or markdown.",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report here instead of stdout."
    ),
    lang: str = LANG_OPTION,
    malicious: bool = typer.Option(
        True,
        "--malicious/--not-malicious",
        help="ENISA circumstances: the breach was malicious (+0.5).",
    ),
    unknown_recipients: bool = typer.Option(
        True,
        "--unknown-recipients/--known-recipients",
        help="ENISA circumstances: data disclosed to unknown recipients (+0.5).",
    ),
    case: str | None = typer.Option(
        None,
        "--case",
        "--incident",
        help="Also record each input as evidence in this incident of the case store, and "
        "save the triage there (open the incident first with `vigile case new`).",
    ),
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    found_where: str | None = typer.Option(
        None,
        "--found-where",
        help="With --case: where the file was found (a URL, a forum, a share).",
    ),
    found_at: str | None = typer.Option(
        None,
        "--found-at",
        help="With --case: when it was found (ISO time; without a zone, Paris time).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    exit_code: bool = typer.Option(
        False,
        "--exit-code",
        help="Exit 1 when personal or health data is found, 3 when nothing was found but "
        "some input could not be read completely (for scripts, as scan and sweep).",
    ),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local (this machine) or spark: one table (Parquet/CSV on any path Spark reads, "
        "jdbc:…#table, table:db.name) aggregated on Apache Spark, same figures; needs "
        "`pip install 'vigile[spark]'` and Java 17+.",
    ),
    spark_master: str | None = typer.Option(
        None, "--spark-master", help="With --engine spark: spark://host:7077, yarn, local[4]…"
    ),
    spark_connect: str | None = typer.Option(
        None,
        "--spark-connect",
        help="With --engine spark: a Spark Connect server, sc://host:15002.",
    ),
) -> None:
    """Profile a leaked file without spreading it: persons, categories, geography, origin,
    time span, ENISA severity, and whether CNIL notification and information of persons are due.
    Only aggregates; cells under 10 persons are shown as <10. The HTML and Markdown reports
    are in French unless --lang en; JSON is the same in both.

    Exit code: 0 done, 1 personal or health data found (with --exit-code), 2 no table could
    be read or bad arguments, 3 nothing found but some input not fully read (with
    --exit-code)."""
    from ..triage import Circumstances, render, triage_path

    lang = check_lang(lang)
    if engine not in ("local", "spark"):
        fail(f"--engine must be local or spark, not {engine!r}")
    if engine == "local" and (spark_master or spark_connect):
        fail("--spark-master/--spark-connect need --engine spark")
    if engine == "spark":
        if len(paths) != 1:
            fail("--engine spark triages one table: give one source")
    else:
        require_paths(paths)
    if fmt is TriageFormat.html and output is None and sys.stdout.isatty():
        fail("the HTML report goes to a file: add --output report.html")
    if case is None and (found_where or found_at):
        fail("--found-where and --found-at describe evidence: add --case NAME")
    found = _found_at(found_at)
    store = iid = None
    if case is not None:
        store, iid = _open_incident(case, db, key_file)
    try:
        circ = Circumstances(unknown_recipients=unknown_recipients, malicious=malicious)
        if engine == "spark":
            result = _triage_spark(str(paths[0]), circ, spark_master, spark_connect)
        else:
            with byte_progress(enabled=not quiet and sys.stderr.isatty()) as progress:
                result = triage_path(paths, circumstances=circ, progress=progress)
        _check_readable(result, recording=store is not None)
        _warn(result.errors)
        if store is not None:
            _record(store, iid, case, result, found_where, found)
    finally:
        if store is not None:
            store.close()
    emit(render(result, fmt.value, lang=lang), output)
    if exit_code and result.found:
        raise typer.Exit(EXIT_FOUND)
    if exit_code and not result.complete:
        raise typer.Exit(EXIT_NOT_FULLY_READ)


def _triage_spark(source: str, circ, master: str | None, connect: str | None):
    """The triage of one table on Spark; one-line errors."""
    import re

    from ..triage.spark import SparkTriageError, triage_spark

    source = re.sub(r"^([a-z0-9+]+):/(?!/)", r"\1://", source)  # Path() folds "s3a://" to "s3a:/"
    spark = spark_or_fail(master, connect)
    try:
        return triage_spark(spark, source, circumstances=circ)
    except SparkTriageError as e:
        fail(str(e))


def _found_at(text: str | None) -> datetime | None:
    from ..case import TimeFormatError, parse_time

    if text is None:
        return None
    try:
        return parse_time(text)
    except TimeFormatError as e:
        fail(f"--found-at: {e}")


def _open_incident(name: str, db: str | None, key_file: Path | None):
    """The store and the incident's id; one line saying to open the incident when either
    is missing. No key is needed: evidence and triage hold no personal value."""
    from sqlalchemy.engine import make_url

    from ..case import resolve_db_url
    from .common import find_incident, open_case

    url = make_url(resolve_db_url(db))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not Path(url.database).exists():
            fail(
                f"no case store at {url.database}: run `{NEW_CASE.format(name=name)}` first "
                "(or point --db at the store)"
            )
    store = open_case(db, key_file, need_key=False)
    return store, find_incident(store, name).id


def _check_readable(result, *, recording: bool) -> None:
    """No table row at all (random bytes, an empty file, free text only): one line, and
    nothing recorded."""
    if result.rows:
        return
    tail = "; nothing was recorded in the case" if recording else ""
    names = ", ".join(Path(i.path).name for i in result.inputs) or "the input"
    if result.errors:
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        fail(
            f"no table could be read: {result.errors[0]}{more}. Give triage the leaked table "
            f"itself (CSV, Excel, ODS, JSON, Parquet, SQL dump){tail}"
        )
    fail(
        f"no table rows in {names}: give triage the leaked table itself, with its rows (CSV, "
        f"Excel, ODS, JSON, Parquet, SQL dump), not free text or an empty table{tail}"
    )


def _warn(errors: tuple[str, ...]) -> None:
    for e in errors[:MAX_WARNINGS]:
        console_err.print(f"warning: {e}", markup=False, highlight=False)
    if len(errors) > MAX_WARNINGS:
        console_err.print(f"warning: and {len(errors) - MAX_WARNINGS} more read errors")


def _record(store, iid: int, name: str, result, found_where, found) -> None:
    """Each input that was read becomes evidence (digests from the triage: the files are
    not read again), then the triage JSON is saved. Both are idempotent."""
    from ..case import CaseError

    new = kept = 0
    try:
        for i in result.inputs:
            if not i.rows or not i.sha256 or i.size is None:
                continue  # unreadable: reported above, not evidence of this triage
            path = str(Path(i.path).resolve())
            added = store.add_evidence(
                iid, path, i.sha256, i.size, found_where=found_where, found_at=found
            )
            new, kept = new + added, kept + (not added)
        store.save_triage(iid, result.to_json())
    except CaseError as e:
        fail(f"case {name!r}: {e}")
    already = f" ({kept} already recorded)" if kept else ""
    console_err.print(
        f"case {name!r}: {new} file(s) recorded as evidence{already}; triage saved",
        markup=False,
        highlight=False,
    )
