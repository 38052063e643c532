"""Fixtures of the protect tests: keys and a small synthetic export (PostgreSQL comes
from tests/conftest.py)."""

from __future__ import annotations

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
