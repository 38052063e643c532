"""plan -> run -> verify -> open, from files, SQLite and a real PostgreSQL; refusals."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stdnum.fr import nir as stdnum_nir
from typer.testing import CliRunner

import vigile.cli.export_cmd  # noqa: F401  (registers `export`)
from vigile.cli.app import app
from vigile.protect import (
    ProtectError,
    load_private,
    open_export,
    parse_profile,
    plan_export,
    read_secret,
    run_export,
    verify_export,
)
from vigile.protect.pseudonym import Pseudonymiser
from vigile.protect.sources import open_source


def _export(source, profile_text, keys, out, **kw):
    return run_export(
        str(source), parse_profile(profile_text), [keys["recipient"]], out,
        load_private(keys["signing"]), read_secret(keys["secret"]), exported_by="tester", **kw,
    )  # fmt: skip


@pytest.fixture(scope="module")
def planned(lab_csv, keys, tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "export"
    text = plan_export(str(lab_csv))
    manifest = _export(lab_csv, text, keys, out)
    return text, out, manifest


def test_plan_flags_sensitive_columns_and_drops_credentials(planned):
    text, _, _ = planned
    prof = parse_profile(text)
    rules = {r.name: r for r in prof.tables[0].columns}
    assert rules["MDP"].action == "drop" and rules["LOGIN"].action == "drop"
    assert rules["NIR"].action == "pseudonymise" and rules["NIR"].format == "nir"
    assert rules["DT_NAIS"].action == "generalise" and rules["DT_NAIS"].to == "year"
    assert rules["CP"].to == "department"
    assert rules["COMMENTAIRE"].action == "drop"  # free text with health data
    assert '"NOM": {action: "pseudonymise"' in text and "SENSITIVE" in text


def test_round_trip_applies_every_transformation(planned, lab_csv, keys, tmp_path):
    _, out, manifest = planned
    src = pl.read_csv(lab_csv, separator=";", infer_schema=False)
    part = manifest["parts"][0]
    assert part["rows"] == src.height
    assert {"MDP", "LOGIN", "ADR1", "COMMENTAIRE"} <= set(part["dropped"])
    [path] = open_export(out, keys["identity"], tmp_path / "clear")
    got = pl.read_parquet(path)
    assert got.height == src.height and "MDP" not in got.columns
    assert got["DT_NAIS"].drop_nulls().str.contains(r"^\d{4}$").all()
    assert got["CP"].drop_nulls().str.len_chars().is_in([2, 3]).all()
    nirs = got["NIR"].drop_nulls().to_list()
    assert nirs and all(stdnum_nir.is_valid(n) for n in nirs)
    assert not set(nirs) & set(src["NIR"].drop_nulls().to_list())
    assert not set(got["NOM"].drop_nulls()) & set(src["NOM"].drop_nulls())
    # Same secret, same pseudonym: a second table pseudonymised later still joins.
    again = Pseudonymiser(read_secret(keys["secret"])).hex(src["NOM"])
    assert again.to_list() == got["NOM"].to_list()
    assert got["SEXE"].to_list() == src["SEXE"].to_list()  # kept as is


def test_small_batches_give_the_same_export(planned, lab_csv, keys, tmp_path):
    """Many batches through the three-stage pipeline (memo carried over, or none) give
    the same table, and a Parquet file of plain strings for any reader."""
    text, out, _ = planned
    [whole] = open_export(out, keys["identity"], tmp_path / "whole")
    sizes = [b.height for b in open_source(str(lab_csv), 64)[0].batches()]
    assert sizes[:-1] == [64] * (len(sizes) - 1)  # rows, not the reader's bytes-sized batches
    for cache in (1_000_000, 0):
        again = tmp_path / f"batches-{cache}"
        manifest = _export(lab_csv, text, keys, again, batch_rows=64, pseudonym_cache=cache)
        assert manifest["parts"][0]["rows"] == pl.read_parquet(whole).height
        [path] = open_export(again, keys["identity"], tmp_path / f"clear-{cache}")
        assert pl.read_parquet(path).equals(pl.read_parquet(whole))
        schema = pq.read_schema(path)
        assert set(schema.types) == {pa.string()} and not (schema.metadata or {})


def test_manifest_is_signed_and_complete(planned, keys):
    _, out, manifest = planned
    v = verify_export(out, signer=None)
    assert v.ok, v.problems
    assert manifest["exported_by"] == "tester" and manifest["recipients"] == [keys["recipient"]]
    created = dt.datetime.fromisoformat(manifest["created_at"])
    assert dt.datetime.fromisoformat(manifest["expires_at"]) - created == dt.timedelta(days=30)
    cols = {c["name"]: c for c in manifest["parts"][0]["columns"]}
    assert cols["NIR"]["action"] == "pseudonymise" and cols["NIR"]["algorithm"] == "HMAC-SHA-256"
    assert len(manifest["parts"][0]["sha256"]) == 64


def _copy(src, dst):
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_tampered_part_is_refused(planned, keys, tmp_path):
    out = _copy(planned[1], tmp_path / "copy")
    part = next(out.glob("*.age"))
    data = bytearray(part.read_bytes())
    data[-40] ^= 1
    part.write_bytes(bytes(data))
    assert any("altered" in p for p in verify_export(out).problems)
    with pytest.raises(ProtectError, match="refusing"):
        open_export(out, keys["identity"], tmp_path / "clear")
    assert not (tmp_path / "clear").exists()


def test_edited_manifest_breaks_the_signature(planned, tmp_path):
    out = _copy(planned[1], tmp_path / "copy")
    m = json.loads((out / "manifest.json").read_text())
    m["expires_at"] = "2999-01-01T00:00:00+00:00"
    (out / "manifest.json").write_text(json.dumps(m, sort_keys=True, indent=1))
    assert any("signature" in p for p in verify_export(out).problems)


def test_expired_export_is_refused(planned, keys, tmp_path):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    v = verify_export(planned[1], now=later)
    assert v.expired and not v.ok
    with pytest.raises(ProtectError, match="expired"):
        open_export(planned[1], keys["identity"], tmp_path / "clear", now=later)


def test_wrong_signer_is_reported(planned):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from vigile.protect.signing import public_b64

    other = public_b64(Ed25519PrivateKey.generate().public_key())
    assert any("not by the expected key" in p for p in verify_export(planned[1], other).problems)


def test_credentials_are_refused_by_profile_and_by_content(lab_csv, keys, tmp_path):
    with pytest.raises(ProtectError, match="never exported"):
        parse_profile(
            "version: 1\ntables:\n  t:\n    columns:\n      MDP: {action: keep, category: password}\n"
        )
    # The profile forgets the category: the content check at run time still refuses.
    text = 'version: 1\ntables:\n  "lab.csv":\n    columns:\n      MDP: keep\n      NOM: keep\n'
    with pytest.raises(ProtectError, match="MDP.*password"):
        _export(lab_csv, text, keys, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-written is left behind


def test_profile_errors_name_the_problem(lab_csv, keys, tmp_path):
    bad = 'version: 1\ntables:\n  "lab.csv":\n    columns:\n      NOPE: keep\n'
    with pytest.raises(ProtectError, match="NOPE"):
        _export(lab_csv, bad, keys, tmp_path / "o1")
    with pytest.raises(ProtectError, match="action must be"):
        parse_profile("version: 1\ntables:\n  t:\n    columns:\n      A: {action: shred}\n")
    with pytest.raises(ProtectError, match="not in the source"):
        _export(
            lab_csv,
            "version: 1\ntables:\n  other:\n    columns:\n      A: keep\n",
            keys,
            tmp_path / "o2",
        )


def _fill_sql(conn, ddl_nir="text"):
    conn.execute(f"create table patients (id integer, nom text, nir {ddl_nir}, ddn text, mdp text)")
    conn.execute("create table visits (id integer, nir text, cp text)")
    rows = [(i, f"NOM{i}", f"1850575{i:06d}", "1985-05-12", "hunter2") for i in range(300)]
    return rows


def _sql_profile() -> str:
    return """version: 1
expires_in_days: 7
tables:
  patients:
    columns:
      id: keep
      nir: {action: pseudonymise, format: nir, category: nir}
      ddn: {action: generalise, to: year}
      mdp: {action: drop, category: password}
  visits:
    columns:
      nir: {action: pseudonymise, format: nir, category: nir}
      cp: {action: generalise, to: department}
"""


def _check_sql_export(out, keys, tmp_path):
    files = sorted(open_export(out, keys["identity"], tmp_path / "clear"))
    patients, visits = (pl.read_parquet(f) for f in files)
    assert patients.columns == ["id", "nir", "ddn"] and patients.height == 300
    assert set(patients["ddn"]) == {"1985"}
    # Consistent across tables: the visit's NIR pseudonym joins the patient's.
    assert visits.join(patients, on="nir").height == visits.height == 2


def test_sqlite_source(keys, tmp_path):
    db = tmp_path / "lab.db"
    with sqlite3.connect(db) as c:
        rows = _fill_sql(c)
        c.executemany("insert into patients values (?,?,?,?,?)", rows)
        c.executemany(
            "insert into visits values (?,?,?)",
            [(1, rows[5][2], "29200"), (2, rows[9][2], "20100")],
        )
    url = f"sqlite:///{db}"
    assert "mdp" in plan_export(url)
    m = _export(url, _sql_profile(), keys, tmp_path / "out")
    assert m["source"] == url and [p["rows"] for p in m["parts"]] == [300, 2]
    _check_sql_export(tmp_path / "out", keys, tmp_path)


def test_postgresql_source(pg_url, keys, tmp_path):
    import psycopg

    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as c:
        rows = _fill_sql(c, ddl_nir="varchar(15)")
        with c.cursor() as cur:
            cur.executemany("insert into patients values (%s,%s,%s,%s,%s)", rows)
            cur.executemany(
                "insert into visits values (%s,%s,%s)",
                [(1, rows[5][2], "29200"), (2, rows[9][2], "20100")],
            )
    m = _export(pg_url, _sql_profile(), keys, tmp_path / "out", batch_rows=100)
    assert [p["rows"] for p in m["parts"]] == [300, 2]
    _check_sql_export(tmp_path / "out", keys, tmp_path)


def test_cli_round_trip_never_prints_values(lab_csv, keys, tmp_path):
    r = CliRunner()
    prof = tmp_path / "p.yaml"
    res = r.invoke(app, ["export", "plan", str(lab_csv), "-o", str(prof)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    res = r.invoke(app, ["export", "run", str(lab_csv), "-p", str(prof), "-r", keys["recipient"],
                         "--out", str(out), "--signing-key", str(keys["signing"]),
                         "--secret-file", str(keys["secret"])])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = r.invoke(app, ["export", "verify", str(out), "--signer", str(keys["public"])])
    assert res.exit_code == 0 and "OK" in res.output
    res = r.invoke(
        app, ["export", "open", str(out), "-i", str(keys["identity"]), "--out", str(tmp_path / "c")]
    )
    assert res.exit_code == 0, res.output
    printed = prof.read_text() + res.output
    src = pl.read_csv(lab_csv, separator=";", infer_schema=False)
    for col in ("NOM", "NIR", "MAIL", "MDP"):
        assert not any(v in printed for v in src[col].drop_nulls().to_list() if len(v) > 4)
    (out / "manifest.sig").write_text("AAAA\n")
    assert r.invoke(app, ["export", "verify", str(out)]).exit_code == 1
