"""Small hand-made columns for every category and decoy (no real persons)."""

from __future__ import annotations

import random

from stdnum import iban, luhn
from stdnum.fr import nir

N = 40
rng = random.Random(42)

LAST = [
    "DUPONT",
    "MARTIN",
    "LE GALL",
    "BERNARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFEBVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
    "MOREL",
    "GIRARD",
    "ANDRE",
    "MERCIER",
    "BLANC",
    "GUERIN",
    "BOYER",
    "GARNIER",
]
FIRST = [
    "Jean",
    "Marie",
    "Pierre",
    "Sophie",
    "Luc",
    "Anne",
    "Paul",
    "Julie",
    "Nicolas",
    "Camille",
    "Thomas",
    "Léa",
    "Michel",
    "Nathalie",
    "Philippe",
    "Isabelle",
    "Jean-Pierre",
    "Catherine",
]
CITIES = [
    "RENNES",
    "BREST",
    "LANNION",
    "LORIENT",
    "CAEN",
    "TOURS",
    "ORLEANS",
    "QUIMPER",
    "VANNES",
    "SAINT-MALO",
    "SAINT-BRIEUC",
    "CHARTRES",
    "BLOIS",
    "BOURGES",
    "DINAN",
    "MORLAIX",
]
POSTCODES = [
    "35000",
    "29200",
    "22300",
    "56100",
    "14000",
    "37000",
    "45000",
    "29000",
    "56000",
    "35400",
    "22000",
    "28000",
    "41000",
    "18000",
    "22100",
    "29600",
    "20000",
    "20200",
    "97400",
]


def pick(pool, n=N):
    return [rng.choice(pool) for _ in range(n)]


def nirs(n=N, spaced=False):
    out = []
    for _ in range(n):
        dep = rng.choice(["35", "29", "2A", "2B", "75", "99", "22"])
        body = f"{rng.choice('12')}{rng.randint(30, 99):02d}{rng.randint(1, 12):02d}{dep}{rng.randint(0, 999999):06d}"
        v = body + nir.calc_check_digits(body)
        out.append(nir.format(v) if spaced else v)
    return out


def barcodes(n=N):
    """15 digits starting with 1/2 whose key fails."""
    out = []
    for v in nirs(n):
        bad = (int(v[13:]) % 97) + 1
        out.append(v[:13] + f"{bad:02d}")
    return out


def luhn_number(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def ibans(n=N):
    out = []
    for _ in range(n):
        bban = "".join(rng.choice("0123456789") for _ in range(23))
        out.append("FR" + iban.calc_check_digits("FR00" + bban) + bban)
    return out


def phones(n=N):
    fmts = [
        "0{a} {b} {c} {d} {e}",
        "0{a}{b}{c}{d}{e}",
        "+33 {a} {b} {c} {d} {e}",
        "0{a}.{b}.{c}.{d}.{e}",
    ]
    out = []
    for _ in range(n):
        p = {k: f"{rng.randint(0, 99):02d}" for k in "bcde"}
        out.append(rng.choice(fmts).format(a=rng.choice("1234567"), **p))
    return out


def dates(lo_year, hi_year, n=N, fmt="{d:02d}/{m:02d}/{y}"):
    return [
        fmt.format(d=rng.randint(1, 28), m=rng.randint(1, 12), y=rng.randint(lo_year, hi_year))
        for _ in range(n)
    ]


def hex_hashes(n=N, length=32):
    return ["".join(rng.choice("0123456789abcdef") for _ in range(length)) for _ in range(n)]


def plain_passwords(n=N):
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(6, 14))) for _ in range(n)]


def logins(n=N):
    return [
        f"{rng.choice(FIRST).lower().replace('é', 'e')}.{rng.choice(LAST).lower().replace(' ', '')}{i}"
        for i in range(n)
    ]
