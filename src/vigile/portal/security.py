"""CSRF tokens, the sealed session cookie and strict response headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CSRF_COOKIE = "vigile_csrf"
SESSION_COOKIE = "vigile_session"
_NONCE = 12

# No inline script anywhere (there is no script at all), no third-party origin.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (k.encode(), v.encode())
    for k, v in (
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        ("cache-control", "no-store"),
    )
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Csrf:
    """Double submit, signed: the form field is HMAC(key, cookie); cookies are SameSite=Strict."""

    def __init__(self, key: bytes):
        self._key = key

    @staticmethod
    def new_cookie() -> str:
        return _b64(os.urandom(32))

    def token_for(self, cookie: str) -> str:
        return _b64(hmac.new(self._key, cookie.encode(), hashlib.sha256).digest())

    def valid(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token or len(cookie) > 100 or len(token) > 100:
            return False
        return hmac.compare_digest(self.token_for(cookie), token)


@dataclass(frozen=True)
class Session:
    incident_id: int
    person_ref: str
    session_id: str  # random, names the session so logout can end it server-side
    expires: float  # epoch seconds


class SessionSealer:
    """The person's session as an AES-GCM sealed cookie: works across worker processes,
    and the client never sees the person reference. Logout ends a session for good: its
    id is recorded in the store (`vigile.case.Throttle.end_session`)."""

    def __init__(self, key: bytes, minutes: int):
        self._aead = AESGCM(key)
        self._ttl = minutes * 60

    def seal(self, incident_id: int, person_ref: str, now: float | None = None) -> str:
        exp = int((now or time.time()) + self._ttl)
        nonce = os.urandom(_NONCE)
        sid = _b64(os.urandom(16))
        body = json.dumps({"i": incident_id, "r": person_ref, "s": sid, "e": exp}).encode()
        return _b64(nonce + self._aead.encrypt(nonce, body, b"vigile.portal/session"))

    def open(self, cookie: str | None, now: float | None = None) -> Session | None:
        if not cookie or len(cookie) > 400:
            return None
        try:
            blob = _unb64(cookie)
            data = json.loads(
                self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], b"vigile.portal/session")
            )
        except (InvalidTag, ValueError):
            return None
        if data["e"] < (now or time.time()) or "s" not in data:
            return None
        return Session(int(data["i"]), str(data["r"]), str(data["s"]), float(data["e"]))
