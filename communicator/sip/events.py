"""Frozen values crossing the engine's two boundaries.

* Stack records (`StackRecord`: `RegStarted` ... `CallbackFailed`): what pjsua2 callbacks
  append to the engine's queue. Callbacks do nothing else; the engine drains the queue after
  each poll.
* Observable events (`RegistrationChanged` ... `CallEnded`): what `SipEngine.subscribe`
  listeners receive, plus `EngineState`, the snapshot the UI renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from communicator.core.call_quality import CallQuality
from communicator.core.call_record import CallRecord
from communicator.core.calls import Call, CallId
from communicator.core.notices import NoticeCode, NoticeParams
from communicator.core.registration import RegistrationStatus
from communicator.provisioning.schema import CodecReport

# ------------------------------------------------------------------ records from callbacks


@dataclass(frozen=True, eq=False)
class RegStarted:
    account: Any
    renew: bool


@dataclass(frozen=True, eq=False)
class RegState:
    account: Any
    code: int
    reason: str
    status: int
    """pj_status_t of the operation (0 on success)."""
    expiration: int
    via_host: str
    via_port: int
    server: str
    """Where the answer came from (``host:port``)."""


@dataclass(frozen=True, eq=False)
class IncomingCall:
    call: Any
    """The EngineCall created in onIncomingCall (kept by the engine until DISCONNECTED)."""
    remote_uri: str
    display_name: str
    source: str
    """``host:port`` the INVITE came from."""
    group_headers: tuple[str, ...] = ()
    """The raw values of the INVITE's X-Communicator-Group headers (checked by the core's
    `CallGroup.from_headers`)."""


@dataclass(frozen=True, eq=False)
class CancelReceived:
    """The caller's side cancelled a ringing incoming call (a CANCEL for its INVITE), recorded
    before the call's DISCONNECTED state."""

    call: Any
    reason_headers: tuple[str, ...]
    """The raw values of the CANCEL's Reason headers (RFC 3326)."""


@dataclass(frozen=True, eq=False)
class IncomingRefusedByStack:
    """An INVITE pjsua answered "486 Too many calls" itself (no call slot left), seen by
    `stack_full_guard`: there is no Call object, the engine only logs it."""

    remote_uri: str
    display_name: str
    source: str
    """``host:port`` of the top Via (who sent it)."""
    group_headers: tuple[str, ...] = ()
    """The raw values of the INVITE's X-Communicator-Group headers."""


@dataclass(frozen=True, eq=False)
class CallStateChanged:
    call: Any
    state: int
    code: int
    reason: str


@dataclass(frozen=True, eq=False)
class CallMediaChanged:
    call: Any
    statuses: tuple[int, ...]
    """pjsua media status of each audio stream."""


@dataclass(frozen=True, eq=False)
class TransferStatus:
    call: Any
    code: int
    reason: str
    final: bool


@dataclass(frozen=True, eq=False)
class TransferRequested:
    """The far end of ``call`` sent a REFER (it transfers the agent to ``target``)."""

    call: Any
    target: str
    new_call: Any
    """The EngineCall pjsua2 dials ``target`` with (accepted), None when declined (603)."""


@dataclass(frozen=True, eq=False)
class CallReplaced:
    call: Any
    new_call: Any


@dataclass(frozen=True, eq=False)
class InfoCompleted:
    """A SIP INFO (DTMF) transaction we sent on this call finished."""

    call: Any
    code: int


@dataclass(frozen=True, eq=False)
class ReinviteDone:
    """An INVITE transaction in the dialog of ``call`` (a re-INVITE, ours or the far end's)
    is done: pjsip accepts the next one (recorded only while one was awaited)."""

    call: Any
    code: int
    """Its final answer."""
    ours: bool
    """We sent it (a hold or resume); otherwise the far end did."""


@dataclass(frozen=True, eq=False)
class DtmfReceived:
    call: Any
    digit: str


@dataclass(frozen=True, eq=False)
class CallbackFailed:
    where: str
    error: str


CallStackRecord = (
    IncomingCall
    | IncomingRefusedByStack
    | CallStateChanged
    | CallMediaChanged
    | TransferStatus
    | TransferRequested
    | CallReplaced
    | InfoCompleted
    | ReinviteDone
    | DtmfReceived
    | CancelReceived
)
"""What the stack records about calls (handled by `call_signals.CallSignals`)."""
StackRecord = RegStarted | RegState | CallStackRecord | CallbackFailed
"""What a pjsua2 callback records for the engine (not a call record: see `CallRecord`)."""

# ------------------------------------------------------------------------ observable events


@dataclass(frozen=True)
class RegistrationChanged:
    """Registration status changed (includes the lost-connection message and the Current
    Registration info: contact IP:port, transport, expiry, server host)."""

    status: RegistrationStatus
    static_ip: bool = False


@dataclass(frozen=True)
class LinesChanged:
    lines: tuple[Call | None, ...]
    """The call on each line, line 1 first."""


@dataclass(frozen=True)
class NoticePosted:
    text: str
    """In English."""
    code: NoticeCode | None = None
    """For the UI to say it in the agent's language (`communicator.core.notices`)."""
    params: NoticeParams = ()


@dataclass(frozen=True)
class CallEnded:
    record: CallRecord


@dataclass(frozen=True)
class ForwardingChanged:
    description: str | None
    """What forwarding is in force now ("Always to 1002"), None when none."""


@dataclass(frozen=True)
class DtmfHeard:
    line: int | None
    digit: str


@dataclass(frozen=True)
class QualityMeasured:
    """New stream statistics for a call (read every few seconds while it has media)."""

    call_id: CallId
    quality: CallQuality


EngineEvent = (
    RegistrationChanged
    | LinesChanged
    | NoticePosted
    | CallEnded
    | ForwardingChanged
    | DtmfHeard
    | QualityMeasured
)


@dataclass(frozen=True)
class EngineState:
    """A snapshot of everything the UI shows."""

    signed_in: bool
    static_ip: bool
    registration: RegistrationStatus
    lines: tuple[Call | None, ...]
    forwarding: str | None
    codec_report: CodecReport | None
    profile_pending: bool
    """A new profile with other SIP settings waits for the last call to end."""
    notices: tuple[str, ...] = field(default_factory=tuple)
    """The most recent notices (newest last)."""
