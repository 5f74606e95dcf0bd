"""Values describing one call on one line: its state, parties, timestamps and flags.

A `Call` is immutable; `communicator.core.lines.Lines` replaces it on every change. Timestamps
are seconds on the clock the engine passes in (``now``); the core never reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NewType
from urllib.parse import unquote

from communicator.core.call_group import CallGroup

CallId = NewType("CallId", str)
"""The core's id for a call (a uuid4 string); the SIP adapter maps it to its pjsua2 call."""


class CallDirection(Enum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class CallState(Enum):
    """Where a call is. Hold by the far end is a flag (`Call.remote_hold`), not a state."""

    DIALING = "dialing"
    """INVITE sent, no provisional answer yet."""
    RINGING_OUT = "ringing"
    """180 received: the far end is ringing."""
    EARLY_MEDIA = "early media"
    """183 with media: announcements or ringback from the far end's network."""
    RINGING_IN = "ringing in"
    """An incoming call waits for the agent to answer."""
    CONNECTED = "connected"
    """Answered and not held by us: the agent hears this call."""
    HELD = "held"
    """Answered and put on hold by us."""
    ENDED = "ended"

    @property
    def label(self) -> str:
        return self.value


LIVE_STATES = frozenset(s for s in CallState if s is not CallState.ENDED)
"""States in which a call occupies a line."""
ESTABLISHED_STATES = frozenset({CallState.CONNECTED, CallState.HELD})
OUTGOING_SETUP_STATES = frozenset({CallState.DIALING, CallState.RINGING_OUT, CallState.EARLY_MEDIA})


class HoldState(Enum):
    NONE = "none"
    LOCAL = "local"
    REMOTE = "remote"
    BOTH = "both"


class EndReason(Enum):
    LOCAL_HANGUP = "local_hangup"
    REMOTE_HANGUP = "remote_hangup"
    CANCELLED = "cancelled"
    """We hung up an outgoing call before it was answered."""
    REJECTED = "rejected"
    """The agent declined an incoming call."""
    MISSED = "missed"
    """The caller gave up before the agent answered."""
    ANSWERED_ELSEWHERE = "answered_elsewhere"
    """A group call another member answered: the proxy cancelled it here (RFC 3326 Reason
    ``SIP;cause=200``). Not missed: the caller was served."""
    BUSY_REJECTED = "busy_rejected"
    """All lines were busy, or the agent was not taking calls; the call was refused with 486
    without ringing."""
    REMOTE_BUSY = "remote_busy"
    DECLINED = "declined"
    """The far end declined our call (603)."""
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    TRANSFERRED = "transferred"
    FORWARDED = "forwarded"


class TransferState(Enum):
    NONE = "none"
    BLIND_PENDING = "blind_pending"
    """REFER sent, waiting for the final NOTIFY."""
    CONSULTING = "consulting"
    """This call waits (held) while the agent talks to the transfer target on another line."""
    CONSULT = "consult"
    """This call is the consultation with the transfer target."""
    COMPLETING = "completing"
    """REFER with Replaces sent on this (original) call, waiting for the final NOTIFY."""
    REFERRED = "referred"
    """The far end transferred the agent (REFER received on this call): the SIP stack calls
    the transfer target (`Call.linked_call`), and this call ends when its far end hangs up."""


class DtmfMethod(Enum):
    RFC4733 = "rfc4733"
    SIP_INFO = "sip_info"


@dataclass(frozen=True)
class RemoteParty:
    """The other end of a call as the agent sees it."""

    uri: str
    display_name: str = ""
    number: str = ""

    @classmethod
    def from_uri(cls, uri: str, display_name: str = "") -> RemoteParty:
        """Fill `number` from the user part of ``uri`` (``sip:+4420...@host`` -> ``+4420...``)."""
        return cls(uri=uri, display_name=display_name, number=user_part(uri))

    @property
    def label(self) -> str:
        return self.display_name or self.number or self.uri


def user_part(uri: str) -> str:
    """The unescaped user part of a SIP URI, or "" when it has none."""
    inner = uri.strip()
    if "<" in inner and ">" in inner:
        inner = inner[inner.index("<") + 1 : inner.index(">")]
    _, colon, rest = inner.partition(":")
    if not colon:
        rest = inner
    user, at, _ = rest.partition("@")
    if not at:
        return ""
    return unquote(user.split(";", 1)[0])


@dataclass(frozen=True)
class Call:
    call_id: CallId
    direction: CallDirection
    remote: RemoteParty
    line: int | None
    """1-based line number as shown to the agent; None for calls refused or forwarded before
    they took a line."""
    state: CallState
    created_at: float
    ringing_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    end_reason: EndReason | None = None
    sip_code: int | None = None
    remote_hold: bool = False
    muted: bool = False
    conference_with: CallId | None = None
    """The other call of the 3-way conference this call is part of."""
    transfer: TransferState = TransferState.NONE
    linked_call: CallId | None = None
    """Attended transfer: the consultation call (on the original) or the original call (on the
    consultation). Transfer by the far end: the call to the target (on the referring call) or
    the referring call (on the call to the target)."""
    takes_line_from: CallId | None = None
    """Transfer by the far end with no free line: this call (to the transfer target) uses the
    line of that referring call, which the line shows until it ends."""
    transfer_target: str | None = None
    forwarded_to: str | None = None
    no_answer_forward_to: str | None = None
    recording_path: str | None = None
    group: CallGroup | None = None
    """The group an incoming call was routed through (the proxy's X-Communicator-Group)."""

    @property
    def hold(self) -> HoldState:
        local = self.state is CallState.HELD
        if local and self.remote_hold:
            return HoldState.BOTH
        if local:
            return HoldState.LOCAL
        return HoldState.REMOTE if self.remote_hold else HoldState.NONE

    @property
    def is_established(self) -> bool:
        return self.state in ESTABLISHED_STATES

    @property
    def where(self) -> str:
        """How messages name this call: "the call on line 2"."""
        return f"the call on line {self.line}" if self.line is not None else "the call"
