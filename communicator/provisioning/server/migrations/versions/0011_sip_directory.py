"""SIP directory: digest hashes for the registrar, group routing settings, sip_settings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Issue 18: Kamailio reads subscribers, aliases and group routing live from this database (the
views of revision 0012). Accounts get ``sip_ha1``/``sip_ha1b``: the digest hashes Kamailio's
auth_db checks, kept by the server on every write of the password, user name or domain (the
plaintext stays encrypted; the server fills the hashes of existing rows at its next start,
since only it holds the key). Groups get their ring time, call waiting, overflow (a number or
another group) and ``sip_label``, the name percent-encoded for the X-Communicator-Group
header. Agents get their position in the group (call order "in order"). ``sip_settings``
holds the server settings the routing needs (how long a silent client still counts).
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("voip_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sip_ha1", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sip_ha1b", sa.String(length=32), server_default="", nullable=False)
        )
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ring_time_s", sa.Integer(), server_default="20", nullable=False)
        )
        batch_op.add_column(
            sa.Column("call_waiting", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("overflow_number", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("overflow_group_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("sip_label", sa.String(length=400), server_default="", nullable=False)
        )
        batch_op.create_foreign_key(
            "fk_groups_overflow_group_id_groups",
            "groups",
            ["overflow_group_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_position", sa.Integer(), nullable=True))
    op.create_table(
        "sip_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    groups = sa.table("groups", sa.column("id", sa.Integer), sa.column("name", sa.String))
    labels = sa.table("groups", sa.column("id", sa.Integer), sa.column("sip_label", sa.String))
    conn = op.get_bind()
    for gid, name in conn.execute(sa.select(groups.c.id, groups.c.name)).all():
        conn.execute(
            labels.update().where(labels.c.id == gid).values(sip_label=quote(name, safe=""))
        )


def downgrade() -> None:
    op.drop_table("sip_settings")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("group_position")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_constraint("fk_groups_overflow_group_id_groups", type_="foreignkey")
        for col in ("sip_label", "overflow_group_id", "overflow_number", "call_waiting"):
            batch_op.drop_column(col)
        batch_op.drop_column("ring_time_s")
    with op.batch_alter_table("voip_accounts", schema=None) as batch_op:
        batch_op.drop_column("sip_ha1b")
        batch_op.drop_column("sip_ha1")
