"""Key handling and field encryption: clear errors, never garbage, never a value in a message."""

from __future__ import annotations

import base64
import os
import stat
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.case import (
    AffectedPerson,
    BadKeyError,
    KeyMissingError,
    WrongKeyError,
    create_key_file,
    load_key,
    open_store,
)
from vigile.case.crypto import FieldCipher
from vigile.case.keys import decode_key

PERSON = AffectedPerson("P-1", 1.0, "nir", frozenset({"nir"}), {"last_name": "Kervella"})
WHEN = datetime(2021, 2, 14, 9, tzinfo=UTC)


def test_missing_key_is_a_clear_error_only_where_personal_data_is_touched(sqlite_url, key):
    with open_store(sqlite_url, key=key) as s:
        iid = s.new_incident("x", WHEN)
        s.replace_affected(iid, [PERSON], 0)
    with open_store(sqlite_url) as locked:  # figures, status, audit links need no key
        assert locked.locked and locked.count_affected(iid) == 1
        assert locked.status(iid)["steps"]["persons_linked"]["count"] == 1
        assert locked.verify_audit()
        for call in (
            lambda: locked.affected(iid),
            lambda: locked.replace_affected(iid, [PERSON], 0),
            lambda: locked.review_queue(iid),
            lambda: locked.person_ref("P-1"),
        ):
            with pytest.raises(KeyMissingError, match="VIGILE_KEY"):
                call()


def test_wrong_key_is_refused_at_open(sqlite_url, key):
    with open_store(sqlite_url, key=key) as s:
        iid = s.new_incident("x", WHEN)
        s.replace_affected(iid, [PERSON], 0)
    with pytest.raises(WrongKeyError, match="another"):
        open_store(sqlite_url, key=os.urandom(32))


def test_tampered_blob_is_an_error_not_garbage(sqlite_url, key):
    from sqlalchemy import text

    with open_store(sqlite_url, key=key) as s:
        iid = s.new_incident("x", WHEN)
        s.replace_affected(iid, [PERSON, AffectedPerson("P-2", 1.0, "nir", frozenset(), {})], 0)
        with s.engine.begin() as c:  # swap two persons' blobs: the AAD binds each to its row
            a, b = c.execute(text("SELECT id, sealed FROM affected ORDER BY id")).all()
            c.execute(text("UPDATE affected SET sealed = :s WHERE id = :i"), {"s": b[1], "i": a[0]})
        with pytest.raises(WrongKeyError) as e:
            list(s.affected(iid))
        assert "Kervella" not in str(e.value)


def test_key_from_env_and_key_file(tmp_path, monkeypatch, key):
    assert load_key() is None
    monkeypatch.setenv("VIGILE_KEY", base64.b64encode(key).decode())
    assert load_key() == key
    monkeypatch.delenv("VIGILE_KEY")
    path = tmp_path / "k" / "case.key"
    created = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("VIGILE_KEY_FILE", str(path))
    assert load_key() == created
    assert load_key(key_file=path) == created
    with pytest.raises(BadKeyError, match="already exists"):
        create_key_file(path)
    assert load_key() == created  # not clobbered


def test_bad_keys_are_clear_errors_without_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGILE_KEY", "not base64 at all!")
    with pytest.raises(BadKeyError, match="VIGILE_KEY: key is not valid base64") as e:
        load_key()
    assert "not base64 at all" not in str(e.value)
    monkeypatch.setenv("VIGILE_KEY", base64.b64encode(b"short").decode())
    with pytest.raises(BadKeyError, match="32 bytes, got 5"):
        load_key()
    with pytest.raises(BadKeyError, match="cannot read"):
        load_key(key_file=tmp_path / "missing.key")
    with pytest.raises(BadKeyError):
        load_key(b"x" * 31)


@given(st.binary(min_size=0, max_size=64))
def test_decode_key_accepts_exactly_32_bytes(raw):
    text = base64.b64encode(raw).decode() + "\n"
    if len(raw) == 32:
        assert decode_key(text, "test") == raw
    else:
        with pytest.raises(BadKeyError):
            decode_key(text, "test")


_CIPHER = FieldCipher(b"k" * 32)


@given(
    st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=8),
    st.binary(max_size=40),
)
def test_seal_roundtrip_and_aad_binding(value, aad):
    blob = _CIPHER.seal(value, aad)
    assert _CIPHER.open(blob, aad) == value
    with pytest.raises(WrongKeyError):
        _CIPHER.open(blob, aad + b"x")
    with pytest.raises(WrongKeyError):
        FieldCipher(b"j" * 32).open(blob, aad)


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_person_ref_is_keyed_and_stable(a, b):
    assert _CIPHER.person_ref(a) == _CIPHER.person_ref(a)
    assert (_CIPHER.person_ref(a) == _CIPHER.person_ref(b)) == (a == b)
    assert FieldCipher(b"j" * 32).person_ref(a) != _CIPHER.person_ref(a)
