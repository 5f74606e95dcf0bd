"""Who an admin API call is, for the audit history: the name of its admin token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..deps import require_admin

Owner = Annotated[str, Depends(require_admin)]
"""``<token name> (API token <id>)``, as the admin router's token check found it: FastAPI
runs ``require_admin`` once per request and hands its result to both."""
