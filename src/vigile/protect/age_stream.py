"""Streaming age encryption: a writer whose bytes land encrypted on disk, never in clear.

pyrage encrypts from a readable stream; the Parquet writer writes to a stream. A
pipe joins them, with the encryption on a thread, so memory stays bounded and no
plaintext file ever exists.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pyrage
from pyrage import x25519

from .errors import ProtectError


def parse_recipients(keys: list[str]) -> list[x25519.Recipient]:
    out = []
    for k in keys:
        try:
            out.append(x25519.Recipient.from_str(k.strip()))
        except Exception:
            raise ProtectError(f"not an age public key (age1…): {k[:8]}…") from None
    if not out:
        raise ProtectError("at least one recipient public key is needed")
    return out


def parse_identities(text: str, where: str) -> list[x25519.Identity]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    try:
        ids = [x25519.Identity.from_str(ln) for ln in lines]
    except Exception:
        raise ProtectError(f"{where}: not an age identity file (AGE-SECRET-KEY-…)") from None
    if not ids:
        raise ProtectError(f"{where}: no age identity found")
    return ids


class EncryptingWriter:
    """File-like sink: write plaintext, get `path` encrypted to `recipients`.

    `sha256` and `tell()` describe the plaintext; call `close()` to finish."""

    def __init__(self, path: Path, recipients: list[x25519.Recipient]):
        r, w = os.pipe()
        self._reader = os.fdopen(r, "rb")
        self._writer = os.fdopen(w, "wb", buffering=1 << 20)
        self._out = open(path, "xb")  # noqa: SIM115 - closed by the thread
        self._error: BaseException | None = None
        self._hash = hashlib.sha256()
        self._pos = 0
        self.closed = False
        self._thread = threading.Thread(target=self._encrypt, args=(recipients,), daemon=True)
        self._thread.start()

    def _encrypt(self, recipients: list[x25519.Recipient]) -> None:
        try:
            pyrage.encrypt_io(self._reader, self._out, recipients)
        except BaseException as exc:  # noqa: BLE001 - re-raised on close
            self._error = exc
        finally:
            self._out.close()
            self._reader.close()

    def write(self, data) -> int:
        data = bytes(data)
        self._hash.update(data)
        self._pos += len(data)
        self._writer.write(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._writer.close()
        finally:
            self._thread.join()
        if self._error is not None:
            raise ProtectError(f"encryption failed ({type(self._error).__name__})")


class HashingSink:
    """File-like sink for decryption: writes through to a file and hashes the plaintext."""

    def __init__(self, path: Path):
        self._f = open(path, "xb")  # noqa: SIM115 - closed in close()
        self._hash = hashlib.sha256()

    def write(self, data) -> int:
        self._hash.update(data)
        return self._f.write(data)

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()
