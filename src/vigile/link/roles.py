"""Which column of a table plays which part in linkage: names, birth date, NIR, contacts, id.

Roles come from the same detection engine as `vigile scan` (column categories)
and triage's header rules (usage vs birth name, patient vs prescriber); any of
them can be overridden by name from the command line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from ..shapes import ColumnFinding
from ..triage.roles import assign_roles, header_tokens

# Roles a user can set with `--leak-role ROLE=COLUMN` / `--patient-role ROLE=COLUMN`.
OVERRIDABLE = (
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "sex",
    "nir",
    "nir_key",
    "postcode",
    "city",
    "address",
    "phone",
    "email",
)
ID_WORDS = {"id", "ipp", "patient", "dossier", "num", "numero", "no", "identifiant", "pid", "code"}


class RoleError(ValueError):
    """A role cannot be resolved (a named column is missing, no id column...)."""


@dataclass(frozen=True)
class LinkRoles:
    nir_full: tuple[str, ...] = ()
    nir_split: tuple[tuple[str, str], ...] = ()  # (13-character body, 2-digit key)
    last_name: str | None = None  # usage name (or the only name)
    birth_name: str | None = None
    first_name: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    postcode: str | None = None
    city: str | None = None
    address: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    email: str | None = None
    # category -> columns holding it (for what a leak row exposes)
    by_category: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # free-text column -> categories found inside its cells
    text_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def matching_fields(self) -> list[str]:
        """Which linkage fields this table can provide (for messages and checks)."""
        out = ["nir"] if self.nir_full or self.nir_split else []
        for f in (
            "last_name",
            "birth_name",
            "first_name",
            "birth_date",
            "sex",
            "postcode",
            "email",
        ):
            if getattr(self, f):
                out.append(f)
        return out + (["phone"] if self.phones else [])


def infer_roles(
    findings: Sequence[ColumnFinding],
    sample: pl.DataFrame | None = None,
    overrides: Mapping[str, str] | None = None,
) -> LinkRoles:
    """Roles from column findings, then user overrides (role -> column name)."""
    r = assign_roles(findings, sample)
    by_cat = r.by_category
    phones = [c for c in by_cat.get("phone", ()) if c != r.phone]
    roles = LinkRoles(
        nir_full=r.nir_full,
        nir_split=r.nir_split,
        last_name=r.last_name,
        birth_name=r.birth_name,
        first_name=r.first_name,
        birth_date=r.birth_date,
        sex=(by_cat.get("sex") or (None,))[0],
        postcode=r.postcode,
        city=r.city,
        address=tuple(by_cat.get("address", ())),
        phones=((r.phone,) if r.phone else ()) + tuple(phones),
        email=r.email,
        by_category=dict(by_cat),
        text_columns={
            f.name: tuple(sorted(f.text_categories))
            for f in findings
            if f.category is None and f.text_categories
        },
    )
    return apply_overrides(roles, overrides or {}, [f.name for f in findings])


def apply_overrides(
    roles: LinkRoles, overrides: Mapping[str, str], columns: Sequence[str]
) -> LinkRoles:
    for role, col in overrides.items():
        if role not in OVERRIDABLE:
            raise RoleError(f"unknown role {role!r} (known: {', '.join(OVERRIDABLE)})")
        if col not in columns:
            raise RoleError(f"role {role}: no column named {col!r}")
    changes: dict = {}
    simple = (
        "last_name",
        "birth_name",
        "first_name",
        "birth_date",
        "sex",
        "postcode",
        "city",
        "email",
    )
    for role in simple:
        if role in overrides:
            changes[role] = overrides[role]
    if "address" in overrides:
        changes["address"] = (overrides["address"],)
    if "phone" in overrides:
        changes["phones"] = (overrides["phone"],)
    if "nir" in overrides:
        if "nir_key" in overrides:
            changes["nir_split"] = ((overrides["nir"], overrides["nir_key"]),)
            changes["nir_full"] = ()
        else:
            changes["nir_full"] = (overrides["nir"],)
            changes["nir_split"] = ()
    return replace(roles, **changes)


def parse_role_flags(flags: Sequence[str]) -> dict[str, str]:
    """`["last_name=NOM", "birth_date=DDN"]` -> dict; raises RoleError on a malformed flag."""
    out: dict[str, str] = {}
    for flag in flags:
        role, sep, col = flag.partition("=")
        if not sep or not role.strip() or not col.strip():
            raise RoleError(f"role flag {flag!r} is not ROLE=COLUMN")
        out[role.strip()] = col.strip()
    return out


def infer_id_column(findings: Sequence[ColumnFinding], sample: pl.DataFrame) -> str:
    """The patient database's own id: an unclassified column, unique and never empty in the sample.

    Columns whose header says id/ipp/patient/dossier win; otherwise the first such column.
    """
    candidates = []
    for f in findings:
        if f.category is not None or f.name not in sample.columns:
            continue
        s = sample.get_column(f.name)
        if s.null_count() or s.n_unique() != sample.height:
            continue
        candidates.append(f.name)
    if not candidates:
        raise RoleError("no patient id column found: name it with --id-column")
    hinted = [c for c in candidates if header_tokens(c) & ID_WORDS]
    return (hinted or candidates)[0]
