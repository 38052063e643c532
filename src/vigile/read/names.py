"""Names as they may be shown: column names, JSON keys, sheet, table, file and member names.

A name found in a file is data like any cell: it may hold a personal value (an NDJSON
keyed by NIR, a report called `CR_DUPONT_Jean_<NIR>.pdf.csv`) or bytes meant for the
terminal (ANSI escapes, newlines, bidi overrides, undecodable bytes). Every name a
reader hands on goes through `shown()`: personal values masked with `vigile.detect.mask`
(as the samples of a column are), then every character that is not safely printable
escaped. Readers keep the raw name only where they need it internally (to open a sheet,
extract a member); Sources, error paths and column names carry the shown form, so every
report (scan, triage, sweep) prints the same, safe text.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Iterable
from functools import cache

# -- escaping ------------------------------------------------------------------------------

# Control (Cc), format (Cf: bidi overrides, zero-width), surrogate (Cs: undecodable bytes
# of a file name), private use (Co) and line/paragraph separators (Zl, Zp).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:  # a byte that was not valid UTF-8 (os.fsdecode surrogateescape)
        return f"\\x{n - 0xDC00:02x}"
    if n <= 0xFF:
        return f"\\x{n:02x}"
    return f"\\u{n:04x}" if n <= 0xFFFF else f"\\U{n:08x}"


_ASCII_SAFE = re.compile(r"[\x20-\x7e]*")


def escape(text: str) -> str:
    """`text` with every unprintable character written as an escape (`\\x1b`, `\\n`,
    `\\u202e`, `\\xe9` for an undecodable byte). Printable text is unchanged, so
    escaping twice changes nothing."""
    if _ASCII_SAFE.fullmatch(text):
        return text
    return "".join(
        _escape_char(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text
    )


# -- personal values inside a name --------------------------------------------------------

_NIR = (
    r"(?<![0-9A-Za-z])[1-478][\s.]?\d{2}[\s.]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s.]?(?:\d{2}|2[ABab])"
    r"[\s.]?\d{3}[\s.]?\d{3}(?:[\s.]?\d{2})?(?![0-9])"
)
_EMAIL = r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_IBAN = r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])"
_PHONE = (
    r"(?<![\d+])(?:(?:\+|00)33[\s.\-]?(?:\(0\)[\s.\-]?)?|0)[1-9](?:[\s.\-/]?\d{2}){4}(?!\d)"
    r"|(?<![\d+])(?:\+|00)[1-9]\d{0,2}(?:[\s.\-]?\d){7,13}(?!\d)"
)
_DATE = (
    r"(?<!\d)(?P<d1>\d{1,2})[/.\-_ ](?P<m1>\d{1,2})[/.\-_ ](?P<y1>\d{4})(?!\d)"
    r"|(?<!\d)(?P<y2>\d{4})[/.\-_ ](?P<m2>\d{1,2})[/.\-_ ](?P<d2>\d{1,2})(?!\d)"
    r"|(?<!\d)(?P<c3>\d{8})(?!\d)"
)
_VALUES = re.compile(
    f"(?P<email>{_EMAIL})|(?P<iban>{_IBAN})|(?P<nir>{_NIR})|(?P<phone>{_PHONE})|(?P<date>{_DATE})"
)
# A word: letters, with inner hyphens or apostrophes (Jean-Pierre, D'Almeida).
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_JOINER = re.compile(r"[\s_.,\-]+")

# Ordinary words of file and column names that the name lexicons also hold (VILLE, RUE,
# PARIS, MARS...): never taken for a person's name. The detectors' header words are
# added to them (see _common_words).
_COMMON = """
nom noms prenom prenoms date dates ville villes rue pays france paris lyon marseille lille
nice nantes toulouse bordeaux rennes reims brest tours metz nancy caen grand petit blanc
rose chambre bureau jeune line nais nee pin rendu janvier fevrier mars avril mai juin
juillet aout septembre octobre novembre decembre lundi mardi mercredi jeudi vendredi
samedi dimanche export extraction extract patient patients client clients fichier donnees
data base liste table feuille sheet copie backup old new final test essai labo laboratoire
resultat resultats analyse analyses bilan compte dossier service centre hopital clinique
cr csv tsv txt xlsx xls xlsm xlsb ods json jsonl ndjson sql dump zip gz tgz tar bz2 xz
parquet log dat bak tmp pdf doc docx html xml nir nss ipp iep id sexe adresse mail
email tel telephone portable cp code postal commune naissance ddn dob mdp login user
""".split()


@cache
def _common_words() -> frozenset[str]:
    from vigile.categories import CATEGORIES
    from vigile.detect.detectors import DETECTORS

    words = set(_COMMON)
    for d in DETECTORS:
        for hint in d.header_hints:
            words.update(hint.split())
    for cat in CATEGORIES:
        words.update(cat.split("_"))
    return frozenset(words)


@cache
def _lexicons() -> tuple[frozenset[str], frozenset[str]]:
    from vigile.detect.lexicons import first_names, last_names

    return first_names(), last_names()


def _fold(word: str) -> str:
    from vigile.detect.lexicons import fold

    return fold(word)


def _valid_date(d: int, m: int, y: int) -> bool:
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return 1900 <= y <= dt.date.today().year


def _date_year(m: re.Match) -> int | None:
    """Year of a matched date if it is a real calendar date, else None."""
    if m["y1"]:
        d, mo, y = int(m["d1"]), int(m["m1"]), int(m["y1"])
        return y if _valid_date(d, mo, y) else None
    if m["y2"]:
        y, mo, d = int(m["y2"]), int(m["m2"]), int(m["d2"])
        return y if _valid_date(d, mo, y) else None
    c = m["c3"]
    for y, mo, d in ((c[:4], c[4:6], c[6:]), (c[4:], c[2:4], c[:2])):  # yyyymmdd, ddmmyyyy
        if _valid_date(int(d), int(mo), int(y)):
            return int(y)
    return None


def _values(text: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, int]]]:
    """Spans of personal values (start, end, category) and of dates (start, end, year)."""
    from vigile.detect.validators import iban_is_valid

    found: list[tuple[int, int, str]] = []
    dates: list[tuple[int, int, int]] = []
    for m in _VALUES.finditer(text):
        kind = m.lastgroup if m.lastgroup in ("email", "iban", "nir", "phone") else "date"
        if kind == "iban" and not iban_is_valid(m[0]):
            continue
        if kind == "date":
            year = _date_year(m)
            if year is not None:
                dates.append((m.start(), m.end(), year))
            continue
        found.append((m.start(), m.end(), kind))
    return found, dates


def _person_words(text: str, other_values: bool) -> list[tuple[int, int]]:
    """Spans of words that read as a person's name: a given name (from the lexicon) next
    to a family name (from the lexicon or written in capitals), a name made of a given
    name alone, or, in a name already holding a personal value, any such name word."""
    words = [(m.start(), m.end(), m[0]) for m in _WORD.finditer(text)]
    if not words:
        return []
    first_names, last_names = _lexicons()
    common = _common_words()
    first, last = [], []
    for _s, _e, w in words:
        f = _fold(w)
        ok = len(f) >= 3 and f not in common
        first.append(ok and f in first_names)
        last.append(ok and (f in last_names or (w.isupper() and len(w) >= 3)))

    def joined(i: int, j: int) -> bool:
        a, b = (i, j) if i < j else (j, i)
        return (
            0 <= a and b < len(words) and bool(_JOINER.fullmatch(text[words[a][1] : words[b][0]]))
        )

    out: list[tuple[int, int]] = []
    for i, (s, e, _w) in enumerate(words):
        near = [j for j in (i - 1, i + 1) if joined(i, j)]
        pair = any((first[i] and (last[j] or first[j])) or (last[i] and first[j]) for j in near)
        alone = first[i] and len(words) == 1 and text.strip(" _-.") == text[s:e]
        if pair or alone or (other_values and (first[i] or last[i])):
            out.append((s, e))
    return out


def mask_values(text: str) -> str:
    """`text` with the personal values it holds masked as `vigile.detect.mask` masks a
    sample: NIR, e-mail, phone, IBAN, person names (see `_person_words`), and dates of
    birth. A date counts as one when the name holds another personal value or when it
    is more than a year old (a file stamped with today's export date keeps it)."""
    if not text:
        return text
    from vigile.detect.mask import mask, mask_date, mask_generic

    found, dates = _values(text)
    this_year = dt.date.today().year
    spans: list[tuple[int, int, str]] = [(s, e, mask(text[s:e], k)) for s, e, k in found]
    old = [(s, e) for s, e, y in dates if y < this_year - 1]
    names = _person_words(text, bool(found or old))
    spans += [(s, e, mask_generic(text[s:e])) for s, e in names]
    if found or names:
        old = [(s, e) for s, e, _y in dates]
    spans += [(s, e, mask_date(text[s:e])) for s, e in old]
    if not spans:
        return text
    out, pos = [], 0
    for s, e, masked in sorted(spans, key=lambda x: (x[0], -x[1])):  # longest match first
        if s < pos:
            continue  # overlapping matches: the first one masked it
        out += [text[pos:s], masked]
        pos = e
    out.append(text[pos:])
    return "".join(out)


def shown(name: object) -> str:
    """The form of a name every output shows: personal values masked, then escaped."""
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return escape(mask_values(str(name)))


def shown_path(path: str | os.PathLike | bytes) -> str:
    """A file path as shown in reports (see `shown`)."""
    return shown(os.fsdecode(path))


def looks_like_value(key: str) -> bool:
    """A JSON key that is data rather than a field name: an id, a date, a personal value."""
    k = key.strip()
    if not k:
        return False
    digits = sum(c.isdigit() for c in k)
    alnum = sum(c.isalnum() for c in k)
    if digits >= 4 and digits * 2 >= alnum:
        return True
    if re.fullmatch(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                    r"[0-9a-fA-F]{12}|[0-9a-fA-F]{16,}", k):  # fmt: skip
        return True
    return mask_values(k) != k


# -- unique column names -----------------------------------------------------------------


def unique_names(raw: Iterable[object]) -> list[str]:
    """Shown names (see `shown`); blank names become `column_<position>`; repeats get
    `_2`, `_3`... suffixes."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(raw, start=1):
        base = shown(str(name).strip()) if name is not None else ""
        base = base or f"column_{i}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def positional_names(n: int) -> list[str]:
    return [f"column_{i}" for i in range(1, n + 1)]
