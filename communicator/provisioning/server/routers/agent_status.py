"""The agent's own status report: agent state and phone registration (idempotent PUT)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from communicator.provisioning.agent_status import AgentStatus, StatusReport

from ..services import agent_status, pool
from .deps import API, ERRORS, SignedIn, State

router = APIRouter(prefix=API, tags=["agent"], responses=ERRORS)


@router.put(
    "/agent/status",
    response_model=AgentStatus,
    summary="Report the agent's state and its phone's registration (idempotent)",
)
async def put_agent_status(report: StatusReport, info: SignedIn, state: State) -> AgentStatus:
    def q(s: Session) -> AgentStatus:
        status = agent_status.report_status(s, info.agent_id, report)
        pool.client_reported(s, state.cfg, info.agent_id)  # keeps its pool number
        return status

    return await state.write(q)
