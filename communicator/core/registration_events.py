"""What moves the registration machine, and what it asks the SIP adapter to do.

Events come from the agent (`SignIn`, `SignOut`), from the SIP adapter (pjsua2 callbacks turned
into values) and from the clock (`Tick`); the machine answers each with commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class NetworkErrorKind(Enum):
    """What the adapter could tell about a failure below SIP (from the pj_status_t)."""

    DNS = "dns"
    TLS = "tls"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    NETWORK_DOWN = "network_down"


class RegisterReason(Enum):
    INITIAL = "initial"
    REFRESH = "refresh"
    RETRY = "retry"
    IP_CHANGE = "ip_change"


# ---------------------------------------------------------------------------- events


@dataclass(frozen=True)
class SignIn:
    """Agent command: start registering (again, after a new profile or password)."""


@dataclass(frozen=True)
class SignOut:
    """Agent command: unregister."""


@dataclass(frozen=True)
class RegisterAttemptStarted:
    """pjsua2 onRegStarted(renew=True): a REGISTER went out (ours or pjsua2's own refresh)."""


@dataclass(frozen=True)
class RegistrationSucceeded:
    """2xx to REGISTER with the expiry the server granted and where we are registered."""

    expiry: float
    contact_host: str
    contact_port: int
    transport: str
    server_host: str


@dataclass(frozen=True)
class RegistrationFailed:
    """A final non-2xx answer to REGISTER (including ones pjsip makes up, like 408 or 503)."""

    sip_code: int
    reason: str = ""


@dataclass(frozen=True)
class TransportFailed:
    """The REGISTER could not be sent or answered for a reason below SIP."""

    kind: NetworkErrorKind
    detail: str = ""


@dataclass(frozen=True)
class Unregistered:
    """The binding is gone (our un-REGISTER succeeded, or the stack reports expiry 0)."""


@dataclass(frozen=True)
class IpAddressChanged:
    """The local IP address or network interface changed."""


@dataclass(frozen=True)
class Tick:
    """Time passed; sent when `next_deadline` is reached (extra ticks are harmless)."""


RegistrationEvent = (
    SignIn
    | SignOut
    | RegisterAttemptStarted
    | RegistrationSucceeded
    | RegistrationFailed
    | TransportFailed
    | Unregistered
    | IpAddressChanged
    | Tick
)
AGENT_COMMANDS: tuple[type[RegistrationEvent], ...] = (SignIn, SignOut)
"""Events that raise `InvalidOperationError` when not allowed; all others are ignored then."""


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class SendRegister:
    """(Re-)REGISTER now; if a transaction is still pending the adapter may let it finish."""

    reason: RegisterReason


@dataclass(frozen=True)
class SendUnregister:
    pass


@dataclass(frozen=True)
class ScheduleRetry:
    """Informational: the next attempt is due at ``at`` (also in `next_deadline`)."""

    at: float
    attempt: int


@dataclass(frozen=True)
class ShowLostConnection:
    message: str
    detail: str


@dataclass(frozen=True)
class ClearLostConnection:
    pass


RegistrationCommand = (
    SendRegister | SendUnregister | ScheduleRetry | ShowLostConnection | ClearLostConnection
)
