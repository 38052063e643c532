"""Fixtures of the protect tests: keys, a small synthetic export, a throwaway PostgreSQL.

The PostgreSQL cluster is started as in tests/case/conftest.py: binaries under
/usr/lib/postgresql/*/bin, a temporary directory, a unix socket only, run as
`postgres` when root. Tests that need it are skipped only without binaries.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from pyrage import x25519

from vigile.protect import write_secret, write_signing_key
from vigile.synth import ExportSpec, generate_lab_export


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    write_signing_key(d / "signing.key", d / "signing.pub")
    write_secret(d / "pseudonym.secret")
    ident = x25519.Identity.generate()
    (d / "recipient.agekey").write_text(f"{ident}\n")
    return {
        "dir": d, "signing": d / "signing.key", "public": d / "signing.pub",
        "secret": d / "pseudonym.secret", "identity": d / "recipient.agekey",
        "recipient": str(ident.to_public()),
    }  # fmt: skip


@pytest.fixture(scope="session")
def lab_csv(tmp_path_factory):
    d = tmp_path_factory.mktemp("lab")
    path = d / "lab.csv"
    generate_lab_export(ExportSpec(rows=600, seed=11, fields="standard"), path)
    return path


def _pg_bin() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


@pytest.fixture(scope="session")
def pg_server():
    """(socket_dir, superuser) of a running throwaway PostgreSQL."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not installed")
    prefix, uid = [], None
    if os.geteuid() == 0:
        try:
            uid = pwd.getpwnam("postgres").pw_uid
        except KeyError:
            pytest.skip("running as root and no 'postgres' user to run PostgreSQL as")
        prefix = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="vigile-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if uid is not None:
        for p in (root, sock):
            os.chown(p, uid, -1)
    run = dict(check=True, capture_output=True, text=True)
    user = "vigile"
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8"],
        **run,
    )
    opts = f"-k {sock} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w",
         "-l", str(root / "log"), "start"],
        **run,
    )  # fmt: skip
    try:
        yield sock, user
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> str:
    import psycopg

    sock, user = pg_server
    name = "protect_" + uuid.uuid4().hex[:12]
    with psycopg.connect(host=str(sock), user=user, dbname="postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{user}@/{name}?host={sock}"
