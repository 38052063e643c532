"""Without pyspark or Java, the Spark engine says in one line what to install."""

from __future__ import annotations

import builtins

import pytest

from vigile.link import spark_session


def test_no_java_names_the_jre(monkeypatch):
    monkeypatch.setenv("JAVA_HOME", "/nonexistent")
    monkeypatch.setattr(spark_session.shutil, "which", lambda _name: None)
    why = spark_session.spark_available()
    if why == spark_session.PYSPARK_HELP:
        pytest.skip("pyspark is not installed")
    assert why is not None and "openjdk-17-jre-headless" in why and "\n" not in why


def test_no_pyspark_names_the_extra(monkeypatch):
    real = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(spark_session.SparkUnavailable, match=r"vigile\[spark\]"):
        spark_session.check_pyspark()


def test_cli_engine_spark_without_java(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from vigile.cli import app

    monkeypatch.setenv("JAVA_HOME", "/nonexistent")
    monkeypatch.setattr(spark_session.shutil, "which", lambda _name: None)
    leak = tmp_path / "leak.csv"
    leak.write_text("a;b\n1;2\n")
    res = CliRunner().invoke(
        app, ["link", "run", str(leak), "--patients", "x.parquet", "--engine", "spark"]
    )
    assert res.exit_code != 0
    out = res.output.strip()
    assert ("openjdk-17-jre-headless" in out or "vigile[spark]" in out) and "Traceback" not in out


def test_cli_sweep_engine_spark_without_java(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from vigile.cli import app

    monkeypatch.setenv("JAVA_HOME", "/nonexistent")
    monkeypatch.setattr(spark_session.shutil, "which", lambda _name: None)
    (tmp_path / "a.csv").write_text("a;b\n1;2\n")
    args = ["sweep", str(tmp_path), "--index", str(tmp_path / "i.db"), "--engine", "spark"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    out = res.output.strip()
    assert ("openjdk-17-jre-headless" in out or "vigile[spark]" in out) and "Traceback" not in out
    assert "\n" not in out and not (tmp_path / "i.db").exists()  # nothing swept
    res = CliRunner().invoke(app, [*args[:4], "--spark-master", "local[2]"])
    assert res.exit_code == 2 and "--engine spark" in res.output


def test_local_sessions_get_a_driver_heap_from_available_memory(monkeypatch, tmp_path):
    """Spark's default heap (1g) holds a whole local run (driver and executors in one JVM):
    vigile sizes it as DuckDB's budget, half the memory available, unless told otherwise."""
    pytest.importorskip("pyspark")
    from vigile.link import memory

    monkeypatch.delenv("SPARK_DRIVER_MEMORY", raising=False)
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    monkeypatch.setattr(memory, "available_bytes", lambda: 8 * 2**30)
    settings = spark_session.session_settings
    assert settings(None, None, submitted=False)["spark.driver.memory"] == "4096m"
    assert settings("local[2]", None, submitted=False)["spark.driver.memory"] == "4096m"
    monkeypatch.setattr(memory, "available_bytes", lambda: 2**30)
    assert settings("local[2]", None, submitted=False)["spark.driver.memory"] == "1024m"
    # the caller, the environment and spark-defaults.conf win; clusters size their own
    got = settings("local[2]", {"spark.driver.memory": "3g"}, submitted=False)
    assert got["spark.driver.memory"] == "3g"
    assert "spark.driver.memory" not in settings("yarn", None, submitted=False)
    assert "spark.driver.memory" not in settings("spark://h:7077", None, submitted=False)
    assert settings(None, {"a": "b"}, submitted=True) == {"a": "b"}
    (tmp_path / "spark-defaults.conf").write_text("spark.driver.memoryOverhead 1g\n")
    assert "spark.driver.memory" in settings(None, None, submitted=False)
    (tmp_path / "spark-defaults.conf").write_text("# site\nspark.driver.memory   12g\n")
    assert "spark.driver.memory" not in settings(None, None, submitted=False)
    (tmp_path / "spark-defaults.conf").unlink()
    monkeypatch.setenv("SPARK_DRIVER_MEMORY", "5g")
    assert "spark.driver.memory" not in settings(None, None, submitted=False)
