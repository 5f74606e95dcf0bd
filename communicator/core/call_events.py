"""Events the SIP adapter reports about existing calls (from pjsua2 callbacks).

Feed them to `Lines.handle(event, now)`. Events for calls the core no longer knows (a late
DISCONNECTED after a local hang-up, for example) are ignored, so the adapter need not filter.
New incoming calls are not an event here: they go to `Lines.incoming_call`, which returns the
id the adapter uses from then on.
"""

from __future__ import annotations

from dataclasses import dataclass

from communicator.core.calls import CallId


@dataclass(frozen=True)
class RemoteRinging:
    """180 Ringing for an outgoing call."""

    call_id: CallId


@dataclass(frozen=True)
class EarlyMedia:
    """183 Session Progress with SDP for an outgoing call."""

    call_id: CallId


@dataclass(frozen=True)
class CallConfirmed:
    """The call is answered and confirmed (pjsua2 PJSIP_INV_STATE_CONFIRMED)."""

    call_id: CallId


@dataclass(frozen=True)
class RemoteHoldChanged:
    """The far end put us on hold (sendonly/inactive SDP) or took us off hold."""

    call_id: CallId
    held: bool


@dataclass(frozen=True)
class CallDisconnected:
    """The call is gone (pjsua2 PJSIP_INV_STATE_DISCONNECTED) with its last status code."""

    call_id: CallId
    sip_code: int | None = None
    reason: str = ""
    cancel_cause: int | None = None
    """A ringing incoming call the caller's side cancelled: the SIP cause of the CANCEL's
    Reason header (RFC 3326; 200 = answered elsewhere), None when it had none."""


@dataclass(frozen=True)
class TransferProgress:
    """A NOTIFY about a REFER we sent on this call (pjsua2 onCallTransferStatus)."""

    call_id: CallId
    sip_code: int
    reason: str = ""
    final: bool = False


@dataclass(frozen=True)
class HoldFailed:
    """Our hold (``hold``) or resume of the call did not happen: the far end refused the
    re-INVITE (after the retries a "not now" answer gets), or pjsip could not send it. The
    call is still as it was before."""

    call_id: CallId
    hold: bool
    sip_code: int | None = None


CallEvent = (
    RemoteRinging
    | EarlyMedia
    | CallConfirmed
    | RemoteHoldChanged
    | CallDisconnected
    | TransferProgress
    | HoldFailed
)
