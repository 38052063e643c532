"""Where the store key comes from: kept outside the database, chosen by the user.

Order: an explicit key, then VIGILE_KEY (base64 of 32 bytes), then a key file
(explicit path, else VIGILE_KEY_FILE) holding the same base64 text.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import stat
from pathlib import Path

from .errors import BadKeyError

KEY_BYTES = 32
ENV_KEY = "VIGILE_KEY"
ENV_KEY_FILE = "VIGILE_KEY_FILE"

log = logging.getLogger(__name__)


def decode_key(text: str | bytes, origin: str) -> bytes:
    """Base64 text -> 32 raw bytes. `origin` names where it came from, for the error message."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadKeyError(f"{origin}: key is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise BadKeyError(f"{origin}: key must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def read_key_file(path: str | os.PathLike) -> bytes:
    p = Path(path)
    try:
        mode = p.stat().st_mode
        text = p.read_bytes()
    except OSError as e:
        raise BadKeyError(f"key file {p}: cannot read ({e.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("key file %s is readable by other users: chmod 600 it", p)
    return decode_key(text, f"key file {p}")


def load_key(key: bytes | None = None, key_file: str | os.PathLike | None = None) -> bytes | None:
    """The key to use, or None when none is configured (the store then opens locked)."""
    if key is not None:
        if len(key) != KEY_BYTES:
            raise BadKeyError(f"key must be {KEY_BYTES} raw bytes, got {len(key)}")
        return bytes(key)
    if key_file is None and os.environ.get(ENV_KEY):
        return decode_key(os.environ[ENV_KEY], ENV_KEY)
    path = key_file or os.environ.get(ENV_KEY_FILE)
    return read_key_file(path) if path else None


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def create_key_file(path: str | os.PathLike) -> bytes:
    """Write a fresh key as base64 to a new file created 0600 (never overwrites)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    try:
        # O_EXCL: never clobber an existing key (it would orphan a store); 0600 from birth.
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BadKeyError(f"key file {p} already exists: not overwriting it") from None
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64encode(key) + b"\n")
    os.chmod(p, 0o600)  # umask cannot widen it, but be explicit
    return key
