"""The provenance registry's own tables (own metadata, own Alembic chain).

They live in the case store's database but belong to `vigile.provenance` alone: the
case's tables are never touched, and the migrations are versioned in their own
table (`vigile_provenance_version`), so the two Alembic chains never meet. No column
holds a personal value: identities are keyed hashes (see `fingerprint`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
)

VERSION_TABLE = "vigile_provenance_version"

metadata = MetaData()

meta = Table(
    "provenance_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

exports = Table(
    "provenance_exports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("recipient", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("software", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("source", Text),  # file name or export folder (no content)
    Column("sha256", String(64)),  # of the file as registered, when one file
    Column("rows", BigInteger, nullable=False),
    Column("units", BigInteger, nullable=False),  # distinct identities
    Column("columns", Text, nullable=False),  # JSON list of column names
    Column("views", Text, nullable=False),  # JSON list of view names fingerprinted
    Column("canaries", Integer, nullable=False),
)

# One row per (keyed hash, export, identity) of a small export: `unit` names an identity
# of the export (rows with the same set of hashes: a person's samples); canaries are
# -1, -2, ...
keys = Table(
    "provenance_keys",
    metadata,
    Column("h", BigInteger, nullable=False),
    Column("export_id", Integer, nullable=False),
    Column("unit", BigInteger, nullable=False),
    Column("view", SmallInteger, nullable=False),
    PrimaryKeyConstraint("h", "export_id", "unit", name="pk_provenance_keys"),
    sqlite_with_rowid=False,
)

# A large export's keys, by hash bucket (the top bits of h: `registry.BUCKET_BITS`, 14
# since revision p0002): one row per (export, bucket) holding its keys as packed
# records (h int64, unit int64, view int8, little-endian, sorted by h). Some 16,000 rows
# instead of a million: registering a large export stays cheap; a look-up reads the
# buckets of the hashes it looks for (through the index on bucket). The rows are
# clustered by export, so registering appends and never rewrites other exports' pages.
blocks = Table(
    "provenance_blocks",
    metadata,
    Column("bucket", Integer, nullable=False),
    Column("export_id", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("export_id", "bucket", name="pk_provenance_blocks_by_export"),
    Index("ix_provenance_blocks_bucket", "bucket", "export_id"),
    sqlite_with_rowid=False,
)
