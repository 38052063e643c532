"""vigile.provenance: a found file names the export it came from.

Every export is registered as keyed hashes of its rows' identities (no personal value:
a keyed function, AES under the registry's own secret: see `fingerprint`), with who received it, why, when and from which
software; a few canary records can be planted in it. A found file, in any format and
however reshaped, is then traced to the export(s) it came from, with a confidence.

    with open_registry(db, create=True) as reg:
        register_file("extraction.csv", reg, recipient="Éditeur X", purpose="migration")
    with open_registry(db) as reg:
        result = trace_path("found.csv", reg)
        result.to_json()           # schema vigile.provenance/1
        origin_sentence(result)    # for the CNIL draft's "origine de la violation"

Linkage, letters and the portal leave canaries out: `is_canary(fields)` (or
`Registry.canary_mask`) flags them from a person's normalised fields.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

from .errors import ProvenanceError

if TYPE_CHECKING:
    import polars as pl

    from .canaries import FIELDS as CANARY_FIELDS
    from .fingerprint import KeyColumns, key_columns_from_categories
    from .register import Registered, register_file
    from .registry import ExportRecord, Fingerprint, Registry, open_registry
    from .render import origin_sentence, text_report
    from .trace import TRACE_SCHEMA, Match, TraceResult, trace_path

# Names imported on first use (PEP 562): `vigile export run --register` needs the
# registry and the hook, not the readers, the detectors' roles and the renderers.
_LAZY = {
    "CANARY_FIELDS": ("canaries", "FIELDS"),
    "KeyColumns": ("fingerprint", "KeyColumns"),
    "key_columns_from_categories": ("fingerprint", "key_columns_from_categories"),
    "Registered": ("register", "Registered"),
    "register_file": ("register", "register_file"),
    "ExportRecord": ("registry", "ExportRecord"),
    "Fingerprint": ("registry", "Fingerprint"),
    "Registry": ("registry", "Registry"),
    "open_registry": ("registry", "open_registry"),
    "origin_sentence": ("render", "origin_sentence"),
    "text_report": ("render", "text_report"),
    "TRACE_SCHEMA": ("trace", "TRACE_SCHEMA"),
    "Match": ("trace", "Match"),
    "TraceResult": ("trace", "TraceResult"),
    "trace_path": ("trace", "trace_path"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    globals()[name] = value
    return value


def is_canary(
    fields: pl.DataFrame, db: str | None = None, key_file: str | os.PathLike | None = None
) -> pl.Series:
    """For each person (row of `fields`: nir, last_name, first_name, birth_date, phone,
    email in `vigile.link`'s canonical forms), whether it is a canary of a registered
    export. All False when no registry exists."""
    import polars as pl

    from .registry import open_registry

    try:
        reg = open_registry(db, key_file)
    except ProvenanceError:
        return pl.Series("is_canary", [False] * fields.height, pl.Boolean)
    with reg:
        return reg.canary_mask(fields)


__all__ = [
    "CANARY_FIELDS",
    "TRACE_SCHEMA",
    "ExportRecord",
    "Fingerprint",
    "KeyColumns",
    "Match",
    "ProvenanceError",
    "Registered",
    "Registry",
    "TraceResult",
    "is_canary",
    "key_columns_from_categories",
    "open_registry",
    "origin_sentence",
    "register_file",
    "text_report",
    "trace_path",
]
