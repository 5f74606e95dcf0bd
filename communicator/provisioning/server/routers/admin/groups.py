"""Admin: groups."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ...api_models import DbId, GroupCreate, GroupFields, GroupOut
from ...services import audited, groups
from ..deps import State
from .owner import Owner

router = APIRouter()


@router.get("/groups", response_model=list[GroupOut])
async def list_groups(state: State) -> list[GroupOut]:
    return await state.read(groups.list_groups)


@router.post("/groups", response_model=GroupOut, status_code=201)
async def create_group(body: GroupCreate, state: State, who: Owner) -> GroupOut:
    return await state.write(
        lambda s: groups.group_out(s, audited.create_group(s, state.cfg, who, body))
    )


@router.get("/groups/{group_id}", response_model=GroupOut)
async def get_group(group_id: DbId, state: State) -> GroupOut:
    return await state.read(lambda s: groups.group_out(s, groups.get_group(s, group_id)))


@router.patch("/groups/{group_id}", response_model=GroupOut)
async def patch_group(group_id: DbId, body: GroupFields, state: State, who: Owner) -> GroupOut:
    return await state.write(
        lambda s: groups.group_out(s, audited.update_group(s, state.cfg, who, group_id, body))
    )


@router.delete("/groups/{group_id}", status_code=204)
async def delete_group(group_id: DbId, state: State, who: Owner) -> Response:
    await state.write(audited.delete_group, who, group_id)
    return Response(status_code=204)
