"""Value pools drawn once (from Faker and small hand lists), then indexed by numpy.

Every generated column is a gather from one of these pools, never a per-row
Faker call. Pools only keep values that encode in cp1252, so any export can be
written in the Windows code page the 2021 LIS used.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass

import numpy as np
import polars as pl
from faker import Faker

from vigile.synth.geography import Communes, build_communes
from vigile.synth.identifiers import rpps_numbers

_NAME_LOCALES = ("fr_FR", "fr_BE", "fr_CH", "fr_CA")

# Faker has no Breton or Norman surnames; the leak was mostly from the west.
_WESTERN_SURNAMES = (
    "Le Gall", "Le Goff", "Le Bihan", "Le Roux", "Tanguy", "Kerbrat", "Le Floch", "Guillou",
    "Le Corre", "Quéré", "Le Guen", "Le Meur", "Cornec", "Jaouen", "Kervella", "Le Bris",
    "Morvan", "Riou", "Hamon", "Le Berre", "Lucas", "Le Du", "Salaün", "Nédélec", "Le Coz",
    "Marie", "Lecomte", "Leclerc", "Lemonnier", "Hébert", "Lemaître", "Duval", "Lebrun",
    "Leroux", "Letellier", "Lecoq", "Vautier", "Jouan", "Desfontaines", "Le Calvez",
)  # fmt: skip

INSURERS = (
    "MGEN", "Harmonie Mutuelle", "Malakoff Humanis", "AG2R La Mondiale", "Groupama Santé",
    "MAAF Santé", "Macif Mutualité", "MNT", "Mutuelle de Bretagne", "Apréva", "Swiss Life",
    "AXA Santé", "Mutuelle Générale", "Intériale", "Klesia", "Aésio", "Ociane Matmut",
    "Solimut", "MutuelleBleue", "CMU-C / CSS",
)  # fmt: skip

EMAIL_DOMAINS = (
    "orange.fr", "gmail.com", "wanadoo.fr", "free.fr", "laposte.net", "hotmail.fr",
    "sfr.fr", "yahoo.fr", "outlook.fr", "bbox.fr",
)  # fmt: skip

ADDRESS_LINE2 = (
    "Bât. A", "Bât. B", "Appt 12", "Appt 3", "Résidence Les Tilleuls", "Résidence du Parc",
    "Lieu-dit Kerhuel", "Lieu-dit La Croix", "Escalier C", "2e étage", "BP 42",
    "Hameau de la Forge", "Les Hauts de Ville",
)  # fmt: skip

COMMON_PASSWORDS = (
    "azerty", "123456", "azerty123", "soleil", "motdepasse", "doudou", "loulou", "chouchou",
    "marseille", "bretagne", "coucou", "123456789", "nicolas", "julien", "password", "chocolat",
)  # fmt: skip


def cp1252_safe(value: str) -> bool:
    try:
        value.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def ascii_slug(value: str) -> str:
    """'Le Gall' -> 'legall', 'Hélène' -> 'helene' (for e-mails and logins)."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def ascii_fold(value: str) -> str:
    """'Hélène' -> 'Helene' (keeps case and punctuation)."""
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


def _provider_names(attr: str) -> list[str]:
    out: set[str] = set()
    for loc in _NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        out.update(getattr(provider, attr, ()))
    return sorted(v for v in out if cp1252_safe(v) and v.strip())


@dataclass(frozen=True)
class Pools:
    """Everything the generators index into. Built once per seed."""

    last_names: pl.Series  # upper case, as LIS store them
    last_slugs: pl.Series
    first_names: pl.Series  # female names first, then male ones
    first_slugs: pl.Series
    first_fold: pl.Series  # accents removed (first-name variants in patient DBs)
    n_female: int
    streets: pl.Series
    communes: Communes
    prescriber_name: pl.Series  # "Dr DUPONT Jean"
    prescriber_rpps: pl.Series
    md5: pl.Series  # hashes of a pool of passwords (hex)
    sha1: pl.Series
    bcrypt: pl.Series


def _bcrypt_like(rng: np.random.Generator, n: int) -> list[str]:
    # Real bcrypt costs ~50 ms per hash: we only need the exact shape ($2y$10$ + 53 chars).
    alphabet = np.array(list("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    chars = alphabet[rng.integers(0, len(alphabet), (n, 53))]
    return ["$2y$10$" + "".join(row) for row in chars]


def build_pools(seed: int, prescribers: int) -> Pools:
    import hashlib

    faker = Faker("fr_FR")
    faker.seed_instance(seed)
    rng = np.random.default_rng([seed, 17])

    last = sorted(set(_provider_names("last_names")) | set(_WESTERN_SURNAMES))
    female = _provider_names("first_names_female")
    male = _provider_names("first_names_male")
    streets = sorted({s for s in (faker.street_name() for _ in range(4000)) if cp1252_safe(s)})

    doc_last = rng.choice(np.array(last), prescribers)
    doc_first = rng.choice(np.array(female + male), prescribers)
    doc_names = [f"Dr {ln.upper()} {fn}" for ln, fn in zip(doc_last, doc_first, strict=True)]

    secrets = ["".join(map(chr, rng.integers(97, 123, 9))) for _ in range(4000)]
    return Pools(
        last_names=pl.Series([v.upper() for v in last]),
        last_slugs=pl.Series([ascii_slug(v) for v in last]),
        first_names=pl.Series(female + male),
        first_slugs=pl.Series([ascii_slug(v) for v in female + male]),
        first_fold=pl.Series([ascii_fold(v) for v in female + male]),
        n_female=len(female),
        streets=pl.Series(streets),
        communes=build_communes(faker, rng),
        prescriber_name=pl.Series(doc_names),
        prescriber_rpps=pl.Series(rpps_numbers(rng, prescribers)),
        md5=pl.Series([hashlib.md5(s.encode()).hexdigest() for s in secrets]),
        sha1=pl.Series([hashlib.sha1(s.encode()).hexdigest() for s in secrets]),
        bcrypt=pl.Series(_bcrypt_like(rng, 4000)),
    )
