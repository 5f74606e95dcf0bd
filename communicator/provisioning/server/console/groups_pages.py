"""Groups pages (issue 17): list, editor, members and call order."""

from __future__ import annotations

from fastapi import APIRouter

from .auth import PREFIX

router = APIRouter(prefix=PREFIX, include_in_schema=False)
