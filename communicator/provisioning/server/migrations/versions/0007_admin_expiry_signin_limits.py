"""admin tokens expire; sign-in limits shared by every process

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

``admin_tokens.expires_at``: every admin token expires; tokens made before this revision get
90 days from the upgrade. ``sign_in_limits``: the token buckets that limit failed sign-ins
(per agent and address, and per address), kept in the database so that every server process
counts the same attempts.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("admin_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table("admin_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    grace = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    if op.get_bind().dialect.name == "sqlite":
        grace = grace.replace(tzinfo=None)  # stored as naive UTC text, like the models do
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=grace))
    op.create_table(
        "sign_in_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_sign_in_limits_updated_at", "sign_in_limits", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_limits_updated_at", table_name="sign_in_limits")
    op.drop_table("sign_in_limits")
    with op.batch_alter_table("admin_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
