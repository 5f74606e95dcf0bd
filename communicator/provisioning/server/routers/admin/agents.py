"""Admin: agents."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ...api_models import (
    AgentCreate,
    AgentFields,
    AgentOut,
    AgentStatusEntry,
    BulkDeleteResult,
    DbId,
    IdList,
)
from ...errors import NotFound
from ...security import hash_password
from ...services import agents, audited
from ..deps import State
from .owner import Owner

router = APIRouter()


@router.get("/agents", response_model=list[AgentOut])
async def list_agents(state: State) -> list[AgentOut]:
    return await state.read(agents.list_agents)


@router.post("/agents", response_model=AgentOut, status_code=201)
async def create_agent(body: AgentCreate, state: State, who: Owner) -> AgentOut:
    pw_hash = await state.hash_call(hash_password, body.password)

    def q(s: Session) -> AgentOut:
        return agents.agent_out(s, audited.create_agent(s, who, body, pw_hash))

    return await state.write(q)


@router.get(
    "/agents/status",
    response_model=list[AgentStatusEntry],
    summary="Every agent's reported state (since when) and phone registration",
)
async def agent_status_board(state: State) -> list[AgentStatusEntry]:
    return await state.read(agents.status_board)


@router.get("/agents/{agent_id}", response_model=AgentOut)
async def get_agent(agent_id: DbId, state: State) -> AgentOut:
    return await state.read(lambda s: agents.agent_out(s, agents.get_agent(s, agent_id)))


@router.patch("/agents/{agent_id}", response_model=AgentOut)
async def patch_agent(agent_id: DbId, body: AgentFields, state: State, who: Owner) -> AgentOut:
    pw_hash = await state.hash_call(hash_password, body.password) if body.password else None

    def q(s: Session) -> AgentOut:
        return agents.agent_out(s, audited.update_agent(s, who, agent_id, body, pw_hash))

    return await state.write(q)


@router.delete("/agents/{agent_id}", status_code=204)
async def delete_agent(agent_id: DbId, state: State, who: Owner) -> Response:
    _deleted, missing = await state.write(audited.delete_agents, who, [agent_id])
    if missing:
        raise NotFound(f"agent {agent_id} does not exist")
    return Response(status_code=204)


@router.post("/agents/bulk-delete", response_model=BulkDeleteResult)
async def bulk_delete_agents(body: IdList, state: State, who: Owner) -> BulkDeleteResult:
    deleted, missing = await state.write(audited.delete_agents, who, body.ids)
    return BulkDeleteResult(deleted=deleted, missing=missing)
