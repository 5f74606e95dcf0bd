"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:

    op.create_table(
        "admin_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_events_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("extension", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "call_order",
            sa.Enum(
                "random",
                "simultaneous",
                "least_busy",
                name="callorder",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("average_call_duration_s", sa.Integer(), nullable=False),
        sa.Column("max_queue_size", sa.Integer(), nullable=False),
        sa.Column("not_ready_reasons", sa.JSON(), nullable=False),
        sa.Column("wrap_up_s", sa.Integer(), nullable=False),
        sa.Column("screen_pop_url", sa.String(length=2048), nullable=False),
        sa.Column("allow_offline_start", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("extension"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("permission_level", sa.Integer(), nullable=False),
        sa.Column("not_ready_reasons", sa.JSON(), nullable=True),
        sa.Column("wrap_up_s", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login"),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_group_id"), ["group_id"], unique=False)

    op.create_table(
        "call_logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("extension", sa.Integer(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("remote", sa.String(length=255), nullable=False),
        sa.Column("local_number", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("end_reason", sa.String(length=100), nullable=False),
        sa.Column("sip_code", sa.Integer(), nullable=True),
        sa.Column("quality", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recording_file", sa.String(length=255), nullable=True),
        sa.Column("recording_sha256", sa.String(length=64), nullable=True),
        sa.Column("recording_type", sa.String(length=100), nullable=True),
        sa.Column("recording_size", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_logs_agent_started", ["agent_id", "started_at"], unique=False
        )
        batch_op.create_index("ix_call_logs_started", ["started_at"], unique=False)

    op.create_table(
        "voip_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("extension", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("country_code", sa.String(length=8), nullable=False),
        sa.Column("phone_number", sa.String(length=40), nullable=False),
        sa.Column("max_lines", sa.Integer(), nullable=False),
        sa.Column("min_call_log_s", sa.Integer(), nullable=False),
        sa.Column("sip_username", sa.String(length=128), nullable=False),
        sa.Column("sip_password_enc", sa.LargeBinary(), nullable=False),
        sa.Column("auth_name", sa.String(length=128), nullable=False),
        sa.Column("sip_server", sa.String(length=255), nullable=False),
        sa.Column("sip_port", sa.Integer(), nullable=False),
        sa.Column("sip_domain", sa.String(length=255), nullable=False),
        sa.Column("outbound_proxy", sa.String(length=255), nullable=False),
        sa.Column("outbound_proxy_port", sa.Integer(), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("use_sdp", sa.Boolean(), nullable=False),
        sa.Column("caller_id", sa.String(length=128), nullable=False),
        sa.Column("equipment_type", sa.String(length=16), nullable=False),
        sa.Column("workstation_ip", sa.String(length=64), nullable=False),
        sa.Column("static_protocol", sa.String(length=8), nullable=False),
        sa.Column("rport", sa.Boolean(), nullable=False),
        sa.Column("keepalive_s", sa.Integer(), nullable=False),
        sa.Column("stun_server", sa.String(length=255), nullable=False),
        sa.Column("stun_port", sa.Integer(), nullable=False),
        sa.Column("register_expiry_s", sa.Integer(), nullable=False),
        sa.Column("register_refresh_s", sa.Integer(), nullable=False),
        sa.Column("codecs", sa.JSON(), nullable=False),
        sa.Column("dtmf", sa.String(length=16), nullable=False),
        sa.Column("srtp", sa.String(length=16), nullable=False),
        sa.Column("record_calls", sa.Boolean(), nullable=False),
        sa.Column("record_format", sa.String(length=8), nullable=False),
        sa.Column("context", sa.String(length=80), nullable=False),
        sa.Column("call_group", sa.String(length=80), nullable=False),
        sa.Column("pickup_group", sa.String(length=80), nullable=False),
        sa.Column("peer_type", sa.String(length=10), nullable=False),
        sa.Column("pbx_host", sa.String(length=64), nullable=False),
        sa.Column("pbx_nat", sa.String(length=16), nullable=False),
        sa.Column("chanspy", sa.Boolean(), nullable=False),
        sa.Column("video", sa.Boolean(), nullable=False),
        sa.Column("forwarding", sa.JSON(), nullable=False),
        sa.Column("lease_agent_id", sa.Integer(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["lease_agent_id"], ["agents.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id"),
        sa.UniqueConstraint("extension"),
        sa.UniqueConstraint("sip_username"),
    )
    with op.batch_alter_table("voip_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voip_accounts_lease_agent_id"), ["lease_agent_id"], unique=False
        )

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["voip_accounts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_agent_id"), ["agent_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_agent_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("voip_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voip_accounts_lease_agent_id"))

    op.drop_table("voip_accounts")
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_call_logs_started")
        batch_op.drop_index("ix_call_logs_agent_started")

    op.drop_table("call_logs")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_group_id"))

    op.drop_table("agents")
    op.drop_table("groups")
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_events_created_at"))

    op.drop_table("change_events")
    op.drop_table("admin_tokens")
