"""Shown names: unprintable characters escaped, personal values masked, ordinary names
left alone (hypothesis for the escaping and the masking of values inside names)."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.read.names import escape, looks_like_value, shown, unique_names
from vigile.synth.fields import FIELDS

from . import hostile_corpus as hc

UNSAFE = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
SETTINGS = settings(max_examples=200, deadline=None)


@SETTINGS
@given(st.text())
def test_escape_leaves_nothing_unprintable_and_is_idempotent(text):
    out = escape(text)
    assert not any(unicodedata.category(c) in UNSAFE for c in out)
    assert escape(out) == out
    out.encode("utf-8")


@SETTINGS
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_printable_ascii_unchanged(text):
    assert escape(text) == text


def test_surrogate_escaped_as_its_byte():
    assert escape("a\udce9b") == "a\\xe9b" and escape("\x1b[0m") == "\\x1b[0m"


AROUND = st.text(st.sampled_from(list("abcXYZ _-.[]()")), max_size=12)
SEP = st.sampled_from(["_", "-", " ", ".", "/", "#", "!"])


@SETTINGS
@given(AROUND, SEP, st.integers(0, 10**6), SEP, AROUND)
def test_values_inside_names_are_masked(before, s1, i, s2, after):
    for value in (hc.nir(i), hc.phone(i), f"p{i}.dupont@example.fr"):
        name = f"{before}{s1}{value}{s2}{after}"
        assert value not in shown(name), name


def test_ordinary_headers_unchanged():
    headers = [h for f in FIELDS for h in (f.lis, f.verbose, f.english)]
    changed = {h: shown(h) for h in headers if shown(h) != h}
    assert not changed


def test_person_names_in_file_names():
    assert shown("CR_MARTIN_Paul.csv") == "CR_M*****_P***.csv"
    assert shown("Jean-Pierre") == "J***-P*****"
    assert shown("Paris Mars 2024.csv") == "Paris Mars 2024.csv"  # words, not a person


def test_unique_names_mask_then_dedupe():
    assert unique_names([hc.phone(1), hc.phone(1), None, "A"]) == [
        "06 ** ** ** 01",
        "06 ** ** ** 01_2",
        "column_3",
        "A",
    ]


def test_looks_like_value():
    assert looks_like_value(hc.nir(1)) and looks_like_value("2021-03-04")
    assert looks_like_value("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    assert not looks_like_value("nom") and not looks_like_value("patient.adresse")
