"""Provenance registry: exports, keyed identity hashes, registry metadata.

Revision ID: p0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "provenance_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "provenance_exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("software", sa.Text, nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("sha256", sa.String(64)),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("units", sa.BigInteger, nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("views", sa.Text, nullable=False),
        sa.Column("canaries", sa.Integer, nullable=False),
    )
    op.create_table(
        "provenance_keys",
        sa.Column("h", sa.BigInteger, nullable=False),
        sa.Column("export_id", sa.Integer, nullable=False),
        sa.Column("unit", sa.BigInteger, nullable=False),
        sa.Column("view", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint("h", "export_id", "unit", name="pk_provenance_keys"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "provenance_blocks",
        sa.Column("bucket", sa.Integer, nullable=False),
        sa.Column("export_id", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("bucket", "export_id", name="pk_provenance_blocks"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("provenance_blocks")
    op.drop_table("provenance_keys")
    op.drop_table("provenance_exports")
    op.drop_table("provenance_meta")
