"""Steps the tests/ui rig tests share: a workstation with its session model (`Desk`), signing
in, far ends that call the agent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from communicator.core.agent_state import AgentState
from communicator.core.calls import CallState
from communicator.provisioning.credentials import CredentialStore
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.ui.session import SessionModel
from communicator.workstation import Workstation
from tests.credentials.memory_backend import MemoryKeyring
from tests.rig.deployment import AGENT_PW, SIP_DOMAIN, Deployment
from tests.rig.udp_relay import UdpRelay, relayed_call
from tests.sip.helpers import wait_peer

AGENT_URI = f"sip:2001@{SIP_DOMAIN}"
REASONS = [{"code": "lunch", "label": "Lunch"}, {"code": "training", "label": "Training"}]


class Desk:
    """One workstation with its session model; `restart` is the next start of the app."""

    def __init__(self, engine_factory: Any, data_dir: Path, **model_options: Any) -> None:
        self._engine_factory = engine_factory
        self._data_dir = data_dir
        self._options = model_options
        self._dispatcher = MainThreadDispatcher()
        self.workstation: Workstation | None = None
        self.model = self._open()

    def _open(self) -> SessionModel:
        self.workstation = Workstation(
            engine=self._engine_factory(),
            data_dir=self._data_dir,
            post_to_main=self._dispatcher.post,
            credentials=CredentialStore(MemoryKeyring()),
        )
        return SessionModel(self.workstation, **self._options)

    def close(self) -> None:
        self.model.close()
        if self.workstation is not None:
            self.workstation.sign_out(deliver_for=0)
            self.workstation.close()
            self.workstation = None

    def restart(self) -> SessionModel:
        self.close()
        self.model = self._open()
        return self.model


def sign_in(model: SessionModel, deployment: Deployment, qtbot: Any) -> None:
    with qtbot.waitSignal(model.signed_in_changed, timeout=10000):
        model.sign_in(deployment.site.url, "anna", AGENT_PW)
    assert model.state.signed_in is not None
    qtbot.waitUntil(lambda: model.state.registered, timeout=5000)
    assert model.state.agent.state is AgentState.READY


def far_end(peer_factory: Any, deployment: Deployment, user: str = "2002") -> Any:
    return peer_factory(f"far{user}", account=user, server=deployment.kamailio)


def ring_agent(qtbot: Any, model: SessionModel, far: Any) -> Any:
    with qtbot.waitSignal(model.incoming_call, timeout=5000) as ringing:
        far.call(AGENT_URI)
    return ringing.args[0]


def far_end_behind(relay: UdpRelay, peer_factory: Any, deployment: Deployment) -> Any:
    """Extension 2002 with its media behind ``relay``."""
    return peer_factory(
        "far2002",
        account="2002",
        server=deployment.kamailio,
        media_public_address=relay.public_address,
        media_port=relay.media_port,
    )


def answered_through_relay(
    qtbot: Any,
    model: SessionModel,
    far: Any,
    relay: UdpRelay,
    ringing: Callable[[Any], None] = lambda _view: None,
) -> Any:
    """The view of a call from ``far`` that the agent answered, its media through ``relay`` both
    ways (`tests.rig.udp_relay.relayed_call`), the far end playing a tone. ``ringing(view)``
    runs while the call rings, before the answer."""

    def start() -> Any:
        since = far.mark()
        view = ring_agent(qtbot, model, far)
        ringing(view)
        model.answer(view.call_id)
        far_call = int(wait_peer(qtbot, far, "media_state", since=since)["call_id"])
        far.command("play_tone", call_id=far_call, freq=440)
        return view

    def end(view: Any) -> None:
        since = far.mark()
        model.hangup(view.call_id)
        wait_peer(qtbot, far, "call_state", lambda e: e["state"] == "DISCONNECTED", since=since)
        qtbot.waitUntil(lambda: model.view_of(view.call_id) is None, timeout=5000)
        model.set_ready()  # out of the wrap-up the call began, or the next call finds it busy
        qtbot.waitUntil(lambda: model.state.agent.state is AgentState.READY, timeout=5000)

    return relayed_call(relay, start, end, qtbot.waitUntil)


def state_of(model: SessionModel, call_id: Any) -> CallState | None:
    view = model.view_of(call_id)
    return None if view is None or view.call is None else view.call.state
