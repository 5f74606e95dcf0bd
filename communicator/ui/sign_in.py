"""Sign-in outcomes as the sign-in window needs them: the agent's words and the field to fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from communicator.provisioning.client import ErrorKind, ProvisioningError


class SignInField(Enum):
    SERVER = "server"
    LOGIN = "login"
    PASSWORD = "password"
    PHONE = "phone"
    """The hot-desk phone choice (the phone chosen is taken, or the choice failed)."""
    NONE = "none"
    """Nothing the agent typed is wrong (no free number, a server fault...)."""


FIELD_FOR: MappingProxyType[ErrorKind, SignInField] = MappingProxyType(
    {
        ErrorKind.WRONG_CREDENTIALS: SignInField.PASSWORD,
        ErrorKind.AGENT_DISABLED: SignInField.LOGIN,
        ErrorKind.NO_FREE_NUMBER: SignInField.NONE,
        ErrorKind.RATE_LIMITED: SignInField.PASSWORD,
        ErrorKind.SESSION_EXPIRED: SignInField.NONE,
        ErrorKind.UNREACHABLE: SignInField.SERVER,
        ErrorKind.TLS: SignInField.SERVER,
        ErrorKind.MALFORMED_PROFILE: SignInField.NONE,
        ErrorKind.REJECTED: SignInField.NONE,
        ErrorKind.SERVER_ERROR: SignInField.SERVER,
    }
)
"""Where the sign-in window puts the focus for each kind of failure."""


@dataclass(frozen=True)
class SignInFailure:
    message: str
    """What went wrong, in the agent's words."""
    field: SignInField
    kind: ErrorKind | None = None
    """None: the failure did not come from the server (a malformed address, offline start)."""
    offline_possible: bool = False
    """The server is unreachable, and this workstation may start from the saved profile (the
    admin allows it and the agent signed in here before)."""

    @classmethod
    def from_error(cls, error: ProvisioningError, *, offline_possible: bool) -> SignInFailure:
        return cls(
            message=error.message,
            field=FIELD_FOR.get(error.kind, SignInField.NONE),
            kind=error.kind,
            offline_possible=offline_possible and error.kind is ErrorKind.UNREACHABLE,
        )
