"""The export profile: a declarative YAML allowlist of columns and what happens to each.

    version: 1
    expires_in_days: 30
    tables:
      patients:
        columns:
          NIR: {action: pseudonymise, format: nir, category: nir}
          DT_NAIS: {action: generalise, to: year, category: birth_date}
          MDP: {action: drop, category: password}

A source column absent from its table's list is dropped: only what the receiving
system needs leaves. Credentials may only be dropped (passwords never migrate;
users reset them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from ..categories import CATEGORIES
from .errors import ProtectError

Action = Literal["keep", "drop", "pseudonymise", "generalise", "mask"]
ACTIONS: tuple[str, ...] = ("keep", "drop", "pseudonymise", "generalise", "mask")
CREDENTIALS = frozenset(c.id for c in CATEGORIES.values() if c.gdpr_class == "credential")
GENERALISE_TO = ("year", "month", "department")
DEFAULT_GENERALISE = {"birth_date": "year", "date": "year", "postcode": "department"}
PSEUDONYM_FORMATS = ("hex", "nir")
DEFAULT_EXPIRY_DAYS = 30


@dataclass(frozen=True)
class ColumnRule:
    name: str
    action: Action
    category: str | None = None
    to: str | None = None  # generalise: year | month | department
    format: str = "hex"  # pseudonymise: hex | nir
    keep_last: int = 0  # mask: trailing characters left visible

    def params(self) -> dict:
        """What the manifest records about this column's transformation."""
        d: dict = {"name": self.name, "category": self.category, "action": self.action}
        if self.action == "generalise":
            d["to"] = self.to
        elif self.action == "pseudonymise":
            d["format"] = self.format
            d["algorithm"] = "HMAC-SHA-256"
        elif self.action == "mask":
            d["keep_last"] = self.keep_last
        return d


@dataclass(frozen=True)
class TableProfile:
    name: str
    columns: tuple[ColumnRule, ...]

    def rule(self, column: str) -> ColumnRule | None:
        return next((r for r in self.columns if r.name == column), None)


@dataclass(frozen=True)
class ExportProfile:
    tables: tuple[TableProfile, ...]
    expires_in_days: int = DEFAULT_EXPIRY_DAYS
    text: str = field(default="", compare=False)  # the YAML it was read from

    def table(self, name: str) -> TableProfile | None:
        return next((t for t in self.tables if t.name == name), None)


def _rule(where: str, name: str, spec: object) -> ColumnRule:
    if isinstance(spec, str):
        spec = {"action": spec}
    if not isinstance(spec, dict):
        raise ProtectError(f"{where}: column {name!r} must be a mapping with an action")
    unknown = set(spec) - {"action", "category", "to", "format", "keep_last", "sensitive"}
    if unknown:
        raise ProtectError(f"{where}: column {name!r}: unknown keys {sorted(unknown)}")
    action = spec.get("action")
    if action not in ACTIONS:
        raise ProtectError(f"{where}: column {name!r}: action must be one of {', '.join(ACTIONS)}")
    category = spec.get("category")
    if category is not None and category not in CATEGORIES:
        raise ProtectError(f"{where}: column {name!r}: unknown category {category!r}")
    if category in CREDENTIALS and action != "drop":
        raise ProtectError(
            f"{where}: column {name!r} holds credentials ({category}): they are never exported,"
            " set action: drop (users reset their passwords on the new system)"
        )
    to = spec.get("to")
    if action == "generalise":
        to = to or DEFAULT_GENERALISE.get(category or "")
        if to not in GENERALISE_TO:
            raise ProtectError(
                f"{where}: column {name!r}: generalise needs to: {' | '.join(GENERALISE_TO)}"
            )
    fmt = spec.get("format", "hex")
    if fmt not in PSEUDONYM_FORMATS:
        raise ProtectError(f"{where}: column {name!r}: format must be hex or nir")
    keep_last = spec.get("keep_last", 0)
    if not isinstance(keep_last, int) or keep_last < 0:
        raise ProtectError(f"{where}: column {name!r}: keep_last must be a whole number >= 0")
    return ColumnRule(name, action, category, to, fmt, keep_last)


def parse_profile(text: str, where: str = "profile") -> ExportProfile:
    """Read and validate a profile; raises ProtectError naming the problem."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark else ""
        raise ProtectError(f"{where}: not valid YAML{at}") from None
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise ProtectError(f"{where}: expected a mapping with version: 1")
    tables = doc.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise ProtectError(f"{where}: no tables listed")
    expiry = doc.get("expires_in_days", DEFAULT_EXPIRY_DAYS)
    if not isinstance(expiry, int) or not 1 <= expiry <= 3650:
        raise ProtectError(f"{where}: expires_in_days must be a whole number of days (1-3650)")
    out = []
    for tname, tspec in tables.items():
        cols = (tspec or {}).get("columns") if isinstance(tspec, dict) else None
        if not isinstance(cols, dict) or not cols:
            raise ProtectError(f"{where}: table {tname!r} lists no columns")
        rules = tuple(_rule(f"{where}: table {tname!r}", str(c), s) for c, s in cols.items())
        out.append(TableProfile(str(tname), rules))
    return ExportProfile(tuple(out), expiry, text)


def load_profile(path: str | Path) -> ExportProfile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtectError(f"{path}: cannot read profile ({exc.strerror})") from None
    return parse_profile(text, str(path))
