"""Portal: hashed access codes, the no-code request queue, e-mail opt-ins.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_access_codes",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("person_ref", sa.String(64), nullable=False),
        sa.Column("lookup_tag", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("incident_id", "person_ref"),
        sa.UniqueConstraint("incident_id", "lookup_tag"),
    )
    op.create_table(
        "portal_requests",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),  # AES-GCM typed identity
        sa.Column("state", sa.String(20), nullable=False),  # pending | answered | rejected
        sa.Column("created_at", TS, nullable=False),
        sa.Column("handled_at", TS),
    )
    op.create_index(
        "ix_portal_requests_incident_state", "portal_requests", ["incident_id", "state"]
    )
    op.create_table(
        "portal_contacts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("person_ref", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),  # AES-GCM {"email": ...}
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("incident_id", "person_ref"),
    )


def downgrade() -> None:
    op.drop_table("portal_contacts")
    op.drop_index("ix_portal_requests_incident_state", "portal_requests")
    op.drop_table("portal_requests")
    op.drop_table("portal_access_codes")
