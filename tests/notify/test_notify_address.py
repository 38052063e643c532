"""NF Z10-011 address blocks: at most 6 lines of 38 characters, last line "POSTCODE TOWN"."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.notify.address import MAX_CHARS, MAX_LINES, AddressError, address_block, postal_text

LAST_LINE = re.compile(r"^[0-9]{5} [A-Z0-9 ]+$")
ALLOWED = re.compile(r"^[A-Z0-9 ]+$")

words = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzéèêàçôœ-' ,.0123456789"),
    min_size=1,
    max_size=20,
)


def test_plain_address():
    block = address_block(
        {
            "first_name": "Élodie",
            "last_name": "Le Gall",
            "address": "12, rue de l'Église",
            "postcode": "29200",
            "city": "Brest",
        }
    )
    assert block.lines == ("ELODIE LE GALL", "12 RUE DE L EGLISE", "29200 BREST")


def test_long_street_is_abbreviated_then_wrapped():
    block = address_block(
        {
            "first_name": "Anne-Sophie-Charlotte-Marie",
            "last_name": "de la Fontaine-Saint-Éloi",
            "address": "Résidence les Tilleuls / 4 bis avenue du Maréchal de Lattre de Tassigny",
            "postcode": "35 000",
            "city": "Saint-Malo",
        }
    )
    assert block.lines[0] == "A DE LA FONTAINE SAINT ELOI"
    assert "4 BIS AV DU MAL DE LATTRE DE TASSIGNY" in block.lines
    assert block.lines[-1] == "35000 SAINT MALO"  # abbreviated only when too long


@pytest.mark.parametrize(
    "missing", [{"postcode": ""}, {"postcode": "3500"}, {"city": ""}, {"address": ""}]
)
def test_undeliverable_is_refused(missing):
    ident = {"last_name": "Martin", "address": "1 rue A", "postcode": "35000", "city": "Rennes"}
    with pytest.raises(AddressError) as e:
        address_block(ident | missing)
    assert "35000" not in str(e.value) and "Martin" not in str(e.value)


def test_too_many_lines_is_refused():
    ident = {
        "last_name": "Martin",
        "address": "\n".join(f"ligne numero {i}" for i in range(6)),
        "postcode": "35000",
        "city": "Rennes",
    }
    with pytest.raises(AddressError):
        address_block(ident)


@given(
    first=words,
    last=words.filter(lambda s: postal_text(s)),
    street=st.lists(words, min_size=1, max_size=4).map(" ".join),
    extra=st.one_of(st.just(""), words),
    postcode=st.one_of(st.from_regex(r"[0-9]{5}", fullmatch=True), st.text(max_size=6)),
    town=words.filter(lambda s: postal_text(s)),
    representatives=st.booleans(),
)
def test_blocks_always_follow_the_standard(
    first, last, street, extra, postcode, town, representatives
):
    ident = {
        "first_name": first,
        "last_name": last,
        "address": f"{street}\n{extra}",
        "postcode": postcode,
        "city": town,
    }
    try:
        block = address_block(ident, representatives)
    except AddressError:
        return  # refused, never printed out of standard
    assert block.lines[0].startswith("AUX REPRESENTANTS LEGAUX DE") == representatives
    assert 2 <= len(block.lines) <= MAX_LINES
    assert all(0 < len(line) <= MAX_CHARS for line in block.lines)
    assert all(ALLOWED.match(line) for line in block.lines)
    assert LAST_LINE.match(block.lines[-1])
    assert block.lines[-1].startswith(postcode + " ")


def test_representatives_of_a_minor_on_one_line_when_it_fits():
    ident = {"first_name": "Léa", "last_name": "Roux", "address": "1 rue A",
             "postcode": "35000", "city": "Rennes"}  # fmt: skip
    block = address_block(ident, representatives=True)
    assert block.lines == ("AUX REPRESENTANTS LEGAUX DE LEA ROUX", "1 RUE A", "35000 RENNES")


def test_representatives_then_the_name_on_line_two():
    ident = {"first_name": "Jean-Pierre", "last_name": "Le Gall", "address": "1 rue A",
             "postcode": "35000", "city": "Rennes"}  # fmt: skip
    block = address_block(ident, representatives=True)
    assert block.lines[:2] == ("AUX REPRESENTANTS LEGAUX DE", "JEAN PIERRE LE GALL")


def test_representatives_with_a_full_block_use_the_initial():
    ident = {
        "first_name": "Yann",
        "last_name": "Martin",
        "address": "\n".join(f"ligne {i}" for i in range(4)),
        "postcode": "35000",
        "city": "Rennes",
    }
    block = address_block(ident, representatives=True)
    assert len(block.lines) == MAX_LINES
    assert block.lines[0] == "AUX REPRESENTANTS LEGAUX DE Y MARTIN"
