"""The signed-in agent's VoIP profile, rendered from its account, agent and group rows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import profile as profile_mod
from ..models import Agent, VoipAccount
from ..security import SecretBox
from . import hot_desk
from .sessions import current_account


def build_profile(s: Session, box: SecretBox, agent_id: int) -> tuple[bytes, str] | None:
    """(body, etag) of the agent's profile; None while it has no active account."""
    account = current_account(s, agent_id)
    if account is None or not account.active:
        return None
    agent = s.get(Agent, agent_id)
    desk = hot_desk.desk_phone_of(s, agent_id) if agent is not None and agent.hot_desk else None
    return render_profile(s, box, agent, account, hot_desk.phone_name(desk) if desk else None)


def render_profile(
    s: Session,
    box: SecretBox,
    agent: Agent | None,
    account: VoipAccount,
    desk_phone: str | None = None,
) -> tuple[bytes, str]:
    # The agent's group as loaded with it (a sign-in loads both at once), else looked up.
    group = agent.group if agent is not None and agent.group_id else None
    password = box.decrypt(account.sip_password_enc)
    doc = profile_mod.profile_document(account, agent, group, password, desk_phone)
    return profile_mod.render_stored(doc)
