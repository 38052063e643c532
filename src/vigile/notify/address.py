"""The postal address block of La Poste's standard NF Z10-011, and where it sits on the page.

Written by hand: no library formats French addresses to this standard (at most 6
lines of at most 38 characters, capitals without accents or punctuation, last line
"POSTCODE TOWN"). Lines that are too long are first shortened with La Poste's usual
abbreviations, then wrapped on words; an address that still cannot fit is refused,
never cut silently (a letter that cannot arrive must be counted, not printed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

MAX_LINES = 6
MAX_CHARS = 38

# Page geometry in mm from the top-left corner of an A4 sheet. Window envelopes in France
# (DL 110x220 for a sheet folded in three, C5 162x229 folded in two) have a 45x100 mm window
# 20 mm from the right edge; with the folds at 99 / 148.5 mm the window shows the sheet between
# about x 100-200 and y 45-100 for both. The block is kept inside with 5-10 mm of play for
# the sheet sliding in the envelope.
WINDOW = {"x": 100.0, "y": 45.0, "w": 100.0, "h": 55.0}  # what the envelope window can show
ADDRESS_ZONE = {"x": 110.0, "y": 55.0, "w": 85.0, "h": 35.0}  # where vigile prints the block

_ABBREVIATIONS = (  # La Poste's usual abbreviations, applied only when a line is too long
    ("AVENUE", "AV"),
    ("BOULEVARD", "BD"),
    ("CHEMIN", "CHE"),
    ("IMPASSE", "IMP"),
    ("PLACE", "PL"),
    ("ROUTE", "RTE"),
    ("ALLEE", "ALL"),
    ("RESIDENCE", "RES"),
    ("BATIMENT", "BAT"),
    ("APPARTEMENT", "APT"),
    ("ESCALIER", "ESC"),
    ("LIEU DIT", "LD"),
    ("QUARTIER", "QUA"),
    ("FAUBOURG", "FG"),
    ("SQUARE", "SQ"),
    ("SAINTE", "STE"),
    ("SAINT", "ST"),
    ("DOCTEUR", "DR"),
    ("GENERAL", "GAL"),
    ("MARECHAL", "MAL"),
    ("PROFESSEUR", "PR"),
)
_NOT_ALLOWED = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")
_POSTCODE = re.compile(r"^[0-9]{5}$", re.ASCII)


class AddressError(ValueError):
    """The person's address cannot make a deliverable block (message names the reason only)."""


@dataclass(frozen=True)
class AddressBlock:
    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        assert 2 <= len(self.lines) <= MAX_LINES
        assert all(0 < len(x) <= MAX_CHARS for x in self.lines)


def postal_text(value: str) -> str:
    """Capitals, no accents, no punctuation, single spaces (OCR-friendly, as La Poste asks)."""
    folded = value.upper()
    if not folded.isascii():
        folded = folded.replace("Œ", "OE").replace("Æ", "AE").replace("ß", "SS")
        # Accents are combining marks after NFKD; ASCII encoding drops them (and any letter
        # with no Latin form, which then counts as punctuation).
        folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    folded = _NOT_ALLOWED.sub(" ", folded)
    return _SPACES.sub(" ", folded).strip()


def _abbreviate(line: str) -> str:
    for long, short in _ABBREVIATIONS:
        if len(line) <= MAX_CHARS:
            break
        line = re.sub(rf"\b{long}\b", short, line)
    return line


def _wrap(line: str) -> list[str]:
    """Split on words into lines of at most MAX_CHARS; a single longer word is refused."""
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        if len(word) > MAX_CHARS:
            raise AddressError("a word of the address is longer than 38 characters")
        if current and len(current) + 1 + len(word) > MAX_CHARS:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


def _name_line(identity: Mapping[str, str]) -> str:
    first = postal_text(identity.get("first_name", ""))
    last = postal_text(identity.get("last_name", ""))
    if not last:
        raise AddressError("no last name")
    line = f"{first} {last}".strip()
    if len(line) > MAX_CHARS and first:
        line = f"{first[0]} {last}"  # initial of the given names first, as La Poste allows
    return line[:MAX_CHARS].rstrip()


REPRESENTATIVES = "AUX REPRESENTANTS LEGAUX DE"


def _recipient_lines(identity: Mapping[str, str], representatives: bool, room: int) -> list[str]:
    """Line 1 (and 2) of the block: the person, or their legal representatives.

    For representatives: "AUX REPRESENTANTS LEGAUX DE <NAME>" on one line when it fits in
    38 characters; else the qualifier, then the name on line 2 when the block has room;
    else one line with the initial of the given names."""
    name = _name_line(identity)
    if not representatives:
        return [name]
    one = f"{REPRESENTATIVES} {name}"
    if len(one) <= MAX_CHARS:
        return [one]
    if room >= 2:
        return [REPRESENTATIVES, name]
    first = postal_text(identity.get("first_name", ""))
    last = postal_text(identity.get("last_name", ""))
    short = f"{REPRESENTATIVES} {first[:1]} {last}" if first else one
    if len(short) > MAX_CHARS:
        raise AddressError("the representatives' line does not fit in the address block")
    return [short]


def address_block(identity: Mapping[str, str], representatives: bool = False) -> AddressBlock:
    """The block for a person's identity dict (last_name, first_name, address, postcode, city).

    `address` may hold several lines separated by newlines or " / ". With
    `representatives` (a minor, a protected person), the block is addressed to the
    person's legal representatives: "AUX REPRESENTANTS LEGAUX DE" and the person's name.
    """
    _name_line(identity)  # no last name: refused before anything else
    postcode = _SPACES.sub("", identity.get("postcode", "") or "")
    if not _POSTCODE.match(postcode):
        raise AddressError("missing or malformed postcode")
    town = postal_text(identity.get("city", "") or "")
    if not town:
        raise AddressError("no town")
    last = _abbreviate(f"{postcode} {town}")
    if len(last) > MAX_CHARS:
        last = last[:MAX_CHARS].rstrip()  # towns are at most 32 characters in La Poste's base
    street_lines: list[str] = []
    for raw in re.split(r"\n| / ", identity.get("address", "") or ""):
        line = _abbreviate(postal_text(raw))
        if line:
            street_lines.extend(_wrap(line))
    if not street_lines:
        raise AddressError("no street address")
    room = MAX_LINES - len(street_lines) - 1
    lines = (*_recipient_lines(identity, representatives, room), *street_lines, last)
    if len(lines) > MAX_LINES:
        raise AddressError("the address needs more than 6 lines")
    return AddressBlock(lines)
