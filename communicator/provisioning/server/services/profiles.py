"""The signed-in agent's VoIP profile, rendered from its account, agent and group rows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import profile as profile_mod
from ..models import Agent, Group, VoipAccount
from ..security import SecretBox
from .sessions import current_account


def build_profile(s: Session, box: SecretBox, agent_id: int) -> tuple[bytes, str] | None:
    """(body, etag) of the agent's profile; None while it has no active account."""
    account = current_account(s, agent_id)
    if account is None or not account.active:
        return None
    agent = s.get(Agent, agent_id)
    return render_profile(s, box, agent, account)


def render_profile(
    s: Session, box: SecretBox, agent: Agent | None, account: VoipAccount
) -> tuple[bytes, str]:
    group = s.get(Group, agent.group_id) if agent is not None and agent.group_id else None
    doc = profile_mod.profile_document(account, agent, group, box.decrypt(account.sip_password_enc))
    return profile_mod.render(doc)
