"""The number pool (seed 003): which accounts are lent, leases, and recycling.

An agent without a fixed VoIP account borrows a SIP-ID account marked for the pool. The lease
lasts while the agent's client keeps reporting its state (``PUT /agent/status``): each report
extends it by ``lease_idle_s``, never past the agent's latest session. A lease ends at sign-out,
when the agent is disabled or deleted, when an admin releases the number, or when the client
stopped reporting (swept by ``end_idle_leases``).

When a lease ends (or an account changes hands) the account is recycled: its forwarding is
reset (seed 002: forwarding belongs to the extension) and its SIP password is replaced, so the
previous holder can no longer register as that extension once the registrar has the new table.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from ..changes import emit
from ..config import ServerConfig
from ..errors import NoFreeNumber, NotFound
from ..models import SignInSession, VoipAccount, utcnow
from ..security import SecretBox

SIP_ID = "sip_id"


def lendable() -> ColumnElement[bool]:
    """Accounts the pool may lend: no agent of their own, active, SIP-ID, marked for the pool."""
    return and_(
        VoipAccount.agent_id.is_(None),
        VoipAccount.active.is_(True),
        VoipAccount.pool.is_(True),
        VoipAccount.equipment_type == SIP_ID,
    )


def is_lendable(acc: VoipAccount) -> bool:
    return acc.agent_id is None and acc.pool and acc.equipment_type == SIP_ID


def secret_box(s: Session) -> SecretBox:
    """The server key, handed to every database session by ``db.make_sessionmaker``."""
    box = s.info.get("box")
    if not isinstance(box, SecretBox):
        raise RuntimeError("this database session has no server key to rotate SIP passwords")
    return box


def rotate_sip_password(s: Session, acc: VoipAccount) -> None:
    """A new random SIP password nobody has seen (the registrar gets it from the exports)."""
    acc.sip_password_enc = secret_box(s).encrypt(secrets.token_urlsafe(18))
    acc.updated_at = utcnow()


def recycle(s: Session, acc: VoipAccount) -> None:
    """The account changes hands: new SIP password, forwarding back to none (seed 002)."""
    rotate_sip_password(s, acc)
    acc.forwarding = {}


def end_lease(s: Session, acc: VoipAccount) -> None:
    """Returns a leased account to the pool, recycled; the former holder is told."""
    holder = acc.lease_agent_id
    acc.lease_agent_id = None
    acc.lease_expires_at = None
    recycle(s, acc)
    emit(s, [holder], everyone=True)


def current_account(s: Session, agent_id: int) -> VoipAccount | None:
    """The agent's fixed account, else the pool account it holds now, else None."""
    fixed = s.scalar(select(VoipAccount).where(VoipAccount.agent_id == agent_id))
    if fixed is not None:
        return fixed
    return s.scalar(
        select(VoipAccount).where(
            VoipAccount.lease_agent_id == agent_id,
            VoipAccount.agent_id.is_(None),
            VoipAccount.lease_expires_at > utcnow(),
        )
    )


def lease_until(cfg: ServerConfig, session_expires: dt.datetime) -> dt.datetime:
    return min(session_expires, utcnow() + dt.timedelta(seconds=cfg.lease_idle_s))


def _held(s: Session, agent_id: int) -> VoipAccount | None:
    return s.scalar(
        select(VoipAccount).where(
            VoipAccount.lease_agent_id == agent_id,
            VoipAccount.agent_id.is_(None),
            VoipAccount.active.is_(True),
            VoipAccount.lease_expires_at > utcnow(),
        )
    )


def lease_pool_account(
    s: Session, cfg: ServerConfig, agent_id: int, session_expires: dt.datetime
) -> VoipAccount:
    """The pool account the agent holds (lease extended), else a free one; NoFreeNumber."""
    now, until = utcnow(), lease_until(cfg, session_expires)
    held = _held(s, agent_id)
    if held is not None:
        if held.lease_expires_at is None or held.lease_expires_at < until:
            held.lease_expires_at = until
        return held
    free = or_(VoipAccount.lease_agent_id.is_(None), VoipAccount.lease_expires_at <= now)
    # Its own lapsed lease first (the same number back), then the lowest extension.
    mine_first = (VoipAccount.lease_agent_id == agent_id).desc()
    for _attempt in range(10):
        row = s.execute(
            select(VoipAccount.id, VoipAccount.lease_agent_id)
            .where(lendable(), free)
            .order_by(mine_first, VoipAccount.extension)
            .limit(1)
        ).first()
        if row is None:
            break
        candidate, previous = int(row[0]), row[1]
        res = s.execute(
            update(VoipAccount)
            .where(
                VoipAccount.id == candidate,
                VoipAccount.lease_agent_id.is_not_distinct_from(previous),
                lendable(),
                free,
            )
            .values(lease_agent_id=agent_id, lease_expires_at=until)
            .execution_options(synchronize_session=False)
        )
        if getattr(res, "rowcount", 0) == 1:
            acc = s.get(VoipAccount, candidate)
            if acc is not None:
                s.refresh(acc)
                if previous is not None and previous != agent_id:
                    recycle(s, acc)  # a lapsed lease nobody swept: the last holder knew it
                return acc
    raise NoFreeNumber()


def ensure_account(
    s: Session, cfg: ServerConfig, agent_id: int, session_expires: dt.datetime
) -> None:
    """An agent without a number (account deleted, lease lapsed) borrows one from the pool."""
    if current_account(s, agent_id) is not None:
        return
    lease_pool_account(s, cfg, agent_id, session_expires)
    emit(s, [agent_id], everyone=True)


def _latest_session(s: Session, agent_id: int) -> dt.datetime | None:
    return s.scalar(
        select(func.max(SignInSession.expires_at)).where(
            SignInSession.agent_id == agent_id,
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > utcnow(),
        )
    )


def client_reported(s: Session, cfg: ServerConfig, agent_id: int) -> None:
    """The agent's client reported its state: its pool lease goes on (or starts again)."""
    if s.scalar(select(VoipAccount.id).where(VoipAccount.agent_id == agent_id)) is not None:
        return
    latest = _latest_session(s, agent_id)
    if latest is None:
        return
    had = _held(s, agent_id)
    try:
        acc = lease_pool_account(s, cfg, agent_id, latest)
    except NoFreeNumber:
        return  # the report is stored all the same; the profile says there is no number
    if had is None or had.id != acc.id:
        emit(s, [agent_id], everyone=True)


def shorten_lease(s: Session, agent_id: int, until: dt.datetime) -> None:
    """One of the agent's sessions ended; others remain, up to ``until``."""
    s.execute(
        update(VoipAccount)
        .where(
            VoipAccount.lease_agent_id == agent_id,
            VoipAccount.agent_id.is_(None),
            VoipAccount.lease_expires_at > until,
        )
        .values(lease_expires_at=until)
    )


def end_leases_of(s: Session, agent_id: int) -> None:
    """Every pool account the agent holds (or held, lapsed) goes back to the pool, recycled."""
    for acc in s.scalars(
        select(VoipAccount).where(VoipAccount.lease_agent_id == agent_id).with_for_update()
    ):
        end_lease(s, acc)


def release_account(s: Session, account_id: int) -> VoipAccount:
    """An admin takes a number back from whoever holds it (a crashed client, say)."""
    acc = s.scalar(select(VoipAccount).where(VoipAccount.id == account_id).with_for_update())
    if acc is None:
        raise NotFound(f"VoIP account {account_id} does not exist")
    if acc.lease_agent_id is not None:
        end_lease(s, acc)
    return acc


def end_idle_leases(s: Session) -> int:
    """Ends the leases whose client stopped reporting; returns how many. Safe to run in
    several processes at once: each lease is ended (and its password rotated) by one."""
    now = utcnow()
    due = s.execute(
        select(VoipAccount.id, VoipAccount.lease_agent_id).where(
            VoipAccount.lease_agent_id.is_not(None), VoipAccount.lease_expires_at <= now
        )
    ).all()
    ended = 0
    for account_id, holder in due:
        res = s.execute(
            update(VoipAccount)
            .where(
                VoipAccount.id == account_id,
                VoipAccount.lease_agent_id == holder,
                VoipAccount.lease_expires_at <= now,
            )
            .values(lease_agent_id=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        if getattr(res, "rowcount", 0) != 1:
            continue
        acc = s.get(VoipAccount, account_id)
        if acc is not None:
            s.refresh(acc)
            recycle(s, acc)
            emit(s, [holder], everyone=True)
            ended += 1
    return ended


def orphan_fixed_accounts(s: Session, agent_id: int) -> None:
    """The agent is deleted: its fixed account joins the pool, recycled."""
    for acc in s.scalars(select(VoipAccount).where(VoipAccount.agent_id == agent_id)):
        acc.agent_id = None
        recycle(s, acc)


def retire_fixed_password(s: Session, agent_id: int) -> None:
    """The agent is disabled: the SIP password it saw stops working (it gets the new one in
    its profile if it is enabled again)."""
    for acc in s.scalars(select(VoipAccount).where(VoipAccount.agent_id == agent_id)):
        rotate_sip_password(s, acc)
