"""Hot desk (seed 004): a hot-desk agent picks, at sign-in, where its calls ring.

The choices are this computer (the softphone registers the agent's own or lent account, as
for every agent) or a desk phone: an active account with no agent of its own that the pool
never lends (``pool`` false: desk phones and static-IP phones), not already chosen by another
open session. The choice is recorded on the sign-in session, so it ends with the session
(sign-out, revocation, expiry) and the phone is free again without any clean-up.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from ..api_models import DeskPhone
from ..changes import emit
from ..errors import Conflict, NotFound
from ..models import SignInSession, VoipAccount, utcnow

STATIC_IP = "static_ip"


def _is_desk_phone() -> ColumnElement[bool]:
    return and_(
        VoipAccount.agent_id.is_(None),
        VoipAccount.active.is_(True),
        or_(VoipAccount.pool.is_(False), VoipAccount.equipment_type == STATIC_IP),
    )


def _open_session() -> ColumnElement[bool]:
    return and_(SignInSession.revoked_at.is_(None), SignInSession.expires_at > utcnow())


def phone_name(acc: VoipAccount) -> str:
    """The name shown to the agent: the phone's caller ID when set, else its extension."""
    return acc.caller_id.strip() or f"Desk phone {acc.extension}"


def describe(acc: VoipAccount) -> DeskPhone:
    static_ip = acc.workstation_ip if acc.equipment_type == STATIC_IP else ""
    return DeskPhone(
        id=acc.id, name=phone_name(acc), extension=str(acc.extension), static_ip=static_ip or None
    )


def holder(s: Session, phone_id: int) -> int | None:
    """The open session that chose the desk phone, or None."""
    return s.scalar(
        select(SignInSession.id).where(SignInSession.desk_phone_id == phone_id, _open_session())
    )


def free_desk_phones(s: Session, session_id: int | None = None) -> list[DeskPhone]:
    """The desk phones no other open session has chosen, by extension."""
    taken = select(SignInSession.desk_phone_id).where(
        SignInSession.desk_phone_id.is_not(None),
        _open_session(),
        SignInSession.id != (session_id or 0),
    )
    rows = s.scalars(
        select(VoipAccount)
        .where(_is_desk_phone(), VoipAccount.id.not_in(taken))
        .order_by(VoipAccount.extension)
    )
    return [describe(a) for a in rows]


def choose_phone(s: Session, session_id: int, phone_id: int | None) -> DeskPhone | None:
    """Records the session's choice (None: this computer); the same choice again changes
    nothing. Conflict when another open session holds the phone."""
    sess = s.get(SignInSession, session_id)
    if sess is None:
        raise NotFound("this session has ended; sign in again")
    chosen: VoipAccount | None = None
    if phone_id is not None:
        chosen = s.scalar(select(VoipAccount).where(VoipAccount.id == phone_id, _is_desk_phone()))
        if chosen is None:
            raise NotFound(f"there is no desk phone {phone_id}")
        other = holder(s, phone_id)
        if other is not None and other != session_id:
            raise Conflict(
                f"{phone_name(chosen)} is already in use by another agent; choose another phone"
            )
    if sess.desk_phone_id != phone_id:
        sess.desk_phone_id = phone_id
        emit(s, [sess.agent_id])  # the profile says where the calls ring
    s.flush()
    return describe(chosen) if chosen is not None else None


def desk_phone_of(s: Session, agent_id: int) -> VoipAccount | None:
    """The desk phone chosen by the agent's latest open session (None: this computer)."""
    phone_id = s.scalar(
        select(SignInSession.desk_phone_id)
        .where(SignInSession.agent_id == agent_id, _open_session())
        .order_by(SignInSession.id.desc())
        .limit(1)
    )
    return s.get(VoipAccount, phone_id) if phone_id is not None else None
