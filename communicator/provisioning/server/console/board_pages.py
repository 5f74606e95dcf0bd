"""Live board (issue 17): signed-in agents, states, registrations, calls; updated by SSE."""

from __future__ import annotations

from fastapi import APIRouter

from .auth import PREFIX

router = APIRouter(prefix=PREFIX, include_in_schema=False)
