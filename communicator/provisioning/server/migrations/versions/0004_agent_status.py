"""agent status: each agent's reported state (since when) and phone registration

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "agent_status",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("contact", sa.String(length=262), nullable=True),
        sa.Column("transport", sa.String(length=8), nullable=True),
        sa.Column("expires_s", sa.Integer(), nullable=True),
        sa.Column("registrar", sa.String(length=255), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_status_reported_at"), ["reported_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_status_reported_at"))
    op.drop_table("agent_status")
