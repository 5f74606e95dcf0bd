"""hot desk: the agent flag, and the desk phone chosen for a sign-in session

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Agents get ``hot_desk`` (existing agents: off, what they had); sessions get ``desk_phone_id``
(the account of the desk phone the agent chose; null: this computer).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hot_desk", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("desk_phone_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_sessions_desk_phone_id", ["desk_phone_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_sessions_desk_phone_id_voip_accounts",
            "voip_accounts",
            ["desk_phone_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sessions_desk_phone_id_voip_accounts", type_="foreignkey")
        batch_op.drop_index("ix_sessions_desk_phone_id")
        batch_op.drop_column("desk_phone_id")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("hot_desk")
