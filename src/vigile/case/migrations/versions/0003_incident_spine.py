"""The incident as one record: case settings, evidence provenance, CNIL drafts and
submissions, codes kept sealed for reuse across channels, no-code request outcomes, and
leases that keep two runs of one step apart.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("incidents") as b:
        b.add_column(sa.Column("settings", sa.Text))
    with op.batch_alter_table("evidence") as b:
        b.add_column(sa.Column("found_where", sa.Text))
        b.add_column(sa.Column("found_at", TS))
        b.add_column(sa.Column("recorded_by", sa.String(200)))
    with op.batch_alter_table("triage") as b:
        b.add_column(sa.Column("vigile_version", sa.String(40)))
    with op.batch_alter_table("portal_access_codes") as b:
        b.add_column(sa.Column("sealed", sa.LargeBinary))
    with op.batch_alter_table("portal_requests") as b:
        b.add_column(sa.Column("person_ref", sa.String(64)))
        b.add_column(sa.Column("outcome", sa.String(40)))
        b.add_column(sa.Column("handled_by", sa.String(200)))
    op.create_table(
        "cnil_drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("drafted_at", TS, nullable=False),
        sa.Column("json_sha256", sa.String(64), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("incident_id", "version"),
    )
    op.create_table(
        "cnil_submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("receipt", sa.String(200), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("incident_id", "version"),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("acquired_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("cnil_submissions")
    op.drop_table("cnil_drafts")
    with op.batch_alter_table("portal_requests") as b:
        b.drop_column("handled_by")
        b.drop_column("outcome")
        b.drop_column("person_ref")
    with op.batch_alter_table("portal_access_codes") as b:
        b.drop_column("sealed")
    with op.batch_alter_table("triage") as b:
        b.drop_column("vigile_version")
    with op.batch_alter_table("evidence") as b:
        b.drop_column("recorded_by")
        b.drop_column("found_at")
        b.drop_column("found_where")
    with op.batch_alter_table("incidents") as b:
        b.drop_column("settings")
