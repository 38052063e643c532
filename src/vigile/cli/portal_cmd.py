"""`vigile portal`: the official "am I affected?" web service and its no-code requests."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import typer

from .app import app, console, fail
from .common import DB_OPTION, INCIDENT_OPTION, KEY_FILE_OPTION, find_incident, open_case

portal_app = typer.Typer(
    help="The official 'am I affected?' service: personal code, attestation, no-code requests.",
    no_args_is_help=True,
)
app.add_typer(portal_app, name="portal")


@portal_app.command("serve")
def serve(
    incident: str | None = INCIDENT_OPTION,
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Listen address (keep loopback behind a proxy)."
    ),
    port: int = typer.Option(8000, "--port"),
    signing_key: Path | None = typer.Option(
        None,
        "--signing-key",
        help="Ed25519 private key (PEM) for attestations; default: derived from the store key.",
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        "--forwarded-allow-ips",
        help="Proxy addresses whose X-Forwarded-For/-Proto are trusted.",
    ),
    workers: int = typer.Option(1, "--workers", min=1, max=16, help="Worker processes."),
    force_https: bool = typer.Option(
        False, "--force-https", help="Always send HSTS and Secure cookies."
    ),
    no_code_per_hour: int = typer.Option(
        1_000,
        "--no-code-per-hour",
        min=1,
        help="No-code requests queued per hour, all clients together (counted in the store).",
    ),
) -> None:
    """Serve the portal for one incident until interrupted."""
    from ..case import find_key_file, resolve_db_url
    from ..portal.attestation import load_signing_key
    from ..portal.config import PortalConfig
    from ..portal.server import serve as run

    url = resolve_db_url(db)
    with open_case(db, key_file) as store:
        found = find_incident(store, incident)
    if signing_key is not None:
        try:
            load_signing_key(signing_key)
        except (OSError, ValueError) as e:
            fail(f"--signing-key: {type(e).__name__}: give an Ed25519 private key in PEM")
    console.print(f"portal for incident {found.name!r} on http://{host}:{port}/", markup=False)
    run(
        url,
        found.id,
        host,
        port,
        config=PortalConfig(force_https=force_https, no_code_requests_per_hour=no_code_per_hour),
        signing_key_file=str(signing_key) if signing_key else None,
        forwarded_allow_ips=forwarded_allow_ips,
        workers=workers,
        key_file=find_key_file(url, key_file),  # handed to the worker processes
    )


@portal_app.command("requests")
def requests(
    incident: str | None = INCIDENT_OPTION,
    db: str | None = DB_OPTION,
    key_file: Path | None = KEY_FILE_OPTION,
    process: bool = typer.Option(
        False,
        "--process",
        help="Answer the pending requests: match each to an affected person and plan its "
        "letter or e-mail (then run `vigile notify letters` / `vigile notify email`).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    limit: int = typer.Option(
        20, "--limit", min=0, help="Latest requests listed (id, time, state, outcome)."
    ),
) -> None:
    """List the no-code requests (counts, times; never what was typed) and answer them."""
    from ..case import CaseError
    from ..portal.requests import process_requests, summarize
    from .progress import count_progress

    with open_case(db, key_file) as store:
        found = find_incident(store, incident)
        run = None
        try:
            if process:
                show = not as_json and sys.stderr.isatty()
                with count_progress("matching no-code requests", None, show) as advance:
                    run = process_requests(store, found.id, progress=advance)
            summary = summarize(store, found.id, limit)
        except CaseError as e:
            fail(str(e))
    if as_json:
        out = {"incident": found.name, **summary}
        if run is not None:
            out["processed"] = run.to_json()
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        return
    if run is not None:
        console.print(_run_text(run), markup=False, highlight=False, soft_wrap=True)
    console.print(_summary_text(found.name, summary), markup=False, highlight=False, soft_wrap=True)


def _when(iso: str | None) -> str:
    from ..case import show_time

    return show_time(datetime.fromisoformat(iso), "en") if iso else "-"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _run_text(run) -> str:
    if not run.pending:
        return "no pending request to answer"
    text = (
        f"{_n(run.pending, 'pending request')} answered in {run.seconds:.1f} s "
        f"({_n(run.persons_read, 'affected person')} read): {_n(run.email, 'e-mail')} and "
        f"{_n(run.letter, 'letter')} planned, {_n(run.duplicate, 'duplicate')} (already "
        f"planned), {run.no_match} without a match ({run.ambiguous} ambiguous, "
        f"{run.unreachable} matched but with no channel on file)"
    )
    if run.already_handled:
        text += f"; {run.already_handled} answered meanwhile by another run"
    if run.email or run.letter:
        text += "\nnext: `vigile notify letters` and `vigile notify email` send what is planned"
    return text


def _summary_text(name: str, s: dict) -> str:
    states = ", ".join(f"{k} {v}" for k, v in s["by_state"].items()) or "none"
    outcomes = ", ".join(f"{k} {v}" for k, v in s["by_outcome"].items()) or "none"
    lines = [
        f"no-code requests of incident {name!r}: {s['requests']} ({states})",
        f"outcomes: {outcomes}; matched without a channel on file: {s['matched_without_channel']}",
        f"oldest pending: {_when(s['oldest_pending'])}; "
        f"latest received: {_when(s['latest_received'])}",
    ]
    if s["latest"]:
        lines.append("latest requests (what was typed is never shown):")
        lines += [
            f"  #{r['id']:<6} {_when(r['received'])}  {r['state']:<8} {r['outcome'] or ''}"
            for r in s["latest"]
        ]
    return "\n".join(lines)
