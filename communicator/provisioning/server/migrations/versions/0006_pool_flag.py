"""pool flag: which accounts without an agent are lent to agents (seed 003)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09

Only SIP-ID accounts marked for the pool are lent; desk phones and other accounts without an
agent are marked ``pool = false``. Existing accounts keep being lent (true) unless they are
static-IP accounts, which never were meant for softphone agents.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("voip_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pool", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.execute("UPDATE voip_accounts SET pool = false WHERE equipment_type <> 'sip_id'")


def downgrade() -> None:
    with op.batch_alter_table("voip_accounts", schema=None) as batch_op:
        batch_op.drop_column("pool")
