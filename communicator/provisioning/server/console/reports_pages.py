"""Reports pages (issue 17): call logs by agent, group, number and period, CSV, recordings."""

from __future__ import annotations

from fastapi import APIRouter

from .auth import PREFIX

router = APIRouter(prefix=PREFIX, include_in_schema=False)
