"""Ed25519 signing keys for export manifests (PEM files, private key mode 0600)."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import ProtectError


def write_signing_key(private_path: Path, public_path: Path) -> str:
    """Create a key pair; returns the public key's fingerprint."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return fingerprint(public_b64(key.public_key()))


def load_private(path: str | Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        raise ProtectError(f"{path}: not a readable Ed25519 private key (PEM)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ProtectError(f"{path}: not an Ed25519 private key")
    return key


def load_public(path: str | Path) -> str:
    """The raw public key, base64, from a PEM file."""
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError):
        raise ProtectError(f"{path}: not a readable Ed25519 public key (PEM)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ProtectError(f"{path}: not an Ed25519 public key")
    return public_b64(key)


def public_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def fingerprint(public: str) -> str:
    return "SHA256:" + hashlib.sha256(base64.b64decode(public)).hexdigest()[:32]


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode()


def signature_ok(public: str, data: bytes, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
            base64.b64decode(signature), data
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
