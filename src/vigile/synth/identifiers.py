"""Identifiers with check keys: NIR, NIR-like decoy barcodes, RPPS, FINESS.

The NIR key is vectorised here (numpy int64 over millions of persons): it is
the formula of `stdnum.fr.nir.calc_check_digits` (97 - n mod 97, with 2A/2B
read as 19/18), which the tests use to cross-check every generated value.
RPPS and FINESS come from small pools, so they use `stdnum.luhn` directly.
"""

from __future__ import annotations

import numpy as np
from stdnum import luhn

_CORSICA_AS_NUMBER = {"2A": 19, "2B": 18}


def nir_keys(body13: np.ndarray) -> np.ndarray:
    """NIR keys (1..97) of 13-digit bodies as int64, 2A/2B already read as 19/18."""
    return 97 - (body13 % 97)


def build_nirs(
    sex: np.ndarray,  # 1 man, 2 woman
    birth_year: np.ndarray,
    birth_month: np.ndarray,
    birth_dep: np.ndarray,  # str: "01".."95", "2A", "2B", "97", "99"
    commune: np.ndarray,  # int 1..999 (INSEE commune or country code)
    order: np.ndarray,  # int 1..999
) -> tuple[np.ndarray, np.ndarray]:
    """Return (13-char bodies as str, 2-char keys as str)."""
    uniq, inv = np.unique(birth_dep, return_inverse=True)
    dep_num = np.array([_CORSICA_AS_NUMBER.get(d) or int(d) for d in uniq], dtype=np.int64)[inv]
    body = (
        sex.astype(np.int64) * 10**12
        + (birth_year % 100).astype(np.int64) * 10**10
        + birth_month.astype(np.int64) * 10**8
        + dep_num * 10**6
        + commune.astype(np.int64) * 10**3
        + order.astype(np.int64)
    )
    keys = nir_keys(body)
    text = np.char.zfill(body.astype(str), 13).astype("U13")
    # Put the Corsican letters back (a small subset: plain Python is fine).
    corsica = np.flatnonzero(np.isin(birth_dep, ("2A", "2B")))
    text[corsica] = [text[i][:5] + birth_dep[i] + text[i][7:] for i in corsica]
    return text, np.char.zfill(keys.astype(str), 2)


def nir_like_barcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    """15-digit tube barcodes starting with 1 or 2 whose last two digits FAIL the NIR key.

    They look like NIRs (sex digit, plausible month) so a detector has to check the key.
    """
    body = (
        rng.integers(1, 3, n, dtype=np.int64) * 10**12
        + rng.integers(0, 100, n, dtype=np.int64) * 10**10
        + rng.integers(1, 13, n, dtype=np.int64) * 10**8
        + rng.integers(0, 10**8, n, dtype=np.int64)
    )
    good = 97 - body % 97  # in 1..97
    wrong = (good + rng.integers(1, 97, n)) % 97  # in 0..96, never equal to `good`
    return np.char.add(body.astype(str), np.char.zfill(wrong.astype(str), 2))


def rpps_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """11-digit RPPS numbers: start with 1, Luhn check digit last (distinct)."""
    out: set[str] = set()
    while len(out) < n:
        body = "1" + "".join(map(str, rng.integers(0, 10, 9)))
        out.add(body + luhn.calc_check_digit(body))
    return sorted(out, key=lambda _: rng.random())


def finess_number(rng: np.random.Generator, departement: str) -> str:
    """9-digit FINESS: 2-char département + 6 digits + key.

    The FINESS key is a Luhn check digit: the 9 digits together pass Luhn.
    Corsican establishments use 2A/2B in FINESS too; we keep to numeric ones here.
    """
    dep = departement if departement.isdigit() and len(departement) == 2 else "35"
    body = dep + "0" + "".join(map(str, rng.integers(0, 10, 5)))
    return body + luhn.calc_check_digit(body)
