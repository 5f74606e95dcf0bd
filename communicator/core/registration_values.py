"""What the registration machine is configured with and what it shows: its policy, states,
failures and their wording for the agent, the current registration and the status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from communicator.core.registration_events import NetworkErrorKind

LOST_CONNECTION_MESSAGE = "SIP phone has lost connection with the system"


class RegistrationState(Enum):
    SIGNED_OUT = "signed out"
    REGISTERING = "registering"
    """A REGISTER is in flight and no binding is known to be valid."""
    REGISTERED = "registered"
    REFRESHING = "refreshing"
    """Registered, and a refresh REGISTER is in flight: still registered for the agent."""
    RETRYING = "retrying"
    """The last attempt failed; the next one is due at `RegistrationStatus.next_attempt_at`."""
    FAILED = "failed"
    """Gave up (bad credentials); only a new sign-in starts again."""
    UNREGISTERING = "signing out"

    @property
    def is_registered(self) -> bool:
        return self in (RegistrationState.REGISTERED, RegistrationState.REFRESHING)


class FailureReason(Enum):
    BAD_CREDENTIALS = "bad_credentials"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS_FAILURE = "tls_failure"
    DNS_FAILURE = "dns_failure"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RegistrationPolicy:
    refresh_interval: float = 15.0
    expiry: float = 30.0
    """Requested registration expiry (the server's timeout for the binding)."""
    retry_initial_delay: float = 1.0
    retry_max_delay: float = 4.0
    """Cap while the server is unreachable; keep <= 4 s (see the module docstring)."""
    rejected_retry_max_delay: float = 60.0
    attempt_timeout: float = 10.0
    """An attempt without any answer for this long counts as a TIMEOUT failure."""
    unregister_timeout: float = 5.0
    jitter: float = 0.0
    """Up to this fraction is taken off each retry delay (never added, so caps still hold),
    to spread a crowd of phones re-registering after a server restart."""

    def __post_init__(self) -> None:
        positive = {
            "refresh_interval": self.refresh_interval,
            "expiry": self.expiry,
            "retry_initial_delay": self.retry_initial_delay,
            "retry_max_delay": self.retry_max_delay,
            "rejected_retry_max_delay": self.rejected_retry_max_delay,
            "attempt_timeout": self.attempt_timeout,
            "unregister_timeout": self.unregister_timeout,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, not {value!r}")
        if self.refresh_interval >= self.expiry:
            raise ValueError("refresh_interval must be shorter than expiry")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")


@dataclass(frozen=True)
class CurrentRegistration:
    """What the "Current Registration" view shows."""

    contact_host: str
    contact_port: int
    transport: str
    server_host: str
    expiry: float
    registered_at: float
    expires_at: float


@dataclass(frozen=True)
class RegistrationFailure:
    reason: FailureReason
    sip_code: int | None
    text: str
    at: float
    no_answer_s: float | None = None
    """Set when the attempt got no answer at all within this many seconds (``text`` says so in
    English)."""

    @property
    def retries(self) -> bool:
        return self.reason is not FailureReason.BAD_CREDENTIALS


@dataclass(frozen=True)
class RegistrationStatus:
    state: RegistrationState
    current: CurrentRegistration | None
    last_failure: RegistrationFailure | None
    next_attempt_at: float | None
    lost_connection: bool
    message: str | None
    """`LOST_CONNECTION_MESSAGE` while the connection is lost."""
    detail: str | None
    """Why, for the agent ("Wrong user name or password (403 Forbidden)")."""
    problem: RegistrationProblem | None = None
    """The same as a value, for the UI to say in the agent's language (None with no detail)."""


class ProblemCode(Enum):
    """What `RegistrationStatus.detail` says."""

    FAILED = "failed"
    """The last attempt failed: `RegistrationProblem.failure` says how."""
    REMOVED = "removed"
    """The stack reports the registration gone although the agent did not sign out."""
    REFRESH_MISSED = "refresh_missed"
    """No successful refresh within `RegistrationProblem.seconds` (the server does not answer)."""


@dataclass(frozen=True)
class RegistrationProblem:
    code: ProblemCode
    failure: RegistrationFailure | None = None
    seconds: float | None = None
    """`REFRESH_MISSED`: the registration's expiry."""


FAST_RETRY_REASONS = frozenset(
    {FailureReason.UNREACHABLE, FailureReason.TIMEOUT, FailureReason.DNS_FAILURE}
)


def classify_sip_failure(sip_code: int) -> FailureReason:
    if sip_code in (401, 403, 407):
        return FailureReason.BAD_CREDENTIALS
    if sip_code == 408:
        return FailureReason.TIMEOUT
    if 500 <= sip_code < 600:
        # 503 is also what pjsip reports when the transport fails; 5xx are transient.
        return FailureReason.UNREACHABLE
    return FailureReason.REJECTED


NETWORK_FAILURES: Mapping[NetworkErrorKind, FailureReason] = MappingProxyType(
    {
        NetworkErrorKind.DNS: FailureReason.DNS_FAILURE,
        NetworkErrorKind.TLS: FailureReason.TLS_FAILURE,
        NetworkErrorKind.CONNECT: FailureReason.UNREACHABLE,
        NetworkErrorKind.TIMEOUT: FailureReason.TIMEOUT,
        NetworkErrorKind.NETWORK_DOWN: FailureReason.UNREACHABLE,
    }
)


def describe_failure(reason: FailureReason, sip_code: int | None, text: str) -> str:
    """A sentence for the agent."""
    what = f"{sip_code} {text}".strip() if sip_code is not None else text
    suffix = f" ({what})" if what else ""
    return {
        FailureReason.BAD_CREDENTIALS: "Wrong user name or password",
        FailureReason.UNREACHABLE: "The SIP server cannot be reached",
        FailureReason.TIMEOUT: "The SIP server does not answer",
        FailureReason.TLS_FAILURE: "The secure connection to the SIP server failed",
        FailureReason.DNS_FAILURE: "The SIP server name cannot be resolved",
        FailureReason.REJECTED: "The SIP server refused the registration",
    }[reason] + suffix
