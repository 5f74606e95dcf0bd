"""The agent's own status report: agent state and phone registration (idempotent PUT)."""

from __future__ import annotations

from fastapi import APIRouter

from communicator.provisioning.agent_status import AgentStatus, StatusReport

from ..services import agent_status
from .deps import API, ERRORS, SignedIn, State

router = APIRouter(prefix=API, tags=["agent"], responses=ERRORS)


@router.put(
    "/agent/status",
    response_model=AgentStatus,
    summary="Report the agent's state and its phone's registration (idempotent)",
)
async def put_agent_status(report: StatusReport, info: SignedIn, state: State) -> AgentStatus:
    return await state.write(agent_status.report_status, info.agent_id, report)
