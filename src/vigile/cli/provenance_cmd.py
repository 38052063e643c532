"""`vigile provenance register | trace`: which export did a found file come from."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..provenance import (
    ProvenanceError,
    open_registry,
    origin_sentence,
    register_file,
    text_report,
    trace_path,
)
from .app import app, console, console_err, fail, require_paths
from .common import DB_OPTION, KEY_FILE_OPTION, LANG_OPTION, check_lang, find_incident, open_case
from .progress import byte_progress

provenance_app = typer.Typer(
    help="Register exports (keyed fingerprints, canaries) and trace a found file to its export.",
    no_args_is_help=True,
)
app.add_typer(provenance_app, name="provenance")

REGISTRY_KEY_OPTION = typer.Option(
    None,
    "--registry-key",
    envvar="VIGILE_PROVENANCE_KEY_FILE",
    help="File holding the registry's secret (default: beside the store's key, created on "
    "the first registration; VIGILE_PROVENANCE_KEY may hold the key itself).",
)


@provenance_app.command("register")
def register(
    file: Path = typer.Argument(..., help="The export as handed over (any format vigile reads)."),
    recipient: str = typer.Option(..., "--recipient", help="Who receives it (organisation)."),
    purpose: str = typer.Option(..., "--purpose", help="Why (e.g. 'migration to LIS X')."),
    software: str = typer.Option("unknown", "--software", help="The software that produced it."),
    name: str | None = typer.Option(
        None, "--name", help="Name of the export (default: file name)."
    ),
    canaries: int = typer.Option(
        0, "--canaries", help="Plant this many canary records (0-50) in a copy: needs --out."
    ),
    out: Path | None = typer.Option(None, "--out", help="The copy to send, with the canaries."),
    patients: Path | None = typer.Option(
        None, "--patients", help="Patient database: canaries never collide with any patient."
    ),
    email_domain: str | None = typer.Option(
        None, "--canary-email-domain", help="A domain you monitor, for the canaries' e-mails."
    ),
    db: str | None = DB_OPTION,
    registry_key: Path | None = REGISTRY_KEY_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Fingerprint FILE into the provenance registry (keyed hashes only, no personal value)."""
    require_paths([file] + ([patients] if patients else []))
    try:
        with open_registry(db, registry_key, create=True) as reg:
            with byte_progress(not quiet and console_err.is_terminal) as progress:
                r = register_file(
                    file, reg, recipient=recipient, purpose=purpose, software=software,
                    name=name, canaries=canaries, out=out, patients=patients,
                    email_domain=email_domain, progress=progress,
                )  # fmt: skip
    except ProvenanceError as e:
        fail(str(e))
    rec = r.record
    what = "registered" if r.created else "already registered (nothing changed)"
    console.print(
        f"export {rec.name!r} {what}: {rec.rows:,} rows, {rec.units:,} identities "
        f"({', '.join(rec.views)}), {rec.canaries} canaries; recipient {rec.recipient}",
        markup=False,
        highlight=False,
    )
    if r.out is not None:
        console.print(f"send {r.out} (it holds the canaries), not {file}", markup=False)
    for w in r.warnings:
        console_err.print(f"warning: {w}", markup=False, highlight=False)


@provenance_app.command("trace")
def trace(
    found: Path = typer.Argument(..., help="The file found (any format vigile reads)."),
    db: str | None = DB_OPTION,
    registry_key: Path | None = REGISTRY_KEY_OPTION,
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    case: str | None = typer.Option(
        None, "--case", help="Record the file and the answer as evidence in this incident."
    ),
    found_where: str | None = typer.Option(
        None, "--found-where", help="With --case: where the file was found (URL, forum...)."
    ),
    key_file: Path | None = KEY_FILE_OPTION,
    lang: str = LANG_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Which registered export(s) FOUND came from, with the share of rows, the canaries
    found and a confidence; and the sentence for the CNIL draft."""
    check_lang(lang)
    if fmt not in ("text", "json"):
        fail("--format takes text or json")
    require_paths([found])
    try:
        with open_registry(db, registry_key) as reg:
            with byte_progress(not quiet and console_err.is_terminal) as progress:
                result = trace_path(found, reg, progress=progress)
    except ProvenanceError as e:
        fail(str(e))
    sentence = origin_sentence(result, lang)
    if fmt == "json":
        doc = result.to_json()
        doc["origin_sentence"] = sentence
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(text_report(result, lang))
    if case is not None:
        _record_in_case(db, key_file, case, result, sentence, found_where)


def _record_in_case(db, key_file, case, result, sentence: str, found_where) -> None:
    """The found file as evidence with the trace's answer, and the sentence as the CNIL
    form's circumstances unless the DPO already answered that field (one transaction:
    `CaseStore.record_provenance`)."""
    from ..case import CaseError

    with open_case(db, key_file) as store:
        iid = find_incident(store, case).id
        try:
            done = store.record_provenance(
                iid, path=result.path, sha256=result.sha256, size=result.size,
                origin=sentence, matches=[m.to_json() for m in result.matches],
                found_where=found_where,
            )  # fmt: skip
        except CaseError as e:
            fail(str(e))
    if not done.origin_set:
        console_err.print(
            "note: the CNIL form's origin.circumstances already has the DPO's answer; kept "
            "it (the trace is recorded with the case)",
            markup=False,
        )
    console.print(f"recorded as evidence in incident {case!r}", markup=False)
