"""delivery tokens: deliver a session's call logs after sign-out

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["voip_accounts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("delivery_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_tokens_agent_id"), ["agent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_tokens_agent_id"))
    op.drop_table("delivery_tokens")
