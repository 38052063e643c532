"""A synthetic LIS extraction like the one leaked in 2021: one row per sample.

`generate_lab_export(spec, out_path)` writes the export, `<out>.truth.json`
and `<out>.persons.parquet` (hidden row -> person mapping) and returns the
GroundTruth. Everything is vectorised: persons are drawn once, samples are
gathers of persons plus per-row draws; no Python loop runs per row.
"""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from vigile.synth import formats
from vigile.synth.clinical import (
    CLINICAL_LABELS,
    COMMENT_TEMPLATES,
    KINDS,
    NEUTRAL_CLINICAL,
    TREATMENTS,
    analysis_panels,
    blood_group_notations,
)
from vigile.synth.fields import Field, header_names, select_fields
from vigile.synth.geography import SKEWED
from vigile.synth.identifiers import finess_number, nir_like_barcodes
from vigile.synth.persons import KIND_BIT, build_persons
from vigile.synth.pools import Pools, build_pools
from vigile.synth.truth import GroundTruth, persons_path

_SAMPLES_P = np.array([0.32, 0.26, 0.20, 0.13, 0.09])  # 1..5 samples, mean about 2.4
_MEAN_SAMPLES = float((np.arange(1, 6) * _SAMPLES_P).sum())
_LAB_BRANDS = ("Bio Ouest", "Océalab", "Biomédical", "Armor Bio", "BioCentre", "Normabio",
               "Labo des Rives", "Bio Loire", "Analys", "Biopôle")  # fmt: skip
_OPERATORS = tuple(f"TECH{i:02d}" for i in range(1, 16)) + ("JLM", "MCB", "APG", "SDR", "BIO1")
_SAMPLE_NOTES = ("Patient à jeun", "Prélèvement difficile", "Garrot prolongé", "Non à jeun")
_SPECIMENS = ("Sang", "Sang", "Sang", "Urine", "Sang + Urine", "Selles", "Écouvillon")
XLSX_MAX_ROWS = 1_048_575


@dataclass(frozen=True)
class ExportSpec:
    rows: int = 10_000
    persons: int | None = None  # default: rows / 2.4
    seed: int = 2021
    encoding: Literal["utf-8", "utf-8-sig", "cp1252"] = "utf-8"
    separator: Literal[";", ",", "\t", "|"] = ";"
    header_style: Literal["lis", "verbose", "english", "meaningless"] = "lis"
    nir: Literal["full", "split", "both", "none"] = "full"
    missing_nir_share: float = 0.05
    fields: Literal["full", "standard"] = "full"
    format: Literal["csv", "xlsx"] = "csv"
    nir_spaced: bool | None = None  # default: spaced in the "verbose" style only
    sex_codes: Literal["MF", "HF", "12"] | None = None  # default: by header style
    period: tuple[int, int] = (2013, 2020)  # years of sample dates
    labs: int = 28

    def __post_init__(self) -> None:
        if self.rows < 1:
            raise ValueError("rows must be >= 1")
        if self.persons is not None and not 1 <= self.persons <= self.rows:
            raise ValueError("persons must be between 1 and rows")
        if self.format == "xlsx" and self.rows > XLSX_MAX_ROWS:
            raise ValueError(f"xlsx holds at most {XLSX_MAX_ROWS} rows")
        if not 0.0 <= self.missing_nir_share <= 1.0:
            raise ValueError("missing_nir_share must be in [0, 1]")
        object.__setattr__(self, "period", tuple(self.period))

    @property
    def person_count(self) -> int:
        return self.persons or max(1, min(self.rows, round(self.rows / _MEAN_SAMPLES)))

    @property
    def reference_date(self) -> date:
        """Ages (minors, over 75) are counted at the day after the sampling period."""
        return date(self.period[1] + 1, 1, 1)


def _prescriber_pool_size(persons: int) -> int:
    return max(40, persons // 150)


def _pools(spec: ExportSpec, persons: int) -> Pools:
    return build_pools(spec.seed, _prescriber_pool_size(persons))


def build_export_persons(spec: ExportSpec, persons: int | None = None) -> pl.DataFrame:
    """The hidden person table of an export, identical to the one used to write it."""
    n = persons or spec.person_count
    return build_persons(n, spec.seed, _pools(spec, n), spec.reference_date, spec.missing_nir_share)


def _samples_per_person(rng: np.random.Generator, persons: int, rows: int) -> np.ndarray:
    cap = max(5, math.ceil(rows / persons) + 2)
    counts = rng.choice(np.arange(1, 6), persons, p=_SAMPLES_P)
    while (diff := rows - int(counts.sum())) != 0:
        candidates = np.flatnonzero(counts < cap) if diff > 0 else np.flatnonzero(counts > 1)
        pick = rng.choice(candidates, min(abs(diff), len(candidates)), replace=False)
        counts[pick] += 1 if diff > 0 else -1
    return counts


def _labs(
    rng: np.random.Generator, count: int, pools: Pools
) -> tuple[list[str], list[str], list[str]]:
    """(name, FINESS, département) of the labs, all in the skewed west."""
    deps = sorted(SKEWED)
    names, finess, lab_deps = [], [], []
    for i in range(count):
        dep = deps[i % len(deps)]
        start, _ = pools.communes.starts[dep]
        town = pools.communes.name[start + (i // len(deps)) % 2]
        names.append(f"Laboratoire {_LAB_BRANDS[i % len(_LAB_BRANDS)]} {town}")
        finess.append(finess_number(rng, dep))
        lab_deps.append(dep)
    return names, finess, lab_deps


def _lab_of_person(
    rng: np.random.Generator, res_dep: np.ndarray, lab_deps: list[str]
) -> np.ndarray:
    lab_deps_arr = np.array(lab_deps)
    out = rng.integers(0, len(lab_deps), len(res_dep))
    for dep in np.unique(lab_deps_arr):  # a loop over départements, not rows
        here = np.flatnonzero(lab_deps_arr == dep)
        mask = res_dep == dep
        out[mask] = rng.choice(here, int(mask.sum()))
    return out


def _sample_times(
    rng: np.random.Generator, birth: np.ndarray, period: tuple[int, int]
) -> np.ndarray:
    """Sample datetimes (minute precision) within the period, never before birth."""
    start = np.datetime64(f"{period[0]}-01-01", "D")
    end = np.datetime64(f"{period[1]}-12-31", "D")
    low = np.maximum(start, birth.astype("datetime64[D]"))
    span = (end - low).astype(np.int64) + 1
    day = low + (rng.random(len(birth)) * span).astype(np.int64)
    minute = rng.integers(7 * 60, 18 * 60, len(birth))
    return day.astype("datetime64[m]") + minute


def _comment_templates(
    rng: np.random.Generator, kinds: np.ndarray, fertile_woman: np.ndarray
) -> np.ndarray:
    """Template index per row (-1: empty comment), consistent with each person's profile."""
    n = len(kinds)
    bits = ((kinds[:, None] >> np.arange(len(KINDS))) & 1).astype(bool)
    priority = np.where(bits, rng.random((n, len(KINDS))), -1.0)
    chosen_kind = np.array(KINDS)[priority.argmax(axis=1)]
    group = np.full(n, "", dtype="U16")
    v = rng.random(n)
    for name, low, high in (("harmless", 0.55, 0.75), ("lab_only", 0.75, 0.82),
                            ("negated", 0.82, 0.87), ("contact", 0.87, 0.92),
                            ("doctor", 0.92, 0.96)):  # fmt: skip
        group[(v >= low) & (v < high)] = name
    group[(group == "negated") & fertile_woman & (rng.random(n) < 0.5)] = "negated_female"
    mention = bits.any(axis=1) & (rng.random(n) < 0.45)
    group = np.where(mention, chosen_kind, group)

    out = np.full(n, -1, dtype=np.int64)
    template_group = np.array([t.group for t in COMMENT_TEMPLATES])
    for name in np.unique(template_group):  # a loop over ~15 groups, not rows
        ids = np.flatnonzero(template_group == name)
        mask = group == name
        out[mask] = rng.choice(ids, int(mask.sum()))
    return out


_CLINICAL_POOL = tuple(label for labels in CLINICAL_LABELS.values() for label in labels)
_CLINICAL_POOL_KIND = tuple(k for k, labels in CLINICAL_LABELS.items() for _ in labels)
_CLINICAL_POOL += NEUTRAL_CLINICAL
_CLINICAL_POOL_KIND += ("",) * len(NEUTRAL_CLINICAL)


def _clinical_labels(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    """Index into _CLINICAL_POOL per row (-1: empty) for the clinical-information column."""
    n = len(kinds)
    bits = ((kinds[:, None] >> np.arange(len(KINDS))) & 1).astype(bool)
    chosen = np.array(KINDS)[np.where(bits, rng.random((n, len(KINDS))), -1.0).argmax(axis=1)]
    mention = bits.any(axis=1) & (rng.random(n) < 0.5)
    neutral = ~mention & (rng.random(n) < 0.3)
    pool_kind = np.array(_CLINICAL_POOL_KIND)
    out = np.full(n, -1, dtype=np.int64)
    for k in (*KINDS, ""):  # a loop over kinds, not rows
        ids = np.flatnonzero(pool_kind == k)
        mask = (mention & (chosen == k)) if k else neutral
        out[mask] = rng.choice(ids, int(mask.sum()))
    return out


def _style_defaults(spec: ExportSpec) -> tuple[str, bool, str, str]:
    """(sex codes, NIR spaced, date format, datetime format) for the header style."""
    sex = (
        spec.sex_codes
        or {"lis": "MF", "verbose": "HF", "english": "MF", "meaningless": "12"}[spec.header_style]
    )
    spaced = spec.nir_spaced if spec.nir_spaced is not None else spec.header_style == "verbose"
    if spec.header_style == "english":
        return sex, spaced, "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"
    return sex, spaced, "%d/%m/%Y", "%d/%m/%Y %H:%M"


def _build_rows(
    spec: ExportSpec, persons: pl.DataFrame, pools: Pools
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, pl.Expr]]:
    """All candidate columns (internal keys) of the export, and the hidden per-row truth."""
    rng = np.random.default_rng([spec.seed, 2])
    n_persons = persons.height
    counts = _samples_per_person(rng, n_persons, spec.rows)
    person_of_row = np.repeat(np.arange(n_persons), counts)
    birth = persons["birth_date"].to_numpy()
    sampled = _sample_times(rng, birth[person_of_row], spec.period)
    order = np.argsort(sampled, kind="stable")  # the LIS lists samples by date
    person_of_row, sampled = person_of_row[order], sampled[order]
    n = len(person_of_row)

    # Per-person presentation choices (a patient's phone is typed once, in one style).
    phone_style = rng.integers(0, 4, n_persons)
    lab_names, lab_finess, lab_deps = _labs(rng, spec.labs, pools)
    lab = _lab_of_person(rng, persons["res_dep"].to_numpy(), lab_deps)
    sex_codes, spaced, date_fmt, dt_fmt = _style_defaults(spec)

    p = persons[person_of_row]
    kinds = p["kinds"].to_numpy()
    female = p["sex"].to_numpy() == 2
    ages = p["age"].to_numpy()
    fertile = female & (ages >= 15) & (ages <= 49)
    pregnant = (kinds & KIND_BIT["pregnancy"]) > 0
    comment_tpl = _comment_templates(rng, kinds, fertile)
    clinical = _clinical_labels(rng, kinds)
    panel_labels, panel_codes, panel_results = analysis_panels(rng, 1500)
    panel = rng.integers(0, len(panel_labels), n)
    own_doctor = rng.random(n) < 0.8
    doctor = np.where(
        own_doctor, p["doctor"].to_numpy(), rng.integers(0, len(pools.prescriber_name), n)
    )
    positive, negative = blood_group_notations()
    notation = rng.integers(0, len(positive), n)
    reception = sampled + rng.integers(10, 36 * 60, n).astype("timedelta64[m]")
    validation = reception + rng.integers(120, 72 * 60, n).astype("timedelta64[m]")
    cents = rng.integers(500, 30_000, n)

    tpl_text = pl.Series([t.text for t in COMMENT_TEMPLATES])
    draws = pl.DataFrame(
        {
            "row": np.arange(n),
            "sampled": sampled.astype("datetime64[ms]"),
            "reception": reception.astype("datetime64[ms]"),
            "validation": validation.astype("datetime64[ms]"),
            "comment_tpl": comment_tpl,
            "clinical_i": clinical,
            "panel": panel,
            "doctor_row": doctor,
            "notation": notation,
            "cents": cents,
            "phone_style": phone_style[person_of_row],
            "lab": lab[person_of_row],
            "pregnancy_u": rng.random(n),
            "show_u": rng.random(n),
            "misc_u": rng.random(n),
            "period_days": rng.integers(30, 250, n),
            "fertile": fertile,
            "pregnant": pregnant,
            "tubes": rng.integers(1, 7, n),
            "specimen_i": rng.integers(0, len(_SPECIMENS), n),
            "note_i": rng.integers(0, len(_SAMPLE_NOTES), n),
            "operator_i": rng.integers(0, len(_OPERATORS), n),
            "sampler_i": rng.integers(1, 40, n),
            "specimen_no": rng.integers(10**8, 10**9, n),
            "updated_days": rng.integers(0, 400, n),
            "barcode": nir_like_barcodes(rng, n),
        }
    )
    df = pl.concat([p, draws], how="horizontal")

    def pool(series: pl.Series | list | tuple, idx: str) -> pl.Expr:
        s = series if isinstance(series, pl.Series) else pl.Series(list(series))
        # Negative indices mean "empty": callers mask them with pl.when.
        return pl.col(idx).map_batches(lambda i: s.gather(i.clip(0)), return_dtype=s.dtype)

    male_code, female_code = {"MF": ("M", "F"), "HF": ("H", "F"), "12": ("1", "2")}[sex_codes]
    civ_m, civ_f = ("Mr", "Mrs") if spec.header_style == "english" else ("M.", "Mme")
    is_f = pl.col("sex") == 2
    nir_ok = pl.col("has_nir")
    abo = pl.col("abo")
    blood = (
        pl.when(pl.col("rh_positive"))
        .then(pool([t.replace("{abo}", "") for t in positive], "notation"))
        .otherwise(pool([t.replace("{abo}", "") for t in negative], "notation"))
    )
    doctor_names = pool(pools.prescriber_name, "doctor_row")
    mobile_fmt = formats.phone(pl.col("mobile"), pl.col("phone_style"))
    comment = pl.when(pl.col("comment_tpl") >= 0).then(pool(tpl_text, "comment_tpl"))
    comment = comment.str.replace("{phone}", mobile_fmt, literal=True)
    comment = comment.str.replace("{doctor}", doctor_names, literal=True)
    yy = pl.col("sampled").dt.strftime("%y")
    columns = {
        "record_number": pl.concat_str([yy, (pl.col("row") + 1).cast(pl.String).str.zfill(8)]),
        "civility": pl.when(is_f).then(pl.lit(civ_f)).otherwise(pl.lit(civ_m)),
        "usage_name": pl.col("usage_name"),
        "birth_name": pl.col("birth_name"),
        "first_name": pl.col("first_name"),
        "sex": pl.when(is_f).then(pl.lit(female_code)).otherwise(pl.lit(male_code)),
        "birth_date": pl.col("birth_date").dt.strftime(date_fmt),
        "nir": pl.when(nir_ok).then(formats.nir(pl.col("nir13"), pl.col("nir_key"), spaced)),
        "nir13": pl.when(nir_ok).then(pl.col("nir13")),
        "nir_key": pl.when(nir_ok).then(pl.col("nir_key")),
        "address1": pl.col("address1"),
        "address2": pl.col("address2"),
        "postcode": pl.col("postcode"),
        "city": pl.col("city").str.to_uppercase(),
        "country": pl.lit("FRANCE"),
        "phone_home": pl.when(pl.col("has_home")).then(
            formats.phone(pl.col("home"), pl.col("phone_style"))
        ),
        "phone_mobile": pl.when(pl.col("has_mobile")).then(mobile_fmt),
        "email": pl.col("email"),
        "insurer": pl.col("insurer_name"),
        "member_number": pl.col("member_number"),
        "regime": pl.when(pl.col("misc_u") < 0.88).then(pl.lit("01"))
        .when(pl.col("misc_u") < 0.95).then(pl.lit("02")).otherwise(pl.lit("03")),
        "prescriber": doctor_names,
        "rpps": pool(pools.prescriber_rpps, "doctor_row"),
        "gp": pool(pools.prescriber_name, "doctor"),
        "lab": pool(lab_names, "lab"),
        "finess": pool(lab_finess, "lab"),
        "site": pl.concat_str([pl.lit("SITE"), (pl.col("lab") % 3 + 1).cast(pl.String).str.zfill(2)]),
        "sample_date": pl.col("sampled").dt.strftime(dt_fmt),
        "reception_date": pl.col("reception").dt.strftime(dt_fmt),
        "validation_date": pl.col("validation").dt.strftime(dt_fmt),
        "blood_group": pl.when(pl.col("blood_known") & (pl.col("show_u") < 0.8)).then(
            pl.concat_str([abo, blood])
        ),
        "pregnancy": pl.when(pl.col("fertile") & pl.col("pregnant") & (pl.col("pregnancy_u") < 0.9))
        .then(pl.lit("OUI"))
        .when(pl.col("fertile") & ~pl.col("pregnant") & (pl.col("pregnancy_u") < 0.55))
        .then(pl.lit("NON")),
        "last_period": pl.when(
            pl.col("fertile") & pl.col("pregnant") & (pl.col("pregnancy_u") < 0.9)
        ).then(
            (pl.col("sampled").dt.date() - pl.duration(days=pl.col("period_days"))).dt.strftime(date_fmt)
        ),
        "treatment": pl.when((pl.col("treatment") >= 0) & (pl.col("show_u") < 0.85)).then(
            pool(TREATMENTS, "treatment")
        ),
        "analyses": pool(panel_labels, "panel"),
        "act_codes": pool(panel_codes, "panel"),
        "results": pl.when(pl.col("misc_u") > 0.15).then(pool(panel_results, "panel")),
        "comment": comment,
        "clinical": pl.when(pl.col("clinical_i") >= 0).then(pool(_CLINICAL_POOL, "clinical_i")),
        "sample_note": pl.when(pl.col("misc_u") < 0.3).then(
pool(_SAMPLE_NOTES, "note_i")),
        "login": pl.col("login"),
        "password": pl.col("password"),
        "account_created": pl.col("account_created").dt.strftime(date_fmt),
        "last_ip": pl.when(pl.col("has_ip")).then(pl.col("ip")),
        "barcode": pl.col("barcode"),
        "amount": formats.euros(pl.col("cents")),
        "refund": formats.euros(pl.col("cents") * 6 // 10),
        "third_party": pl.when(pl.col("show_u") < 0.7).then(pl.lit("OUI")).otherwise(pl.lit("NON")),
        "operator": pool(_OPERATORS, "operator_i"),
        "sampler": pl.concat_str([pl.lit("IDE"), pl.col("sampler_i").cast(pl.String).str.zfill(2)]),
        "status": pl.when(pl.col("misc_u") < 0.97).then(pl.lit("VALIDE")).otherwise(pl.lit("EN COURS")),
        "urgent": pl.when(pl.col("pregnancy_u") < 0.08).then(pl.lit("O")).otherwise(pl.lit("N")),
        "tubes": pl.col("tubes").cast(pl.String),
        "specimen": pool(_SPECIMENS, "specimen_i"),
        "specimen_number": pl.concat_str([pl.lit("E"), pl.col("specimen_no").cast(pl.String)]),
        "updated": (pl.col("validation").dt.date() + pl.duration(days=pl.col("updated_days")))
        .dt.strftime(date_fmt),
    }  # fmt: skip
    hidden = pl.DataFrame(
        {
            "row": np.arange(n),
            "person": person_of_row,
            "comment_template": comment_tpl,
            "clinical_kind": pl.Series(np.array(_CLINICAL_POOL_KIND + ("",))[clinical]).replace(
                "", None
            ),
        }
    )
    return df, hidden, columns


def _write(frame: pl.DataFrame, spec: ExportSpec, out_path: Path) -> None:
    if spec.format == "xlsx":
        frame.write_excel(out_path, worksheet="export")  # needs xlsxwriter
        return
    terminator = "\r\n" if spec.encoding == "cp1252" else "\n"
    if spec.encoding == "cp1252":
        buf = io.BytesIO()
        frame.write_csv(buf, separator=spec.separator, line_terminator=terminator)
        out_path.write_bytes(buf.getvalue().decode("utf-8").encode("cp1252"))
        return
    frame.write_csv(
        out_path,
        separator=spec.separator,
        include_bom=spec.encoding == "utf-8-sig",
        line_terminator=terminator,
    )


def generate_lab_export(spec: ExportSpec, out_path: str | Path) -> GroundTruth:
    """Write a synthetic LIS export to `out_path` and its truth beside it."""
    out_path = Path(out_path)
    n_persons = spec.person_count
    pools = _pools(spec, n_persons)
    persons = build_persons(
        n_persons, spec.seed, pools, spec.reference_date, spec.missing_nir_share
    )
    df, hidden, expressions = _build_rows(spec, persons, pools)
    selected = select_fields(spec.fields, spec.nir)
    headers = header_names(selected, spec.header_style)
    values = df.select([expressions[f.key].alias(f.key) for f in selected])
    values = values.with_columns(pl.col(pl.String).replace("", None))
    _write(
        values.rename(dict(zip([f.key for f in selected], headers, strict=True))), spec, out_path
    )
    hidden.write_parquet(persons_path(out_path))
    truth = _count_truth(spec, out_path, selected, headers, values, hidden, persons)
    truth._persons_frame = persons
    truth.write()
    return truth


def _count_truth(
    spec: ExportSpec,
    out_path: Path,
    selected: list[Field],
    headers: list[str],
    values: pl.DataFrame,
    hidden: pl.DataFrame,
    persons: pl.DataFrame,
) -> GroundTruth:
    """Count the truth from what was written (values), not from intentions."""
    person = hidden["person"].to_numpy()
    n_persons = persons.height
    keys = {f.key for f in selected}
    header_of = {f.key: h for f, h in zip(selected, headers, strict=True)}

    def who(row_mask: np.ndarray) -> np.ndarray:
        """Boolean per person: at least one row matching."""
        mark = np.zeros(n_persons, dtype=bool)
        mark[person[row_mask]] = True
        return mark

    def filled(key: str) -> np.ndarray:
        return values[key].is_not_null().to_numpy()

    nobody = np.zeros(n_persons, dtype=bool)
    by_category: dict[str, np.ndarray] = {}
    for f in selected:
        if f.category is not None:
            by_category[f.category] = by_category.get(f.category, nobody) | who(filled(f.key))

    text_kinds = {k: nobody for k in KINDS}
    text_columns: dict[str, list[str]] = {}
    if "comment" in keys:
        tpl = hidden["comment_template"].to_numpy()
        found: set[str] = set()
        for i, t in enumerate(COMMENT_TEMPLATES):  # a loop over templates, not rows
            rows_i = tpl == i
            if not rows_i.any():
                continue
            mark = who(rows_i)
            found.update(t.categories)
            for c in t.categories:
                by_category[c] = by_category.get(c, nobody) | mark
            if t.kind:
                text_kinds[t.kind] = text_kinds[t.kind] | mark
        text_columns[header_of["comment"]] = sorted(found)
    if "clinical" in keys:
        clinical = hidden["clinical_kind"].fill_null("").to_numpy()
        found = set()
        for k in KINDS:
            mark = who(clinical == k)
            if mark.any():
                text_kinds[k] = text_kinds[k] | mark
                cat = "medication" if k == "treatment" else "health_condition"
                found.add(cat)
                by_category[cat] = by_category.get(cat, nobody) | mark
        text_columns[header_of["clinical"]] = sorted(found)
    if "sample_note" in keys:
        text_columns[header_of["sample_note"]] = []

    all_kinds = dict(text_kinds)
    if "pregnancy" in keys:
        all_kinds["pregnancy"] = all_kinds["pregnancy"] | who(
            (values["pregnancy"] == "OUI").fill_null(False).to_numpy()
        )
    if "treatment" in keys:
        all_kinds["treatment"] = all_kinds["treatment"] | who(filled("treatment"))

    passwords = {"plain": 0, "hash": 0, "md5": 0, "sha1": 0, "bcrypt": 0}
    if "password" in keys:
        shown = who(filled("password"))
        pw_kind = persons["pw_kind"].to_numpy()
        for kind in ("plain", "md5", "sha1", "bcrypt"):
            passwords[kind] = int((shown & (pw_kind == kind)).sum())
        passwords["hash"] = passwords["md5"] + passwords["sha1"] + passwords["bcrypt"]

    present = who(np.ones(len(person), dtype=bool))
    nir_shown = by_category.get("nir", nobody)
    born = persons["birth_dep"].to_numpy()
    ages = persons["age"].to_numpy()
    deps, dep_counts = np.unique(persons["res_dep"].to_numpy()[present], return_counts=True)
    return GroundTruth(
        path=str(out_path),
        spec={k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(spec).items()},
        rows=hidden.height,
        persons=int(present.sum()),
        columns={h: f.category for f, h in zip(selected, headers, strict=True)},
        text_columns=text_columns,
        minors=int((present & (ages < 18)).sum()),
        over_75=int((present & (ages >= 75)).sum()),
        age_reference_date=spec.reference_date.isoformat(),
        persons_by_departement={str(d): int(c) for d, c in zip(deps, dep_counts, strict=True)},
        health_mentions={k: int(v.sum()) for k, v in all_kinds.items()},
        health_mentions_in_text={k: int(v.sum()) for k, v in text_kinds.items()},
        passwords=passwords,
        persons_by_category={c: int(v.sum()) for c, v in sorted(by_category.items())},
        nir={
            "persons_with_nir": int(nir_shown.sum()),
            "born_corsica": int((nir_shown & np.isin(born, ["2A", "2B"])).sum()),
            "born_overseas": int((nir_shown & (born == "97")).sum()),
            "born_abroad": int((nir_shown & (born == "99")).sum()),
        },
    )
