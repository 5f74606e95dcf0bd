"""groups: desktop settings the admin fixes for the members (issue 16, "Settings")

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Four nullable columns, the profile's ``desktop`` section: ``desktop_close_to_tray``,
``desktop_start_at_login``, ``desktop_sip_trace`` (booleans) and ``desktop_links`` (``dial`` or
``fill``); null, as every existing group gets, leaves the agent's own choice. A nullable column
is added in place on SQLite and PostgreSQL (no table copy), so the SIP views of 0012 stay; the
downgrade's batch copies the table and drops and recreates them around it.
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = (
    ("desktop_close_to_tray", sa.Boolean()),
    ("desktop_start_at_login", sa.Boolean()),
    ("desktop_links", sa.String(length=8)),
    ("desktop_sip_trace", sa.Boolean()),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("groups", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    views = importlib.import_module(
        "communicator.provisioning.server.migrations.versions.0012_sip_views"
    )
    views.drop_views()
    with op.batch_alter_table("groups", schema=None) as batch_op:
        for name, _type in reversed(COLUMNS):
            batch_op.drop_column(name)
    views.create_views()
