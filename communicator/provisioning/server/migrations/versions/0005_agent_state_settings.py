"""agent state settings: wrap-up extension, no-answer time, calls while not ready

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Groups get the values (existing groups: 30 s extension, 20 s no-answer, no calls while not
ready); agents get nullable overrides (null: the group's value).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wrap_up_extension_s", sa.Integer(), server_default="30", nullable=False)
        )
        batch_op.add_column(
            sa.Column("no_answer_s", sa.Integer(), server_default="20", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "calls_while_not_ready", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wrap_up_extension_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("no_answer_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("calls_while_not_ready", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("calls_while_not_ready")
        batch_op.drop_column("no_answer_s")
        batch_op.drop_column("wrap_up_extension_s")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("calls_while_not_ready")
        batch_op.drop_column("no_answer_s")
        batch_op.drop_column("wrap_up_extension_s")
