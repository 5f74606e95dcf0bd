"""Texts that come from below the UI (the provisioning client's sign-in failures, the agent
states of `communicator.core`), translated where the UI shows them: core/ and provisioning/
stay free of Qt, and their English texts stay what logs and the console print.

A failure the client knows by its `ErrorKind` gets a fixed translated sentence; the server's
own words ("no free number" and the rest) are matched by their English text; anything else is
shown as it came (English) rather than hidden.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from communicator.core.agent_state import AgentState
from communicator.ui.i18n import translate

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
