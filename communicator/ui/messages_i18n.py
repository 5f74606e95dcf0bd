"""Texts that come from below the UI (the provisioning client's sign-in failures, the agent
states, the engine's notices, the registration's last problem, a call's quality figures, the
history's dates), translated where the UI shows them: core/ and provisioning/ stay free of Qt,
and their English texts stay what logs and the console print.

The UI translates by code, never by the English text: a failure the client knows by its
`ErrorKind` gets a fixed translated sentence; a notice by its `NoticeCode` and parameters
(`message_text`); the registration's problem by its `ProblemCode` and failure reason
(`registration_problem_text`). The server's own sign-in words ("no free number" and the rest)
are still matched by their English text (the server sends no code for them); anything without
a code is shown as it came (English) rather than hidden. Numbers and dates follow the windows'
language (`communicator.ui.i18n.ui_locale`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime

from communicator.core.agent_state import AgentState
from communicator.core.call_quality import LIVE_WINDOW_S, CallQuality, QualityLevel
from communicator.core.messages import Message
from communicator.core.notices import NoticeCode
from communicator.core.registration_values import (
    FailureReason,
    ProblemCode,
    RegistrationStatus,
)
from communicator.ui.i18n import translate, ui_locale

if TYPE_CHECKING:
    from communicator.ui.sign_in import SignInFailure

_UNREACHABLE = re.compile(r"The server (\S+) (did not answer in time|cannot be reached)\.")
_TLS = re.compile(r"Secure connection to (\S+) failed \((.*)\)\.")
_HTTP = re.compile(r"\(HTTP (\d+)\)")


def failure_text(failure: SignInFailure) -> str:
    """The sign-in failure's message in the installed language."""
    message = failure.message
    kind = failure.kind.value if failure.kind is not None else ""
    fixed = {
        "wrong_credentials": translate("SignInFailure", "Wrong user name or password."),
        "agent_disabled": translate(
            "SignInFailure", "Your agent account is disabled. Ask an administrator to enable it."
        ),
        "session_expired": translate(
            "SignInFailure", "Your session has ended. Please sign in again."
        ),
    }
    if kind in fixed:
        return fixed[kind]
    if message == "Too many attempts; wait a moment and try again.":  # the server's words win
        return translate("SignInFailure", "Too many attempts; wait a moment and try again.")
    if message.startswith("No free number"):
        return translate("SignInFailure", "No free number, or the number is invalid.")
    if match := _UNREACHABLE.match(message):
        url, what = match.groups()
        if what == "did not answer in time":
            text = translate(
                "SignInFailure",
                "The server {url} did not answer in time. Check the network or try later.",
            )
        else:
            text = translate(
                "SignInFailure",
                "The server {url} cannot be reached. Check the network or try later.",
            )
        return text.format(url=url)
    if match := _TLS.match(message):
        return translate(
            "SignInFailure",
            "Secure connection to {url} failed ({reason}). Check the server address, or ask "
            "IT for the server's certificate authority.",
        ).format(url=match.group(1), reason=match.group(2))
    if kind == "server_error" and (match := _HTTP.search(message)):
        return translate(
            "SignInFailure", "The server had a problem (HTTP {status}); try again later."
        ).format(status=match.group(1))
    if message == "Enter your user name.":
        return translate("SignInFailure", "Enter your user name.")
    if message == "Signing in failed unexpectedly.":
        return translate("SignInFailure", "Signing in failed unexpectedly.")
    if message.startswith("Not a server address"):
        return translate("SignInFailure", "This is not a server address (use https://host[:port]).")
    return message


def agent_state_name(state: AgentState) -> str:
    """The agent state as the agent reads it (the tray, the state selector)."""
    names = {
        AgentState.READY: translate("AgentState", "Ready"),
        AgentState.NOT_READY: translate("AgentState", "Not ready"),
        AgentState.NO_ANSWER: translate("AgentState", "Not ready - no answer"),
        AgentState.ON_CALL: translate("AgentState", "On a call"),
        AgentState.WRAP_UP: translate("AgentState", "Wrap-up"),
        AgentState.SIGNED_OUT: translate("AgentState", "Signed out"),
    }
    return names.get(state, state.name)


def notice_sentence(code: NoticeCode) -> str:
    """The sentence for a notice's code in the installed language, with its ``{parameters}``."""
    sentences = {
        NoticeCode.ANSWERED_ON_HOLD: translate(
            "Notice", "{caller} answered on line {line}; the call is on hold"
        ),
        NoticeCode.RESUME_FAILED: translate(
            "Notice", "The call on line {line} could not be resumed{sip}: it is still on hold"
        ),
        NoticeCode.HOLD_FAILED: translate(
            "Notice", "The call on line {line} could not be put on hold{sip}: it is still connected"
        ),
        NoticeCode.HOLD_FAILED_SILENT: translate(
            "Notice",
            "The call on line {line} could not be put on hold{sip}: the caller hears silence, "
            "not the hold",
        ),
        NoticeCode.TRANSFER_FAILED: translate(
            "Notice", "Transfer of the call on line {line} failed ({detail})"
        ),
        NoticeCode.TRANSFER_NO_ANSWER: translate(
            "Notice",
            "The transfer of the call on line {line} got no answer within {seconds} s; the call "
            "is still yours",
        ),
        NoticeCode.TRANSFERRED_BY_FAR_END: translate(
            "Notice", "{caller} transferred the call to {target} (line {line})"
        ),
        NoticeCode.TRANSFERRED_BY_FAR_END_AFTER: translate(
            "Notice", "{caller} transferred the call to {target} (line {line} once the call ends)"
        ),
        NoticeCode.TRANSFER_REQUEST_DECLINED: translate(
            "Notice", "{caller} asked to transfer the call to {target}: declined"
        ),
        NoticeCode.FOLLOWED_TRANSFER_FAILED: translate(
            "Notice", "{caller} transferred the call to {target}, which failed: {detail}"
        ),
        NoticeCode.FORWARDING_SKIPPED: translate("Notice", "Call forwarding skipped: {detail}"),
        NoticeCode.SETTINGS_AFTER_CALL: translate(
            "Notice", "New phone settings will be applied when the current call ends"
        ),
        NoticeCode.TRANSPORT_FALLBACK: translate(
            "Notice", "Could not reach the SIP server over {transport} ({detail}); trying {next}"
        ),
        NoticeCode.DIAL_EMPTY: translate(
            "Notice", "Enter a number, extension or SIP address to dial"
        ),
        NoticeCode.DIAL_UNKNOWN: translate(
            "Notice", "{dial} is not a phone number, extension or SIP address"
        ),
        NoticeCode.SIP_ADDRESS_INVALID: translate("Notice", "{dial} is not a valid SIP address"),
        NoticeCode.SIP_ADDRESS_NO_USER: translate("Notice", "{dial} has no user before the @"),
        NoticeCode.SIP_ADDRESS_NO_HOST: translate("Notice", "{dial} has no valid host after the @"),
        NoticeCode.NOT_A_NUMBER: translate("Notice", "{dial} is not a phone number"),
        NoticeCode.NUMBER_TOO_SHORT: translate(
            "Notice", "{dial} is too short: extensions have {min} to {max} digits"
        ),
        NoticeCode.NUMBER_TOO_LONG: translate("Notice", "{dial} is too long for a phone number"),
        NoticeCode.COUNTRY_CODE_ZERO: translate(
            "Notice", "{dial}: a country code cannot start with 0"
        ),
        NoticeCode.INTERNATIONAL_LENGTH: translate(
            "Notice", "{dial}: international numbers have {min} to {max} digits"
        ),
        NoticeCode.ALL_LINES_BUSY: translate("Notice", "All {lines} lines are busy"),
        NoticeCode.THE_LINE_BUSY: translate("Notice", "The line is busy"),
        NoticeCode.LINE_BUSY: translate("Notice", "Line {line} is busy"),
        NoticeCode.NO_SUCH_LINE: translate(
            "Notice", "There is no line {line}; lines are 1 to {lines}"
        ),
        NoticeCode.SWAP_NEEDS_TWO: translate(
            "Notice", "Swap needs one active call and one held call"
        ),
        NoticeCode.WORKING_OFFLINE: translate(
            "Notice", "Working offline: the server is unreachable; settings may be out of date"
        ),
        NoticeCode.PROFILE_UPDATED: translate(
            "Notice", "Your profile was updated by an administrator"
        ),
        NoticeCode.LINK_TOO_LONG: translate(
            "Notice", "The call link {link} is too long to be a phone number or address."
        ),
        NoticeCode.LINK_BAD_CHARACTERS: translate(
            "Notice", "The call link {link} contains characters a link cannot have."
        ),
        NoticeCode.NOT_A_LINK: translate(
            "Notice",
            "{link} is not a call link: Communicator opens sip:, sips:, tel: and callto: links.",
        ),
        NoticeCode.LINK_NO_NUMBER: translate("Notice", "The call link {link} has no phone number."),
        NoticeCode.LINK_NOT_A_NUMBER: translate(
            "Notice", "The call link {link} does not hold a phone number."
        ),
        NoticeCode.LINK_EXTENSION: translate(
            "Notice",
            "The call link {link} asks for an extension after the number, which Communicator "
            "cannot dial: type the number and then the extension.",
        ),
        NoticeCode.LINK_EMPTY: translate(
            "Notice", "The call link {link} has no number or address."
        ),
        NoticeCode.LINK_NO_TARGET: translate(
            "Notice", "The call link {link} does not hold a number or an address."
        ),
        NoticeCode.LINK_NOT_USER_AT_HOST: translate(
            "Notice", "The call link {link} is not an address of the form user@host."
        ),
        NoticeCode.LINK_NO_USER: translate(
            "Notice", "The call link {link} has no user before the @."
        ),
        NoticeCode.LINK_BAD_USER: translate(
            "Notice", "The call link {link} has a user part that cannot be dialled."
        ),
        NoticeCode.LINK_NO_HOST: translate(
            "Notice", "The call link {link} has no valid host after the @."
        ),
        NoticeCode.LINK_BAD_PORT: translate("Notice", "The call link {link} has an invalid port."),
        NoticeCode.LINK_BAD_PARAMS: translate(
            "Notice", "The call link {link} has parameters that cannot be read."
        ),
    }
    return sentences[code]


def message_text(message: Message) -> str:
    """A message of the one message channel as the agent reads it: by its code when it has one
    (its English text otherwise, or when the parameters do not fit the sentence)."""
    if message.code is None:
        return message.text
    try:
        return notice_sentence(message.code).format(**dict(message.params))
    except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder
        return message.text


def _failure_sentence(reason: FailureReason) -> str:
    return {
        FailureReason.BAD_CREDENTIALS: translate(
            "RegistrationProblem", "Wrong user name or password"
        ),
        FailureReason.UNREACHABLE: translate(
            "RegistrationProblem", "The SIP server cannot be reached"
        ),
        FailureReason.TIMEOUT: translate("RegistrationProblem", "The SIP server does not answer"),
        FailureReason.TLS_FAILURE: translate(
            "RegistrationProblem", "The secure connection to the SIP server failed"
        ),
        FailureReason.DNS_FAILURE: translate(
            "RegistrationProblem", "The SIP server name cannot be resolved"
        ),
        FailureReason.REJECTED: translate(
            "RegistrationProblem", "The SIP server refused the registration"
        ),
    }[reason]


def registration_problem_text(status: RegistrationStatus) -> str | None:
    """Why the connection is lost (`RegistrationStatus.detail`) in the installed language; the
    SIP status and the stack's own words stay as they came (``403 Forbidden``)."""
    problem = status.problem
    if problem is None:
        return status.detail
    seconds = problem.seconds
    if problem.code is ProblemCode.REMOVED:
        return translate("RegistrationProblem", "The registration was removed")
    if problem.code is ProblemCode.REFRESH_MISSED and seconds is not None:
        return translate(
            "RegistrationProblem",
            "No successful registration refresh within {seconds} s (the SIP server does not "
            "answer)",
        ).format(seconds=ui_locale().toString(seconds, "g", 6))
    failure = problem.failure
    if problem.code is not ProblemCode.FAILED or failure is None:
        return status.detail
    text = _failure_sentence(failure.reason)
    if failure.no_answer_s is not None:
        what = translate("RegistrationProblem", "no answer within {seconds} s").format(
            seconds=ui_locale().toString(failure.no_answer_s, "g", 6)
        )
    elif failure.sip_code is not None:
        what = f"{failure.sip_code} {failure.text}".strip()
    else:
        what = failure.text
    if what:
        text += f" ({what})"
    if not failure.retries:
        text += translate("RegistrationProblem", "; sign in again with the correct password")
    return text


def quality_level_name(level: QualityLevel) -> str:
    """The level as the call-quality tooltip names it."""
    return {
        QualityLevel.GOOD: translate("CallQuality", "good"),
        QualityLevel.AMBER: translate("CallQuality", "amber"),
        QualityLevel.RED: translate("CallQuality", "red"),
    }[level]


def quality_summary(quality: CallQuality) -> str:
    """The call's figures for the quality light's tooltip, one per line, in the installed
    language (numbers with its decimal separator): the live ones (`LiveQuality`), as the last
    line says."""
    locale = ui_locale()

    def number(value: float, decimals: int) -> str:
        return locale.toString(float(value), "f", decimals)

    rtt = (
        translate("CallQuality", "unknown yet")
        if quality.rtt_ms is None
        else translate("CallQuality", "{ms} ms").format(ms=number(quality.rtt_ms, 0))
    )
    lines = (
        translate("CallQuality", "Call quality: {level} (MOS {mos})").format(
            level=quality_level_name(quality.level), mos=number(quality.mos, 1)
        ),
        translate("CallQuality", "Received: loss {loss} %, jitter {jitter} ms").format(
            loss=number(quality.rx_loss_pct, 1), jitter=number(quality.rx_jitter_ms, 0)
        ),
        translate("CallQuality", "Sent: loss {loss} %, jitter {jitter} ms").format(
            loss=number(quality.tx_loss_pct, 1), jitter=number(quality.tx_jitter_ms, 0)
        ),
        translate("CallQuality", "Round trip: {rtt}").format(rtt=rtt),
        translate("CallQuality", "Codec: {codec}").format(codec=quality.codec),
        translate("CallQuality", "Packets and losses of the last {seconds} s").format(
            seconds=number(LIVE_WINDOW_S, 0)
        ),
    )
    return "\n".join(lines)


def when_text(started_at: float, now: float) -> str:
    """When a call of the history began: the time for today's calls, else the day, the month's
    name (in the installed language) and the time."""
    locale = ui_locale()
    started = QDateTime.fromMSecsSinceEpoch(round(started_at * 1000))
    today = QDateTime.fromMSecsSinceEpoch(round(now * 1000))
    if started.date() == today.date():
        return locale.toString(started, "HH:mm")
    return locale.toString(started, "dd MMM HH:mm")
