"""Agent status as reported by the agent's client: the state with the time it began, and the
phone's registration. Kept per agent (one row), shown to the admin."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from communicator.provisioning.agent_status import (
    AgentState,
    AgentStatus,
    Registration,
    StatusReport,
)

from ..changes import emit
from ..models import AgentStatusRow, utcnow


def status_of(row: AgentStatusRow) -> AgentStatus:
    return AgentStatus(
        state=AgentState(row.state),
        reason=row.reason,
        since=row.state_since,
        registration=Registration(
            registered=row.registered,
            contact=row.contact,
            transport=row.transport,  # validated when stored
            expires=row.expires_s,
            server=row.registrar,
        ),
        reported_at=row.reported_at,
    )


def report_status(s: Session, agent_id: int, report: StatusReport) -> AgentStatus:
    """Stores a report. The same state and reason again keep the time the state began."""
    now = utcnow()
    state, reason = report.state.value, report.reason
    dialect = s.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(AgentStatusRow)
    # Two reports racing for a new agent: the first inserts, the second updates below.
    s.execute(
        insert.values(
            agent_id=agent_id,
            state=state,
            reason=reason,
            state_since=now,
            registered=False,
            reported_at=now,
        ).on_conflict_do_nothing(index_elements=["agent_id"])
    )
    row = s.scalars(
        select(AgentStatusRow).where(AgentStatusRow.agent_id == agent_id).with_for_update()
    ).one()
    reg = report.registration
    shown = (state, reason, reg.registered, reg.contact, reg.transport, reg.expires, reg.server)
    if shown != (
        row.state,
        row.reason,
        row.registered,
        row.contact,
        row.transport,
        row.expires_s,
        row.registrar,
    ):
        emit(s, status=True)  # the console's live board shows it; a repeat report is silent
    if row.state != state or row.reason != reason:
        row.state, row.reason, row.state_since = state, reason, now
    row.registered = reg.registered
    row.contact = reg.contact
    row.transport = reg.transport
    row.expires_s = reg.expires
    row.registrar = reg.server
    row.reported_at = now
    s.flush()
    return status_of(row)


def mark_signed_out(s: Session, agent_ids: Iterable[int]) -> None:
    """The agents signed out (or were signed out): their phones no longer count as registered."""
    now = utcnow()
    for row in s.scalars(
        select(AgentStatusRow).where(AgentStatusRow.agent_id.in_(list(agent_ids)))
    ):
        if row.state != AgentState.SIGNED_OUT.value:
            row.state, row.reason, row.state_since = AgentState.SIGNED_OUT.value, None, now
        row.registered = False


def statuses(s: Session, agent_ids: Iterable[int] | None = None) -> dict[int, AgentStatus]:
    q = select(AgentStatusRow)
    if agent_ids is not None:
        q = q.where(AgentStatusRow.agent_id.in_(list(agent_ids)))
    return {row.agent_id: status_of(row) for row in s.scalars(q)}
