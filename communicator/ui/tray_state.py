"""What the tray icon says, as a pure function of the session's state (no widgets: unit-tested
alone; the texts go through `communicator.ui.i18n.translate`).

The icon must never look "online" while the phone cannot take calls: whenever the agent is
signed in and the phone is not registered (connecting, retrying after a lost connection,
refused by the registrar), the tray shows NOT_CONNECTED, whatever the agent state says.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from communicator.core.agent_state import AgentState
from communicator.core.calls import CallState
from communicator.core.registration import RegistrationState
from communicator.ui.i18n import translate
from communicator.ui.messages_i18n import agent_state_name
from communicator.ui.session_state import SessionState


class TrayKind(Enum):
    """One colour each (the icon is ``tray-<value>``)."""

    SIGNED_OUT = "signed-out"
    NOT_CONNECTED = "not-connected"
    READY = "ready"
    NOT_READY = "not-ready"
    ON_CALL = "on-call"
    WRAP_UP = "wrap-up"

    @property
    def icon_name(self) -> str:
        return f"tray-{self.value}"


@dataclass(frozen=True)
class TrayStatus:
    kind: TrayKind
    tooltip: str


APP = "Communicator"


def tray_status(state: SessionState) -> TrayStatus:
    signed_in = state.signed_in
    if signed_in is None:
        if state.signing_in:
            return TrayStatus(
                TrayKind.SIGNED_OUT, f"{APP}: " + translate("TrayState", "signing in…")
            )
        return TrayStatus(TrayKind.SIGNED_OUT, f"{APP}: " + translate("TrayState", "signed out"))
    who = signed_in.session.display_name or signed_in.session.login
    head = f"{APP} \u2013 {who}"
    if state.signing_out:
        return TrayStatus(TrayKind.SIGNED_OUT, f"{head}: " + translate("TrayState", "signing out…"))
    calls = [v.call for v in state.lines if v.call is not None]
    live = [c for c in calls if c.state is not CallState.ENDED]
    if not state.registered:
        return TrayStatus(TrayKind.NOT_CONNECTED, f"{head}: {_not_connected(state, len(live))}")
    ringing = [c for c in live if c.state is CallState.RINGING_IN]
    if ringing:
        text = translate("TrayState", "call from {caller}").format(caller=ringing[0].remote.label)
        return TrayStatus(TrayKind.ON_CALL, f"{head}: {text}")
    if live:
        talking = next((c for c in live if c.state is CallState.CONNECTED), live[0])
        text = translate("TrayState", "on a call with {caller}").format(caller=talking.remote.label)
        if len(live) > 1:
            text += " " + translate("TrayState", "(+{count} more)").format(count=len(live) - 1)
        return TrayStatus(TrayKind.ON_CALL, f"{head}: {text}")
    agent = state.agent
    if agent.state is AgentState.READY:
        return TrayStatus(TrayKind.READY, f"{head}: {agent_state_name(agent.state)}")
    if agent.state is AgentState.WRAP_UP:
        return TrayStatus(TrayKind.WRAP_UP, f"{head}: {agent_state_name(agent.state)}")
    if agent.state is AgentState.ON_CALL:
        return TrayStatus(TrayKind.ON_CALL, f"{head}: {agent_state_name(agent.state)}")
    if agent.state is AgentState.NO_ANSWER:
        return TrayStatus(TrayKind.NOT_READY, f"{head}: {agent_state_name(agent.state)}")
    if agent.state is AgentState.NOT_READY:
        labels = {r.code: r.label for r in state.not_ready_reasons}
        reason = labels.get(agent.reason or "", "")
        return TrayStatus(
            TrayKind.NOT_READY,
            f"{head}: {agent_state_name(agent.state)}" + (f" ({reason})" if reason else ""),
        )
    return TrayStatus(TrayKind.SIGNED_OUT, f"{head}: " + translate("TrayState", "signed out"))


def _not_connected(state: SessionState, live_calls: int) -> str:
    registration = state.registration
    if registration.state is RegistrationState.FAILED:
        text = translate("TrayState", "phone not connected")
        if registration.detail:
            text += f" ({registration.detail})"
    elif registration.lost_connection or registration.state is RegistrationState.RETRYING:
        text = translate("TrayState", "phone not connected, trying again")
    else:
        text = translate("TrayState", "connecting the phone…")
    if live_calls:
        text += "; " + translate("TrayState", "calls in progress: {count}").format(count=live_calls)
    return text
