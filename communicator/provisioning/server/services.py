"""Business rules, independent of HTTP: used by the API and by the CLI.

Every function takes an open SQLAlchemy ``Session``; the caller commits.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import profile as profile_mod
from .api_models import (
    AccountCreate,
    AccountFields,
    AccountRow,
    AgentCreate,
    AgentFields,
    AgentOut,
    CallLogIn,
    GroupCreate,
    GroupFields,
    GroupOut,
    Rejected,
    ReportRow,
)
from .changes import emit
from .config import ServerConfig
from .errors import Conflict, Invalid, NoFreeNumber, NotFound
from .models import (
    AdminToken,
    Agent,
    CallLog,
    CallOrder,
    DeliveryToken,
    Group,
    SignInSession,
    VoipAccount,
    utcnow,
)
from .security import SecretBox, new_token, token_digest

# ------------------------------------------------------------------------------- extensions


def used_extensions(s: Session) -> set[int]:
    accounts = s.scalars(select(VoipAccount.extension)).all()
    groups = s.scalars(select(Group.extension).where(Group.extension.is_not(None))).all()
    return {int(x) for x in accounts} | {int(x) for x in groups if x is not None}


def next_free_extension(s: Session, cfg: ServerConfig) -> int:
    used = used_extensions(s)
    for ext in range(cfg.extension_min, cfg.extension_max + 1):
        if ext not in used:
            return ext
    raise Conflict(
        f"no free extension left in {cfg.extension_min}-{cfg.extension_max}; "
        "delete an account or widen the range"
    )


def _check_extension(s: Session, cfg: ServerConfig, ext: int, *, mine: int | None = None) -> None:
    if not cfg.extension_min <= ext <= cfg.extension_max:
        raise Invalid(
            f"extension {ext} is outside the range {cfg.extension_min}-{cfg.extension_max}",
            problems=[{"field": "extension", "message": "out of range"}],
        )
    owner = s.scalar(select(VoipAccount.extension).where(VoipAccount.extension == ext))
    group = s.scalar(select(Group.id).where(Group.extension == ext))
    if (owner is not None or group is not None) and ext != mine:
        raise Conflict(f"extension {ext} is already in use")


# ----------------------------------------------------------------------------------- groups


def _agents_of_group(s: Session, group_id: int) -> list[int]:
    return list(s.scalars(select(Agent.id).where(Agent.group_id == group_id)))


def group_out(s: Session, g: Group) -> GroupOut:
    return GroupOut(
        id=g.id,
        name=g.name,
        extension=g.extension,
        email=g.email,
        call_order=g.call_order.value,
        average_call_duration_s=g.average_call_duration_s,
        max_queue_size=g.max_queue_size,
        not_ready_reasons=list(g.not_ready_reasons or []),
        wrap_up_s=g.wrap_up_s,
        screen_pop_url=g.screen_pop_url,
        allow_offline_start=g.allow_offline_start,
        members=_agents_of_group(s, g.id),
    )


def get_group(s: Session, group_id: int) -> Group:
    g = s.get(Group, group_id)
    if g is None:
        raise NotFound(f"group {group_id} does not exist")
    return g


def _group_by_name(s: Session, name: str) -> Group:
    g = s.scalar(select(Group).where(Group.name == name))
    if g is None:
        raise NotFound(f"group {name!r} does not exist")
    return g


def _apply_group(s: Session, cfg: ServerConfig, g: Group, data: dict[str, Any]) -> None:
    if "name" in data and data["name"] != g.name:
        if s.scalar(select(Group.id).where(Group.name == data["name"])) is not None:
            raise Conflict(f"group {data['name']!r} already exists")
        g.name = data["name"]
    if "extension" in data:
        ext = data["extension"]
        if ext is not None:
            _check_extension(s, cfg, int(ext), mine=g.extension)
        g.extension = ext
    for key in (
        "email",
        "average_call_duration_s",
        "max_queue_size",
        "wrap_up_s",
        "screen_pop_url",
        "allow_offline_start",
    ):
        if key in data and data[key] is not None:
            setattr(g, key, data[key])
    if data.get("call_order") is not None:
        g.call_order = CallOrder(data["call_order"])
    if data.get("not_ready_reasons") is not None:
        g.not_ready_reasons = [dict(r) for r in data["not_ready_reasons"]]
    g.updated_at = utcnow()


def _set_members(s: Session, g: Group, members: list[int]) -> set[int]:
    wanted = set(members)
    found = set(s.scalars(select(Agent.id).where(Agent.id.in_(wanted)))) if wanted else set()
    missing = sorted(wanted - found)
    if missing:
        raise NotFound(f"agent(s) {', '.join(map(str, missing))} do not exist")
    current = set(_agents_of_group(s, g.id))
    now = utcnow()
    if current - wanted:
        s.execute(
            update(Agent)
            .where(Agent.id.in_(current - wanted))
            .values(group_id=None, updated_at=now)
        )
    if wanted - current:
        s.execute(
            update(Agent)
            .where(Agent.id.in_(wanted - current))
            .values(group_id=g.id, updated_at=now)
        )
    s.expire_all()
    return current | wanted


def create_group(s: Session, cfg: ServerConfig, body: GroupCreate) -> Group:
    data = body.model_dump(exclude_unset=True)
    members = data.pop("members", None)
    g = Group(name="", not_ready_reasons=[])
    fill_defaults(g)
    if data.get("extension") is None:
        data["extension"] = next_free_extension(s, cfg)
    s.add(g)
    _apply_group(s, cfg, g, data)
    s.flush()
    if members is not None:
        emit(s, _set_members(s, g, members), everyone=True)
    return g


def update_group(s: Session, cfg: ServerConfig, group_id: int, body: GroupFields) -> Group:
    g = get_group(s, group_id)
    data = body.model_dump(exclude_unset=True)
    members = data.pop("members", None)
    if "name" in data and data["name"] is None:
        raise Invalid("name must not be null")
    _apply_group(s, cfg, g, data)
    affected = set(_agents_of_group(s, g.id))
    if members is not None:
        s.flush()
        affected |= _set_members(s, g, members)
    emit(s, affected, everyone=members is not None)
    s.flush()
    return g


def delete_group(s: Session, group_id: int) -> None:
    g = get_group(s, group_id)
    members = _agents_of_group(s, g.id)
    s.execute(
        update(Agent).where(Agent.group_id == g.id).values(group_id=None, updated_at=utcnow())
    )
    s.delete(g)
    emit(s, members)


# ----------------------------------------------------------------------------------- agents


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
        effective_not_ready_reasons=list(
            a.not_ready_reasons
            if a.not_ready_reasons is not None
            else (group.not_ready_reasons if group else [])
        ),
        effective_wrap_up_s=a.wrap_up_s
        if a.wrap_up_s is not None
        else (group.wrap_up_s if group else 0),
        account_id=account.id if account else None,
        extension=account.extension if account else None,
    )


def _apply_agent(s: Session, a: Agent, data: dict[str, Any], password_hash: str | None) -> None:
    if "login" in data and data["login"] is not None and data["login"] != a.login:
        if agent_by_login(s, data["login"]) is not None:
            raise Conflict(f"agent login {data['login']!r} already exists")
        a.login = data["login"]
    if "group_id" in data:
        if data["group_id"] is not None:
            get_group(s, int(data["group_id"]))
        a.group_id = data["group_id"]
    for key in ("display_name", "email", "active", "permission_level"):
        if key in data and data[key] is not None:
            setattr(a, key, data[key])
    if "not_ready_reasons" in data:
        reasons = data["not_ready_reasons"]
        a.not_ready_reasons = None if reasons is None else [dict(r) for r in reasons]
    if "wrap_up_s" in data:
        a.wrap_up_s = data["wrap_up_s"]
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
    return a


def update_agent(s: Session, agent_id: int, body: AgentFields, password_hash: str | None) -> Agent:
    a = get_agent(s, agent_id)
    data = body.model_dump(exclude_unset=True)
    _apply_agent(s, a, data, password_hash)
    if not a.active or password_hash is not None:
        revoke_agent_sessions(s, a.id)
    emit(s, [a.id], everyone=True)  # the directory lists agents
    s.flush()
    return a


def delete_agent(s: Session, agent_id: int) -> None:
    a = get_agent(s, agent_id)
    revoke_agent_sessions(s, a.id)
    s.execute(update(VoipAccount).where(VoipAccount.agent_id == a.id).values(agent_id=None))
    s.delete(a)
    emit(s, [a.id], everyone=True)


def revoke_agent_sessions(s: Session, agent_id: int) -> None:
    now = utcnow()
    ids = list(
        s.scalars(
            select(SignInSession.id).where(
                SignInSession.agent_id == agent_id, SignInSession.revoked_at.is_(None)
            )
        )
    )
    if ids:
        s.execute(update(SignInSession).where(SignInSession.id.in_(ids)).values(revoked_at=now))
    s.execute(
        update(VoipAccount)
        .where(VoipAccount.lease_agent_id == agent_id)
        .values(lease_agent_id=None, lease_expires_at=None)
    )
    emit(s, [agent_id], sessions_revoked=ids)


# --------------------------------------------------------------------------------- accounts

ACCOUNT_COLUMNS = [
    name for name in AccountFields.model_fields if name not in ("agent_id", "sip_password")
]


def get_account(s: Session, account_id: int) -> VoipAccount:
    acc = s.get(VoipAccount, account_id)
    if acc is None:
        raise NotFound(f"VoIP account {account_id} does not exist")
    return acc


def fill_defaults(obj: Any) -> None:
    """Applies the column defaults now (SQLAlchemy would only at INSERT)."""
    for col in obj.__table__.columns:
        default = col.default
        if default is None or col.primary_key or getattr(obj, col.key, None) is not None:
            continue
        arg = default.arg
        setattr(obj, col.key, arg(None) if callable(arg) else arg)


def _apply_account(
    s: Session, cfg: ServerConfig, box: SecretBox, acc: VoipAccount, data: dict[str, Any]
) -> None:
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
        _check_extension(s, cfg, int(data["extension"]))
        acc.extension = int(data["extension"])
    if data.get("sip_password") is not None:
        acc.sip_password_enc = box.encrypt(data["sip_password"])
    for key in ACCOUNT_COLUMNS:
        if key in ("extension",):
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
        _check_extension(s, cfg, int(ext))
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
    data = body.model_dump(exclude_unset=True)
    for key in ("sip_username", "sip_server", "sip_password"):
        if key in data and data[key] is None:
            raise Invalid(f"{key} must not be null", problems=[{"field": key}])
    _apply_account(s, cfg, box, acc, data)
    if acc.agent_id is not None and acc.lease_agent_id is not None:
        acc.lease_agent_id = None  # now fixed: no longer lent from the pool
        acc.lease_expires_at = None
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
                pool=acc.agent_id is None,
                in_use_by=holder.login if holder else None,
            )
        )
    return rows


# ------------------------------------------------------------------------------ CSV accounts

CSV_COLUMNS = ["agent", "group", *ACCOUNT_COLUMNS, "sip_password"]
_LIST_COLUMNS = {"transports", "codecs"}


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        import json

        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


def export_accounts_csv(s: Session, box: SecretBox, *, with_passwords: bool) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    agents = {a.id: a for a in s.scalars(select(Agent)).all()}
    groups = {g.id: g for g in s.scalars(select(Group)).all()}
    for acc in s.scalars(select(VoipAccount).order_by(VoipAccount.extension)):
        agent = agents.get(acc.agent_id) if acc.agent_id is not None else None
        group = groups.get(agent.group_id) if agent and agent.group_id is not None else None
        row = [agent.login if agent else "", group.name if group else ""]
        row += [_csv_value(getattr(acc, c)) for c in ACCOUNT_COLUMNS]
        row.append(box.decrypt(acc.sip_password_enc) if with_passwords else "")
        w.writerow(row)
    return out.getvalue()


def _parse_csv_row(row: dict[str, str]) -> dict[str, Any]:
    import json

    data: dict[str, Any] = {}
    for key, raw in row.items():
        if key in (None, "agent", "group"):
            continue
        value = (raw or "").strip()
        if key not in AccountFields.model_fields:
            raise Invalid(f"unknown column {key!r}")
        if value == "" and key not in ("caller_id", "phone_number", "country_code"):
            continue
        if key in _LIST_COLUMNS:
            data[key] = value.replace(",", " ").split()
        elif key == "forwarding":
            data[key] = json.loads(value)
        else:
            ann = str(AccountFields.model_fields[key].annotation)
            if "bool" in ann:
                data[key] = value.lower() in ("yes", "true", "1", "y", "on")
            else:
                data[key] = value
    return data


def import_accounts_csv(
    s: Session, cfg: ServerConfig, box: SecretBox, text: str
) -> tuple[int, int]:
    """Creates or updates accounts (matched by sip_username). All rows or none."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "sip_username" not in reader.fieldnames:
        raise Invalid("the CSV needs a header line with at least a sip_username column")
    created = updated = 0
    problems: list[dict[str, Any]] = []
    for line_no, row in enumerate(reader, start=2):
        try:
            data = _parse_csv_row(row)
            login = (row.get("agent") or "").strip()
            if login:
                agent = agent_by_login(s, login)
                if agent is None:
                    raise NotFound(f"agent {login!r} does not exist")
                data["agent_id"] = agent.id
            existing = s.scalar(
                select(VoipAccount).where(VoipAccount.sip_username == data.get("sip_username"))
            )
            with s.begin_nested():
                if existing is None:
                    create_account(s, cfg, box, AccountCreate.model_validate(data))
                    created += 1
                else:
                    data.pop("sip_username", None)
                    update_account(s, cfg, box, existing.id, AccountFields.model_validate(data))
                    updated += 1
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                problems.append({"line": line_no, "field": loc, "message": err["msg"]})
        except (Invalid, Conflict, NotFound, ValueError) as exc:
            problems.append({"line": line_no, "message": str(exc)})
    if problems:
        raise Invalid(
            f"{len(problems)} problem(s) in the CSV; nothing was imported", problems=problems
        )
    return created, updated


# ---------------------------------------------------------------------------------- sessions


@dataclasses.dataclass(frozen=True)
class SessionInfo:
    session_id: int
    agent_id: int
    expires_at: dt.datetime


def current_account(s: Session, agent_id: int) -> VoipAccount | None:
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


def _lease_pool_account(s: Session, agent_id: int, until: dt.datetime) -> VoipAccount:
    now = utcnow()
    held = s.scalar(
        select(VoipAccount).where(
            VoipAccount.lease_agent_id == agent_id,
            VoipAccount.agent_id.is_(None),
            VoipAccount.active.is_(True),
            VoipAccount.lease_expires_at > now,
        )
    )
    if held is not None:
        if held.lease_expires_at is None or held.lease_expires_at < until:
            held.lease_expires_at = until
        return held
    free = or_(VoipAccount.lease_agent_id.is_(None), VoipAccount.lease_expires_at <= now)
    for _attempt in range(10):
        candidate = s.scalar(
            select(VoipAccount.id)
            .where(VoipAccount.agent_id.is_(None), VoipAccount.active.is_(True), free)
            .order_by(VoipAccount.extension)
            .limit(1)
        )
        if candidate is None:
            break
        res = s.execute(
            update(VoipAccount)
            .where(VoipAccount.id == candidate, VoipAccount.agent_id.is_(None), free)
            .values(lease_agent_id=agent_id, lease_expires_at=until)
            .execution_options(synchronize_session=False)
        )
        if getattr(res, "rowcount", 0) == 1:
            acc = s.get(VoipAccount, candidate)
            if acc is not None:
                s.refresh(acc)
                return acc
    raise NoFreeNumber()


DELIVERY_TTL = dt.timedelta(days=30)


def create_delivery_token(
    s: Session, agent_id: int, account_id: int | None
) -> tuple[str, dt.datetime]:
    token = new_token("cd")
    expires = utcnow() + DELIVERY_TTL
    s.add(
        DeliveryToken(
            token_hash=token_digest(token),
            agent_id=agent_id,
            account_id=account_id,
            expires_at=expires,
        )
    )
    return token, expires


@dataclasses.dataclass(frozen=True)
class DeliveryInfo:
    agent_id: int
    account_id: int | None
    expires_at: dt.datetime


def lookup_delivery(s: Session, token: str) -> DeliveryInfo | None:
    row = s.execute(
        select(DeliveryToken.agent_id, DeliveryToken.account_id, DeliveryToken.expires_at).where(
            DeliveryToken.token_hash == token_digest(token), DeliveryToken.expires_at > utcnow()
        )
    ).first()
    return DeliveryInfo(int(row[0]), row[1], row[2]) if row is not None else None


def create_session(
    s: Session, cfg: ServerConfig, agent: Agent, address: str
) -> tuple[str, SignInSession, VoipAccount, bool]:
    """Opens a session; lends a pool account to agents without a fixed one."""
    expires = utcnow() + dt.timedelta(seconds=cfg.session_ttl_s)
    fixed = s.scalar(select(VoipAccount).where(VoipAccount.agent_id == agent.id))
    if fixed is not None:
        if not fixed.active:
            raise NoFreeNumber()
        account, pooled = fixed, False
    else:
        account, pooled = _lease_pool_account(s, agent.id, expires), True
    token = new_token("cs")
    sess = SignInSession(
        token_hash=token_digest(token),
        agent_id=agent.id,
        account_id=account.id,
        expires_at=expires,
        address=address[:64],
    )
    s.add(sess)
    s.flush()
    if pooled:
        emit(s, [agent.id], everyone=True)
    return token, sess, account, pooled


def ensure_account(s: Session, agent_id: int, until: dt.datetime) -> None:
    """An agent whose account went away mid-session (deleted) borrows one from the pool."""
    if current_account(s, agent_id) is not None:
        return
    _lease_pool_account(s, agent_id, until)
    emit(s, [agent_id], everyone=True)


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
    lease = and_(VoipAccount.lease_agent_id == sess.agent_id, VoipAccount.agent_id.is_(None))
    if others is None:
        s.execute(
            update(VoipAccount).where(lease).values(lease_agent_id=None, lease_expires_at=None)
        )
    else:
        s.execute(update(VoipAccount).where(lease).values(lease_expires_at=others))
    emit(s, [sess.agent_id], everyone=True, sessions_revoked=[sess.id])


def create_admin_token(s: Session, name: str) -> str:
    token = new_token("adm")
    s.add(AdminToken(name=name, token_hash=token_digest(token)))
    s.flush()
    return token


def admin_token_valid(s: Session, token: str) -> bool:
    return (
        s.scalar(
            select(AdminToken.id).where(
                AdminToken.token_hash == token_digest(token), AdminToken.revoked_at.is_(None)
            )
        )
        is not None
    )


# ----------------------------------------------------------------------------------- profile


def build_profile(s: Session, box: SecretBox, agent_id: int) -> tuple[bytes, str] | None:
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


def directory(s: Session) -> dict[str, Any]:
    now = utcnow()
    agents = s.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.login)).all()
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
                "login": a.login,
                "display_name": a.display_name,
                "group": groups[a.group_id].name if a.group_id in groups else None,
                "extension": ext.get(a.id),
            }
            for a in agents
        ],
        "groups": [{"name": g.name, "extension": g.extension} for g in groups.values()],
    }


# --------------------------------------------------------------------------------- call logs


def ingest_call_logs(
    s: Session, agent_id: int, items: Sequence[dict[str, Any]], account_id: int | None = None
) -> tuple[list[str], list[str], list[Rejected]]:
    accepted: list[str] = []
    duplicates: list[str] = []
    rejected: list[Rejected] = []
    valid: list[tuple[int, CallLogIn]] = []
    for index, raw in enumerate(items):
        try:
            if not isinstance(raw, dict):
                raise Invalid("each log must be a JSON object")
            valid.append((index, CallLogIn.model_validate(raw)))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            rid = raw.get("id") if isinstance(raw, dict) else None
            rejected.append(
                Rejected(
                    index=index, id=str(rid)[:64] if rid else None, error=f"{loc}: {err['msg']}"
                )
            )
        except Invalid as exc:
            rejected.append(Rejected(index=index, id=None, error=exc.message))
    if not valid:
        return accepted, duplicates, rejected
    ids = [log.id for _, log in valid]
    existing: dict[uuid.UUID, int | None] = dict(
        s.execute(select(CallLog.id, CallLog.agent_id).where(CallLog.id.in_(ids))).all()
    )
    agent = s.get(Agent, agent_id)
    account = s.get(VoipAccount, account_id) if account_id is not None else None
    if account is None:
        account = current_account(s, agent_id)
    rows: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    now = utcnow()
    for index, log in valid:
        sid = str(log.id)
        if log.id in existing or log.id in seen:
            if existing.get(log.id, agent_id) == agent_id:
                accepted.append(sid)
                duplicates.append(sid)
            else:
                rejected.append(Rejected(index=index, id=sid, error="this id is already used"))
            continue
        seen.add(log.id)
        rows.append(
            {
                "id": log.id,
                "agent_id": agent_id,
                "group_id": agent.group_id if agent else None,
                "account_id": account.id if account else None,
                "extension": account.extension if account else None,
                "local_number": account.phone_number if account else "",
                "line": log.line,
                "direction": log.direction,
                "remote": log.remote,
                "started_at": log.started_at,
                "answered_at": log.answered_at,
                "ended_at": log.ended_at,
                "duration_s": log.duration_s,
                "end_reason": log.end_reason,
                "sip_code": log.sip_code,
                "quality": log.quality,
                "received_at": now,
            }
        )
        accepted.append(sid)
    if rows:
        dialect = s.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CallLog)
        stmt = ins.on_conflict_do_nothing(index_elements=["id"])
        s.execute(stmt, rows)
    return accepted, duplicates, rejected


def get_own_call_log(s: Session, agent_id: int, log_id: uuid.UUID) -> CallLog:
    log = s.get(CallLog, log_id)
    if log is None or log.agent_id != agent_id:
        raise NotFound(f"call log {log_id} does not exist; post the log before its recording")
    return log


# ----------------------------------------------------------------------------------- reports


@dataclasses.dataclass(frozen=True)
class ReportFilter:
    agent: str | None = None
    group: str | None = None
    number: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def report(
    s: Session, f: ReportFilter, *, limit: int = 1000, offset: int = 0
) -> tuple[int, list[ReportRow]]:
    conds: list[Any] = []
    if f.agent:
        agent = agent_by_login(s, f.agent)
        if agent is None and f.agent.isdigit():
            agent = s.get(Agent, int(f.agent))
        if agent is None:
            raise NotFound(f"agent {f.agent!r} does not exist")
        conds.append(CallLog.agent_id == agent.id)
    if f.group:
        g = s.scalar(select(Group).where(Group.name == f.group))
        if g is None and f.group.isdigit():
            g = s.get(Group, int(f.group))
        if g is None:
            raise NotFound(f"group {f.group!r} does not exist")
        conds.append(CallLog.group_id == g.id)
    if f.number:
        pattern = f"%{f.number.replace('%', '').replace('_', '')}%"
        conds.append(
            or_(
                CallLog.remote.like(pattern),
                CallLog.local_number.like(pattern),
                func.cast(CallLog.extension, type_=CallLog.remote.type).like(pattern),
            )
        )
    if f.start:
        conds.append(CallLog.started_at >= f.start)
    if f.end:
        conds.append(CallLog.started_at < f.end)
    total = int(s.scalar(select(func.count()).select_from(CallLog).where(*conds)) or 0)
    logs = s.scalars(
        select(CallLog)
        .where(*conds)
        .order_by(CallLog.started_at, CallLog.id)
        .limit(limit)
        .offset(offset)
    ).all()
    agents = {a.id: a for a in s.scalars(select(Agent)).all()}
    groups = {g.id: g for g in s.scalars(select(Group)).all()}
    rows = []
    for log in logs:
        agent = agents.get(log.agent_id) if log.agent_id is not None else None
        group = groups.get(log.group_id) if log.group_id is not None else None
        rows.append(
            ReportRow(
                id=str(log.id),
                agent=(agent.display_name or agent.login) if agent else None,
                agent_login=agent.login if agent else None,
                group=group.name if group else None,
                extension=log.extension,
                line=log.line,
                direction=log.direction,
                remote=log.remote,
                started_at=log.started_at,
                answered_at=log.answered_at,
                ended_at=log.ended_at,
                duration_s=log.duration_s,
                end_reason=log.end_reason,
                sip_code=log.sip_code,
                quality=log.quality,
                recording_url=(
                    f"/api/v1/admin/call-logs/{log.id}/recording" if log.recording_file else None
                ),
            )
        )
    return total, rows


REPORT_COLUMNS = [
    "id",
    "agent",
    "agent_login",
    "group",
    "extension",
    "line",
    "direction",
    "remote",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_s",
    "end_reason",
    "sip_code",
    "recording_url",
]


def report_csv(rows: Sequence[ReportRow], base_url: str = "") -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(REPORT_COLUMNS)
    for r in rows:
        d = r.model_dump(mode="json")
        if d["recording_url"]:
            d["recording_url"] = base_url + d["recording_url"]
        w.writerow(["" if d[c] is None else d[c] for c in REPORT_COLUMNS])
    return out.getvalue()


def integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "a value that must be unique is already used"
    if "foreign key" in text:
        return "a referenced item does not exist"
    return "the change conflicts with existing data"
