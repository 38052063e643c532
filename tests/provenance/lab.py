"""A lab's folder for the CLI tests of provenance: its history as `lab.csv` and the keys
`vigile export run` needs (one place, not one copy per test file)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pyrage import x25519

from vigile.protect import write_secret, write_signing_key

from .world import history


def lab_folder(d: Path, monkeypatch, rows: int, seed: int) -> pl.DataFrame:
    """Work in `d` with the registry's secret there; `d/lab.csv` holds `rows` synthetic
    history rows (';'-separated, without the truth column), returned."""
    monkeypatch.chdir(d)
    monkeypatch.setenv("VIGILE_PROVENANCE_KEY_FILE", str(d / "registry.key"))
    df = history(d / "hist.csv", rows, seed=seed).drop("__person")
    df.write_csv(d / "lab.csv", separator=";")
    return df


def export_keys(d: Path) -> x25519.Identity:
    """`d/keys` with a signing key pair, a pseudonym secret and an age identity (written
    to `id.agekey`), which is returned."""
    keys = d / "keys"
    keys.mkdir()
    write_signing_key(keys / "signing.key", keys / "signing.pub")
    write_secret(keys / "pseudonym.secret")
    ident = x25519.Identity.generate()
    (keys / "id.agekey").write_text(f"{ident}\n")
    return ident
