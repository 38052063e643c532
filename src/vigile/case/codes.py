"""Personal access codes printed in letters: random, typable, stored only as hashes.

A code is 19 random Crockford base32 symbols (95 bits from `secrets`) plus one
Luhn mod 32 check symbol (python-stdnum), shown as five groups of four:
``7K3M-Q9XD-2HBW-PT6R-F4NC``. It is never derived from personal data, so
knowing someone's NIR or birth date says nothing about their code.

The store keeps three things per code:
- a keyed lookup tag, HMAC-SHA256 under a sub-key of the store key, so that a
  look-up is one indexed query instead of a scan of slow hashes;
- a scrypt hash (own salt, parameters kept in the row) as defence in depth;
- the code sealed with the store key (AES-GCM, like every personal field), because a
  person's code is issued once and then printed again by every channel, retry and run:
  the letter, the e-mail and a reprint after a no-code request all carry the same code,
  and a killed run resumed never changes a code already handed over.

Why scrypt is cheap here: a slow KDF protects low-entropy secrets (passwords)
against offline guessing. A 95-bit random code needs no stretching (2^95
guesses is out of reach whatever the hash); the KDF is kept for the case where
both the database and the store key leak, and its cost is set so a portal
still serves >= 500 look-ups/s on two cores (see benchmarks/bench_portal.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import b64decode, b64encode
from collections.abc import Iterable
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import (
    and_,
    delete,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from stdnum import luhn

from .clock import utcnow
from .schema import access_codes, affected

# Crockford base32: no I, L, O, U (read as 1, 1, 0 or refused), so codes survive handwriting.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 19  # 19 x 5 bits = 95 bits >= the 80 required
GROUP = 4
CODE_LENGTH = RANDOM_SYMBOLS + 1
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -._\t\u00a0\u2010\u2011\u2012\u2013\u2014")

# scrypt cost: N = 2^SCRYPT_LOG_N, 128 * r * N bytes of memory (here 128 KiB, ~0.3 ms).
# Measured: N=2^9 gave ~335 look-ups/s, 2^8 ~497/s, 2^7 ~510/s on the shared 2 cores.
SCRYPT_LOG_N = 7
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_TAG_PURPOSE = b"vigile.portal/code-tag/v1"


# -- the code itself ---------------------------------------------------------------
def _group(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def generate_code() -> str:
    """A fresh code, e.g. ``7K3M-Q9XD-2HBW-PT6R-F4NC`` (95 random bits + a check symbol)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return _group(body + luhn.calc_check_digit(body, alphabet=ALPHABET))


def normalize_code(text: str) -> str | None:
    """The canonical grouped code, or None if malformed or the check symbol fails.

    Tolerates case, spaces, dashes and the look-alikes O->0, I/L->1.
    """
    if not isinstance(text, str) or len(text) > 64:
        return None
    symbols = text.upper().translate(_SEPARATORS).translate(_CONFUSABLE)
    if len(symbols) != CODE_LENGTH or any(c not in ALPHABET for c in symbols):
        return None
    if luhn.checksum(symbols, alphabet=ALPHABET) != 0:
        return None
    return _group(symbols)


# -- hashing -----------------------------------------------------------------------
def _scrypt(code: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        code.encode(), salt=salt, n=1 << log_n, r=r, p=p, dklen=32, maxmem=64 * 1024 * 1024
    )


def hash_code(code: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(code, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        ("scrypt", str(SCRYPT_LOG_N), str(SCRYPT_R), str(SCRYPT_P))
        + (b64encode(salt).decode(), b64encode(digest).decode())
    )


def verify_code_hash(code: str, stored: str) -> bool:
    try:
        scheme, log_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = _scrypt(code, b64decode(salt), int(log_n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(got, b64decode(digest))


# Verified against when no row matches, so a miss costs the same KDF work as a hit.
_DUMMY_HASH = hash_code(generate_code())


_tag_keys: WeakKeyDictionary = WeakKeyDictionary()


def _tag_key(store) -> bytes:
    """The store's tag key, derived once per open store (look-ups are hot)."""
    key = _tag_keys.get(store)
    if key is None:
        key = _tag_keys[store] = store_subkey(store, _TAG_PURPOSE)
    return key


def store_subkey(store, purpose: bytes) -> bytes:
    """A 32-byte key derived from the store key for `purpose` (needs the key).

    Derived from the cipher's person-reference sub-key through HKDF with a
    distinct label, so it reveals neither that key nor the master key.
    """
    cipher = store._require_key()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        cipher._ref_key
    )


def _tag(tag_key: bytes, incident_id: int, code: str) -> str:
    return hmac.new(tag_key, f"{incident_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _code_aad(incident_id: int, person_ref: str) -> bytes:
    return f"vigile.portal/code/{incident_id}/{person_ref}".encode()


def _code_row(store, tag_key: bytes, incident_id: int, ref: str, code: str, now) -> dict:
    return {
        "incident_id": incident_id,
        "person_ref": ref,
        "lookup_tag": _tag(tag_key, incident_id, code),
        "code_hash": hash_code(code),
        "created_at": now,
        "sealed": store._require_key().seal(code, _code_aad(incident_id, ref)),
    }


# -- store operations --------------------------------------------------------------
def issue_codes(store, incident_id: int, person_refs: Iterable[str]) -> dict[str, str]:
    """The code of each person, created the first time and the same ever after.

    Returns {person_ref: code in clear}. Safe with concurrent callers: a code inserted
    by another run first wins (insert ... on conflict do nothing, then read back), so two
    operators printing at once still give each person one code. A pre-0003 code that was
    stored without its sealed copy is replaced (it could not be printed again).
    """
    refs = list(dict.fromkeys(person_refs))
    tag_key = _tag_key(store)
    cipher = store._require_key()
    now = utcnow()
    out: dict[str, str] = {}
    with store.engine.begin() as conn:
        store._ensure_incident(conn, incident_id)
        existing: dict[str, bytes | None] = {}
        for i in range(0, len(refs), 500):  # bounded IN lists
            existing.update(
                conn.execute(
                    select(access_codes.c.person_ref, access_codes.c.sealed).where(
                        access_codes.c.incident_id == incident_id,
                        access_codes.c.person_ref.in_(refs[i : i + 500]),
                    )
                ).all()
            )
        stale = [r for r, sealed in existing.items() if sealed is None]
        for i in range(0, len(stale), 500):
            conn.execute(
                delete(access_codes).where(
                    access_codes.c.incident_id == incident_id,
                    access_codes.c.person_ref.in_(stale[i : i + 500]),
                )
            )
        missing = [r for r in refs if existing.get(r) is None]
        rows = [_code_row(store, tag_key, incident_id, r, generate_code(), now) for r in missing]
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        for i in range(0, len(rows), 5_000):
            conn.execute(
                dialect_insert(access_codes).on_conflict_do_nothing(
                    index_elements=["incident_id", "person_ref"]
                ),
                rows[i : i + 5_000],
            )
        if missing:
            # Read back what is stored now: another run's code wins over ours.
            for i in range(0, len(missing), 500):
                existing.update(
                    conn.execute(
                        select(access_codes.c.person_ref, access_codes.c.sealed).where(
                            access_codes.c.incident_id == incident_id,
                            access_codes.c.person_ref.in_(missing[i : i + 500]),
                        )
                    ).all()
                )
            store._audit(
                conn, "portal.codes_issue", {"incident_id": incident_id, "codes": len(missing)}
            )
    for ref in refs:
        out[ref] = cipher.open(bytes(existing[ref]), _code_aad(incident_id, ref))
    return out


def reissue_code(store, incident_id: int, person_ref: str) -> str:
    """Replace one person's code (an operator's decision, e.g. a letter reported stolen):
    the old code stops working at once. Returns the new code in clear."""
    tag_key = _tag_key(store)
    code = generate_code()
    row = _code_row(store, tag_key, incident_id, person_ref, code, utcnow())
    with store.engine.begin() as conn:
        store._ensure_incident(conn, incident_id)
        conn.execute(
            delete(access_codes).where(
                access_codes.c.incident_id == incident_id,
                access_codes.c.person_ref == person_ref,
            )
        )
        conn.execute(insert(access_codes), [row])
        store._audit(conn, "portal.code_reissue", {"incident_id": incident_id})
    return code


def issue_code(store, incident_id: int, person_ref: str) -> str:
    """One person's code (created the first time, the same ever after)."""
    return issue_codes(store, incident_id, [person_ref])[person_ref]


def find_person(store, incident_id: int, code: str) -> str | None:
    """The person_ref holding `code` in this incident, or None.

    Same work whether or not the code exists: one indexed query, one scrypt.
    A person purged from the affected table no longer matches.
    """
    canonical = normalize_code(code)
    if canonical is None:
        return None
    tag = _tag(_tag_key(store), incident_id, canonical)
    q = (
        select(access_codes.c.person_ref, access_codes.c.code_hash)
        .select_from(
            access_codes.join(
                affected,
                and_(
                    affected.c.incident_id == access_codes.c.incident_id,
                    affected.c.person_ref == access_codes.c.person_ref,
                ),
            )
        )
        .where(access_codes.c.incident_id == incident_id, access_codes.c.lookup_tag == tag)
    )
    with store._read() as conn:
        row = conn.execute(q).first()
    ok = verify_code_hash(canonical, row[1] if row else _DUMMY_HASH)
    return row[0] if row is not None and ok else None
