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
