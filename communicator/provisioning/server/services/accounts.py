"""VoIP accounts (seed 000 + 004): fixed to an agent, or in the pool when no agent is set."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from communicator.provisioning.schema import ForwardingSettings

from .. import profile as profile_mod
from ..api_models import AccountCreate, AccountFields, AccountRow
from ..changes import emit
from ..config import ServerConfig
from ..errors import Conflict, Invalid, NotFound
from ..models import Agent, Group, SignInSession, VoipAccount, fill_defaults, utcnow
from ..security import SecretBox
from .agents import get_agent
from .numbering import check_extension, next_free_extension
from .pool import end_lease, is_lendable, recycle

ACCOUNT_COLUMNS = [
    name for name in AccountFields.model_fields if name not in ("agent_id", "sip_password")
]


def get_account(s: Session, account_id: int) -> VoipAccount:
    acc = s.get(VoipAccount, account_id)
    if acc is None:
        raise NotFound(f"VoIP account {account_id} does not exist")
    return acc


def account_details(s: Session, account_id: int) -> dict[str, Any]:
    """Every field of one account, without the password."""
    acc = get_account(s, account_id)
    d = {c: getattr(acc, c) for c in ACCOUNT_COLUMNS}
    d.update(id=acc.id, agent_id=acc.agent_id)
    return d


def check_forwarding(rules: object) -> None:
    """Only the schema's rules, each with only its own settings: an unknown name would be
    stored and silently ignored by every client (a typo the admin never learns of)."""
    if not isinstance(rules, dict):
        raise Invalid("forwarding must be an object of rules", problems=[{"field": "forwarding"}])
    known = ForwardingSettings.model_fields
    for name, rule in rules.items():
        field = f"forwarding.{name}"
        if name not in known:
            raise Invalid(
                f"{field}: unknown forwarding rule; the rules are {', '.join(known)}",
                problems=[{"field": field, "message": "unknown forwarding rule"}],
            )
        if not isinstance(rule, dict):
            raise Invalid(f"{field} must be an object", problems=[{"field": field}])
        annotation = known[name].annotation
        settings = getattr(annotation, "model_fields", {})
        for key in rule:
            if key not in settings:
                raise Invalid(
                    f"{field}.{key}: unknown setting; {name} has {', '.join(settings)}",
                    problems=[{"field": f"{field}.{key}", "message": "unknown setting"}],
                )


def _apply_account(
    s: Session, cfg: ServerConfig, box: SecretBox, acc: VoipAccount, data: dict[str, Any]
) -> None:
    if data.get("forwarding") is not None:
        check_forwarding(data["forwarding"])
    if "agent_id" in data:
        agent_id = data["agent_id"]
        if agent_id is not None:
            get_agent(s, int(agent_id))
            holder = s.scalar(
                select(VoipAccount.id).where(
                    VoipAccount.agent_id == agent_id, VoipAccount.id != (acc.id or -1)
                )
            )
            if holder is not None:
                raise Conflict(f"agent {agent_id} already has VoIP account {holder}")
        acc.agent_id = agent_id
    if "sip_username" in data and data["sip_username"] != acc.sip_username:
        taken = s.scalar(
            select(VoipAccount.id).where(VoipAccount.sip_username == data["sip_username"])
        )
        if taken is not None:
            raise Conflict(f"SIP user name {data['sip_username']!r} is already used")
    if data.get("extension") is not None and data["extension"] != acc.extension:
        check_extension(s, cfg, int(data["extension"]))
        acc.extension = int(data["extension"])
    if data.get("sip_password") is not None:
        acc.sip_password_enc = box.encrypt(data["sip_password"])
    for key in ACCOUNT_COLUMNS:
        if key == "extension":
            continue
        if key in data and data[key] is not None:
            value = data[key]
            setattr(acc, key, list(value) if isinstance(value, list | tuple) else value)
    acc.updated_at = utcnow()


def _validate_profile(s: Session, box: SecretBox, acc: VoipAccount) -> None:
    agent = s.get(Agent, acc.agent_id) if acc.agent_id is not None else None
    group = s.get(Group, agent.group_id) if agent is not None and agent.group_id else None
    doc = profile_mod.profile_document(acc, agent, group, box.decrypt(acc.sip_password_enc))
    profile_mod.validate(doc)


def create_account(
    s: Session, cfg: ServerConfig, box: SecretBox, body: AccountCreate
) -> VoipAccount:
    data = body.model_dump(exclude_unset=True)
    ext = data.pop("extension", None)
    if ext is None:
        ext = next_free_extension(s, cfg)
    else:
        check_extension(s, cfg, int(ext))
    if s.scalar(select(VoipAccount.id).where(VoipAccount.sip_username == body.sip_username)):
        raise Conflict(f"SIP user name {body.sip_username!r} is already used")
    acc = VoipAccount(
        extension=int(ext),
        sip_username=body.sip_username,
        sip_server=body.sip_server,
        sip_password_enc=box.encrypt(body.sip_password),
        transports=["udp"],
        codecs=["opus", "G722", "PCMA", "PCMU"],
        forwarding={},
    )
    fill_defaults(acc)
    _apply_account(s, cfg, box, acc, data)
    s.add(acc)
    _validate_profile(s, box, acc)
    s.flush()
    emit(s, [acc.agent_id], everyone=True)
    return acc


def update_account(
    s: Session, cfg: ServerConfig, box: SecretBox, account_id: int, body: AccountFields
) -> VoipAccount:
    acc = get_account(s, account_id)
    before = {acc.agent_id, acc.lease_agent_id}
    previous_agent = acc.agent_id
    data = body.model_dump(exclude_unset=True)
    for key in ("sip_username", "sip_server", "sip_password"):
        if key in data and data[key] is None:
            raise Invalid(f"{key} must not be null", problems=[{"field": key}])
    _apply_account(s, cfg, box, acc, data)
    recycled = True
    if acc.lease_agent_id is not None and not is_lendable(acc):
        end_lease(s, acc)  # now fixed, a desk phone or static IP: no longer lent
    elif previous_agent is not None and acc.agent_id != previous_agent:
        recycle(s, acc)  # the account leaves its agent, who knew its password
    else:
        recycled = False
    if recycled:
        # What the admin gave in the same change wins over the recycled values.
        if data.get("sip_password") is not None:
            acc.sip_password_enc = box.encrypt(data["sip_password"])
        if data.get("forwarding") is not None:
            acc.forwarding = dict(data["forwarding"])
    _validate_profile(s, box, acc)
    s.flush()
    emit(s, before | {acc.agent_id, acc.lease_agent_id}, everyone=True)
    return acc


def delete_accounts(s: Session, ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """Deletes accounts; their extensions become free again, and with them the forwarding."""
    deleted: list[int] = []
    missing: list[int] = []
    affected: set[int | None] = set()
    for account_id in ids:
        acc = s.get(VoipAccount, account_id)
        if acc is None:
            missing.append(account_id)
            continue
        affected |= {acc.agent_id, acc.lease_agent_id}
        s.execute(
            update(SignInSession).where(SignInSession.account_id == acc.id).values(account_id=None)
        )
        s.delete(acc)
        deleted.append(account_id)
    if deleted:
        emit(s, affected, everyone=True)
    return deleted, missing


def account_rows(s: Session, account_ids: Sequence[int] | None = None) -> list[AccountRow]:
    now = utcnow()
    q = select(VoipAccount).order_by(VoipAccount.extension)
    if account_ids is not None:
        q = q.where(VoipAccount.id.in_(account_ids))
    accounts = s.scalars(q).all()
    agents = {a.id: a for a in s.scalars(select(Agent)).all()}
    groups = {g.id: g for g in s.scalars(select(Group)).all()}
    rows = []
    for acc in accounts:
        agent = agents.get(acc.agent_id) if acc.agent_id is not None else None
        holder = None
        if (
            acc.lease_agent_id is not None
            and acc.lease_expires_at is not None
            and acc.lease_expires_at > now
        ):
            holder = agents.get(acc.lease_agent_id)
        shown = agent or holder
        group = groups.get(shown.group_id) if shown and shown.group_id is not None else None
        rows.append(
            AccountRow(
                id=acc.id,
                agent=(agent.display_name or agent.login) if agent else None,
                agent_id=acc.agent_id,
                group=group.name if group else None,
                phone_number=acc.phone_number,
                extension=acc.extension,
                sip_username=acc.sip_username,
                active=acc.active,
                pool=is_lendable(acc),
                in_use_by=holder.login if holder else None,
            )
        )
    return rows
