"""The server's tables (SQLAlchemy 2 typed ORM). Migrations live in ``migrations/``."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    Uuid,
    event,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _default_transports() -> list[str]:
    return ["udp"]


def _default_codecs() -> list[str]:
    return ["opus", "G722", "PCMA", "PCMU"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fill_defaults(obj: Any) -> None:
    """Applies the column defaults now (SQLAlchemy would only at INSERT)."""
    for col in obj.__table__.columns:
        default = col.default
        if default is None or col.primary_key or getattr(obj, col.key, None) is not None:
            continue
        arg = default.arg
        setattr(obj, col.key, arg(None) if callable(arg) else arg)


class CallOrder(enum.Enum):
    """How a call to a group's extension rings its members (issue 18, Kamailio's routing)."""

    RANDOM = "random"  # one at a time, in a random order
    SIMULTANEOUS = "simultaneous"  # all at once
    LEAST_BUSY = "least_busy"  # seed 001's name for: the one idle longest first
    IN_ORDER = "in_order"  # one at a time, by position, each for the ring time
    ROUND_ROBIN = "round_robin"  # one at a time, starting after the last call's first
    LONGEST_IDLE = "longest_idle"  # one at a time, the one idle longest first


def _enum_values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class Base(DeclarativeBase):
    pass


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    extension: Mapped[int | None] = mapped_column(Integer, unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    call_order: Mapped[CallOrder] = mapped_column(
        Enum(CallOrder, native_enum=False, length=20, values_callable=_enum_values),
        default=CallOrder.SIMULTANEOUS,
    )
    average_call_duration_s: Mapped[int] = mapped_column(Integer, default=60)
    max_queue_size: Mapped[int] = mapped_column(Integer, default=99)
    # Call-center defaults for the members; reasons are {"code", "label"} objects.
    not_ready_reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    wrap_up_s: Mapped[int] = mapped_column(Integer, default=0)
    wrap_up_extension_s: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    no_answer_s: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    calls_while_not_ready: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    screen_pop_url: Mapped[str] = mapped_column(String(2048), default="")
    screen_pop_on: Mapped[str] = mapped_column(
        String(16), default="ringing", server_default="ringing"
    )
    allow_offline_start: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Group routing (issue 18, revision 0011): each member rings for ring_time_s (one at a
    # time orders); call_waiting rings members on a call too; with nobody to ring, the call
    # goes to overflow_number, else to the overflow group, else it gets 480.
    ring_time_s: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    call_waiting: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    overflow_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    overflow_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), nullable=True
    )
    # The name percent-encoded (RFC 3986, UTF-8): the X-Communicator-Group header's value.
    sip_label: Mapped[str] = mapped_column(String(400), default="", server_default="")
    # Desktop settings the admin fixed for the members (issue 16, revision 0014): the profile's
    # desktop section; null: the agent's own choice.
    desktop_close_to_tray: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    desktop_start_at_login: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    desktop_links: Mapped[str | None] = mapped_column(String(8), nullable=True)
    desktop_sip_trace: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    members: Mapped[list[Agent]] = relationship(
        back_populates="group", foreign_keys="Agent.group_id"
    )


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    permission_level: Mapped[int] = mapped_column(Integer, default=10)
    # None = inherit from the group.
    not_ready_reasons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    wrap_up_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    wrap_up_extension_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    no_answer_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    calls_while_not_ready: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    screen_pop_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    screen_pop_on: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Hot desk (seed 004): at sign-in the agent picks this computer or a free desk phone.
    hot_desk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Position in the group's "in order" call order (the order of the group's member list).
    group_position: Mapped[int | None] = mapped_column(Integer, nullable=True)

    group: Mapped[Group | None] = relationship(back_populates="members")


class VoipAccount(Base):
    """A SIP account (seed 000 + 004). ``agent_id`` set = fixed; otherwise in the pool."""

    __tablename__ = "voip_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), unique=True
    )
    extension: Mapped[int] = mapped_column(Integer, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    country_code: Mapped[str] = mapped_column(String(8), default="")
    phone_number: Mapped[str] = mapped_column(String(40), default="")
    max_lines: Mapped[int] = mapped_column(Integer, default=2)
    min_call_log_s: Mapped[int] = mapped_column(Integer, default=0)
    # SIP account (seed 000).
    sip_username: Mapped[str] = mapped_column(String(128), unique=True)
    sip_password_enc: Mapped[bytes] = mapped_column(LargeBinary)
    auth_name: Mapped[str] = mapped_column(String(128), default="")
    sip_server: Mapped[str] = mapped_column(String(255))
    sip_port: Mapped[int] = mapped_column(Integer, default=5060)
    sip_domain: Mapped[str] = mapped_column(String(255), default="")
    outbound_proxy: Mapped[str] = mapped_column(String(255), default="")
    outbound_proxy_port: Mapped[int] = mapped_column(Integer, default=5060)
    # Ports for the TLS transport; 0: automatic (5061 beside a 5060 port, else the same port).
    sip_tls_port: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    outbound_proxy_tls_port: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    transports: Mapped[list[str]] = mapped_column(JSON, default=_default_transports)
    use_sdp: Mapped[bool] = mapped_column(Boolean, default=True)
    caller_id: Mapped[str] = mapped_column(String(128), default="")
    # Equipment (SIP ID or static IP).
    equipment_type: Mapped[str] = mapped_column(String(16), default="sip_id")
    workstation_ip: Mapped[str] = mapped_column(String(64), default="")
    static_protocol: Mapped[str] = mapped_column(String(8), default="udp")
    # NAT traversal and registration timers (seed 002: refresh 15 s, expiry 30 s).
    rport: Mapped[bool] = mapped_column(Boolean, default=True)
    keepalive_s: Mapped[int] = mapped_column(Integer, default=15)
    stun_server: Mapped[str] = mapped_column(String(255), default="")
    stun_port: Mapped[int] = mapped_column(Integer, default=3478)
    register_expiry_s: Mapped[int] = mapped_column(Integer, default=30)
    register_refresh_s: Mapped[int] = mapped_column(Integer, default=15)
    # Media and recording (seed 004).
    codecs: Mapped[list[str]] = mapped_column(JSON, default=_default_codecs)
    dtmf: Mapped[str] = mapped_column(String(16), default="rfc4733")
    srtp: Mapped[str] = mapped_column(String(16), default="disabled")
    record_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    record_format: Mapped[str] = mapped_column(String(8), default="wav")
    # PBX-side settings exported to Asterisk (seed 004).
    context: Mapped[str] = mapped_column(String(80), default="from-sip")
    call_group: Mapped[str] = mapped_column(String(80), default="")
    pickup_group: Mapped[str] = mapped_column(String(80), default="")
    peer_type: Mapped[str] = mapped_column(String(10), default="friend")
    pbx_host: Mapped[str] = mapped_column(String(64), default="dynamic")
    pbx_nat: Mapped[str] = mapped_column(String(16), default="force_rport")
    chanspy: Mapped[bool] = mapped_column(Boolean, default=False)
    video: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lent to agents without a fixed account while it has no agent (SIP-ID accounts only);
    # false for desk phones and other accounts that must stay where they are.
    pool: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Forwarding belongs to the extension (seed 002): reset when the extension is recycled.
    forwarding: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Pool lease (seed 003): held by an agent for the span of its sessions.
    lease_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Digest hashes for the registrar (revision 0011): md5(user:realm:password) and
    # md5(user@realm:realm:password), kept by sip_directory on every flush that changes the
    # password, the user name or the domain. Kamailio reads them through the sip_subscribers view.
    sip_ha1: Mapped[str] = mapped_column(String(32), default="", server_default="")
    sip_ha1b: Mapped[str] = mapped_column(String(32), default="", server_default="")

    agent: Mapped[Agent | None] = relationship(foreign_keys=[agent_id])


class SignInSession(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("voip_accounts.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    # Hot desk: the desk phone (an account) chosen for this session; null: this computer.
    desk_phone_id: Mapped[int | None] = mapped_column(
        ForeignKey("voip_accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )


class DeliveryToken(Base):
    """Lets a client deliver the call logs and recordings of a session after it ended.

    Issued at sign-in next to the session token; accepted only by the call-log endpoints;
    not revoked by sign-out (the logs of a session are delivered durably, maybe later).
    """

    __tablename__ = "delivery_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("voip_accounts.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AdminToken(Base):
    __tablename__ = "admin_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="admin")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Every token made since revision 0007 expires; None only for rows written before it ran.
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SignInLimit(Base):
    """A token bucket of failed sign-ins (see ``services/signin_limits.py``), shared by every
    server process on the database."""

    __tablename__ = "sign_in_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class CallLog(Base):
    __tablename__ = "call_logs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), nullable=True
    )
    group_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    extension: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line: Mapped[int] = mapped_column(Integer, default=1)
    direction: Mapped[str] = mapped_column(String(10))
    remote: Mapped[str] = mapped_column(String(255))
    local_number: Mapped[str] = mapped_column(String(40), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_s: Mapped[float] = mapped_column(default=0.0)
    end_reason: Mapped[str] = mapped_column(String(100), default="")
    sip_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recording_file: Mapped[str | None] = mapped_column(String(255), nullable=True)
    recording_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recording_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recording_size: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index("ix_call_logs_agent_started", "agent_id", "started_at"),
        Index("ix_call_logs_started_id", "started_at", "id"),
        Index("ix_call_logs_group_started", "group_id", "started_at", "id"),
    )


class ChangeEvent(Base):
    """Change notifications for other processes on SQLite (PostgreSQL uses NOTIFY)."""

    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    payload: Mapped[str] = mapped_column(Text)


class AgentStatusRow(Base):
    """The agent state and phone registration last reported by the agent's client.

    ``state_since`` is when the state (with its reason) began: reporting the same state again
    leaves it; ``reported_at`` is the last report (what a pool lease can expire on).
    """

    __tablename__ = "agent_status"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    state_since: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    contact: Mapped[str | None] = mapped_column(String(262), nullable=True)
    transport: Mapped[str | None] = mapped_column(String(8), nullable=True)
    expires_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registrar: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class SipSetting(Base):
    """Server settings the registrar's routing reads (issue 18), e.g. ``agent_stale_s``."""

    __tablename__ = "sip_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


@event.listens_for(Session, "before_flush")
def _keep_sip_hashes(session: Session, _ctx: object, _instances: object) -> None:
    """The digest hashes follow every change of a SIP password, user name or domain, in the
    same flush (see ``sip_directory``)."""
    from .sip_directory import refresh_hashes

    refresh_hashes(session)
