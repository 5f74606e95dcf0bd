"""Agents: sign-in identity, group membership and their own call-center settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api_models import AgentCreate, AgentFields, AgentOut, AgentStatusEntry
from ..changes import emit
from ..errors import Conflict, NotFound
from ..models import Agent, AgentStatusRow, Group, fill_defaults, utcnow
from ..profile import effective
from .agent_status import status_of, statuses
from .groups import get_group
from .pool import current_account, orphan_fixed_accounts, retire_fixed_password
from .sessions import revoke_agent_sessions


def get_agent(s: Session, agent_id: int) -> Agent:
    a = s.get(Agent, agent_id)
    if a is None:
        raise NotFound(f"agent {agent_id} does not exist")
    return a


def agent_by_login(s: Session, login: str) -> Agent | None:
    return s.scalar(select(Agent).where(Agent.login == login))


def agent_out(s: Session, a: Agent) -> AgentOut:
    group = s.get(Group, a.group_id) if a.group_id is not None else None
    account = current_account(s, a.id)
    return AgentOut(
        id=a.id,
        login=a.login,
        display_name=a.display_name,
        email=a.email,
        group_id=a.group_id,
        group=group.name if group else None,
        active=a.active,
        permission_level=a.permission_level,
        not_ready_reasons=a.not_ready_reasons,
        wrap_up_s=a.wrap_up_s,
        wrap_up_extension_s=a.wrap_up_extension_s,
        no_answer_s=a.no_answer_s,
        calls_while_not_ready=a.calls_while_not_ready,
        effective_not_ready_reasons=list(effective(a, group, "not_ready_reasons")),
        effective_wrap_up_s=effective(a, group, "wrap_up_s"),
        effective_wrap_up_extension_s=effective(a, group, "wrap_up_extension_s"),
        effective_no_answer_s=effective(a, group, "no_answer_s"),
        effective_calls_while_not_ready=effective(a, group, "calls_while_not_ready"),
        screen_pop_url=a.screen_pop_url,
        screen_pop_on=a.screen_pop_on,
        effective_screen_pop_url=effective(a, group, "screen_pop_url"),
        effective_screen_pop_on=effective(a, group, "screen_pop_on"),
        hot_desk=a.hot_desk,
        account_id=account.id if account else None,
        extension=account.extension if account else None,
        status=status_of(row) if (row := s.get(AgentStatusRow, a.id)) is not None else None,
    )


def list_agents(s: Session) -> list[AgentOut]:
    return [agent_out(s, a) for a in s.scalars(select(Agent).order_by(Agent.login))]


def status_board(s: Session) -> list[AgentStatusEntry]:
    """Every agent with its reported state and registration, by display name."""
    reported = statuses(s)
    groups = {g.id: g.name for g in s.scalars(select(Group))}
    return [
        AgentStatusEntry(
            agent_id=a.id,
            login=a.login,
            display_name=a.display_name,
            group=groups.get(a.group_id) if a.group_id is not None else None,
            status=reported.get(a.id),
        )
        for a in s.scalars(select(Agent).order_by(Agent.display_name, Agent.login))
    ]


def _apply_agent(s: Session, a: Agent, data: dict[str, Any], password_hash: str | None) -> None:
    if "login" in data and data["login"] is not None and data["login"] != a.login:
        if agent_by_login(s, data["login"]) is not None:
            raise Conflict(f"agent login {data['login']!r} already exists")
        a.login = data["login"]
    if "group_id" in data:
        if data["group_id"] is not None:
            get_group(s, int(data["group_id"]))
        a.group_id = data["group_id"]
    for key in ("display_name", "email", "active", "permission_level", "hot_desk"):
        if key in data and data[key] is not None:
            setattr(a, key, data[key])
    if "not_ready_reasons" in data:
        reasons = data["not_ready_reasons"]
        a.not_ready_reasons = None if reasons is None else [dict(r) for r in reasons]
    for key in (
        "wrap_up_s",
        "wrap_up_extension_s",
        "no_answer_s",
        "calls_while_not_ready",
        "screen_pop_url",
        "screen_pop_on",
    ):
        if key in data:  # None: the group's value
            setattr(a, key, data[key])
    if password_hash is not None:
        a.password_hash = password_hash
    a.updated_at = utcnow()


def create_agent(s: Session, body: AgentCreate, password_hash: str) -> Agent:
    data = body.model_dump(exclude_unset=True)
    if agent_by_login(s, body.login) is not None:
        raise Conflict(f"agent login {body.login!r} already exists")
    a = Agent(login=body.login, password_hash=password_hash)
    fill_defaults(a)
    s.add(a)
    _apply_agent(s, a, data, password_hash)
    s.flush()
    emit(s, [a.id])  # the directory lists every active agent, with a number or not
    return a


def update_agent(s: Session, agent_id: int, body: AgentFields, password_hash: str | None) -> Agent:
    a = get_agent(s, agent_id)
    data = body.model_dump(exclude_unset=True)
    _apply_agent(s, a, data, password_hash)
    if not a.active or password_hash is not None:
        revoke_agent_sessions(s, a.id)
    if not a.active:
        retire_fixed_password(s, a.id)
    emit(s, [a.id], everyone=True)  # the directory lists agents
    s.flush()
    return a


def delete_agent(s: Session, agent_id: int) -> None:
    a = get_agent(s, agent_id)
    revoke_agent_sessions(s, a.id)
    orphan_fixed_accounts(s, a.id)
    s.delete(a)
    emit(s, [a.id], everyone=True)


def delete_agents(s: Session, ids: list[int]) -> tuple[list[int], list[int]]:
    """(deleted, missing) ids; an id given twice counts once."""
    deleted, missing = [], []
    for i in dict.fromkeys(ids):
        try:
            delete_agent(s, i)
            deleted.append(i)
        except NotFound:
            missing.append(i)
    return deleted, missing
