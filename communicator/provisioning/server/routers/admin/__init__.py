"""The admin API: one router carries the admin token check, the tag and the error bodies
for every admin route; the subject modules only declare their routes."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..deps import API, ERRORS, require_admin
from . import accounts, agents, groups, reports

router = APIRouter(
    prefix=f"{API}/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=ERRORS,
)
for part in (agents, groups, accounts, reports):
    router.include_router(part.router)
