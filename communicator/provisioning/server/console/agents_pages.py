"""Agents pages (issue 17): list, editor, CSV import and export."""

from __future__ import annotations

from fastapi import APIRouter

from .auth import PREFIX

router = APIRouter(prefix=PREFIX, include_in_schema=False)
