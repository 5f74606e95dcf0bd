"""Extension pool page (issue 17): the range, fixed, leased, free and recycled numbers."""

from __future__ import annotations

from fastapi import APIRouter

from .auth import PREFIX

router = APIRouter(prefix=PREFIX, include_in_schema=False)
