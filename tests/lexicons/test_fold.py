import json
import unicodedata

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.detect.lexicons import chars_beyond_ascii, fold, fold_expr

# Scripts and punctuation French exports carry; kept to code points whose Unicode
# properties are stable across the Python and Rust Unicode versions.
_FRENCH_ISH = st.characters(
    codec="utf-8",
    categories=("L", "M", "N", "P", "S", "Zs", "Cc"),
    max_codepoint=0x3FF,
) | st.sampled_from(list("œŒæÆµ’‘ʼ´`ﬁﬂ\u00a0\u202f\u2009\t\n\r —–…«»"))
TEXT = st.text(_FRENCH_ISH, max_size=40)


@given(TEXT)
def test_fold_is_idempotent(s):
    assert fold(fold(s)) == fold(s)


@given(TEXT)
def test_fold_has_no_combining_marks_nor_uppercase(s):
    f = fold(s)
    assert not any(unicodedata.category(c).startswith("M") for c in f)
    assert f == f.lower()


@given(TEXT)
def test_fold_collapses_and_trims_whitespace(s):
    f = fold(s)
    assert "  " not in f
    assert f == f.strip(" ")
    assert not any(c in f for c in "\t\n\r\u00a0\u202f")


@settings(deadline=None)  # the first call builds fold_expr's character table
@given(st.lists(TEXT, max_size=30))
def test_fold_expr_agrees_with_fold(values):
    folded = pl.Series("v", values, dtype=pl.String).to_frame().select(fold_expr(pl.col("v")))
    assert folded["v"].to_list() == [fold(v) for v in values]


@settings(deadline=None)
@given(st.lists(TEXT, max_size=30))
def test_fold_expr_given_the_values_characters_is_the_same_fold(values):
    # The gate's draw passes only the characters present (a smaller automaton).
    series = pl.Series("v", values, dtype=pl.String)
    chars = chars_beyond_ascii(series)
    assert chars == {c for v in values for c in v if ord(c) > 0x7F}
    folded = pl.select(fold_expr(pl.lit(series), chars))["v"].to_list()
    assert folded == [fold(v) for v in values]


def test_fold_expr_with_no_wide_characters_still_maps_ascii_look_alikes():
    out = pl.select(fold_expr(pl.Series("v", ["L`ECOLE  Cœur"]), frozenset()))
    assert out["v"].to_list() == ["l'ecole cœur"]  # œ not announced: only lowercased


def test_fold_examples():
    assert fold("  Séropositivité   VIH ") == "seropositivite vih"
    assert fold("Cœur") == "coeur"
    assert fold("ŒDÈME de Quincke") == "oedeme de quincke"
    assert fold("Pas d’allergie") == "pas d'allergie"
    assert fold("Jean-Pierre\u00a0LÉVÊQUE") == "jean-pierre leveque"
    assert fold("75 µg") == "75 μg"  # NFKD: micro sign -> Greek mu
    assert fold("Bât.\tB\n2ème étage") == "bat. b 2eme etage"


def test_fold_expr_agrees_with_fold_on_the_whole_latin_and_greek_range():
    # Every character alone and in a word context, incl. Greek final sigma and U+0130.
    # (Only code points this Python knows: Rust may have a newer Unicode.)
    chars = [chr(cp) for cp in range(0x20, 0x2070) if unicodedata.category(chr(cp)) != "Cn"]
    values = chars + [f"AB{c}Σ {c}ΟΣ x" for c in chars] + ["İSTANBUL ΟΔΟΣ ϹΣ ﬁ Ｆ 𝐀"]
    folded = pl.select(fold_expr(pl.Series("v", values, dtype=pl.String)))["v"].to_list()
    assert [(v, f) for v, f in zip(values, folded, strict=True) if f != fold(v)] == []


def test_fold_expr_keeps_nulls():
    out = pl.select(fold_expr(pl.Series("v", ["É", None], dtype=pl.String)))
    assert out["v"].to_list() == ["e", None]


def test_shipped_fold_table_is_the_computed_one():
    from importlib.resources import files

    from vigile.detect.lexicons import folding

    doc = json.loads(files(folding.__package__).joinpath("data", folding.TABLE_FILE).read_text())
    if doc["unidata_version"] != unicodedata.unidata_version:
        pytest.skip(f"table shipped for Unicode {doc['unidata_version']}")
    assert (doc["keys"], doc["values"]) == folding._computed_table()


def test_another_unicode_version_computes_its_own_table(monkeypatch):
    from vigile.detect.lexicons import folding

    folding._char_table.cache_clear()
    monkeypatch.setattr(folding.unicodedata, "unidata_version", "0.0.0")
    try:
        assert folding._char_table() == folding._computed_table()
    finally:
        folding._char_table.cache_clear()
