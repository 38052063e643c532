"""Synthetic persons: one polars row per patient, every column vectorised.

A person carries identity, NIR, address, contact, insurer, usual prescriber,
blood group, health profile (a bitmask over clinical.KINDS) and results-server
account. Lab exports and patient databases are both built from this frame.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from vigile.synth.clinical import KINDS, TREATMENTS
from vigile.synth.geography import (
    BIRTH_COUNTRIES,
    DEPARTEMENTS,
    LANDLINE_PREFIX,
    OVERSEAS,
    residence_weights,
)
from vigile.synth.identifiers import build_nirs
from vigile.synth.pools import COMMON_PASSWORDS, EMAIL_DOMAINS, INSURERS, Pools

KIND_BIT: dict[str, int] = {k: 1 << i for i, k in enumerate(KINDS)}

# Mobile prefixes that phonenumbers accepts as valid French mobiles.
_MOBILE_PREFIXES = np.array("060 061 062 064 065 066 067 068 073 074 075 076 077 078".split())
_FRENCH_ISP_OCTETS = np.array([2, 77, 78, 80, 81, 82, 83, 86, 88, 90, 92, 109, 176, 178, 188])

# Age buckets of lab patients (older than the population): (low, high inclusive, weight).
_AGE_BUCKETS = ((0, 2, 0.03), (3, 17, 0.09), (18, 44, 0.30), (45, 74, 0.40), (75, 100, 0.18))


def _digits(rng: np.random.Generator, n: int, width: int) -> pl.Series:
    """n random zero-padded digit strings of `width` digits."""
    return pl.Series(rng.integers(0, 10**width, n, dtype=np.int64)).cast(pl.String).str.zfill(width)


def _concat(parts: list[pl.Series], separator: str = "") -> pl.Series:
    return pl.select(
        pl.concat_str([p.cast(pl.String) for p in parts], separator=separator)
    ).to_series()


def _gather(pool: pl.Series, idx: np.ndarray) -> pl.Series:
    return pool.gather(idx)


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    w = np.array([b[2] for b in _AGE_BUCKETS])
    bucket = rng.choice(len(_AGE_BUCKETS), n, p=w / w.sum())
    low = np.array([b[0] for b in _AGE_BUCKETS])[bucket]
    high = np.array([b[1] for b in _AGE_BUCKETS])[bucket]
    return rng.integers(low, high + 1)


def _birth_dates(rng: np.random.Generator, ages: np.ndarray, reference: date) -> np.ndarray:
    """Dates such that the age at `reference` is exactly `ages` (birthday excluded)."""
    ref = np.datetime64(reference, "D")
    latest = ref - 1  # born at least one day before the reference date
    # Born in (ref - (age+1) years, ref - age years]: pick a day in that window.
    years_back = np.array([np.datetime64(reference.replace(year=reference.year - a)) for a in
                           range(0, 102)], dtype="datetime64[D]")  # fmt: skip
    upper = np.minimum(years_back[ages], latest)
    lower = years_back[ages + 1] + 1
    span = (upper - lower).astype(np.int64) + 1
    return lower + (rng.random(len(ages)) * span).astype(np.int64)


def _commune_choice(rng: np.random.Generator, pools: Pools, deps: np.ndarray) -> np.ndarray:
    """A commune index for each person, within the person's département (real towns first)."""
    communes = pools.communes
    start = np.array([communes.starts[d][0] for d in DEPARTEMENTS])
    end = np.array([communes.starts[d][1] for d in DEPARTEMENTS])
    dep_index = {d: i for i, d in enumerate(DEPARTEMENTS)}
    uniq, inv = np.unique(deps, return_inverse=True)
    di = np.array([dep_index[d] for d in uniq])[inv]
    size = end[di] - start[di]
    # u**2 favours the first entries: real towns get most people.
    return start[di] + (rng.random(len(deps)) ** 2 * size).astype(np.int64)


def _birth_departements(
    rng: np.random.Generator, res_dep: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Département of birth as written in the NIR, and the 3-digit commune/country code."""
    u = rng.random(n)
    metro = np.array([d for d in DEPARTEMENTS if d not in OVERSEAS])
    birth = res_dep.astype("U3").copy()
    other = rng.choice(metro, n)
    birth = np.where((u >= 0.60) & (u < 0.86), other, birth)
    birth = np.where((u >= 0.86) & (u < 0.875), np.where(rng.random(n) < 0.5, "2A", "2B"), birth)
    commune = rng.integers(1, 700, n)
    # Born overseas: NIR département 97, commune code starts with the third digit (971 -> 1xx).
    lives_overseas = np.isin(res_dep, list(OVERSEAS))
    born_overseas = ((u >= 0.875) & (u < 0.90)) | (lives_overseas & (u < 0.6))
    digit = np.where(lives_overseas, _third_digit(res_dep), rng.choice([1, 2, 3, 4, 6], n))
    birth = np.where(born_overseas, "97", birth)
    commune = np.where(born_overseas, digit * 100 + rng.integers(1, 35, n), commune)
    # Born abroad: département 99, commune = INSEE country code.
    abroad = u >= 0.90
    birth = np.where(abroad, "99", birth)
    commune = np.where(abroad, rng.choice(np.array(BIRTH_COUNTRIES).astype(int), n), commune)
    return birth.astype("U2"), commune


def _third_digit(deps: np.ndarray) -> np.ndarray:
    """'971' -> 1, '974' -> 4; 0 for two-character départements."""
    padded = np.char.ljust(deps.astype("U3"), 3, "0")
    return padded.view("U1").reshape(-1, 3)[:, 2].astype(np.int64)


def build_persons(
    n: int,
    seed: int,
    pools: Pools,
    reference: date,
    missing_nir_share: float = 0.05,
    stream: int = 0,
) -> pl.DataFrame:
    """`n` synthetic patients; deterministic for (seed, stream, n, reference)."""
    rng = np.random.default_rng([seed, 1000 + stream])
    person = np.arange(n, dtype=np.int64)
    sex = np.where(rng.random(n) < 0.56, 2, 1).astype(np.int8)  # labs see more women
    female = sex == 2
    ages = _ages(rng, n)
    birth = _birth_dates(rng, ages, reference)
    birth_year = birth.astype("datetime64[Y]").astype(int) + 1970
    birth_month = birth.astype("datetime64[M]").astype(int) % 12 + 1

    # Names: birth name; married women (part of adults) use another usage name.
    n_last = len(pools.last_names)
    birth_name_idx = rng.integers(0, n_last, n)
    married = female & (ages >= 23) & (rng.random(n) < 0.55)
    usage_name_idx = np.where(married, rng.integers(0, n_last, n), birth_name_idx)
    nf, nt = pools.n_female, len(pools.first_names)
    first1 = np.where(female, rng.integers(0, nf, n), rng.integers(nf, nt, n))
    second = np.where(female, rng.integers(0, nf, n), rng.integers(nf, nt, n))
    first2 = np.where((rng.random(n) < 0.2) & (second != first1), second, -1)

    # Residence and NIR.
    res_dep = rng.choice(np.array(DEPARTEMENTS), n, p=residence_weights())
    commune_idx = _commune_choice(rng, pools, res_dep)
    birth_dep, birth_commune = _birth_departements(rng, res_dep, n)
    nir13, nir_key = build_nirs(
        sex, birth_year, birth_month, birth_dep, birth_commune, rng.integers(1, 1000, n)
    )
    has_nir = rng.random(n) >= missing_nir_share

    # Contact.
    mobile = _concat([pl.Series(rng.choice(_MOBILE_PREFIXES, n)), _digits(rng, n, 7)])
    land_prefix = np.array([LANDLINE_PREFIX[d] for d in DEPARTEMENTS])
    dep_pos = np.searchsorted(np.array(DEPARTEMENTS), res_dep, sorter=np.argsort(DEPARTEMENTS))
    dep_pos = np.argsort(DEPARTEMENTS)[dep_pos]
    prefix = land_prefix[dep_pos]
    # Third digit never 6 or 9: 026x and 059x belong to Réunion, Mayotte and the Antilles.
    third = rng.choice(np.array([1, 2, 3, 4, 5, 7, 8]), n)
    home = _concat([pl.Series(prefix), pl.Series(third), _digits(rng, n, 7)]).str.slice(0, 10)
    email_style = rng.integers(0, 4, n)

    # Insurer, prescriber, blood group, health profile, account.
    insurer = rng.integers(0, len(INSURERS), n)
    member_len = 8 + insurer % 3
    member_no = pl.Series(rng.integers(10**7, 10**10, n, dtype=np.int64) % (10**member_len))
    kinds = np.zeros(n, dtype=np.int64)
    p_kind = {
        "pregnancy": np.where(female & (ages >= 15) & (ages <= 45), 0.12, 0.0),
        "hiv": np.full(n, 0.006),
        "disability": np.where(ages >= 70, 0.05, 0.015),
        "chronic_disease": np.where(ages >= 60, 0.25, 0.06),
        "mental_health": np.where(ages >= 15, 0.03, 0.0),
        "addiction": np.where(ages >= 18, 0.02, 0.0),
        "treatment": np.where(ages >= 60, 0.55, 0.18),
    }
    for kind, p in p_kind.items():
        kinds |= np.where(rng.random(n) < p, KIND_BIT[kind], 0)
    has_treatment = (kinds & KIND_BIT["treatment"]) > 0

    abo = rng.choice(np.array(["O", "A", "B", "AB"]), n, p=[0.42, 0.45, 0.09, 0.04])
    blood_known = rng.random(n) < 0.4
    rh_positive = rng.random(n) < 0.85

    account = rng.random(n) < 0.8
    pw_kind = rng.choice(np.array(["plain", "md5", "sha1", "bcrypt"]), n, p=[0.4, 0.25, 0.2, 0.15])
    login_style = rng.choice(3, n, p=[0.45, 0.25, 0.30])
    plain_style = rng.integers(0, 4, n)
    hash_idx = rng.integers(0, len(pools.md5), n)
    ip_octets = [rng.choice(_FRENCH_ISP_OCTETS, n)] + [rng.integers(0, 256, n) for _ in range(2)]
    ip_octets.append(rng.integers(1, 255, n))
    has_ip = account & (rng.random(n) < 0.6)
    created = (
        birth
        + np.maximum(  # accounts opened 2010-2020, never before birth
            (np.datetime64("2010-01-01") - birth).astype(np.int64), 0
        )
        + rng.integers(0, 3650, n)
    )
    has_email = rng.random(n) < 0.6
    has_mobile = rng.random(n) < 0.85
    has_home = rng.random(n) < 0.45

    df = pl.DataFrame(
        {
            "person": person,
            "sex": sex,
            "age": ages.astype(np.int16),
            "birth_date": birth,
            "birth_name": _gather(pools.last_names, birth_name_idx),
            "usage_name": _gather(pools.last_names, usage_name_idx),
            "married": married,
            "first1": first1,
            "first2": first2,
            "last_slug": _gather(pools.last_slugs, usage_name_idx),
            "first_slug": _gather(pools.first_slugs, first1),
            "birth_dep": birth_dep,
            "nir13": nir13,
            "nir_key": nir_key,
            "has_nir": has_nir,
            "res_dep": res_dep,
            "commune": commune_idx,
            "house": rng.integers(1, 150, n),
            "bis": rng.random(n) < 0.03,
            "comma": rng.random(n) < 0.25,
            "street": _gather(pools.streets, rng.integers(0, len(pools.streets), n)),
            "line2": rng.integers(0, 13, n),
            "has_line2": rng.random(n) < 0.18,
            "mobile": mobile,
            "home": home,
            "has_mobile": has_mobile,
            "has_home": has_home,
            "email_style": email_style,
            "email_digits": rng.integers(10, 100, n),
            "email_domain": rng.integers(0, len(EMAIL_DOMAINS), n),
            "has_email": has_email,
            "insurer": insurer,
            "has_insurer": rng.random(n) < 0.72,
            "member_no": member_no,
            "member_len": member_len,
            "doctor": rng.integers(0, len(pools.prescriber_name), n),
            "abo": abo,
            "blood_known": blood_known,
            "rh_positive": rh_positive,
            "kinds": kinds,
            "treatment": np.where(has_treatment, rng.integers(0, len(TREATMENTS), n), -1),
            "account": account,
            "pw_kind": pw_kind,
            "login_style": login_style,
            "login_number": rng.integers(10**7, 10**8, n),
            "plain_style": plain_style,
            "common_pw": rng.integers(0, len(COMMON_PASSWORDS), n),
            "hash_idx": hash_idx,
            "ip": _concat([pl.Series(o) for o in ip_octets], separator="."),
            "has_ip": has_ip,
            "account_created": created,
        }
    )
    return df.with_columns(_derived_strings(pools)).drop(
        "email_style", "email_digits", "email_domain", "login_number",
        "plain_style", "common_pw", "house", "bis", "comma", "line2", "has_line2",
    )  # fmt: skip


def _derived_strings(pools: Pools) -> list[pl.Expr]:
    """Columns that are string compositions of the raw draws (all vectorised)."""
    c = pools.communes
    first_name = pl.col("first1").map_batches(lambda s: pools.first_names.gather(s))
    second = pl.col("first2").map_batches(lambda s: pools.first_names.gather(s.clip(0)))
    email_local = (
        pl.when(pl.col("email_style") == 0)
        .then(pl.concat_str([pl.col("first_slug"), pl.lit("."), pl.col("last_slug")]))
        .when(pl.col("email_style") == 1)
        .then(pl.concat_str([pl.col("first_slug").str.slice(0, 1), pl.col("last_slug")]))
        .when(pl.col("email_style") == 2)
        .then(
            pl.concat_str(
                [pl.col("first_slug"), pl.lit("."), pl.col("last_slug"), pl.col("email_digits")]
            )
        )
        .otherwise(pl.concat_str([pl.col("last_slug"), pl.lit("."), pl.col("first_slug")]))
    )
    domain = pl.col("email_domain").map_batches(lambda s: pl.Series(EMAIL_DOMAINS).gather(s))
    email = pl.concat_str([email_local, pl.lit("@"), domain])
    year = pl.col("birth_date").dt.year().cast(pl.String)
    plain = (
        pl.when(pl.col("plain_style") == 0)
        .then(pl.concat_str([pl.col("last_slug"), year]))
        .when(pl.col("plain_style") == 1)
        .then(
            pl.concat_str(
                [pl.col("first_slug").str.to_titlecase(), pl.col("email_digits"), pl.lit("!")]
            )
        )
        .when(pl.col("plain_style") == 2)
        .then(pl.col("common_pw").map_batches(lambda s: pl.Series(COMMON_PASSWORDS).gather(s)))
        .otherwise(pl.col("birth_date").dt.strftime("%d%m%Y"))
    )
    hashed = pl.col("hash_idx")
    password = (
        pl.when(pl.col("pw_kind") == "plain")
        .then(plain)
        .when(pl.col("pw_kind") == "md5")
        .then(hashed.map_batches(lambda s: pools.md5.gather(s)))
        .when(pl.col("pw_kind") == "sha1")
        .then(hashed.map_batches(lambda s: pools.sha1.gather(s)))
        .otherwise(hashed.map_batches(lambda s: pools.bcrypt.gather(s)))
    )
    login = (
        pl.when(pl.col("login_style") == 0)
        .then(pl.concat_str([pl.col("first_slug"), pl.lit("."), pl.col("last_slug")]))
        .when((pl.col("login_style") == 1) & pl.col("has_email"))
        .then(email)
        .otherwise(pl.col("login_number").cast(pl.String))
    )
    from vigile.synth.pools import ADDRESS_LINE2

    return [
        pl.when(pl.col("first2") >= 0)
        .then(pl.concat_str([first_name, pl.lit(" "), second]))
        .otherwise(first_name)
        .alias("first_name"),
        pl.concat_str(
            [
                pl.col("house").cast(pl.String),
                pl.when(pl.col("bis")).then(pl.lit(" bis")).otherwise(pl.lit("")),
                pl.when(pl.col("comma")).then(pl.lit(", ")).otherwise(pl.lit(" ")),
                pl.col("street"),
            ]
        ).alias("address1"),
        pl.when(pl.col("has_line2"))
        .then(pl.col("line2").map_batches(lambda s: pl.Series(ADDRESS_LINE2).gather(s)))
        .alias("address2"),
        pl.col("commune").map_batches(lambda s: pl.Series(c.postcode).gather(s)).alias("postcode"),
        pl.col("commune").map_batches(lambda s: pl.Series(c.name).gather(s)).alias("city"),
        pl.when(pl.col("has_email")).then(email).alias("email"),
        pl.when(pl.col("has_insurer"))
        .then(pl.col("insurer").map_batches(lambda s: pl.Series(INSURERS).gather(s)))
        .alias("insurer_name"),
        pl.when(pl.col("has_insurer"))
        .then(pl.col("member_no").cast(pl.String).str.zfill(pl.col("member_len")))
        .alias("member_number"),
        pl.when(pl.col("account")).then(login).alias("login"),
        pl.when(pl.col("account")).then(password).alias("password"),
    ]
