"""Who an admin API call is, for the audit history: the name of its admin token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import AdminToken
from ...security import token_digest
from ..deps import Creds, State


def _token_name(s: Session, token: str) -> str:
    row = s.execute(
        select(AdminToken.id, AdminToken.name).where(AdminToken.token_hash == token_digest(token))
    ).first()
    return f"{row[1]} (API token {row[0]})" if row is not None else "API token"


async def token_owner(state: State, creds: Creds) -> str:
    """``<token name> (API token <id>)``; the router's ``require_admin`` has checked it."""
    token = creds.credentials if creds is not None else ""
    return await state.read(_token_name, token)


Owner = Annotated[str, Depends(token_owner)]
