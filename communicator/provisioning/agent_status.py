"""What a client reports about its agent: the agent state and the phone's registration.

Shared by the client (which sends a :class:`StatusReport` with ``PUT /api/v1/agent/status``)
and the server (which keeps one :class:`AgentStatus` per agent, shown in the admin API).
Reporting is idempotent: the same state and reason reported again keep the time the state
began (``AgentStatus.since``); only ``reported_at`` moves.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AgentState",
    "AgentStatus",
    "Registration",
    "StatusReport",
]


class AgentState(enum.StrEnum):
    """The agent's state as the contact center sees it."""

    SIGNED_OUT = "signed_out"
    READY = "ready"
    NOT_READY = "not_ready"
    NO_ANSWER = "no_answer"  # "Not ready - no answer": a call rang past the no-answer time
    WRAP_UP = "wrap_up"
    ON_CALL = "on_call"


_CONTACT = re.compile(r"^(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.\-]{1,253}):([0-9]{1,5})$")


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


# Printable, no spaces: codes and host names, never control characters (PostgreSQL refuses NUL).
ReasonCode = Annotated[str, Field(pattern=r"^[^\s\x00-\x1f\x7f]{1,32}$")]
HostPort = Annotated[str, Field(pattern=r"^[^\s\x00-\x1f\x7f]{1,255}$")]
Transport = Annotated[Literal["udp", "tcp", "tls"], BeforeValidator(_lower)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Registration(_Wire):
    """The phone's current registration with its SIP server."""

    registered: bool = Field(description="Whether the phone is registered now.")
    contact: str | None = Field(
        default=None,
        max_length=262,
        description="The registered contact address and port, e.g. 192.0.2.10:5060 or "
        "[2001:db8::1]:5060.",
    )
    transport: Transport | None = Field(default=None, description="udp, tcp or tls.")
    expires: int | None = Field(
        default=None, ge=0, le=7 * 86400, description="Seconds the registration is granted for."
    )
    server: HostPort | None = Field(default=None, description="The registrar (host[:port]).")

    @field_validator("contact")
    @classmethod
    def _address_and_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _CONTACT.match(value)
        if match is None or not 1 <= int(match.group(2)) <= 65535:
            raise ValueError("must be address:port (an IPv6 address in brackets)")
        return value


class StatusReport(_Wire):
    """What the client sends: its agent state, the not-ready reason, its registration."""

    state: AgentState
    reason: ReasonCode | None = Field(
        default=None,
        description="The not-ready reason code (one of the profile's); only with not_ready.",
    )
    registration: Registration

    @model_validator(mode="after")
    def _reason_only_when_not_ready(self) -> StatusReport:
        if self.reason is not None and self.state is not AgentState.NOT_READY:
            raise ValueError("reason is only allowed with the state not_ready")
        return self


class AgentStatus(_Wire):
    """What the server keeps for an agent: its state since when, and its registration."""

    state: AgentState
    reason: str | None
    since: dt.datetime = Field(description="When the agent entered this state (and reason).")
    registration: Registration
    reported_at: dt.datetime = Field(description="When the client last reported.")
