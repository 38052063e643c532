"""Fixtures shared by every test folder: a throwaway PostgreSQL server.

The cluster is started once per session from the binaries under
/usr/lib/postgresql/*/bin, in a temporary directory, listening on a unix socket
only; as root it runs as the `postgres` user (initdb refuses root). Tests that
need it are skipped only when no binaries are installed.
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
from hypothesis import settings

# Speed is measured by benchmarks/, never by unit tests: Hypothesis' per-example deadline
# only made property tests fail on a loaded machine (CI, or several test runs at once).
settings.register_profile("vigile", deadline=None)
settings.load_profile("vigile")

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


@pytest.fixture(autouse=True)
def _key_dir(tmp_path_factory, monkeypatch):
    """Key files `vigile case new` creates go to a throwaway folder, never ~/.config."""
    monkeypatch.setenv("VIGILE_KEY_DIR", str(tmp_path_factory.mktemp("keys")))


def _pg_bin() -> Path | None:
    for d in sorted(glob.glob(PG_BIN_GLOB), reverse=True):
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def _as_postgres_if_root() -> tuple[list[str], int | None]:
    if os.geteuid() != 0:
        return [], None
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        pytest.skip("running as root and no 'postgres' user to run PostgreSQL as")
    return ["runuser", "-u", "postgres", "--"], uid


@pytest.fixture(scope="session")
def pg_binaries() -> tuple[Path, list[str], int | None]:
    """(bin dir, command prefix, uid) for a test that starts a PostgreSQL of its own (e.g.
    on TCP with password authentication): run as `postgres` when the tests run as root."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not installed")
    prefix, uid = _as_postgres_if_root()
    return bindir, prefix, uid


@pytest.fixture(scope="session")
def pg_server():
    """(socket_dir, superuser) of a running throwaway PostgreSQL."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not installed")
    prefix, uid = _as_postgres_if_root()
    root = Path(tempfile.mkdtemp(prefix="vigile-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if uid is not None:
        for p in (root, sock):
            os.chown(p, uid, -1)
    user = "vigile"
    run = dict(check=True, capture_output=True, text=True)
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8"],
        **run,
    )
    opts = f"-k {sock} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-w",
            "-l",
            str(root / "log"),
            "start",
        ],
        **run,
    )
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
    """A fresh, empty database on the throwaway server, as a postgresql:// URL."""
    import psycopg

    sock, user = pg_server
    name = "case_" + uuid.uuid4().hex[:12]
    with psycopg.connect(host=str(sock), user=user, dbname="postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://{user}@/{name}?host={sock}"


CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium, as root, on a machine without network: no sandbox, no background calls.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    """A headless Debian Chromium driven by Playwright (never a downloaded browser);
    skipped only where /usr/bin/chromium is absent. Module-scoped: Playwright's sync API
    keeps an event loop running, which later asyncio.run() callers must not meet."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # a test dependency: must be there

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class CaseCli:
    """A case store opened with `vigile case new` in a folder, for tests of CLI commands
    that write into it: the environment they run under, a snapshot of what the store holds
    (to show that a failed command left it as it was) and the one-line error check."""

    def new(self, folder: Path, name: str = "labo-2021", discovered: str = "2021-02-14T09:00"):
        import base64

        from typer.testing import CliRunner

        import vigile.cli.case_cmd  # noqa: F401  (registers `case`)
        from vigile.cli.app import app

        env = {
            "VIGILE_DB": f"sqlite:///{folder / 'case.db'}",
            "VIGILE_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
        r = CliRunner().invoke(app, ["case", "new", name, "--discovered", discovered], env=env)
        assert r.exit_code == 0, r.output
        return env

    @staticmethod
    def store(env):
        import base64

        from vigile.case import open_store

        return open_store(env["VIGILE_DB"], key=base64.b64decode(env["VIGILE_KEY"]), create=False)

    def snapshot(self, env) -> tuple:
        store = self.store(env)
        inc = store.incident()
        snap = (store.count_affected(inc.id), inc.unmatched_leak_persons, store.audit_report().rows)
        store.close()
        return snap

    @staticmethod
    def one_line_error(r) -> str:
        """The CliRunner result `r` failed with exactly one line starting "error: "."""
        assert r.exit_code != 0
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
        assert "Traceback" not in r.output
        lines = [ln for ln in r.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), r.output
        return lines[0]


@pytest.fixture(scope="session")
def case_cli() -> CaseCli:
    return CaseCli()
