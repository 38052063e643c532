"""Triage on Apache Spark: the one-machine figures, computed as Spark aggregations.

For a leak too large for one machine. The columns are classified on the driver, on the
first `PROFILE_ROWS` rows (as `triage_path` classifies the first rows of a table), which
decides the roles and the person key. Every partition then goes through the same polars
derived-row expressions (`derive_batch`: hashes and codes, never a value) inside
`mapInArrow`; the person resolution (`persons.resolve_persons`) and the figures
(`aggregate.compute`) are written again below as Spark aggregations, step for step, so
that both engines give the same numbers (tests/spark asserts it).

Two details keep them identical: "the first non-empty value of a person's rows" is taken
in the file's row order (`min_by` over a row index that follows the partitions, which
Spark reads in file order), and the 64-bit hashes keep their unsigned order (stored as
signed integers with the top bit flipped) so that "the smallest NIR key" is the same one.

Sources: Parquet/CSV on any path Spark reads, a JDBC table (`jdbc:postgresql://…#table`
or `postgresql://user:pw@host/db#table`), or a catalog table (`table:db.name`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import polars as pl

from ..detect import ColumnProfiler
from .aggregate import MAX_ESTABLISHMENTS, TOP_TOWNS, Figures
from .derive import HEALTH_KIND_NAMES, derive_batch, derive_plan, present_categories
from .geography import DEPARTEMENTS, REGIONS
from .model import SMALL_CELL
from .persons import KeyPlan, plan_key
from .roles import Roles, assign_roles

PROFILE_ROWS = 100_000  # as triage_path: rows the column classification looks at
_ROW_BITS = 40  # row index = partition << 40 | position: file order, 1e12 rows a partition
_HASHES = ("nir_h", "id_h", "link_h", "nird_h", "presc_h", "row_h")
_FLIP = 1 << 63


class SparkTriageError(ValueError):
    """The source cannot be triaged on Spark (one line, no value)."""


def display_source(source: str) -> str:
    """A source without credentials, for messages."""
    base, sep, table = source.partition("#")
    if "@" in base and "://" in base:
        scheme, rest = base.split("://", 1)
        base = f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    if "password=" in base.lower():
        base = base.split("?", 1)[0]
    return base + sep + table


def _jdbc(spark, source: str):
    """`jdbc:postgresql://host/db?user=u&password=p#table`, or `postgresql://u:p@host/db#table`."""
    base, _, table = source.partition("#")
    if not table:
        raise SparkTriageError("a JDBC source needs its table after '#': URL#table")
    props: dict[str, str] = {}
    if not base.startswith("jdbc:"):
        from sqlalchemy.engine import make_url

        url = make_url(base)
        if url.username:
            props["user"] = url.username
        if url.password:
            props["password"] = str(url.password)
        driver = url.drivername.split("+")[0]
        driver = "postgresql" if driver == "postgres" else driver
        port = f":{url.port}" if url.port else ""
        base = f"jdbc:{driver}://{url.host or 'localhost'}{port}/{url.database or ''}"
    if base.startswith("jdbc:postgresql:"):
        props.setdefault("driver", "org.postgresql.Driver")
    reader = spark.read.format("jdbc").option("url", base).option("dbtable", table)
    for k, v in props.items():
        reader = reader.option(k, v)
    return reader.load()


def read_source(spark, source: str):
    """A table as a Spark DataFrame of strings (lazy: errors show on first use)."""
    from pyspark.sql import functions as F

    low = source.lower()
    scheme = low.split("://", 1)[0].split("+")[0] if "://" in low else ""
    if low.startswith("table:"):
        df = spark.table(source[len("table:") :])
    elif low.startswith("jdbc:") or scheme in ("postgresql", "postgres", "mysql"):
        df = _jdbc(spark, source)
    elif low.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        opts = {"header": "true", "inferSchema": "false", "encoding": "UTF-8"}
        if low.endswith(".tsv"):
            opts["sep"] = "\t"
        df = spark.read.options(**opts).csv(source)
        if "sep" not in opts and len(df.columns) == 1 and ";" in df.columns[0]:
            df = spark.read.options(**opts, sep=";").csv(source)
    else:
        df = spark.read.parquet(source)
    return df.select([F.col(f"`{c}`").cast("string").alias(c) for c in df.columns])


def source_error(err: Exception, source: str, what: str = "source") -> str:
    """One line for a JVM/driver error: the source and the error class, never its text
    (driver messages can quote rows or credentials)."""
    name = type(err).__name__
    text = _error_text(err)
    for marker, todo in _MARKERS.items():
        if marker in text:
            return f"{what} {display_source(source)}: cannot be read ({name}: {marker}); {todo}"
    return f"{what} {display_source(source)}: cannot be read ({name})"


def _error_text(err: BaseException) -> str:
    """An error's text with its JVM causes: Spark 4 wraps a JDBC driver's error (a refused
    password) in an AnalysisException whose own message does not say why; pyspark keeps
    the JVM trace and causes only as private attributes (`_stackTrace`, `_cause`)."""
    parts: list[str] = []
    seen = 0
    e: BaseException | None = err
    while e is not None and seen < 8:
        parts += [str(e), str(getattr(e, "_stackTrace", "") or "")]
        e = getattr(e, "_cause", None) or e.__cause__
        seen += 1
    return "\n".join(parts)


# Markers of a JVM/driver error's text -> what to do (the text itself is never shown).
_MARKERS = {
    "PATH_NOT_FOUND": "check the path",
    "TABLE_OR_VIEW_NOT_FOUND": "check the table name",
    "password authentication": "check the user and password of the URL",
    "no pg_hba.conf entry": "the database refuses this host or user: ask its administrator",
    "Connection refused": "check the host and port, and that the database runs",
    "No suitable driver": "add the JDBC driver jar (docs/spark.md, Sources)",
    "ClassNotFoundException": "add the JDBC driver jar (docs/spark.md, Sources)",
    "UnknownHostException": "check the host name",
}


def sample_rows(raw, source: str, rows: int) -> pl.DataFrame:
    """The first `rows` rows on the driver, all strings."""
    try:
        sample = pl.from_arrow(raw.limit(rows).toArrow())
    except Exception as e:  # noqa: BLE001 - one line, no values
        raise SparkTriageError(source_error(e, source)) from None
    assert isinstance(sample, pl.DataFrame)
    return sample.with_columns(pl.all().cast(pl.String))


def _derived(spark, raw, roles: Roles, plan: KeyPlan, cats: list[str], probe: pl.DataFrame):
    """The derived rows of every partition (derive_batch), plus `_ord` (file row order)."""
    from pyspark.sql.types import (
        BooleanType,
        DateType,
        IntegerType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    dplan = derive_plan(roles, plan, present_categories=cats)
    shape = derive_batch(probe.head(1), dplan, 0, 0)
    types = {pl.String: StringType(), pl.Boolean: BooleanType(), pl.Date: DateType()}
    fields = []
    for name, dtype in shape.schema.items():
        if name in _HASHES:
            fields.append(StructField(name, LongType()))
        elif name == "src":
            fields.append(StructField(name, IntegerType()))
        else:
            fields.append(StructField(name, types.get(dtype, StringType())))
    fields.append(StructField("_ord", LongType()))
    schema = StructType(fields)
    names = [f.name for f in fields]

    def derive(batches: Iterator) -> Iterator:
        import pyarrow as pa
        from pyspark import TaskContext

        part = TaskContext.get().partitionId()
        offset = part << _ROW_BITS
        for rb in batches:
            if rb.num_rows == 0:
                continue
            df = pl.from_arrow(pa.Table.from_batches([rb]))
            out = derive_batch(df, dplan, offset, 0).with_columns(
                # unsigned order kept in a signed column: flip the top bit
                *[
                    (pl.col(h).cast(pl.UInt64) ^ pl.lit(_FLIP, pl.UInt64)).reinterpret(signed=True)
                    for h in _HASHES
                ],
                pl.col("src").cast(pl.Int32),
                pl.int_range(offset, offset + df.height, dtype=pl.Int64).alias("_ord"),
            )
            offset += df.height
            yield from out.select(names).to_arrow().to_batches()

    return raw.mapInArrow(derive, schema)


def resolve_persons_spark(rows):
    """persons.resolve_persons, in Spark: adds `person` and `key_kind`."""
    from pyspark.sql import functions as F

    one_birth = (
        rows.filter(F.col("nird_h").isNotNull())
        .groupBy("nir_h")
        .agg(F.collect_set("nird_h").alias("births"))
        .filter(F.size("births") == 1)
        .select("nir_h", F.col("births")[0].alias("only_nird_h"))
    )
    rows = rows.join(one_birth, on="nir_h", how="left").withColumn(
        "nir_key", F.coalesce("nird_h", "only_nird_h", "nir_h")
    )
    linked = (
        rows.filter(F.col("nir_key").isNotNull() & F.col("link_h").isNotNull())
        .groupBy("link_h")
        .agg(F.min("nir_key").alias("linked_nir"))
    )
    rows = rows.join(linked, on="link_h", how="left")
    kind = (
        F.when(F.col("nir_key").isNotNull(), F.lit("nir"))
        .when(F.col("linked_nir").isNotNull(), F.lit("nir_via_identity"))
        .when(F.col("id_h").isNotNull(), F.lit("identity"))
        .otherwise(F.lit("row"))
    )
    return rows.select(
        "*",
        F.coalesce("nir_key", "linked_nir", "id_h", "row_h").alias("person"),
        kind.alias("key_kind"),
    ).drop("only_nird_h", "nir_key", "linked_nir", "link_h", "nird_h")


def _first(col: str):
    """The first non-null value in file order (polars: drop_nulls().first())."""
    from pyspark.sql import functions as F

    return F.min_by(col, F.when(F.col(col).isNotNull(), F.col("_ord"))).alias(col)


def _value_counts(df, col: str) -> dict:
    return {r[0]: int(r[1]) for r in df.groupBy(col).count().collect()}


def compute_spark(rows, columns: list[str], categories: list[str], ref: dt.date) -> Figures:
    """aggregate.compute, in Spark, on resolved rows (`person`, `key_kind`)."""
    from pyspark.sql import functions as F

    flags = [f"c_{c}" for c in categories if f"c_{c}" in columns]
    kinds = [f"k_{k}" for k in HEALTH_KIND_NAMES if f"k_{k}" in columns]
    rank = (
        F.when(F.col("key_kind") == "nir", 0)
        .when(F.col("key_kind") == "nir_via_identity", 1)
        .when(F.col("key_kind") == "identity", 2)
        .otherwise(3)
    )
    rows = rows.persist()
    per_person = rows.groupBy("person").agg(
        *[F.coalesce(F.bool_or(c), F.lit(False)).alias(c) for c in flags + kinds],
        F.min(rank).alias("key_rank"),
        _first("birth"),
        _first("nir_yymm"),
        _first("dep"),
        _first("dep_src"),
        _first("city"),
        F.coalesce(F.bool_or(F.col("pw") == "plain"), F.lit(False)).alias("pw_plain"),
        F.coalesce(F.bool_or(F.col("pw") == "hash"), F.lit(False)).alias("pw_hash"),
    )
    # _birth_from_nir: the century that does not put the birth in the future.
    yy = F.expr("try_cast(substr(nir_yymm, 1, 2) AS INT)")
    mm = F.expr("try_cast(substr(nir_yymm, 3, 2) AS INT)")
    year = F.when(2000 + yy <= ref.year, 2000 + yy).otherwise(1900 + yy)
    month = F.when(mm.between(1, 12), mm).otherwise(1)
    birth_any = F.coalesce(F.col("birth"), F.make_date(year, month, F.lit(1)))
    had_birthday = (F.month("b") < ref.month) | (
        (F.month("b") == ref.month) & (F.dayofmonth("b") <= ref.day)
    )
    per_person = (
        per_person.withColumn("b", birth_any)
        .withColumn("age", F.lit(ref.year) - F.year("b") - F.when(had_birthday, 0).otherwise(1))
        .persist()
    )
    sums = (
        per_person.agg(
            F.count(F.lit(1)).alias("n"),
            *[F.sum(F.col(c).cast("long")).alias(c) for c in flags + kinds],
            F.sum(F.col("age").between(0, 17).cast("long")).alias("minors"),
            F.sum((F.col("age") >= 75).cast("long")).alias("over_75"),
            F.sum((F.col("pw_plain") | F.col("pw_hash")).cast("long")).alias("pw_any"),
            F.sum(F.col("pw_plain").cast("long")).alias("pw_plain"),
            F.sum((F.col("pw_hash") & ~F.col("pw_plain")).cast("long")).alias("pw_hash"),
        )
        .first()
        .asDict()
    )
    n_persons = int(sums["n"])

    def total(k: str) -> int:
        return int(sums[k] or 0)

    kind_names = ["nir", "nir_via_identity", "identity", "row"]
    rows_by_key = _value_counts(rows, "key_kind")
    persons_by_key = _value_counts(per_person, "key_rank")
    n_rows = sum(rows_by_key.values())

    deps = _value_counts(per_person.filter(F.col("dep").isNotNull()), "dep")
    departements = {d: n for d, n in deps.items() if d in DEPARTEMENTS}
    other = sum(n for d, n in deps.items() if d not in DEPARTEMENTS)
    unknown = n_persons - sum(departements.values())
    regions: dict[str, int] = {}
    for d, n in departements.items():
        name = REGIONS[DEPARTEMENTS[d][1]]
        regions[name] = regions.get(name, 0) + n
    dep_sources = _value_counts(
        per_person.select(F.coalesce("dep_src", F.lit("unknown")).alias("s")), "s"
    )
    dep_sources["abroad_or_other"] = other
    dep_sources["without_departement"] = unknown

    towns = (
        per_person.filter(F.col("city").isNotNull())
        .groupBy("city")
        .count()
        .filter(F.col("count") >= SMALL_CELL)
        .orderBy(F.col("count").desc(), F.col("city").asc())
        .limit(TOP_TOWNS)
        .collect()
    )
    est = (
        rows.filter(F.col("estab").isNotNull() & (F.octet_length("estab") > 0))
        .groupBy("estab")
        .agg(F.countDistinct("person").alias("n"))
        .orderBy(F.col("n").desc(), F.col("estab").asc())
        .limit(MAX_ESTABLISHMENTS)
        .collect()
    )
    presc = rows.agg(
        F.count("presc_h").alias("filled"), F.countDistinct("presc_h").alias("distinct")
    ).first()
    prescribers = int(presc["distinct"]) if presc["filled"] > 0 else None

    events = rows.filter(F.col("event").isNotNull())
    lo, hi = events.agg(F.min("event"), F.max("event")).first()
    by_year = (
        events.groupBy(F.year("event").alias("year"))
        .agg(F.count(F.lit(1)).alias("rows"), F.countDistinct("person").alias("persons"))
        .orderBy("year")
        .collect()
    )
    time_span = {
        "earliest": lo.isoformat() if lo else None,
        "latest": hi.isoformat() if hi else None,
        "rows_with_date": int(sum(r["rows"] for r in by_year)),
        "by_year": {
            str(r["year"]): {"rows": int(r["rows"]), "persons": int(r["persons"])} for r in by_year
        },  # fmt: skip
    }
    per_person.unpersist()
    rows.unpersist()
    return Figures(
        rows=n_rows,
        persons=n_persons,
        rows_by_key={k: int(rows_by_key.get(k, 0)) for k in kind_names},
        persons_by_key={k: int(persons_by_key.get(i, 0)) for i, k in enumerate(kind_names)},
        minors=total("minors"),
        over_75=total("over_75"),
        categories={c: total(f"c_{c}") for c in categories if f"c_{c}" in columns},
        health_mentions={k[2:]: total(k) for k in kinds},
        credentials={
            "persons_with_password": total("pw_any"),
            "plain_text": total("pw_plain"),
            "hashed_only": total("pw_hash"),
        },
        departements=dict(sorted(departements.items())),
        departement_sources={k: int(v) for k, v in dep_sources.items()},
        regions=dict(sorted(regions.items(), key=lambda kv: -kv[1])),
        top_towns=tuple((r["city"], int(r["count"])) for r in towns),
        establishments=tuple((r["estab"], int(r["n"])) for r in est),
        prescribers=prescribers,
        time_span=time_span,
    )


def classify_sample(sample: pl.DataFrame, profile_rows: int = PROFILE_ROWS):
    """Findings and roles from the first rows, as triage_table decides them."""
    profiler = ColumnProfiler(columns=sample.columns, kind="table")
    profiler.update(sample.head(profile_rows))
    findings = tuple(profiler.finish())
    return findings, assign_roles(findings, sample)


def figures_spark(
    spark,
    source: str,
    *,
    reference_date: dt.date | None = None,
    profile_rows: int = PROFILE_ROWS,
):
    """(Figures, categories present, roles, key plan, rows profiled, reference date) of a
    table read by Spark. `reference_date` as triage_path: default the day after the
    latest event date."""
    from pyspark.sql import functions as F

    try:
        raw = read_source(spark, source)  # Parquet and JDBC look at the source here
    except SparkTriageError:
        raise
    except Exception as e:  # noqa: BLE001 - one line, no values
        raise SparkTriageError(source_error(e, source)) from None
    sample = sample_rows(raw, source, profile_rows)
    if sample.height == 0:
        raise SparkTriageError(f"{display_source(source)}: no rows")
    findings, roles = classify_sample(sample, profile_rows)
    plan = plan_key(roles)
    cats = present_categories(roles)
    try:
        derived = _derived(spark, raw, roles, plan, cats, sample)
        rows = resolve_persons_spark(derived)
        if reference_date is None:
            latest = derived.agg(F.max("event")).first()[0]
            reference_date = latest + dt.timedelta(days=1) if latest else dt.date.today()
        fig = compute_spark(rows, derived.columns, cats, reference_date)
    except SparkTriageError:
        raise
    except Exception as e:  # noqa: BLE001 - one line, no values
        raise SparkTriageError(source_error(e, source)) from None
    return fig, cats, roles, plan, findings, min(sample.height, profile_rows), reference_date


def triage_spark(
    spark,
    source: str,
    *,
    circumstances=None,
    reference_date: dt.date | None = None,
    profile_rows: int = PROFILE_ROWS,
):
    """A TriageResult for one table read by Spark (same report as `triage_path`)."""
    from .api import TableTriage, summarise
    from .enisa import Circumstances
    from .model import InputEvidence

    fig, cats, roles, plan, findings, profiled, ref = figures_spark(
        spark, source, reference_date=reference_date, profile_rows=profile_rows
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = display_source(source)
    table = TableTriage(name, fig.rows, None, findings, roles, plan, tuple(cats), (), profiled)
    evidence = InputEvidence(name, None, None, "spark", fig.rows)
    return summarise(
        [table], [evidence], [], circumstances or Circumstances(), ref, now, figures=fig
    )


__all__ = [
    "SparkTriageError",
    "compute_spark",
    "figures_spark",
    "read_source",
    "resolve_persons_spark",
    "triage_spark",
]
