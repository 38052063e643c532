"""`vigile link run … --engine spark` on bad input: one line, quickly, the case store as it was.

An unreachable master (fails in seconds, not after Spark's minute of retries), a JDBC URL
with a wrong password against a live throwaway PostgreSQL (TCP, password auth), and a
patient table without identity columns.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import vigile.cli.case_cmd  # noqa: F401  (registers `case`)
import vigile.cli.link_cmd  # noqa: F401  (registers `link`)
from vigile.cli.app import app

JDBC_JAR = Path("/usr/share/java/postgresql.jar")
PASSWORD = "right-pw-4711"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_tcp(pg_binaries):
    """A throwaway PostgreSQL on 127.0.0.1 with password (scram) authentication, holding a
    small `patients` table: (port, user)."""
    bindir, prefix, uid = pg_binaries
    root = Path(tempfile.mkdtemp(prefix="vigile-pg-tcp-"))
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if uid is not None:
        os.chown(root, uid, -1)
        os.chown(pwfile, uid, -1)
    data, port, user = root / "data", _free_port(), "vigile"
    run = dict(check=True, capture_output=True, text=True)
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "scram-sha-256",
         f"--pwfile={pwfile}", "-E", "UTF8"],
        **run,
    )  # fmt: skip
    opts = f"-k {root} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off"
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-l",
         str(root / "log"), "start"],
        **run,
    )  # fmt: skip
    try:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=port, user=user, password=PASSWORD, dbname="postgres",
            autocommit=True,
        ) as c:  # fmt: skip
            c.execute("CREATE TABLE patients (ipp text, nom text, prenom text, dt_nais text)")
            c.execute("INSERT INTO patients VALUES ('P1', 'MARTIN', 'ANNE', '1980-01-02')")
        yield port, user
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def case_env(tmp_path_factory, case_cli):
    tmp = tmp_path_factory.mktemp("spark_cli")
    return tmp, case_cli.new(tmp)


def _link(leak: Path, patients: str, env, *extra: str):
    args = ["link", "run", str(leak), "--patients", patients, "--engine", "spark", *extra]
    return CliRunner().invoke(app, args, env=env)


def test_unreachable_master_fails_fast(incident, case_env, case_cli):
    _, env = case_env
    before = case_cli.snapshot(env)
    t = time.perf_counter()
    r = _link(incident.leak_csv, str(incident.patients_parquet), env,
              "--spark-master", "spark://127.0.0.1:1")  # fmt: skip
    took = time.perf_counter() - t
    msg = case_cli.one_line_error(r)
    assert "cannot reach the Spark master at 127.0.0.1:1" in msg
    assert took < 15, f"took {took:.0f} s"
    assert case_cli.snapshot(env) == before


def test_wrong_jdbc_password_and_no_identity(spark, incident, case_env, pg_tcp, case_cli):
    """Both reuse the test session (no --spark-master: the active session is taken)."""
    if not JDBC_JAR.exists():
        pytest.skip("no PostgreSQL JDBC driver (Debian: libpostgresql-jdbc-java)")
    tmp, env = case_env
    port, user = pg_tcp
    before = case_cli.snapshot(env)

    good = f"jdbc:postgresql://127.0.0.1:{port}/postgres?user={user}&password={PASSWORD}#patients"
    assert (
        spark.read.format("jdbc")
        .options(url=good.split("#")[0], dbtable="patients", driver="org.postgresql.Driver")
        .load()
        .count()
        == 1
    )  # fmt: skip  (the server and the driver work: only the password is wrong)

    wrong = (
        f"jdbc:postgresql://127.0.0.1:{port}/postgres?user={user}&password=wrong-pw-0815#patients"
    )
    r = _link(incident.leak_csv, wrong, env)
    msg = case_cli.one_line_error(r)
    assert "password authentication" in msg and "check the user and password" in msg
    assert "wrong-pw" not in r.output and PASSWORD not in r.output

    no_identity = tmp / "codes.parquet"
    pl.DataFrame({"code": [f"X{i:04d}" for i in range(300)], "qty": ["1"] * 300}).write_parquet(
        no_identity
    )
    r = _link(incident.leak_csv, str(no_identity), env)
    msg = case_cli.one_line_error(r)
    assert "no identity columns" in msg and "--patient-role" in msg
    assert case_cli.snapshot(env) == before
