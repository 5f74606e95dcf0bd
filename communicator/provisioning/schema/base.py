"""Base class shared by every model of the profile schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["Section", "lower_case"]


class Section(BaseModel):
    """A frozen part of the profile.

    Unknown fields (sent by a newer server) are accepted, kept, serialised back unchanged and
    otherwise ignored.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    def known_fields(self) -> dict[str, Any]:
        """The declared fields only (no unknown extras), as Python values."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    @property
    def unknown_fields(self) -> dict[str, Any]:
        """Fields this client does not know, exactly as received."""
        return dict(self.__pydantic_extra__ or {})


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


lower_case = BeforeValidator(_lower)
"""Lower-case a string before enum validation, so ``"UDP"`` is accepted as ``"udp"``."""
