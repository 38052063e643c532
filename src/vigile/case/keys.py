"""Where the store key comes from: kept outside the database, chosen by the user.

Order: an explicit key, then VIGILE_KEY (base64 of 32 bytes), then a key file
(explicit path, else VIGILE_KEY_FILE) holding the same base64 text, else the key file
`vigile case new` created for this store: by default in the user's configuration folder
(VIGILE_KEY_DIR, else $XDG_CONFIG_HOME/vigile/keys, else ~/.config/vigile/keys), named
after the store, never beside the data. A key file found beside an older SQLite store is
still used, with a warning. `find_key_file` is the one discovery every command uses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import stat
from pathlib import Path

from .errors import BadKeyError

KEY_BYTES = 32
ENV_KEY = "VIGILE_KEY"
ENV_KEY_FILE = "VIGILE_KEY_FILE"
ENV_KEY_DIR = "VIGILE_KEY_DIR"

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


def key_dir() -> Path:
    """The folder for key files `vigile case new` creates (the user's, not the data's)."""
    if os.environ.get(ENV_KEY_DIR):
        return Path(os.environ[ENV_KEY_DIR])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "vigile" / "keys"


def _store_identity(db_url: str) -> tuple[str, Path | None]:
    """(a stable text naming the store without its password, its SQLite file if any)."""
    from sqlalchemy.engine import make_url

    u = make_url(db_url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        path = Path(u.database).absolute()
        return f"sqlite:{path}", path
    return u.set(password=None).render_as_string(hide_password=False), None


def default_key_path(db_url: str) -> Path:
    """Where `vigile case new` puts the key of the store at `db_url` (a full URL)."""
    ident, sqlite_file = _store_identity(db_url)
    stem = sqlite_file.stem if sqlite_file else "store"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:40] or "store"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:12]
    return key_dir() / f"{stem}-{digest}.key"


def legacy_key_path(db_url: str) -> Path | None:
    """Where vigile up to 0.1 put the key: beside a SQLite store."""
    _, sqlite_file = _store_identity(db_url)
    return sqlite_file.with_suffix(".key") if sqlite_file else None


def find_key_file(db_url: str, key_file: str | os.PathLike | None = None) -> Path | None:
    """The key file to use for the store at `db_url`: the explicit one, else VIGILE_KEY_FILE,
    else the one `vigile case new` created. None when VIGILE_KEY holds the key or none exists.
    """
    if key_file:
        return Path(key_file)
    if os.environ.get(ENV_KEY):
        return None
    if os.environ.get(ENV_KEY_FILE):
        return Path(os.environ[ENV_KEY_FILE])
    default = default_key_path(db_url)
    if default.exists():
        return default
    legacy = legacy_key_path(db_url)
    if legacy is not None and legacy.exists():
        log.warning("key file %s sits beside the store: move it away from the data", legacy)
        return legacy
    return None


def shares_folder_with_store(key_path: str | os.PathLike, db_url: str) -> bool:
    """True when the key file lies in the same folder as a SQLite store (a stolen folder
    then holds both the data and its key)."""
    _, sqlite_file = _store_identity(db_url)
    return sqlite_file is not None and Path(key_path).absolute().parent == sqlite_file.parent
