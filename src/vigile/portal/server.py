"""Run the portal on uvicorn: one or more worker processes, each with a thread pool.

Workers are separate processes (the look-up is CPU-bound Python + scrypt), so
they rebuild the app from environment variables in `app_from_env`; the store
key reaches them the usual way: `serve` puts the key file it was given (the one
`vigile.cli.common.open_case` found) in VIGILE_KEY_FILE, or VIGILE_KEY is inherited,
and a worker without either finds the file `vigile case new` created. The limits on guessing and on
no-code requests are counted in the store (`vigile.case.Throttle`), shared by all workers;
only the load-shedding rates are in memory per process, divided among the workers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os

import uvicorn

from ..case import find_key_file, open_store
from ..case.keys import ENV_KEY_FILE
from .app import Portal, create_app
from .attestation import load_signing_key
from .config import PortalConfig

ENV_DB, ENV_INCIDENT, ENV_CONFIG, ENV_SIGNING = (
    "VIGILE_PORTAL_DB",
    "VIGILE_PORTAL_INCIDENT",
    "VIGILE_PORTAL_CONFIG",
    "VIGILE_PORTAL_SIGNING_KEY",
)


def app_from_env():
    """uvicorn factory for worker processes."""
    url = os.environ[ENV_DB]
    store = open_store(url, key_file=find_key_file(url), actor="portal", create=False)
    cfg = PortalConfig(**json.loads(os.environ.get(ENV_CONFIG, "{}")))
    signing = os.environ.get(ENV_SIGNING)
    key = load_signing_key(signing) if signing else None
    return create_app(Portal(store, int(os.environ[ENV_INCIDENT]), cfg, key))


def serve(
    db_url: str,
    incident_id: int,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    config: PortalConfig | None = None,
    signing_key_file: str | None = None,
    forwarded_allow_ips: str = "127.0.0.1",
    workers: int = 1,
    key_file: str | os.PathLike | None = None,
) -> None:
    """Serve until interrupted. Client address and scheme come from X-Forwarded-For/-Proto
    only when sent by `forwarded_allow_ips` (the reverse proxy)."""
    cfg = config or PortalConfig()
    if workers > 1:
        cfg = dataclasses.replace(
            cfg,
            global_rate=cfg.global_rate / workers,
            global_burst=max(1, cfg.global_burst // workers),
        )
    os.environ[ENV_DB] = db_url
    if key_file:
        os.environ[ENV_KEY_FILE] = os.path.abspath(key_file)  # the workers' key
    os.environ[ENV_INCIDENT] = str(incident_id)
    os.environ[ENV_CONFIG] = json.dumps(dataclasses.asdict(cfg))
    if signing_key_file:
        os.environ[ENV_SIGNING] = str(signing_key_file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        "vigile.portal.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # uvicorn's own log prints client addresses; ours does not
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        log_level="info",
    )
