"""The fast pseudonym path (memo across batches, integer NIR layout) changes no pseudonym.

Every pseudonym must stay the keyed HMAC-SHA-256 of the normalised value, whatever the
memo size, the batch split or the order values arrive in.
"""

from __future__ import annotations

import hmac
import time

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.protect.pseudonym import HEX_CHARS, Pseudonymiser, _normalise_expr, nir_from_digest

SECRET = bytes(range(40))  # longer than 32 bytes: the key block path
VALUES = st.one_of(
    st.none(),
    st.text(alphabet="AB12 .-é\t", max_size=6),
    st.sampled_from(["", " ", "MARTIN", " martin ", "1 85 05 75 123 456"]),
)


def _reference_hex(value: str | None, compact: bool) -> str | None:
    """HMAC-SHA-256 straight from the standard library, on the documented normalisation."""
    if value is None:
        return None
    v = value.strip()
    if compact:
        v = "".join(c for c in v if not (c.isspace() or c in ".-")).upper()
    if not v:
        return None
    return hmac.new(SECRET, v.encode(), "sha256").hexdigest()[:HEX_CHARS]


def _reference_nir(digest: str | None) -> str | None:
    """The NIR layout field by field, as strings (the form the integer code replaced)."""
    if digest is None:
        return None
    h = int(digest[:13], 16)
    dep0 = (h // 4_600) % 94
    body = (
        f"{1 + h % 2}{(h // 2) % 100:02d}{20 + (h // 200) % 23}"
        f"{dep0 + 2 if dep0 >= 19 else dep0 + 1:02d}"
        f"{1 + (h // 432_400) % 990:03d}{1 + (h // 428_076_000) % 999:03d}"
    )
    return f"{body}{97 - int(body) % 97:02d}"


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(st.lists(VALUES, min_size=1, max_size=12), min_size=1, max_size=5),
    cache=st.sampled_from([0, 1, 3, 1_000_000]),
)
def test_pseudonyms_are_the_hmac_whatever_the_memo_and_the_batches(batches, cache):
    p = Pseudonymiser(SECRET, cache_entries=cache)
    for values in batches:
        batch = pl.DataFrame(
            {"a": values, "b": list(reversed(values))}, schema={"a": pl.String, "b": pl.String}
        )
        out = p.columns(batch, {"a": (False, False), "b": (True, False)})
        assert out["a"].to_list() == [_reference_hex(v, False) for v in values]
        assert out["b"].to_list() == [_reference_hex(v, True) for v in reversed(values)]


def test_memo_numbering_survives_between_batches():
    """Values seen in one batch keep their pseudonym when new values come next; a
    polars Categories frees its strings when no Series holds it, which once gave new
    values the codes (and pseudonyms) of old ones."""
    p = Pseudonymiser(SECRET)
    first = pl.Series("v", ["alpha", "beta"])
    second = pl.Series("v", ["gamma", "delta", "alpha"])
    a, b = p.hex(first), p.hex(second)
    assert b.to_list() == [_reference_hex(v, False) for v in second.to_list()]
    assert b[2] == a[0] and len(set(a.to_list() + b.to_list())) == 4


def test_full_memo_restarts_and_stays_correct():
    p = Pseudonymiser(SECRET, cache_entries=4)
    for start in range(0, 40, 5):
        s = pl.Series("v", [f"P{i}" for i in range(start, start + 5)])
        assert p.hex(s).to_list() == [_reference_hex(v, False) for v in s.to_list()]
        assert all(m.pseudonyms.len() <= 5 for m in p._memos.values())  # bounded


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text("0123456789abcdef", min_size=13, max_size=64))))
def test_nir_layout_matches_the_field_by_field_definition(digests):
    got = nir_from_digest(pl.Series("d", digests, pl.String))
    assert got.name == "d"
    assert got.to_list() == [_reference_nir(d) for d in digests]
    for nir in got.drop_nulls().to_list():
        assert len(nir) == 15 and (97 - int(nir[:13]) % 97) == int(nir[13:])


# Unicode's White_Space property (PropList.txt): what polars' strip_chars and the regex
# class \s both mean, and not quite Python's str.isspace (which adds U+001C-U+001F).
WHITE_SPACE = frozenset(
    [chr(c) for c in range(0x09, 0x0E)]
    + ["\x20", "\x85", "\xa0", "\u1680", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
    + [chr(c) for c in range(0x2000, 0x200B)]
)


def _reference_norm(value: str | None, compact: bool) -> str | None:
    if value is None:
        return None
    if compact:
        v = "".join(c for c in value if c not in WHITE_SPACE and c not in ".-").upper()
    else:
        v = value.strip("".join(WHITE_SPACE))
    return v or None


def test_whitespace_is_the_same_set_for_strip_and_for_the_regex():
    """The compact normalisation drops \\s without stripping first: equivalent only
    because both mean Unicode White_Space, checked here on every code point."""
    every = pl.Series("v", [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000])
    stripped = every.filter(every.str.strip_chars().str.len_bytes() == 0).to_list()
    matched = every.filter(every.str.contains(r"^\s$")).to_list()
    assert set(stripped) == set(matched) == WHITE_SPACE


ANY_TEXT = st.text(
    st.one_of(
        st.sampled_from(sorted(WHITE_SPACE) + [".", "-"]), st.characters(exclude_categories=("Cs",))
    ),
    max_size=12,
)
# Case mapping tables differ between Unicode versions (Python's and Rust's): the compact
# (upper-cased) kind is checked on the letters an identifier can hold.
ID_TEXT = st.text(
    st.one_of(
        st.sampled_from(sorted(WHITE_SPACE)), st.sampled_from("0123456789aAbBzZéÉßçœ.-_/+()")
    ),
    max_size=16,
)


@settings(max_examples=150, deadline=None)
@given(
    plain=st.lists(st.one_of(st.none(), ANY_TEXT), min_size=1, max_size=30),
    ids=st.lists(st.one_of(st.none(), ID_TEXT), min_size=1, max_size=30),
    cache=st.sampled_from([0, 2, 1_000_000]),
    split=st.integers(1, 30),
)
def test_pseudonyms_of_arbitrary_text_are_the_standard_library_hmac(plain, ids, cache, split):
    """Every kind at once (the kinds run side by side), any text, any batch split."""
    n = min(len(plain), len(ids))
    frame = pl.DataFrame(
        {"a": plain[:n], "b": ids[:n], "c": ids[:n][::-1], "d": plain[:n][::-1]},
        schema={k: pl.String for k in "abcd"},
    )
    p = Pseudonymiser(SECRET, cache_entries=cache)
    specs = {"a": (False, False), "b": (True, False), "c": (True, True), "d": (False, False)}
    got = pl.concat([p.columns(frame.slice(i, split), specs) for i in range(0, n, split)])
    for col, (compact, nir_format) in specs.items():
        want = []
        for v in frame[col].to_list():
            norm = _reference_norm(v, compact)
            h = None if norm is None else hmac.new(SECRET, norm.encode(), "sha256").hexdigest()
            want.append(_reference_nir(h) if nir_format else h and h[:HEX_CHARS])
        assert got[col].to_list() == want, col
    normalised = frame.select(_normalise_expr(pl.col("b"), True)).to_series().to_list()
    assert normalised == [_reference_norm(v, True) for v in frame["b"].to_list()]


def test_prefetch_stays_within_its_depth_and_keeps_the_order():
    from vigile.protect.export import prefetch

    produced: list[int] = []

    def items():
        for i in range(20):
            produced.append(i)
            yield i

    for depth in (1, 2):
        produced.clear()
        it = prefetch(items(), depth=depth)
        assert next(it) == 0
        deadline = time.monotonic() + 10
        while len(produced) < 1 + depth and time.monotonic() < deadline:
            time.sleep(0.01)  # the producer runs ahead as far as it may...
        time.sleep(0.1)
        assert len(produced) == 1 + depth  # ...the consumer's item, then `depth` ahead
        assert list(it) == list(range(1, 20))


def test_prefetch_hands_errors_over_and_stops_its_source_when_abandoned():
    from vigile.protect.export import prefetch

    closed = []

    def failing():
        yield 1
        raise ValueError("boom")

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.append(True)

    with pytest.raises(ValueError, match="boom"):
        list(prefetch(failing(), depth=1))
    it = prefetch(endless(), depth=2)
    assert [next(it), next(it)] == [0, 1]
    it.close()
    assert closed == [True]
