"""Admin changes with their audit entry, for the console and the JSON admin API alike.

Each function runs the service's change (``agents``, ``groups``, ``accounts``...) and records
who did it, with the old and new value of every field, in the caller's transaction: the change
and its entry commit together or not at all. Secrets never reach the history: a new password
shows as ``(changed)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import changes
from ..admin_models import AuditEntry
from ..api_models import AccountCreate, AccountFields, AgentCreate, AgentFields, GroupCreate
from ..api_models import GroupFields as GroupBody
from ..config import ServerConfig
from ..csvsafe import read_csv, unsafe_cell
from ..models import Agent, Group, VoipAccount
from ..security import SecretBox
from . import accounts, accounts_csv, agents, audit, groups, numbering, pool

PASSWORD_CHANGED = frozenset({"password"})
SIP_PASSWORD_CHANGED = frozenset({"sip_password"})
_AGENT_DERIVED = ("status", "account_id", "extension", "group")


# --------------------------------------------------------------------------------- agents


def agent_snapshot(s: Session, a: Agent) -> dict[str, Any]:
    """The agent's own fields as the API shows them (not what is derived from its group)."""
    out = agents.agent_out(s, a).model_dump(mode="json")
    return {
        k: v for k, v in out.items() if not k.startswith("effective_") and k not in _AGENT_DERIVED
    }


def _agent_label(a: Agent) -> str:
    return f"{a.login} ({a.display_name})" if a.display_name else a.login


def create_agent(s: Session, who: str, body: AgentCreate, password_hash: str) -> Agent:
    a = agents.create_agent(s, body, password_hash)
    audit.record(
        s,
        admin=who,
        action="create",
        object_type="agent",
        object_id=a.id,
        label=_agent_label(a),
        changes=audit.diff(None, agent_snapshot(s, a), PASSWORD_CHANGED),
    )
    return a


def update_agent(
    s: Session, who: str, agent_id: int, body: AgentFields, password_hash: str | None
) -> Agent:
    before = agent_snapshot(s, agents.get_agent(s, agent_id))
    a = agents.update_agent(s, agent_id, body, password_hash)
    changes = audit.diff(
        before, agent_snapshot(s, a), PASSWORD_CHANGED if password_hash else frozenset()
    )
    if changes:
        audit.record(
            s,
            admin=who,
            action="update",
            object_type="agent",
            object_id=a.id,
            label=_agent_label(a),
            changes=changes,
        )
    return a


def delete_agents(s: Session, who: str, ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """(deleted, missing) ids, each deleted agent with its entry."""
    wanted = list(dict.fromkeys(ids))
    gone = {
        a.id: (_agent_label(a), agent_snapshot(s, a))
        for a in s.scalars(select(Agent).where(Agent.id.in_(wanted)))
    }
    deleted, missing = agents.delete_agents(s, wanted)
    for agent_id in deleted:
        label, before = gone[agent_id]
        audit.record(
            s,
            admin=who,
            action="delete",
            object_type="agent",
            object_id=agent_id,
            label=label,
            changes=audit.diff(before, None),
        )
    return deleted, missing


# --------------------------------------------------------------------------------- groups


def _group_snapshot(s: Session, g: Group) -> dict[str, Any]:
    return groups.group_out(s, g).model_dump(mode="json")


def create_group(s: Session, cfg: ServerConfig, who: str, body: GroupCreate) -> Group:
    g = groups.create_group(s, cfg, body)
    audit.record(
        s,
        admin=who,
        action="create",
        object_type="group",
        object_id=g.id,
        label=g.name,
        changes=audit.diff(None, _group_snapshot(s, g)),
    )
    return g


def update_group(s: Session, cfg: ServerConfig, who: str, group_id: int, body: GroupBody) -> Group:
    before = _group_snapshot(s, groups.get_group(s, group_id))
    g = groups.update_group(s, cfg, group_id, body)
    changes = audit.diff(before, _group_snapshot(s, g))
    if changes:
        audit.record(
            s,
            admin=who,
            action="update",
            object_type="group",
            object_id=g.id,
            label=g.name,
            changes=changes,
        )
    return g


def delete_group(s: Session, who: str, group_id: int) -> None:
    g = groups.get_group(s, group_id)
    label, before = g.name, _group_snapshot(s, g)
    groups.delete_group(s, group_id)
    audit.record(
        s,
        admin=who,
        action="delete",
        object_type="group",
        object_id=group_id,
        label=label,
        changes=audit.diff(before, None),
    )


# ------------------------------------------------------------------------------- accounts


def account_label(d: dict[str, Any]) -> str:
    return f"{d['extension']} {d['sip_username']}"


def _record_account(
    s: Session,
    who: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    secrets: frozenset[str] = frozenset(),
) -> None:
    changes = audit.diff(before, after, secrets)
    if action == "update" and not changes:
        return
    shown = after if after is not None else before
    assert shown is not None
    audit.record(
        s,
        admin=who,
        action=action,
        object_type="voip_account",
        object_id=int(shown["id"]),
        label=account_label(shown),
        changes=changes,
    )


def create_account(
    s: Session, cfg: ServerConfig, box: SecretBox, who: str, body: AccountCreate
) -> VoipAccount:
    acc = accounts.create_account(s, cfg, box, body)
    _record_account(
        s, who, "create", None, accounts.account_details(s, acc.id), secrets=SIP_PASSWORD_CHANGED
    )
    return acc


def update_account(  # noqa: PLR0917
    s: Session, cfg: ServerConfig, box: SecretBox, who: str, account_id: int, body: AccountFields
) -> VoipAccount:
    before = accounts.account_details(s, account_id)
    acc = accounts.update_account(s, cfg, box, account_id, body)
    secrets = SIP_PASSWORD_CHANGED if body.sip_password is not None else frozenset()
    after = accounts.account_details(s, acc.id)
    _record_account(s, who, "update", before, after, secrets=secrets)
    return acc


def delete_accounts(s: Session, who: str, ids: Iterable[int]) -> tuple[list[int], list[int]]:
    wanted = list(dict.fromkeys(ids))
    gone = {
        acc.id: accounts.account_details(s, acc.id)
        for acc in s.scalars(select(VoipAccount).where(VoipAccount.id.in_(wanted)))
    }
    deleted, missing = accounts.delete_accounts(s, wanted)
    for account_id in deleted:
        _record_account(s, who, "delete", gone[account_id], None)
    return deleted, missing


def release_account(s: Session, who: str, account_id: int) -> VoipAccount:
    """The pool's release: the lease ends and the number's SIP password changes; the entry
    names the former holder and when the lease would have ended."""
    held = s.get(VoipAccount, account_id)
    was_lent = held is not None and held.lease_agent_id is not None
    holder = s.get(Agent, held.lease_agent_id) if held and held.lease_agent_id else None
    until = held.lease_expires_at if held is not None else None
    acc = pool.release_account(s, account_id)
    if was_lent:
        d = accounts.account_details(s, acc.id)
        audit.record(
            s,
            admin=who,
            action="release",
            object_type="voip_account",
            object_id=acc.id,
            label=account_label(d),
            changes={
                "lease_agent": [holder.login if holder else None, None],
                "lease_expires_at": [until.isoformat() if until else None, None],
                "sip_password": [audit.HIDDEN, audit.CHANGED],
            },
        )
    return acc


def _all_accounts(s: Session) -> dict[int, dict[str, Any]]:
    # One query: account_details then finds each account in the session.
    rows = s.scalars(select(VoipAccount)).all()
    return {acc.id: accounts.account_details(s, acc.id) for acc in rows}


def import_accounts_csv(
    s: Session, cfg: ServerConfig, box: SecretBox, who: str, text: str
) -> tuple[int, int]:
    """``accounts_csv.import_accounts_csv`` (all rows or none), with an entry for each
    account it created or changed."""
    before = _all_accounts(s)
    _open_transaction(s)
    with changes.one_notice(s), numbering.extensions_held(s):
        created, updated = accounts_csv.import_accounts_csv(s, cfg, box, text)
    with_password = _csv_rows_with_password(text)
    for account_id, after in _all_accounts(s).items():
        old = before.get(account_id)
        secrets = SIP_PASSWORD_CHANGED if after["sip_username"] in with_password else frozenset()
        action = "create" if old is None else "update"
        _record_account(s, who, action, old, after, secrets=secrets)
    return created, updated


def _open_transaction(s: Session) -> None:
    """Makes SQLite open the transaction now. pysqlite begins one only before a write, so a
    SAVEPOINT (the import's per-row ``begin_nested``) met first starts the transaction itself
    and its RELEASE commits the row: a refused file would keep its first row. A write that
    changes nothing opens the real transaction first."""
    if s.get_bind().dialect.name == "sqlite":
        s.execute(delete(AuditEntry).where(AuditEntry.id < 0))


def _csv_rows_with_password(text: str) -> set[str]:
    _header, rows = read_csv(text)
    return {
        unsafe_cell((row.get("sip_username") or "").strip())
        for _line, row in rows
        if unsafe_cell((row.get("sip_password") or "").strip())
    }


def exported(s: Session, who: str, what: str, *, with_passwords: bool) -> None:
    """An export that carries secrets is recorded (which file, that passwords were in it)."""
    if with_passwords:
        audit.record(
            s,
            admin=who,
            action="export",
            object_type="voip_account",
            object_id=None,
            label=f"{what} with passwords",
            changes={"passwords": ["", "exported"]},
        )
