"""Passwords: hashes by their format, clear-text passwords by their shape.

Hashes: modular crypt formats (bcrypt `$2b$`, `$1$`/`$5$`/`$6$` crypt, `$argon2id$`,
`$scrypt$`/`$7$`), PBKDF2 in the layouts of Django (`pbkdf2_sha256$iterations$salt$hash`)
and passlib (`$pbkdf2-sha256$`), LDAP `{SSHA}`, salted Django `sha1$salt$hex`, and bare
digests of MD5/SHA-1/SHA-224/SHA-256/SHA-384/SHA-512 lengths, in hex (either case) or
in base64 (with their padding).

A clear-text password here is one value of 6 to 64 characters without a space that
mixes letters with digits or symbols, is not words joined by `.`, `-` or `'` (a name, a
handle such as `jean.dupont`), not an e-mail address, not a UUID nor a long hex string.
Passwords made of one character class (`azerty`, `123456`) cannot be told from other
words or numbers by shape: a column of them is found by its header or its relations.
A *column* of passwords is decided in the profiler from these shares together with its
variety (lengths, shapes) and distinctness: tokens that repeat across rows are not
passwords.
"""

from __future__ import annotations

import re

import polars as pl

HEX_DIGEST = r"[0-9a-f]{32}|[0-9A-F]{32}|[0-9a-f]{40}|[0-9A-F]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9A-F]{64}|[0-9a-f]{96}|[0-9a-f]{128}|[0-9A-F]{128}"
BASE64_DIGEST = (
    r"[A-Za-z0-9+/]{22}==|[A-Za-z0-9+/]{27}=|[A-Za-z0-9+/]{38}==|[A-Za-z0-9+/]{43}="
    r"|[A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{86}=="
)
HASH_FORMATS: dict[str, str] = {
    "bcrypt": r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}",
    "argon2": r"\$argon2(?:id|i|d)\$\S+",
    "scrypt": r"\$(?:scrypt|7)\$\S+",
    "crypt": r"\$(?:1|5|6|md5|sha1)\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}",
    "pbkdf2": r"\$?pbkdf2[_:$\-]\S+",
    "django_salted": r"(?:sha1|md5|sha256|crypt)\$[A-Za-z0-9./]*\$[0-9a-f]{32,128}",
    "ldap": r"\{(?:S?SHA(?:256|384|512)?|S?MD5|CRYPT|PBKDF2[\-A-Z0-9]*)\}[A-Za-z0-9+/=.$]+",
    "hex": HEX_DIGEST,
    "base64": BASE64_DIGEST,
}
HASH_REGEX = "^(?:" + "|".join(HASH_FORMATS.values()) + ")$"
_HASH_RE = {k: re.compile("^(?:" + v + ")$") for k, v in HASH_FORMATS.items()}

PLAIN_SHAPE = r"^\S{6,64}$"
# Words joined by dots, hyphens, apostrophes or underscores: names, handles, cities.
WORDS_ONLY = r"^\p{L}+(?:['\-._]\p{L}+)*\.?$"
MAIL_TAIL = r"@[^@]*\.[A-Za-z]{2,}$"  # an e-mail address (a login), not `Camille@2021`
HEX_OR_UUID = r"^(?:[0-9A-Fa-f]{16,}|[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})$"


def hash_kind(value: str) -> str | None:
    """The format of a password hash (a key of HASH_FORMATS), or None."""
    v = value.strip()
    return next((k for k, r in _HASH_RE.items() if r.match(v)), None)


def is_hash(e: pl.Expr) -> pl.Expr:
    return e.str.contains(HASH_REGEX)


def is_plain(e: pl.Expr) -> pl.Expr:
    """Per value: shaped like a clear-text password (see the module doc). Values are
    stripped; nulls give null."""
    return (
        e.str.contains(PLAIN_SHAPE)
        & e.str.contains(r"\p{L}")
        & e.str.contains(r"[^\p{L}]")
        & ~e.str.contains(WORDS_ONLY)
        & ~e.str.contains(MAIL_TAIL)
        & ~e.str.contains(HEX_OR_UUID)
        & ~e.str.contains(HASH_REGEX)
    )


# Python's \s also takes the separators \x1c-\x1f, which the Rust regex of polars does not.
_PLAIN_RE = re.compile(r"^(?:\S|[\x1c-\x1f]){6,64}$")
_WORD_JOINERS = re.compile(r"['\-._]")


def _words_only(v: str) -> bool:
    r"""`WORDS_ONLY` for one value. Letters by `str.isalpha` (the categories of `\p{L}`),
    not Python's `[^\W\d_]`, which also takes numeric symbols such as `①` or `½`."""
    body = v[:-1] if v.endswith(".") else v
    return all(part.isalpha() for part in _WORD_JOINERS.split(body))


_HEX_RE = re.compile(HEX_OR_UUID)


def is_plain_value(value: str) -> bool:
    """`is_plain` for one value (the oracle of the expression in tests)."""
    v = value.strip()
    has_letter = any(ch.isalpha() for ch in v)
    has_other = any(not ch.isalpha() for ch in v)
    return bool(
        _PLAIN_RE.match(v)
        and has_letter
        and has_other
        and not _words_only(v)
        and not re.search(MAIL_TAIL, v)
        and not _HEX_RE.match(v)
        and hash_kind(v) is None
    )


def shape(e: pl.Expr) -> pl.Expr:
    """Coarse shape: runs of lowercase -> a, uppercase -> A, digits -> 9, other characters
    kept (`Soleil12!` -> `Aa9!`, `D2019-000123` -> `A9-9`). Record numbers have one or two
    shapes; clear-text passwords many."""
    return (
        e.str.replace_all(r"\p{Ll}+", "a")
        .str.replace_all(r"\p{Lu}+", "A")
        .str.replace_all(r"\d+", "9")
    )
