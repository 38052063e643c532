"""Header hints: folded, tokenised column names matched against detector hints.

`Date de naissance`, `dt_nais`, `DateNaissance` and `DATE_NAISSANCE` all become
the tokens ("date", "naissance") or ("dt", "nais"); a hint hits when its tokens
appear contiguously in the header's tokens, or when the header written without
separators equals the hint without spaces ("DATENAISSANCE"). The longest hit
wins, so `NOM_MUTUELLE` is an insurer and not a surname.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from vigile.detect.detectors import DETECTORS

STOPWORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "d", "l", "of", "the", "en", "a", "au"}
)
# Headers that look meaningless (C01, COL_3, field12, V5): content alone decides.
MEANINGLESS = re.compile(r"^(?:c|col|column|colonne|field|champ|v|var|f|x)?\s*_?\d+$", re.I)


def _fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in t if not unicodedata.combining(ch)).lower()


def header_tokens(name: str) -> tuple[str, ...]:
    """Folded tokens of a header: camelCase and letter/digit boundaries split, stopwords dropped."""
    s = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)  # DateNaissance -> Date Naissance
    s = _fold(s)
    s = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", s)  # adr1 -> adr 1
    tokens = re.split(r"[^a-z0-9]+", s)
    return tuple(t for t in tokens if t and t not in STOPWORDS)


@dataclass(frozen=True)
class HeaderHit:
    detector: str
    category: str
    hint: str
    strength: float  # 1.0 whole header, 0.8 contiguous part of it


@cache
def _hints() -> tuple[tuple[str, str, tuple[str, ...], str], ...]:
    """(detector, category, hint tokens, hint written without separators) per hint."""
    out = []
    for d in DETECTORS:
        for h in d.header_hints:
            tokens = tuple(t for t in h.split() if t not in STOPWORDS)
            out.append((d.name, d.category, tokens, "".join(tokens)))
    return tuple(out)


def _contains(tokens: tuple[str, ...], sub: tuple[str, ...]) -> bool:
    n = len(sub)
    return any(tokens[i : i + n] == sub for i in range(len(tokens) - n + 1))


def _core(name: str) -> str:
    """A header without its table qualifier (`T_EXAM.NOM`, `Patient.ddn` -> the part after
    the last dot, when letters come before it). Lowercase words on both sides of the dot
    (`codes.actes`, `login.resultats`, `PAT_codes.actes`) are one name written with dots,
    read whole as `CODES_ACTES` is: its last word alone does not name the column."""
    head, dot, tail = name.strip().rpartition(".")
    if not (dot and re.search(r"[A-Za-z]", head) and re.search(r"[A-Za-z]", tail)):
        return name
    last_word = re.split(r"[^A-Za-z]+", head.rstrip("_- "))[-1]
    if DOTTED_WORD.fullmatch(last_word) and DOTTED_WORD.fullmatch(NUMBERED.sub("", tail)):
        return name
    return tail


DOTTED_WORD = re.compile(r"[a-z]+")
NUMBERED = re.compile(r"[\s_-]*\d*\s*$")  # a numbered suffix: `actes2`, `actes_01`


# Words that name an identifier: before an insurer's name they make its member number
# (`Identifiant AMC`, `ID mutuelle` read as `num AMC`), not an account's login.
IDENTIFIER_WORDS = frozenset({"identifiant", "id", "ident", "identifier"})


def _member_number(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """`identifiant amc` -> `num amc`: an identifier word qualified by an insurer hint."""
    insurer = {h for det, _, h, _ in _hints() if det == "insurer"}
    for i, t in enumerate(tokens[:-1]):
        if t in IDENTIFIER_WORDS and tokens[i + 1 :] in insurer:
            return (*tokens[:i], "num", *tokens[i + 1 :])
    return tokens


@cache
def header_hits(name: str) -> tuple[HeaderHit, ...]:
    """All hint hits for a header, best first (whole-header hits, then longest hint).
    A numbered suffix (`MDP_1`, `Tel 2`) does not weaken a whole-header hit.
    A dotted header is a table qualifier and a name (`T_EXAM.NOM`), unless the whole
    header holds a longer hint (`birth.date`, `PAT_nom.naissance`: dots between words)."""
    core = _core(name)
    if core == name:
        return _hits(name)
    whole, part = _hits(name), _hits(core)
    if whole and (not part or _longest(whole) > _longest(part)):
        return whole
    return part


def _longest(hits: tuple[HeaderHit, ...]) -> int:
    return max(len(h.hint.replace(" ", "")) for h in hits)


def _hits(name: str) -> tuple[HeaderHit, ...]:
    tokens = header_tokens(name)
    if not tokens or MEANINGLESS.match(name.strip()):
        return ()
    while len(tokens) > 1 and tokens[-1].isdigit():
        tokens = tokens[:-1]
    tokens = _member_number(tokens)
    compact = "".join(tokens)
    present = frozenset(tokens)
    hits: list[tuple[float, int, HeaderHit]] = []
    for det, cat, hint, joined in _hints():
        if not hint:
            continue
        if tokens == hint or compact == joined:
            strength = 1.0
        elif hint[0] in present and _contains(tokens, hint):
            strength = 0.8
        else:
            continue
        hits.append((strength, len(joined), HeaderHit(det, cat, " ".join(hint), strength)))
    hits.sort(key=lambda x: (-x[0], -x[1]))
    return tuple(h for *_, h in hits)


def best_header_hit(name: str) -> HeaderHit | None:
    """The strongest hit; the longest matched hint wins among partial hits."""
    hits = header_hits(name)
    if not hits:
        return None
    whole = [h for h in hits if h.strength == 1.0]
    if whole:
        return whole[0]
    return max(hits, key=lambda h: len(h.hint.replace(" ", "")))
