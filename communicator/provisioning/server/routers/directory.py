"""The directory for the transfer and call pickers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ..api_models import Directory
from .deps import API, ERRORS, SignedIn, State

router = APIRouter(prefix=API, tags=["agent"], responses=ERRORS)


@router.get(
    "/directory",
    response_model=Directory,
    summary="Agents and groups with extensions (click-to-call)",
)
async def get_directory(_info: SignedIn, state: State) -> Response:
    return Response(await state.directory_json(), media_type="application/json")
