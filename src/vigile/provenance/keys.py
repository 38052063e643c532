"""The registry's secret: its own key, apart from the store key and the export keys.

Found like the case key (`vigile.case.keys`): an explicit file, else
VIGILE_PROVENANCE_KEY (base64 of 32 bytes), else VIGILE_PROVENANCE_KEY_FILE, else the
file beside the store's key in the user's key folder, named after the store with a
`-provenance` suffix (created 0600 on the first registration, never overwritten).
Whoever steals the database without this file cannot test a single value against it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..case import BadKeyError, create_key_file, default_key_path, load_key
from ..case.keys import decode_key
from .errors import ProvenanceError

ENV_KEY = "VIGILE_PROVENANCE_KEY"
ENV_KEY_FILE = "VIGILE_PROVENANCE_KEY_FILE"


def default_registry_key_path(db_url: str) -> Path:
    store_key = default_key_path(db_url)
    return store_key.with_name(store_key.stem + "-provenance.key")


def find_registry_key_file(db_url: str, key_file: str | os.PathLike | None = None) -> Path | None:
    if key_file:
        return Path(key_file)
    if os.environ.get(ENV_KEY):
        return None
    if os.environ.get(ENV_KEY_FILE):
        return Path(os.environ[ENV_KEY_FILE])
    return default_registry_key_path(db_url)


def load_registry_key(
    db_url: str, key_file: str | os.PathLike | None = None, *, create: bool = False
) -> bytes:
    """The registry secret; with `create`, a new key file is made when none exists yet."""
    if not key_file and os.environ.get(ENV_KEY):
        try:
            return decode_key(os.environ[ENV_KEY], ENV_KEY)
        except BadKeyError as e:
            raise ProvenanceError(str(e)) from None
    path = find_registry_key_file(db_url, key_file)
    assert path is not None
    try:
        if not path.exists():
            if not create:
                raise ProvenanceError(
                    f"no provenance registry key at {path}: register an export first, or pass "
                    f"--registry-key (or set {ENV_KEY_FILE})"
                )
            return create_key_file(path)
        key = load_key(key_file=path)
    except BadKeyError as e:
        raise ProvenanceError(str(e)) from None
    assert key is not None
    return key
