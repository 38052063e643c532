"""`vigile provenance register FILE`: fingerprint an export made by any software
(a LIS extraction, a spreadsheet) and, optionally, plant canaries in a copy of it."""

from __future__ import annotations

import hashlib
import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from ..read import Limits
from .canaries import MAX_CANARIES, canary_seed, canonical_values, choose, draw_candidates
from .errors import ProvenanceError
from .reading import ClassifiedTable, ProgressFn, classified_tables
from .registry import ExportRecord, Registry

# Columns of a template row never copied into a canary row (a real person's own
# identifiers, credentials, free text that may quote them): left empty.
_BLANK = {"iban", "insurance", "login", "password", "ip_address", "rpps", "nir", "last_name",
          "first_name", "birth_date", "address", "postcode", "city", "phone", "email", "sex"}  # fmt: skip


@dataclass(frozen=True)
class Registered:
    record: ExportRecord
    created: bool
    out: Path | None  # the copy holding the canaries, when asked
    tables: int
    views: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _like_case(template: str | None, value: str) -> str:
    if template and template.isupper():
        return value.upper()
    if template and template.islower():
        return value.lower()
    return value


def _like_date(template: str | None, iso: str) -> str:
    y, m, d = iso[:4], iso[5:7], iso[8:10]
    t = (template or "").strip()
    if len(t) >= 10 and t[4] == "-" and t[:4].isdigit():
        return f"{y}-{m}-{d}"
    if len(t) == 8 and t.isdigit():
        return f"{y}{m}{d}" if t[:2] in ("19", "20") else f"{d}{m}{y}"
    sep = "-" if t[2:3] == "-" else "." if t[2:3] == "." else "/"
    return f"{d}{sep}{m}{sep}{y}"


def _like_phone(template: str | None, digits: str) -> str:
    t = template or ""
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    if t.startswith("+33"):
        return "+33 " + digits[1] + " " + " ".join(pairs[1:])
    for sep in (" ", ".", "-"):
        if sep in t:
            return sep.join(pairs)
    return digits


def _like_nir(template: str | None, nir: str) -> str:
    t = template or ""
    if " " in t:
        cuts = ((0, 1), (1, 3), (3, 5), (5, 7), (7, 10), (10, 13), (13, 15))
        return " ".join(nir[a:b] for a, b in cuts)
    return nir


def _sex_code(sample: pl.Series, female: bool) -> str:
    values = set(sample.drop_nulls().str.strip_chars().str.to_uppercase().unique().to_list())
    if values & {"1", "2"}:
        return "2" if female else "1"
    if "H" in values:
        return "F" if female else "H"
    return "F" if female else "M"


def canary_rows(t: ClassifiedTable, canaries: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Canaries in the table's own columns and styles; other columns copied from rows of
    the table chosen at random (dates, analyses), identifying ones left empty."""
    rng = random.Random(seed)
    cats = {f.name: f.category for f in t.findings}
    text_cols = {c for c, _ in t.roles.text_others}
    sample = t.sample
    r = t.roles
    k = t.keys
    out: list[dict] = []
    for person in canaries.iter_rows(named=True):
        tpl = sample.row(rng.randrange(sample.height), named=True) if sample.height else {}
        row = {
            c: (None if cats.get(c) in _BLANK or c in text_cols else tpl.get(c))
            for c in sample.columns
        }
        for c in k.nir:
            row[c] = _like_nir(tpl.get(c), person["nir"])
        for body, key in k.nir_split:
            row[body], row[key] = person["nir"][:13], person["nir"][13:]
        for c in k.last_names:
            row[c] = _like_case(tpl.get(c), person["last_name"])
        if k.first_name:
            row[k.first_name] = _like_case(tpl.get(k.first_name), person["first_name"])
        if k.birth_date:
            row[k.birth_date] = _like_date(tpl.get(k.birth_date), person["birth_date"])
        if k.phones:
            row[k.phones[0]] = _like_phone(tpl.get(k.phones[0]), person["phone"])
        for c in k.emails:
            row[c] = person["email"]
        if r.sex:
            row[r.sex] = _sex_code(sample.get_column(r.sex), person["sex"] == "F")
        if r.address:
            row[r.address[0]] = _like_case(tpl.get(r.address[0]), person["address"])
        if r.postcode:
            row[r.postcode] = person["postcode"]
        if r.city:
            row[r.city] = _like_case(tpl.get(r.city), person["city"])
        out.append(row)
    return pl.DataFrame(out, schema={c: pl.String for c in sample.columns}, orient="row")


def _write(frame: pl.DataFrame, out: Path, delimiter: str | None, left: bool = False) -> None:
    """The copy, written whole then renamed. `left`: `out` exists, maybe written by a
    killed run of this very registration (canaries are drawn and placed from the
    registry secret and the name, so the copy is the same bytes): kept when identical,
    refused otherwise."""
    tmp = out.with_name(out.name + ".part")
    if out.suffix.lower() == ".parquet":
        frame.write_parquet(tmp)
    elif out.suffix.lower() in (".csv", ".txt", ".tsv"):
        frame.write_csv(tmp, separator=delimiter or ";")
    else:
        raise ProvenanceError(f"{out}: write the copy with canaries as .csv or .parquet")
    if left:
        same = _sha256(tmp) == _sha256(out)
        tmp.unlink()
        if not same:
            raise ProvenanceError(f"{out}: already exists, not overwritten")
        return
    os.replace(tmp, out)  # never a half-written copy under the final name


def _patient_values(patients: Path, limits: Limits | None) -> pl.DataFrame:
    parts = []
    for t in classified_tables(patients, limits=limits):
        if t.keys.empty:
            continue
        from .fingerprint import view_values

        for batch in t.batches:
            parts.append(view_values(batch, t.keys).select("view", "value").unique())
    if not parts:
        raise ProvenanceError(f"{patients.name}: no identifying column found in the patient file")
    return pl.concat(parts).unique()


def register_file(
    path: str | os.PathLike,
    registry: Registry,
    *,
    recipient: str,
    purpose: str,
    software: str = "unknown",
    name: str | None = None,
    canaries: int = 0,
    out: str | os.PathLike | None = None,
    patients: str | os.PathLike | None = None,
    email_domain: str | None = None,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> Registered:
    """Fingerprint every table of `path` into the registry. With `canaries`, the copy
    `out` (what is then sent) holds them, and that copy's digest is what is recorded."""
    src = Path(path)
    if not src.is_file():
        raise ProvenanceError(f"{src}: no such file")
    if not 0 <= canaries <= MAX_CANARIES:
        raise ProvenanceError(f"--canaries takes 0 to {MAX_CANARIES}")
    if canaries and out is None:
        raise ProvenanceError("canaries go into a copy of the file: give --out PATH")
    out_path = Path(out) if out else None
    left = False  # `out` exists unregistered: a copy a killed run wrote? (checked below)
    if out_path is not None and out_path.exists():
        existing = registry.find(name or out_path.name)
        if existing is not None and existing.sha256 == _sha256(out_path):
            return Registered(existing, False, out_path, 0, existing.views)
        if existing is not None or not canaries:
            raise ProvenanceError(f"{out_path}: already exists, not overwritten")
        left = True
    name = name or (out_path or src).name
    existing = registry.find(name)
    if existing is not None and out_path is None and existing.sha256 == _sha256(src):
        return Registered(existing, False, None, 0, existing.views)
    errors: list[str] = []
    tables: list[ClassifiedTable] = []
    fp = None
    columns: list[str] = []
    frames: list[pl.DataFrame] = []
    views: set[str] = set()
    n_tables = 0
    for t in classified_tables(src, limits=limits, progress=progress, errors=errors):
        n_tables += 1
        if canaries and n_tables > 1:
            raise ProvenanceError(f"{src.name}: canaries can be planted in a one-table file only")
        columns += [c for c in t.sample.columns if c not in columns]
        views.update(t.keys.views())
        tables.append(t)
        fp_t = registry.fingerprint(t.keys)
        for batch in t.batches:
            if not t.keys.empty:
                fp_t.add(batch)
            else:
                fp_t.rows += batch.height
            if canaries:
                frames.append(batch)
        if fp is None:
            fp = fp_t
        else:  # several tables: one fingerprint, rows of every table
            fp.merge(fp_t)
    if fp is None:
        why = f": {errors[0]}" if errors else ""
        raise ProvenanceError(f"{src.name}: no table vigile can read{why}")
    if not views:
        raise ProvenanceError(
            f"{src.name}: no identifying column found (NIR, name with birth date, phone, "
            "e-mail, pseudonym): nothing to fingerprint"
        )
    canary_keys = None
    if canaries:
        t = tables[0]
        chosen, canary_keys, seed = draw_canaries(
            registry, name, canaries, patients=patients, email_domain=email_domain,
            limits=limits, own=fp.frame()["h"],
        )  # fmt: skip
        rows = canary_rows(t, chosen, seed)
        real = pl.concat(frames, how="diagonal_relaxed") if frames else rows.clear()
        full, _ = planted(real, rows, seed)  # canaries at random places, real rows in order
        assert out_path is not None
        _write(full, out_path, t.table.source.delimiter, left)
        digest = _sha256(out_path)
    else:
        digest = _sha256(src)
    record, created = registry.register(
        fp,
        name=name,
        recipient=recipient,
        purpose=purpose,
        software=software,
        columns=columns,
        source=src.name,
        sha256=digest,
        canary_keys=canary_keys,
    )
    return Registered(record, created, out_path, n_tables, tuple(sorted(views)), tuple(errors))


def draw_canaries(
    registry: Registry,
    name: str,
    n: int,
    *,
    patients: str | os.PathLike | None = None,
    email_domain: str | None = None,
    limits: Limits | None = None,
    own: pl.Series | None = None,
    mine: int | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """`n` canaries for the export `name`: (persons in canonical fields, their keys as
    (h, unit, view) with units -1, -2..., the seed that places them). Drawn from the
    registry secret and the name (a rerun draws the same), none colliding with a patient
    of `patients`, with the hashes `own` (the export's rows) or anything registered —
    but the export `mine` (this very export, registered by a run that was killed)."""
    if not 0 < n <= MAX_CANARIES:
        raise ProvenanceError(f"--canaries takes 0 to {MAX_CANARIES}")
    seed = canary_seed(registry_secret_probe(registry), name)
    candidates = draw_candidates(seed, n * 3 + 5, email_domain)
    taken_values = _patient_values(Path(patients), limits) if patients else None
    cand_h = registry.hasher.key_frame(canonical_values(candidates))["h"]
    hits = registry.lookup(cand_h)
    if mine is not None:
        hits = hits.filter(pl.col("export_id") != mine)
    taken = set(hits["h"].to_list())
    if own is not None:
        taken |= set(own.filter(own.is_in(cand_h.implode())).to_list())
    chosen, keys = choose(candidates, n, taken_values, taken, registry.hasher)
    if chosen.height < n:
        raise ProvenanceError("could not draw enough canaries that collide with nobody")
    return chosen, keys, seed


def planted(real: pl.DataFrame, rows: pl.DataFrame, seed: int) -> tuple[pl.DataFrame, list[int]]:
    """`real` with `rows` at seeded random places (real rows keep their order); returns
    the frame and the canaries' positions, in the order of `rows`."""
    total = real.height + rows.height
    at = sorted(random.Random(seed).sample(range(total), rows.height))
    canary = np.zeros(total, dtype=bool)
    canary[at] = True
    order = np.empty(total, dtype=np.int64)
    order[~canary] = np.arange(real.height)
    order[canary] = real.height + np.arange(rows.height)
    return pl.concat([real, rows], how="diagonal_relaxed")[order], at


def registry_secret_probe(registry: Registry) -> bytes:
    """Bytes derived from the registry secret (never the secret itself) to seed canaries."""
    return registry.hasher.digest(0, "vigile.provenance canary seed").to_bytes(8, "big") * 4
