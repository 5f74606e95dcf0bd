"""screen pop: when it opens (group, agent override) and the agent's own URL

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Groups get ``screen_pop_on`` (existing groups: ringing, what the client did before); agents get
nullable overrides of the URL and the moment (null: the group's value; an empty URL: none).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "screen_pop_on", sa.String(length=16), server_default="ringing", nullable=False
            )
        )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screen_pop_url", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("screen_pop_on", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("screen_pop_on")
        batch_op.drop_column("screen_pop_url")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("screen_pop_on")
