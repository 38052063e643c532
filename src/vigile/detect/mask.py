"""Shape-preserving masks for samples: enough to recognise a category, never a person.

Hand-written: this is vigile's own display policy, no library defines it.
Per-value Python is fine here: at most a few samples per column are masked.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")
_STAR = "*"


def mask_generic(value: str) -> str:
    """Letters -> first letter of each word + '*'; digits -> '*'; separators kept.

    A one-character word is fully masked, so a mask never equals its value.
    """

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        if len(w) >= 2 and w[0].isalpha():
            return w[0] + _STAR * (len(w) - 1)
        return _STAR * len(w)

    return _WORD.sub(word, value)


def mask_all(value: str) -> str:
    """Every letter and digit masked; separators kept (sex codes, blood groups)."""
    return _WORD.sub(lambda m: _STAR * len(m.group(0)), value)


def mask_nir(value: str) -> str:
    """`1 85 ** ** *** *** **`: only the sex digit and the birth year are kept."""
    c = re.sub(r"[^0-9A-Za-z]", "", value)
    if len(c) < 3 or not c[:3].isdigit():
        return mask_all(value)
    return f"{c[0]} {c[1:3]} ** ** *** *** **"


def mask_phone(value: str) -> str:
    """`06 ** ** ** 12`: first and last pairs of the national number."""
    digits = re.sub(r"\D", "", value.replace("(0)", ""))
    stripped = value.strip()
    if stripped.startswith("+33") or stripped.startswith("0033"):
        digits = "0" + digits[(2 if stripped.startswith("+") else 4) :].lstrip("0")
    if len(digits) != 10:
        return mask_all(value)
    return f"{digits[:2]} ** ** ** {digits[-2:]}"


def mask_email(value: str) -> str:
    """`j***@d*****.fr`: first letter of the local part and of the domain, TLD kept."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local or "." not in domain:
        return mask_generic(value)
    host, _, tld = domain.rpartition(".")
    if not host:
        return mask_generic(value)
    return f"{local[0]}***@{host[0]}{_STAR * max(len(host) - 1, 1)}.{mask_generic(tld) if len(tld) > 4 else tld}"


def mask_iban(value: str) -> str:
    """`FR76 **** ... **12`: country, check digits and the last two characters."""
    c = re.sub(r"\s", "", value).upper()
    if len(c) < 8:
        return mask_all(value)
    middle = _STAR * (len(c) - 6)
    body = c[:4] + middle + c[-2:]
    return " ".join(body[i : i + 4] for i in range(0, len(body), 4))


def mask_date(value: str) -> str:
    """`19**-**-**`: the century of the year only."""
    m = re.search(r"(?<!\d)(1[89]|20)\d{2}(?!\d)", value)
    if m is None:
        return mask_all(value)
    return f"{m.group(1)}**-**-**"


_BY_CATEGORY = {
    "nir": mask_nir,
    "phone": mask_phone,
    "email": mask_email,
    "iban": mask_iban,
    "password": lambda _v: "********",
    "birth_date": mask_date,
    "date": mask_date,
    "sex": mask_all,
    "blood_group": mask_all,
}


def mask(value: str, category: str | None) -> str:
    """Shape-preserving mask of one value for a category id (None: generic)."""
    return _BY_CATEGORY.get(category or "", mask_generic)(value)
