"""A SparkSession for vigile's Spark engine (link, triage): local, a cluster master, or Spark Connect.

The session carries Splink's string-similarity jar (Jaro-Winkler, Damerau-Levenshtein as
Spark SQL functions) so that the probabilistic pass runs the same comparisons as on DuckDB.
What is missing (pyspark, a Java runtime, a reachable master) is one line that says what
to do, never a JVM stack trace.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from urllib.parse import urlsplit

PYSPARK_HELP = "the Spark engine needs pyspark: pip install 'vigile[spark]'"
CONNECT_HELP = "Spark Connect needs its client libraries: pip install 'pyspark[connect]>=4,<5'"
JAVA_HELP = (
    "the Spark engine needs a Java runtime (17 or 21): install openjdk-17-jre-headless "
    "(Debian/Ubuntu) or set JAVA_HOME to a JRE 17+"
)
# Small default shuffle width: vigile's tables are narrow, and local runs have few cores.
DEFAULT_SHUFFLE_PARTITIONS = 8
# A master or Spark Connect server must answer a TCP connection within this many seconds
# (Spark's standalone client would retry for a minute, Spark Connect's for longer).
CONNECT_TIMEOUT_S = 10.0
# ... and the first job must run within this many seconds (a master with no free worker
# otherwise waits forever for resources).
START_TIMEOUT_S = float(os.environ.get("VIGILE_SPARK_START_TIMEOUT", "300"))
# JDBC drivers added to the sessions vigile creates when the machine has them (Debian's
# libpostgresql-jdbc-java), so that `--patients jdbc:postgresql://…` needs no --jars.
JDBC_JARS = ("/usr/share/java/postgresql.jar",)


class SparkUnavailable(RuntimeError):
    """Spark cannot be used here (messages are one line saying what to install or fix)."""


def java_executable() -> str | None:
    """The `java` Spark will start: $JAVA_HOME/bin/java, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        exe = os.path.join(home, "bin", "java")
        if os.access(exe, os.X_OK):
            return exe
    return shutil.which("java")


def java_major(exe: str) -> int | None:
    """The major version of a JRE (17, 21...), from `java -version`."""
    try:
        out = subprocess.run(
            [exe, "-version"], capture_output=True, text=True, timeout=30, check=False
        ).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    for word in out.split():
        word = word.strip('"')
        head = word.split(".")[0].split("-")[0]
        if head.isdigit() and "." in word:
            major = int(head)
            return int(word.split(".")[1]) if major == 1 else major
    return None


def check_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable(PYSPARK_HELP) from None


def check_java() -> None:
    exe = java_executable()
    if exe is None:
        raise SparkUnavailable(JAVA_HELP)
    major = java_major(exe)
    if major is not None and major < 17:
        raise SparkUnavailable(f"{JAVA_HELP} (found Java {major})")


def _endpoints(url: str, default_port: int) -> list[tuple[str, int]]:
    """host:port pairs of `spark://h1:7077,h2:7077` or `sc://host:15002/;token=…`."""
    rest = url.split("://", 1)[1].split("/", 1)[0]
    out = []
    for part in rest.split(","):
        parsed = urlsplit("//" + part.split(";", 1)[0])
        if parsed.hostname:
            out.append((parsed.hostname, parsed.port or default_port))
    return out


def check_reachable(url: str, default_port: int, what: str) -> None:
    """Fail in seconds, in one line, when no endpoint of a master/Connect URL answers.

    Hand-written: Spark has no connect timeout for these (its standalone client retries
    registration three times 20 s apart); a plain TCP connect says the same sooner."""
    endpoints = _endpoints(url, default_port)
    for host, port in endpoints:
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
                return
        except OSError:
            continue
    where = ", ".join(f"{h}:{p}" for h, p in endpoints) or url
    raise SparkUnavailable(
        f"cannot reach {what} at {where} within {CONNECT_TIMEOUT_S:.0f} s; check the URL and "
        "that the server runs and accepts connections from this machine"
    )


def _first_job(spark, timeout: float) -> None:
    """Run one small job; cancel it and stop the session when nothing runs it in time."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            spark.range(1).count()
        except BaseException as e:  # noqa: BLE001 - reported by the caller in one line
            failed.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        spark.sparkContext.cancelAllJobs()
        spark.stop()
        raise TimeoutError(f"no executor ran a job within {timeout:.0f} s")
    if failed:
        raise failed[0]


def spark_available() -> str | None:
    """None when a local Spark can start here, else the one-line reason."""
    try:
        check_pyspark()
        check_java()
    except SparkUnavailable as e:
        return str(e)
    return None


def _defaults_file_sets(key: str) -> bool:
    """Whether the spark-defaults.conf Spark will read sets `key`."""
    conf_dir = os.environ.get("SPARK_CONF_DIR") or (
        os.path.join(os.environ["SPARK_HOME"], "conf") if os.environ.get("SPARK_HOME") else None
    )
    if not conf_dir:
        return False
    try:
        with open(os.path.join(conf_dir, "spark-defaults.conf"), encoding="utf-8") as f:
            return any(line.split(maxsplit=1)[:1] == [key] for line in f)
    except OSError:
        return False


def local_driver_memory() -> str:
    """The heap of a local session's one JVM (driver and executors at once): half the
    memory available to this process (cgroup limits included), at least 1 GiB. Spark's
    own default, 1g, is the heap for the whole link or triage of a local run."""
    from .memory import available_bytes

    return f"{max(1024, available_bytes() // 2 // 2**20)}m"


def session_settings(
    master: str | None, conf: dict[str, str] | None, *, submitted: bool
) -> dict[str, str]:
    """The settings of a session vigile creates: the Splink jar, the JDBC driver, a small
    shuffle width and, for local masters, a driver heap sized from the memory available,
    unless the caller, SPARK_DRIVER_MEMORY or spark-defaults.conf says otherwise. Under
    spark-submit its --conf and --jars stand: only the caller's `conf` is added."""
    from splink.backends.spark import similarity_jar_location

    if submitted:  # spark-submit's --conf and --jars stand (docs/spark.md)
        return dict(conf or {})
    settings = {
        "spark.jars": ",".join(
            [similarity_jar_location(), *(j for j in JDBC_JARS if os.path.exists(j))]
        ),
        "spark.sql.shuffle.partitions": str(DEFAULT_SHUFFLE_PARTITIONS),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
    }
    if (
        (master or "local").startswith("local")
        and not os.environ.get("SPARK_DRIVER_MEMORY")
        and not _defaults_file_sets("spark.driver.memory")
    ):
        settings["spark.driver.memory"] = local_driver_memory()
    return {**settings, **(conf or {})}


def get_spark(
    master: str | None = None,
    connect: str | None = None,
    *,
    app_name: str = "vigile",
    conf: dict[str, str] | None = None,
):
    """A SparkSession: Spark Connect (`sc://host:15002`), a master URL (`spark://…`,
    `yarn`, `k8s://…`, `local[4]`), or an existing/`spark-submit` session, else local[*].

    The Splink jar is added to classic sessions; on Spark Connect the server must have it
    (docs/spark.md)."""
    check_pyspark()
    from pyspark.sql import SparkSession

    if connect:
        try:
            import grpc  # noqa: F401
        except ImportError:
            raise SparkUnavailable(CONNECT_HELP) from None
        check_reachable(connect, 15002, "Spark Connect")
        try:
            return SparkSession.builder.remote(connect).appName(app_name).getOrCreate()
        except Exception as e:  # noqa: BLE001 - one line, no stack
            raise SparkUnavailable(
                f"cannot reach Spark Connect at {connect} ({type(e).__name__}); check the "
                "URL (sc://host:15002) and that the server runs"
            ) from None
    if master and master.startswith("spark://"):
        check_reachable(master, 7077, "the Spark master")
    check_java()

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active  # under spark-submit, or a session the caller made
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    elif not os.environ.get("PYSPARK_GATEWAY_PORT"):  # not under spark-submit
        builder = builder.master("local[*]")
    submitted = bool(os.environ.get("PYSPARK_GATEWAY_PORT"))
    settings = session_settings(master, conf, submitted=submitted)
    local = (master or "local").startswith("local") and not submitted
    if local and not os.environ.get("PYSPARK_PYTHON"):
        # Local workers run this interpreter (its polars, its vigile), not the system one.
        # (pyspark reads PYSPARK_PYTHON when it creates the context).
        os.environ["PYSPARK_PYTHON"] = sys.executable
    for k, v in settings.items():
        builder = builder.config(k, v)
    try:
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        _first_job(spark, START_TIMEOUT_S)  # the master is reachable and executors start
    except Exception as e:  # noqa: BLE001 - one line, no JVM stack
        why = str(e) if isinstance(e, TimeoutError) else type(e).__name__
        raise SparkUnavailable(
            f"cannot start Spark on {master or 'local'} ({why}); check "
            "--spark-master (spark://host:7077, yarn, k8s://…, local[N]) and that the "
            "cluster accepts applications"
        ) from None
    return spark
