"""`vigile portal`: the official "am I affected?" web service."""

from __future__ import annotations

import os

import typer

from ..case import CaseError, open_store
from ..case.keys import ENV_KEY_FILE
from .app import app, console, fail

portal_app = typer.Typer(
    help="The official 'am I affected?' service: personal code, attestation, no-code requests.",
    no_args_is_help=True,
)
app.add_typer(portal_app, name="portal")


@portal_app.command("serve")
def serve(
    case: str = typer.Option(..., "--case", help="Incident name in the store."),
    db: str | None = typer.Option(
        None, "--db", envvar="VIGILE_DB", help="Store URL (default: ./vigile-case.db)."
    ),
    key_file: str | None = typer.Option(
        None, "--key-file", envvar=ENV_KEY_FILE, help="Store key file (or VIGILE_KEY)."
    ),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Listen address (keep loopback behind a proxy)."
    ),
    port: int = typer.Option(8000, "--port"),
    signing_key: str | None = typer.Option(
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
) -> None:
    """Serve the portal for one incident until interrupted."""
    from ..case import resolve_db_url
    from ..case.keys import ENV_KEY
    from ..portal.config import PortalConfig
    from ..portal.server import serve as run

    if key_file:
        os.environ[ENV_KEY_FILE] = key_file  # worker processes open the store themselves
    try:
        with open_store(db, key_file=key_file, create=False) as store:
            if store.locked:
                fail(f"the portal reads personal data: set {ENV_KEY} or pass --key-file")
            incident = store.incident(case)
    except CaseError as e:
        fail(str(e))
        return
    console.print(f"portal for incident {incident.name!r} on http://{host}:{port}/")
    run(
        resolve_db_url(db),
        incident.id,
        host,
        port,
        config=PortalConfig(force_https=force_https),
        signing_key_file=signing_key,
        forwarded_allow_ips=forwarded_allow_ips,
        workers=workers,
    )
