"""tls ports: per-account SIP server and outbound proxy ports for the tls transport

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

0 (the default, and the value of every existing account) means automatic: 5061 when the
plain port is 5060, else the plain port - the profile's ``tls_port`` is then left out (None).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("voip_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sip_tls_port", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("outbound_proxy_tls_port", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("voip_accounts", schema=None) as batch_op:
        batch_op.drop_column("outbound_proxy_tls_port")
        batch_op.drop_column("sip_tls_port")
