"""Notices for the agent that the UI can say in the agent's language.

A notice keeps its English ``text`` (what logs, the console and the headless client print) and,
where the UI has a sentence of its own for it, a `NoticeCode` with its parameters: the desktop
translates by the code and fills in the parameters (a line number, a caller's name, a SIP
status), never by matching the English text. A notice without a code is shown as it came.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class NoticeCode(Enum):
    """What a notice says; its parameters in brackets (all strings, ready to show)."""

    ANSWERED_ON_HOLD = "answered_on_hold"
    """[caller, line] the far end answered while another call was active: it is held."""
    RESUME_FAILED = "resume_failed"
    """[line, sip] the far end refused to resume: the call is still on hold."""
    HOLD_FAILED = "hold_failed"
    """[line, sip] the far end refused the hold: the call is still connected."""
    HOLD_FAILED_SILENT = "hold_failed_silent"
    """[line, sip] the far end refused the hold, but another call is active: silence."""
    TRANSFER_FAILED = "transfer_failed"
    """[line, detail] the transfer target refused or failed."""
    TRANSFER_NO_ANSWER = "transfer_no_answer"
    """[line, seconds] the transfer got no final answer in time."""
    TRANSFERRED_BY_FAR_END = "transferred_by_far_end"
    """[caller, target, line] the far end transferred the agent; the new call is on ``line``."""
    TRANSFERRED_BY_FAR_END_AFTER = "transferred_by_far_end_after"
    """[caller, target, line] as above, on the referring call's line once it ends."""
    TRANSFER_REQUEST_DECLINED = "transfer_request_declined"
    """[caller, target] the far end asked to transfer the call; it could not be followed."""
    FOLLOWED_TRANSFER_FAILED = "followed_transfer_failed"
    """[caller, target, detail] the far end's transfer could not be followed."""
    FORWARDING_SKIPPED = "forwarding_skipped"
    """[detail] a forwarding target in the profile is unusable."""
    SETTINGS_AFTER_CALL = "settings_after_call"
    """New phone settings wait for the current call to end."""
    TRANSPORT_FALLBACK = "transport_fallback"
    """[transport, detail, next] the SIP server was not reachable over one transport."""

    # Refused commands (`InvalidOperationError.notice`): what the agent typed or asked for.
    DIAL_EMPTY = "dial_empty"
    """Nothing to dial."""
    DIAL_UNKNOWN = "dial_unknown"
    """[dial] neither a phone number, an extension nor a SIP address."""
    SIP_ADDRESS_INVALID = "sip_address_invalid"
    """[dial]"""
    SIP_ADDRESS_NO_USER = "sip_address_no_user"
    """[dial]"""
    SIP_ADDRESS_NO_HOST = "sip_address_no_host"
    """[dial]"""
    NOT_A_NUMBER = "not_a_number"
    """[dial]"""
    NUMBER_TOO_SHORT = "number_too_short"
    """[dial, min, max] shorter than an extension."""
    NUMBER_TOO_LONG = "number_too_long"
    """[dial]"""
    COUNTRY_CODE_ZERO = "country_code_zero"
    """[dial]"""
    INTERNATIONAL_LENGTH = "international_length"
    """[dial, min, max]"""
    ALL_LINES_BUSY = "all_lines_busy"
    """[lines] every line holds a call (more than one line)."""
    THE_LINE_BUSY = "the_line_busy"
    """The one line holds a call."""
    LINE_BUSY = "line_busy"
    """[line] the line asked for holds a call."""
    NO_SUCH_LINE = "no_such_line"
    """[line, lines]"""
    SWAP_NEEDS_TWO = "swap_needs_two"
    """Swap needs one active call and one held call."""

    # The workstation (`communicator.workstation.WorkstationNotice`).
    WORKING_OFFLINE = "working_offline"
    """Started from the cached profile: the server is unreachable."""
    PROFILE_UPDATED = "profile_updated"
    """An administrator changed the agent's profile."""

    # Call links that cannot be dialled (`communicator.core.links.LinkError`): [link] each.
    LINK_TOO_LONG = "link_too_long"
    LINK_BAD_CHARACTERS = "link_bad_characters"
    NOT_A_LINK = "not_a_link"
    LINK_NO_NUMBER = "link_no_number"
    LINK_NOT_A_NUMBER = "link_not_a_number"
    LINK_EXTENSION = "link_extension"
    LINK_EMPTY = "link_empty"
    LINK_NO_TARGET = "link_no_target"
    LINK_NOT_USER_AT_HOST = "link_not_user_at_host"
    LINK_NO_USER = "link_no_user"
    LINK_BAD_USER = "link_bad_user"
    LINK_NO_HOST = "link_no_host"
    LINK_BAD_PORT = "link_bad_port"
    LINK_BAD_PARAMS = "link_bad_params"


NoticeParams = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Notice:
    """Something the agent should read (a failed transfer, an answered call put on hold)."""

    text: str
    """In English."""
    code: NoticeCode | None = None
    params: NoticeParams = ()

    @classmethod
    def coded(cls, text: str, code: NoticeCode, **params: object) -> Notice:
        """``text`` with its code and parameters (each shown as ``str`` shows it)."""
        return cls(text, code, tuple((name, str(value)) for name, value in params.items()))


NoticeSink = Callable[[str | Notice], None]
"""Where the SIP side posts notices: a plain English text, or a coded `Notice`."""
