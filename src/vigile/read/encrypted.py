"""Is a file encrypted? Recognised by container markers, without any key.

Hand-written: a handful of magic numbers and one zip flag; no library answers
this across age, OpenPGP, zip and Office formats.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def encryption_of(path: Path, head: bytes) -> str | None:
    """'age', 'openpgp', 'zip', 'office' or None (not recognisably encrypted)."""
    if head.startswith((b"age-encryption.org/v1", b"-----BEGIN AGE ENCRYPTED FILE-----")):
        return "age"
    if head.startswith(b"-----BEGIN PGP MESSAGE-----") or (
        head[:1] in (b"\x84", b"\x85", b"\x8c", b"\xc1", b"\xc3")
        and path.suffix in (".gpg", ".pgp")
    ):
        return "openpgp"
    if head.startswith(b"PK\x03\x04"):
        if len(head) > 6 and head[6] & 0x1:  # first entry's local header says encrypted
            return "zip"
        try:
            with zipfile.ZipFile(path) as zf:
                if any(i.flag_bits & 0x1 for i in zf.infolist()):
                    return "zip"
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return None
    if head.startswith(_OLE):
        # Password-protected xlsx/docx are OLE containers holding an EncryptedPackage stream.
        with open(path, "rb") as f:
            if _ENCRYPTED_PACKAGE in f.read(1 << 20):
                return "office"
    return None
