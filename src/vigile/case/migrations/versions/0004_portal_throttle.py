"""The portal's limits and ended sessions in the store: shared by every worker process,
kept across restarts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_throttle",
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("scope", sa.String(20), primary_key=True),
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("locked_until", TS),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_portal_throttle_expires_at", "portal_throttle", ["expires_at"])
    op.create_table(
        "portal_sessions_ended",
        sa.Column("session", sa.String(64), primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_portal_sessions_ended_expires_at", "portal_sessions_ended", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_portal_sessions_ended_expires_at", "portal_sessions_ended")
    op.drop_table("portal_sessions_ended")
    op.drop_index("ix_portal_throttle_expires_at", "portal_throttle")
    op.drop_table("portal_throttle")
