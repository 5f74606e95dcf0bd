"""Sign-in sessions, and the delivery and admin tokens.

An agent without a fixed VoIP account borrows one from the pool (seed 003, ``pool.py``) when
it signs in; signing out of its last session, or being signed out, ends the lease.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ..changes import emit
from ..config import ServerConfig
from ..errors import NoFreeNumber, Unauthorized
from ..models import (
    AdminToken,
    Agent,
    DeliveryToken,
    SignInSession,
    VoipAccount,
    utcnow,
)
from ..security import new_token, token_digest
from .agent_status import mark_signed_out
from .pool import current_account as current_account  # noqa: PLC0414 (re-exported)
from .pool import end_leases_of, lease_pool_account, shorten_lease
from .signin_limits import forget_stale

DELIVERY_TTL = dt.timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class SessionInfo:
    session_id: int
    agent_id: int
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class DeliveryInfo:
    agent_id: int
    account_id: int | None
    expires_at: dt.datetime


# -------------------------------------------------------------------------------- sessions


def create_session(
    s: Session, cfg: ServerConfig, agent: Agent, address: str
) -> tuple[str, SessionInfo, VoipAccount, bool]:
    """Opens a session; lends a pool account to agents without a fixed one.

    Refuses an agent disabled meanwhile. Only ``agent.id`` is read (the agent may come
    detached from the sign-in's look-up, before its password check). The
    rows are written with plain (Core) statements, compiled once: this runs at every sign-in.
    """
    expires = utcnow() + dt.timedelta(seconds=cfg.session_ttl_s)
    # Whether the agent is (still) active, how many session rows it has and its fixed
    # account: one statement.
    row = s.execute(_ACTIVE_AND_ACCOUNT, {"agent": agent.id}).first()
    if row is None or not row[0]:
        raise Unauthorized("this agent account is disabled; ask an administrator")
    fixed = row[2]
    if fixed is not None:
        if not fixed.active:
            raise NoFreeNumber()
        account, pooled = fixed, False
    else:
        account, pooled = lease_pool_account(s, cfg, agent.id, expires), True
    if row[1] >= PRUNE_AT:
        prune_expired(s, agent.id)
    token = new_token("cs")
    session_id = (
        s.connection()
        .execute(
            _NEW_SESSION,
            {
                "token_hash": token_digest(token),
                "agent_id": agent.id,
                "account_id": account.id,
                "expires_at": expires,
                "address": address[:64],
            },
        )
        .scalar_one()
    )
    if pooled:
        emit(s, [agent.id], everyone=True)
    else:
        emit(s, status=True)  # the console's live board lists the signed-in agents
    return token, SessionInfo(int(session_id), agent.id, expires), account, pooled


def prune_expired(s: Session, agent_id: int) -> None:
    """Deletes the agent's sessions that expired or were revoked, and its expired delivery
    tokens: an agent signing in for years leaves no trail of dead rows. (Plain statements,
    no ORM bookkeeping: a sign-in runs it once the agent has :data:`PRUNE_AT` sessions.)"""
    params = {"agent": agent_id, "now": utcnow()}
    conn = s.connection()
    conn.execute(_DEAD_SESSIONS, params)
    conn.execute(_DEAD_DELIVERY_TOKENS, params)


PRUNE_AT = 8
"""A sign-in prunes the agent's dead rows once the agent has this many sessions (live or
dead): an agent keeps at most a few dead rows between prunes, and most sign-ins skip the two
DELETEs (the count comes with the statement the sign-in runs anyway)."""

# The sign-in's statements, built once: building one per call (and its cache key) costs
# several times the CPU of executing it.
_SESSIONS_OF_AGENT = (
    select(func.count())
    .select_from(SignInSession)
    .where(SignInSession.agent_id == Agent.id)
    .correlate(Agent)
    .scalar_subquery()
)
_ACTIVE_AND_ACCOUNT = (
    select(Agent.active, _SESSIONS_OF_AGENT, VoipAccount)
    .select_from(Agent)
    .outerjoin(VoipAccount, VoipAccount.agent_id == Agent.id)
    .where(Agent.id == bindparam("agent"))
)
_NEW_SESSION = insert(SignInSession).returning(SignInSession.id)
_NEW_DELIVERY_TOKEN = insert(DeliveryToken)
_DEAD_SESSIONS = delete(SignInSession).where(
    SignInSession.agent_id == bindparam("agent"),
    or_(SignInSession.expires_at <= bindparam("now"), SignInSession.revoked_at.is_not(None)),
)
_DEAD_DELIVERY_TOKENS = delete(DeliveryToken).where(
    DeliveryToken.agent_id == bindparam("agent"), DeliveryToken.expires_at <= bindparam("now")
)


def prune_all_expired(s: Session) -> int:
    """Deletes every session that expired or was revoked over an hour ago, expired delivery
    tokens and forgotten sign-in limits; returns the number of sessions deleted."""
    cutoff = utcnow() - dt.timedelta(hours=1)
    gone = s.execute(
        delete(SignInSession).where(
            or_(SignInSession.expires_at <= cutoff, SignInSession.revoked_at <= cutoff)
        )
    )
    s.execute(delete(DeliveryToken).where(DeliveryToken.expires_at <= cutoff))
    forget_stale(s)
    return int(getattr(gone, "rowcount", 0) or 0)


def lookup_session(s: Session, token: str) -> SessionInfo | None:
    row = s.execute(
        select(SignInSession.id, SignInSession.agent_id, SignInSession.expires_at)
        .join(Agent, Agent.id == SignInSession.agent_id)
        .where(
            SignInSession.token_hash == token_digest(token),
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > utcnow(),
            Agent.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    return SessionInfo(int(row[0]), int(row[1]), row[2])


def end_session(s: Session, session_id: int) -> None:
    sess = s.get(SignInSession, session_id)
    if sess is None or sess.revoked_at is not None:
        return
    now = utcnow()
    sess.revoked_at = now
    others = s.scalar(
        select(func.max(SignInSession.expires_at)).where(
            SignInSession.agent_id == sess.agent_id,
            SignInSession.id != sess.id,
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > now,
        )
    )
    if others is None:
        end_leases_of(s, sess.agent_id)
        mark_signed_out(s, [sess.agent_id])
    else:
        shorten_lease(s, sess.agent_id, others)
    emit(s, [sess.agent_id], everyone=True, sessions_revoked=[sess.id])


def revoke_agent_sessions(s: Session, agent_id: int) -> None:
    """Ends every open session of the agent, revokes its delivery tokens and returns its pool
    account. The notice names the agent, not its sessions (it stays small however many)."""
    s.execute(
        update(SignInSession)
        .where(SignInSession.agent_id == agent_id, SignInSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    s.execute(delete(DeliveryToken).where(DeliveryToken.agent_id == agent_id))
    end_leases_of(s, agent_id)
    mark_signed_out(s, [agent_id])
    emit(s, [agent_id], signed_out=[agent_id])


# ---------------------------------------------------------------------------------- tokens


def create_delivery_token(
    s: Session, agent_id: int, account_id: int | None
) -> tuple[str, dt.datetime]:
    token = new_token("cd")
    expires = utcnow() + DELIVERY_TTL
    s.connection().execute(
        _NEW_DELIVERY_TOKEN,
        {
            "token_hash": token_digest(token),
            "agent_id": agent_id,
            "account_id": account_id,
            "expires_at": expires,
        },
    )
    return token, expires


def lookup_delivery(s: Session, token: str) -> DeliveryInfo | None:
    row = s.execute(
        select(DeliveryToken.agent_id, DeliveryToken.account_id, DeliveryToken.expires_at).where(
            DeliveryToken.token_hash == token_digest(token), DeliveryToken.expires_at > utcnow()
        )
    ).first()
    return DeliveryInfo(int(row[0]), row[1], row[2]) if row is not None else None


ADMIN_TTL = dt.timedelta(days=90)


@dataclasses.dataclass(frozen=True)
class AdminTokenInfo:
    """An admin token as listed (never the token itself: only its digest is stored)."""

    id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"


def create_admin_token(s: Session, name: str, ttl: dt.timedelta = ADMIN_TTL) -> str:
    if ttl <= dt.timedelta(0):
        raise ValueError("an admin token must expire: give it a lifetime from 1 day up")
    token = new_token("adm")
    s.add(AdminToken(name=name, token_hash=token_digest(token), expires_at=utcnow() + ttl))
    s.flush()
    return token


@dataclasses.dataclass(frozen=True)
class AdminCaller:
    """Who a valid admin token is: ``label`` names it in the audit history, ``<token name>
    (API token <id>)``; ``expires_at`` is when it stops working."""

    label: str
    expires_at: dt.datetime


def admin_caller(s: Session, token: str) -> AdminCaller | None:
    """The admin token's holder, or None when it is unknown, revoked or expired (one query:
    the token check and the audit's "who" share it)."""
    row = s.execute(
        select(AdminToken.id, AdminToken.name, AdminToken.expires_at, AdminToken.created_at).where(
            AdminToken.token_hash == token_digest(token), AdminToken.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    expires: dt.datetime = row[2] if row[2] is not None else row[3] + ADMIN_TTL
    if expires <= utcnow():
        return None
    return AdminCaller(f"{row[1]} (API token {row[0]})", expires)


def admin_token_valid(s: Session, token: str) -> bool:
    return admin_caller(s, token) is not None


def list_admin_tokens(s: Session) -> list[AdminTokenInfo]:
    return [
        AdminTokenInfo(t.id, t.name, t.created_at, t.expires_at, t.revoked_at)
        for t in s.scalars(select(AdminToken).order_by(AdminToken.id))
    ]


def revoke_admin_tokens(s: Session, ids: list[int]) -> tuple[list[int], list[int]]:
    """(revoked, missing) ids; every server process drops its cached admin tokens."""
    found = set(s.scalars(select(AdminToken.id).where(AdminToken.id.in_(ids))))
    revoked = [i for i in dict.fromkeys(ids) if i in found]
    if revoked:
        s.execute(
            update(AdminToken)
            .where(AdminToken.id.in_(revoked), AdminToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        emit(s, recheck_credentials=True)
    return revoked, [i for i in dict.fromkeys(ids) if i not in found]
