"""The controller's patient database: its own id, the linkage fields, and the identity for letters.

Read from a CSV/Parquet/any file `vigile.read` understands, or from a SQL
table by URL (`sqlite:///patients.db#patients`, `postgresql://host/db#patients`).
Column roles are inferred on the first batch by the detection engine. A
legal-protection column (tutelle, curatelle, "majeur protégé"... yes/no or the
measure's name) gives each patient's `protected` flag.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import polars as pl

from ..detect import classify
from ..read import ReadError, open_tables
from ..triage.derive import YES
from ..triage.persons import fast_fold
from ..triage.roles import Roles
from .fields import linkage_fields, on_distinct, tidy
from .roles import IDENTITY_HELP, RoleError, can_identify, infer_id_column, infer_roles

# Identity fields kept for the letters (AffectedPerson.identity), prefixed "id_" in the frame.
IDENTITY_FIELDS = (
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "sex",
    "address",
    "postcode",
    "city",
    "email",
    "phone",
)
SQL_BATCH_ROWS = 250_000
# progress(display_path, bytes_read, total_bytes_or_None), for files
ProgressFn = Callable[[str, int, int | None], None]
# Cell values that name a protection measure (folded), and those that deny one.
MEASURE_REGEX = r"\b(?:tutelle|curatelle|sauvegarde|habilitation|mandat|protege|protegee)\b"
DENIAL_REGEX = r"^(?:sans|pas|aucun|aucune|non|neant|ras)\b"


class PatientsError(ValueError):
    """The patient database cannot be read or used (messages name the source, never a value)."""


@dataclass(frozen=True)
class Patients:
    frame: pl.DataFrame  # patient_id, FIELDS..., id_<identity field>..., protected
    roles: Roles
    id_column: str
    source: str


def is_url(source: str) -> bool:
    return "://" in source


def _sql_batches(url: str) -> Iterator[pl.DataFrame]:
    """All-string batches of one SQL table: `URL#table`."""
    import sqlalchemy as sa

    base, _, table = url.partition("#")
    if not table:
        raise PatientsError("a SQL source needs its table after '#': URL#table")
    try:
        engine = sa.create_engine(base)
        with engine.connect() as conn:
            tbl = sa.Table(table, sa.MetaData(), autoload_with=conn)
            query = sa.select(*(sa.cast(c, sa.String).label(c.name) for c in tbl.columns))
            for batch in pl.read_database(
                query, connection=conn, iter_batches=True, batch_size=SQL_BATCH_ROWS
            ):
                yield batch.with_columns(pl.all().cast(pl.String))
    except sa.exc.SQLAlchemyError as err:
        # Driver messages can quote rows: name the table and the error type only.
        raise PatientsError(
            f"patient table {table!r}: database error ({type(err).__name__})"
        ) from None


def _file_batches(path: str, progress: ProgressFn | None) -> Iterator[pl.DataFrame]:
    for item in open_tables(path):
        if isinstance(item, ReadError):
            raise PatientsError(str(item))
        if item.partial_source.kind == "text":
            raise PatientsError(f"{path}: not a table (a patient database has columns)")
        if progress:
            progress(path, item.bytes_read, item.partial_source.size)
        for batch in item.batches():
            yield batch
            if progress:
                progress(path, item.bytes_read, item.partial_source.size)
        return  # the first table is the patient table
    raise PatientsError(f"{path}: no table found")


def protection_flag(e: pl.Expr) -> pl.Expr:
    """True when a legal-protection cell says yes or names a measure (not "sans tutelle")."""
    f = fast_fold(e)
    return (
        (f.is_in(YES) | (f.str.contains(MEASURE_REGEX) & ~f.str.contains(DENIAL_REGEX)))
        .fill_null(False)
        .alias("protected")
    )


def identity_exprs(roles: Roles) -> list[pl.Expr]:
    """The `id_*` columns (raw identity as the patient table spells it, for the exposure
    records and the letters) from a table's column roles: one definition for the
    one-machine reader and the Spark engine (`spark_patients`)."""

    def raw(col: str | None) -> pl.Expr:
        return pl.col(col).str.strip_chars() if col else pl.lit(None, dtype=pl.String)

    address = (
        pl.concat_str(
            [pl.col(c).str.strip_chars() for c in roles.address], separator=", ", ignore_nulls=True
        )
        if roles.address
        else pl.lit(None, dtype=pl.String)
    )
    cols = {
        "last_name": raw(roles.last_name),
        "birth_name": raw(roles.birth_name),
        "first_name": raw(roles.first_name),
        "birth_date": raw(roles.birth_date),
        "sex": raw(roles.sex),
        "address": address,
        "postcode": raw(roles.postcode),
        "city": raw(roles.city),
        "email": raw(roles.email),
        "phone": raw(roles.phones[0] if roles.phones else None),
    }
    return [e.alias(f"id_{k}") for k, e in cols.items()]


def load_patients(
    source: str | os.PathLike,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
    *,
    progress: ProgressFn | None = None,
) -> Patients:
    src = str(source)
    batches = _sql_batches(src) if is_url(src) else _file_batches(src, progress)
    roles: Roles | None = None
    frames: list[pl.DataFrame] = []
    try:
        for batch in batches:
            if roles is None:
                findings = classify(batch.head(50_000))
                roles = infer_roles(findings, batch.head(2000), overrides)
                if not can_identify(roles):
                    raise PatientsError(
                        f"{_display(src)}: no identity columns found; linkage needs "
                        + IDENTITY_HELP.format(flag="--patient-role")
                    )
                if id_column is None:
                    id_column = infer_id_column(findings, batch.head(50_000))
                elif id_column not in batch.columns:
                    raise RoleError(f"--id-column: no column named {id_column!r}")
                exprs = [pl.col(id_column).str.strip_chars().alias("patient_id")]
                exprs += identity_exprs(roles)
            if roles.protection:
                protected = on_distinct(
                    batch, [roles.protection], protection_flag(pl.col(roles.protection))
                )
            else:
                protected = pl.Series("protected", [False] * batch.height, dtype=pl.Boolean)
            # Tidied and filtered batch by batch (both are row-wise): doing it on the whole
            # table would hold two copies of it at once.
            frames.append(
                tidy(
                    pl.concat(
                        [
                            batch.select(exprs),
                            linkage_fields(batch, roles),
                            pl.DataFrame([protected.alias("protected")]),
                        ],
                        how="horizontal",
                    )
                ).filter(pl.col("patient_id").is_not_null())
            )
            del batch
    except ReadError as err:
        raise PatientsError(str(err)) from None
    if roles is None or id_column is None:
        raise PatientsError(f"{_display(src)}: no rows")
    frame = pl.concat(frames, how="vertical", rechunk=False)
    del frames
    if frame.get_column("patient_id").n_unique() != frame.height:
        raise PatientsError(f"{_display(src)}: id column {id_column!r} is not unique")
    return Patients(frame, roles, id_column, _display(src))


def _display(src: str) -> str:
    """A URL without its password, for messages."""
    if not is_url(src):
        return src
    try:
        from sqlalchemy.engine import make_url

        base, sep, table = src.partition("#")
        return make_url(base).render_as_string(hide_password=True) + sep + table
    except Exception:  # noqa: BLE001 - display only
        return src.split("://", 1)[0] + "://…"
