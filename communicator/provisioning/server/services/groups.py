"""Groups (seed 001): name, extension, call order, call-center defaults and members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..api_models import DesktopFields, GroupCreate, GroupFields, GroupOut
from ..changes import emit
from ..config import ServerConfig
from ..errors import Conflict, Invalid, NotFound
from ..models import Agent, CallOrder, Group, fill_defaults, utcnow
from ..profile import desktop_of
from ..sip_directory import set_group_label
from .numbering import check_extension, next_free_extension


def agents_of_group(s: Session, group_id: int) -> list[int]:
    """The members, in their in_order position (then by id)."""
    return list(
        s.scalars(
            select(Agent.id)
            .where(Agent.group_id == group_id)
            .order_by(Agent.group_position.is_(None), Agent.group_position, Agent.id)
        )
    )


def group_out(s: Session, g: Group) -> GroupOut:
    return GroupOut(
        id=g.id,
        name=g.name,
        extension=g.extension,
        email=g.email,
        call_order=g.call_order.value,
        ring_time_s=g.ring_time_s,
        call_waiting=g.call_waiting,
        overflow_number=g.overflow_number,
        overflow_group_id=g.overflow_group_id,
        average_call_duration_s=g.average_call_duration_s,
        max_queue_size=g.max_queue_size,
        not_ready_reasons=list(g.not_ready_reasons or []),
        wrap_up_s=g.wrap_up_s,
        wrap_up_extension_s=g.wrap_up_extension_s,
        no_answer_s=g.no_answer_s,
        calls_while_not_ready=g.calls_while_not_ready,
        screen_pop_url=g.screen_pop_url,
        screen_pop_on=g.screen_pop_on,
        allow_offline_start=g.allow_offline_start,
        desktop=DesktopFields(**desktop_of(g)),
        members=agents_of_group(s, g.id),
    )


def list_groups(s: Session) -> list[GroupOut]:
    return [group_out(s, g) for g in s.scalars(select(Group).order_by(Group.name))]


def get_group(s: Session, group_id: int) -> Group:
    g = s.get(Group, group_id)
    if g is None:
        raise NotFound(f"group {group_id} does not exist")
    return g


_PLAIN_FIELDS = (
    "email",
    "average_call_duration_s",
    "max_queue_size",
    "wrap_up_s",
    "wrap_up_extension_s",
    "no_answer_s",
    "calls_while_not_ready",
    "screen_pop_url",
    "screen_pop_on",
    "allow_offline_start",
    "ring_time_s",
    "call_waiting",
    "overflow_number",
)


def _apply_group(s: Session, cfg: ServerConfig, g: Group, data: dict[str, Any]) -> None:
    if "name" in data and data["name"] != g.name:
        if s.scalar(select(Group.id).where(Group.name == data["name"])) is not None:
            raise Conflict(f"group {data['name']!r} already exists")
        g.name = data["name"]
    set_group_label(g)  # issue 18: the X-Communicator-Group value follows the name
    if "overflow_group_id" in data:
        target = data["overflow_group_id"]
        if target is not None:
            get_group(s, int(target))
            if target == g.id:
                raise Invalid(
                    "a group cannot overflow to itself",
                    problems=[{"field": "overflow_group_id", "message": "the group itself"}],
                )
        g.overflow_group_id = target
    if "extension" in data:
        ext = data["extension"]
        if ext is not None:
            check_extension(s, cfg, int(ext), mine=g.extension)
        g.extension = ext
    for key in _PLAIN_FIELDS:
        if key in data and data[key] is not None:
            setattr(g, key, data[key])
    if data.get("call_order") is not None:
        g.call_order = CallOrder(data["call_order"])
    if data.get("not_ready_reasons") is not None:
        g.not_ready_reasons = [dict(r) for r in data["not_ready_reasons"]]
    # A desktop field given as null is the agent's choice again; one left out is unchanged.
    for key, value in (data.get("desktop") or {}).items():
        setattr(g, f"desktop_{key}", value)
    g.updated_at = utcnow()


def _set_members(s: Session, g: Group, members: list[int]) -> set[int]:
    wanted = set(members)
    found = set(s.scalars(select(Agent.id).where(Agent.id.in_(wanted)))) if wanted else set()
    missing = sorted(wanted - found)
    if missing:
        raise NotFound(f"agent(s) {', '.join(map(str, missing))} do not exist")
    current = set(agents_of_group(s, g.id))
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
    # The order given is the in_order call order (issue 18).
    for position, agent_id in enumerate(dict.fromkeys(members)):
        s.execute(update(Agent).where(Agent.id == agent_id).values(group_position=position))
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
    # The directory lists every group: every process drops the one it keeps.
    emit(s, _set_members(s, g, members) if members is not None else (), everyone=True)
    return g


def update_group(s: Session, cfg: ServerConfig, group_id: int, body: GroupFields) -> Group:
    g = get_group(s, group_id)
    data = body.model_dump(exclude_unset=True)
    members = data.pop("members", None)
    if "name" in data and data["name"] is None:
        raise Invalid("name must not be null")
    _apply_group(s, cfg, g, data)
    affected = set(agents_of_group(s, g.id))
    if members is not None:
        s.flush()
        affected |= _set_members(s, g, members)
    emit(s, affected, everyone=members is not None)
    s.flush()
    return g


def delete_group(s: Session, group_id: int) -> None:
    g = get_group(s, group_id)
    members = agents_of_group(s, g.id)
    s.execute(
        update(Agent).where(Agent.group_id == g.id).values(group_id=None, updated_at=utcnow())
    )
    s.delete(g)
    emit(s, members)
