"""Personal access codes: format, tolerance, storage as hashes, constant-work look-up."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from vigile.case import codes as C
from vigile.case import open_store

CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def test_generated_codes_are_grouped_and_checked():
    seen = {C.generate_code() for _ in range(2000)}
    assert len(seen) == 2000
    for code in list(seen)[:200]:
        assert CODE_RE.match(code)
        assert C.normalize_code(code) == code
    assert C.RANDOM_SYMBOLS * 5 >= 80


def test_symbols_are_spread_uniformly():
    counts = dict.fromkeys(C.ALPHABET, 0)
    for _ in range(1000):
        for ch in C.generate_code().replace("-", "")[:-1]:
            counts[ch] += 1
    expected = 1000 * C.RANDOM_SYMBOLS / 32
    assert all(0.7 * expected < n < 1.3 * expected for n in counts.values())


@given(st.data())
def test_normalize_tolerates_typing(data):
    code = C.generate_code()
    body = code.replace("-", "")
    # Retype with random case, separators and the look-alike letters.
    typed = ""
    for ch in body:
        ch = {"0": data.draw(st.sampled_from("0oO")), "1": data.draw(st.sampled_from("1iIlL"))}.get(
            ch, ch
        )
        ch = ch.lower() if data.draw(st.booleans()) else ch
        typed += ch + data.draw(st.sampled_from(["", "", " ", "-"]))
    assert C.normalize_code(typed) == code


@given(st.data())
def test_any_single_substitution_is_caught(data):
    body = C.generate_code().replace("-", "")
    i = data.draw(st.integers(0, len(body) - 1))
    new = data.draw(st.sampled_from([c for c in C.ALPHABET if c != body[i]]))
    assert C.normalize_code(body[:i] + new + body[i + 1 :]) is None


@given(st.text(max_size=80))
@settings(max_examples=300)
def test_normalize_never_crashes_and_only_accepts_valid(text):
    out = C.normalize_code(text)
    assert out is None or (CODE_RE.match(out) and C.normalize_code(out) == out)


def test_malformed_codes_are_refused():
    code = C.generate_code()
    assert C.normalize_code(code[:-1]) is None
    assert C.normalize_code(code + "7") is None
    assert C.normalize_code(code.replace(code[0], "U", 1)) is None  # U is not in the alphabet
    assert C.normalize_code("") is None
    assert C.normalize_code("x" * 10_000) is None


def test_hash_round_trip_and_parameters_in_row():
    code = C.generate_code()
    h = C.hash_code(code)
    assert h.startswith(f"scrypt${C.SCRYPT_LOG_N}${C.SCRYPT_R}${C.SCRYPT_P}$")
    assert C.verify_code_hash(code, h)
    assert not C.verify_code_hash(C.generate_code(), h)
    assert not C.verify_code_hash(code, "garbage")
    assert C.hash_code(code) != h  # salted


def test_issue_and_find(case):
    store = open_store(case.url, key=case.key, actor="test")
    try:
        for pid, code in list(case.codes.items())[:5]:
            assert C.find_person(store, case.incident_id, code) == case.refs[pid]
            assert (
                C.find_person(store, case.incident_id, code.lower().replace("-", " "))
                == (case.refs[pid])
            )
        assert C.find_person(store, case.incident_id, C.generate_code()) is None
        assert C.find_person(store, case.incident_id, "not a code") is None
        some = next(iter(case.codes.values()))
        assert C.find_person(store, case.incident_id + 99, some) is None  # other incident
    finally:
        store.close()


def test_store_keeps_no_code_in_clear(case):
    store = open_store(case.url, key=case.key, actor="test")
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(select(C.access_codes)).mappings().all()
        blob = repr(rows)
        for code in case.codes.values():
            assert code not in blob and code.replace("-", "") not in blob
        assert len(rows) == len(case.codes)
    finally:
        store.close()


def test_a_code_is_issued_once_and_the_same_ever_after(tmp_path):
    # Regression (issues 12, 13): every run and channel issued a new code, killing the
    # one already printed in a letter.
    from portal_support import build_case

    c = build_case(tmp_path, persons=3, with_codes=3)
    store = open_store(c.url, key=c.key, actor="test")
    try:
        again = C.issue_codes(store, c.incident_id, [c.refs[p] for p in c.codes])
        assert again == {c.refs[p]: code for p, code in c.codes.items()}
        for code in c.codes.values():
            assert C.find_person(store, c.incident_id, code) is not None
    finally:
        store.close()


def test_reissue_replaces_the_old_code(tmp_path):
    from portal_support import build_case

    c = build_case(tmp_path, persons=3, with_codes=3)
    store = open_store(c.url, key=c.key, actor="test")
    try:
        pid, old = next(iter(c.codes.items()))
        new = C.reissue_code(store, c.incident_id, c.refs[pid])
        assert new != old
        assert C.find_person(store, c.incident_id, old) is None
        assert C.find_person(store, c.incident_id, new) == c.refs[pid]
        # Another process holding the same store key finds it too (the tag key is derived).
        other = open_store(c.url, key=c.key, actor="t2")
        assert C.find_person(other, c.incident_id, new) == c.refs[pid]
        other.close()
    finally:
        store.close()


def test_purged_person_no_longer_matches(tmp_path):
    from portal_support import build_case

    c = build_case(tmp_path, persons=2, with_codes=2)
    store = open_store(c.url, key=c.key, actor="test")
    try:
        code = next(iter(c.codes.values()))
        store.purge(c.incident_id)
        assert C.find_person(store, c.incident_id, code) is None
    finally:
        store.close()


def test_miss_costs_the_same_kdf_work_as_a_hit(case, monkeypatch):
    calls = []
    real = C._scrypt
    monkeypatch.setattr(C, "_scrypt", lambda *a: calls.append(1) or real(*a))
    store = open_store(case.url, key=case.key, actor="test")
    try:
        C.find_person(store, case.incident_id, next(iter(case.codes.values())))
        C.find_person(store, case.incident_id, C.generate_code())
    finally:
        store.close()
    assert len(calls) == 2


def test_kdf_cost_is_bounded():
    code = C.generate_code()
    h = C.hash_code(code)
    t = time.perf_counter()
    for _ in range(20):
        C.verify_code_hash(code, h)
    assert (time.perf_counter() - t) / 20 < 0.02  # leaves room for >= 500 look-ups/s
