"""Encryption of personal fields at rest: one AES-GCM blob per person.

One master key (outside the store) -> HKDF sub-keys for encryption, for the
keyed person reference and for the key check, so no sub-key reveals another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import WrongKeyError

NONCE_BYTES = 12
_KEY_CHECK_PLAINTEXT = b"vigile.case key check v1"
_KEY_CHECK_AAD = b"vigile.case/key-check"
# One encoder reused across the per-person loop.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _subkey(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class FieldCipher:
    """Seals JSON-able values with AES-GCM; the AAD binds a blob to its row and table."""

    def __init__(self, master_key: bytes):
        self._aead = AESGCM(_subkey(master_key, b"vigile.case/aead/v1"))
        self._ref_key = _subkey(master_key, b"vigile.case/person-ref/v1")
        self._audit_key = _subkey(master_key, b"vigile.case/audit-mac/v1")

    def audit_mac(self, data: str) -> str:
        """HMAC-SHA256 of an audit row (hex): the chain can only be extended or rewritten
        by whoever holds the store key, which the store file does not hold."""
        return hmac.new(self._audit_key, data.encode(), hashlib.sha256).hexdigest()

    def seal(self, value: object, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        data = _encode_json(value).encode()
        return nonce + self._aead.encrypt(nonce, data, aad)

    def open(self, blob: bytes, aad: bytes) -> object:
        try:
            data = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            # Same message for a wrong key and a tampered blob: both mean "cannot trust this".
            raise WrongKeyError(
                "cannot decrypt: wrong key for this store, or the encrypted data was altered"
            ) from None
        return json.loads(data)

    def person_ref(self, patient_id: str) -> str:
        """Keyed, stable reference for a patient: joins rows without storing the id in clear."""
        return hmac.new(self._ref_key, patient_id.encode(), hashlib.sha256).hexdigest()

    def key_check(self) -> bytes:
        return self.seal(_KEY_CHECK_PLAINTEXT.decode(), _KEY_CHECK_AAD)

    def verify_key_check(self, blob: bytes) -> None:
        try:
            ok = self.open(blob, _KEY_CHECK_AAD) == _KEY_CHECK_PLAINTEXT.decode()
        except WrongKeyError:
            ok = False
        if not ok:
            raise WrongKeyError("this key does not open this store (it was created with another)")
