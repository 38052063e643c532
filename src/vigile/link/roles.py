"""What the linkage adds to the shared column roles: the user's overrides and the id column.

Which column plays which part is decided in one place for the triage and the
linkage (`vigile.triage.roles.assign_roles`, from the detection engine's column
categories and the headers); here any role can be overridden by name from the
command line, and the patient database's own id column is found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import polars as pl

from ..shapes import ColumnFinding
from ..triage.roles import Roles, assign_roles, header_tokens

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
    "password",
    "protection",
)
# The category an overridden column then exposes (what a leak row reveals).
_ROLE_CATEGORY = {
    "last_name": "last_name",
    "birth_name": "last_name",
    "first_name": "first_name",
    "birth_date": "birth_date",
    "sex": "sex",
    "nir": "nir",
    "nir_key": "nir",
    "postcode": "postcode",
    "city": "city",
    "address": "address",
    "phone": "phone",
    "email": "email",
    "password": "password",
}
ID_WORDS = {"id", "ipp", "patient", "dossier", "num", "numero", "no", "identifiant", "pid", "code"}
# What a table needs to be linked: a NIR, or a last name with a first name or a birth date.
IDENTITY_HELP = (
    "a NIR, or a last name with a first name or a birth date; name the columns with "
    "{flag} ROLE=COLUMN (e.g. {flag} last_name=NOM {flag} birth_date=DDN; roles: "
    + ", ".join(OVERRIDABLE)
    + ")"
)


class RoleError(ValueError):
    """A role cannot be resolved (a named column is missing, no id column...)."""


def matching_fields(roles: Roles) -> list[str]:
    """Which linkage fields a table with these roles can provide (for messages and checks)."""
    out = ["nir"] if roles.nir_full or roles.nir_split else []
    for f in ("last_name", "birth_name", "first_name", "birth_date", "sex", "postcode", "email"):
        if getattr(roles, f):
            out.append(f)
    return out + (["phone"] if roles.phones else [])


def can_identify(roles: Roles) -> bool:
    """A NIR, or a last name with a first name or a birth date."""
    nir = bool(roles.nir_full or roles.nir_split)
    name = roles.last_name or roles.birth_name
    return nir or bool(name and (roles.first_name or roles.birth_date))


def infer_roles(
    findings: Sequence[ColumnFinding],
    sample: pl.DataFrame | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Roles:
    """Roles from column findings (the shared `assign_roles`), then user overrides."""
    return apply_overrides(
        assign_roles(findings, sample), overrides or {}, [f.name for f in findings]
    )


def apply_overrides(roles: Roles, overrides: Mapping[str, str], columns: Sequence[str]) -> Roles:
    for role, col in overrides.items():
        if role not in OVERRIDABLE:
            raise RoleError(f"unknown role {role!r} (known: {', '.join(OVERRIDABLE)})")
        if col not in columns:
            raise RoleError(f"role {role}: no column named {col!r}")
    if "nir_key" in overrides and "nir" not in overrides:
        raise RoleError("role nir_key needs the NIR body column as well: nir=COLUMN")
    changes: dict = {}
    for role in ("last_name", "birth_name", "first_name", "birth_date", "sex", "postcode", "city",
                 "email", "protection"):  # fmt: skip
        if role in overrides:
            changes[role] = overrides[role]
    if "address" in overrides:
        changes["address"] = (overrides["address"],)
    if "phone" in overrides:
        changes["phone"] = overrides["phone"]
        changes["phones"] = (overrides["phone"],)
    if "password" in overrides:
        changes["passwords"] = (overrides["password"],)
    if "nir" in overrides:
        if "nir_key" in overrides:
            changes["nir_split"] = ((overrides["nir"], overrides["nir_key"]),)
            changes["nir_full"] = ()
        else:
            changes["nir_full"] = (overrides["nir"],)
            changes["nir_split"] = ()
    if not changes:
        return roles
    # A column named by the user exposes its role's category (and only that one).
    named = {col: _ROLE_CATEGORY[r] for r, col in overrides.items() if r in _ROLE_CATEGORY}
    by_category: dict[str, tuple[str, ...]] = {}
    for cat, cols in roles.by_category.items():
        kept = tuple(c for c in cols if c not in named)
        if kept:
            by_category[cat] = kept
    for col, cat in named.items():
        if col not in by_category.get(cat, ()):
            by_category[cat] = (*by_category.get(cat, ()), col)
    changes["by_category"] = by_category
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
    """The patient database's own id: a column unique and never empty in the sample.

    Best an unclassified column whose header says id/ipp/patient/dossier, then one the
    detector took for a login (an IPP such as "P000123" looks like one), then the first
    unclassified unique column.
    """
    ranked: list[tuple[int, int, str]] = []
    for i, f in enumerate(findings):
        if f.category not in (None, "login") or f.name not in sample.columns:
            continue
        s = sample.get_column(f.name)
        if s.null_count() or s.n_unique() != sample.height:
            continue
        hinted = bool(header_tokens(f.name) & ID_WORDS)
        if f.category is None:
            ranked.append((0 if hinted else 2, i, f.name))
        elif hinted:
            ranked.append((1, i, f.name))
    if not ranked:
        raise RoleError("no patient id column found: name it with --id-column")
    return min(ranked)[2]
