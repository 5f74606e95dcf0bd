"""Desktop settings the admin may fix for an agent (issue 16, "Settings").

Each field is null unless the admin fixed it: null leaves the agent's own choice in the
client's Settings. Sound devices and the language are not here: they are always the agent's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Section
from .validators import Bool

__all__ = ["DESKTOP_FIELDS", "DesktopSettings", "LinkAction"]

LinkAction = Literal["dial", "fill"]
"""What a call link does: ``dial`` calls at once, ``fill`` fills the number field."""

DESKTOP_FIELDS: tuple[str, ...] = ("close_to_tray", "start_at_login", "links", "sip_trace")


class DesktopSettings(Section):
    """The desktop client's settings the admin fixed; null: the agent's choice."""

    close_to_tray: Bool | None = Field(
        default=None, description="Closing the main window hides it in the tray."
    )
    start_at_login: Bool | None = Field(
        default=None, description="Communicator starts when the agent logs in to the computer."
    )
    links: LinkAction | None = Field(
        default=None,
        description="What a call link (tel:, sip:) does: dial at once, or fill the number field.",
    )
    sip_trace: Bool | None = Field(
        default=None, description="SIP messages are logged for support (never passwords)."
    )

    @property
    def fixed(self) -> dict[str, bool | str]:
        """The fields the admin fixed (not null), by name."""
        return {
            name: value for name in DESKTOP_FIELDS if (value := getattr(self, name)) is not None
        }
