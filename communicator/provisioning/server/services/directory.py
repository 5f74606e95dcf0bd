"""The directory every signed-in agent may read: agents and groups with their extensions.

It names agents by display name only: login names are sign-in identities, and a list of them
handed to every agent would be a ready list for password guessing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Agent, Group, VoipAccount, utcnow


def directory(s: Session) -> dict[str, Any]:
    now = utcnow()
    agents = s.scalars(
        select(Agent).where(Agent.active.is_(True)).order_by(Agent.display_name, Agent.id)
    ).all()
    groups = {g.id: g for g in s.scalars(select(Group).order_by(Group.name)).all()}
    ext: dict[int, int] = {}
    for acc in s.scalars(select(VoipAccount).where(VoipAccount.active.is_(True))):
        if acc.agent_id is not None:
            ext[acc.agent_id] = acc.extension
        elif acc.lease_agent_id is not None and acc.lease_expires_at and acc.lease_expires_at > now:
            ext.setdefault(acc.lease_agent_id, acc.extension)
    return {
        "agents": [
            {
                "display_name": a.display_name,
                "group": groups[a.group_id].name if a.group_id in groups else None,
                "extension": ext.get(a.id),
            }
            for a in agents
        ],
        "groups": [{"name": g.name, "extension": g.extension} for g in groups.values()],
    }
