"""The session model the windows bind to, on the real rig: a provisioning server process,
Kamailio loaded from its export, far-end pjsua2 peers, the SIP engine and the call-log outbox."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEventLoop, QTimer

from communicator.core.agent_state import AgentState
from communicator.core.calls import CallState, EndReason
from communicator.core.lines import Operation
from communicator.core.messages import MessageSource
from communicator.core.registration import RegistrationState
from communicator.provisioning.history import HistoryOutcome
from communicator.ui.session import SessionModel
from communicator.ui.sign_in import SignInField
from tests.rig.deployment import AGENT_PW, SIP_DOMAIN, Deployment
from tests.sip.helpers import wait_peer
from tests.ui.helpers import AGENT_URI, Desk, far_end, ring_agent, sign_in, state_of

pytestmark = pytest.mark.rig


def test_an_incoming_call_is_answered_held_resumed_and_transferred_blind(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)
    target = far_end(peer_factory, deployment, "2003")
    target.command("auto_answer", enabled=True, code=200)

    view = ring_agent(qtbot, model, far)
    assert view.call.remote.number == "2002"
    assert view.allowed == {
        Operation.ANSWER,
        Operation.REJECT,
        Operation.HANGUP,
        Operation.ACTIVATE,
    }
    call_id = view.call_id

    since = far.mark()
    model.answer(call_id)
    qtbot.waitUntil(lambda: state_of(model, call_id) is CallState.CONNECTED, timeout=5000)
    wait_peer(qtbot, far, "call_state", lambda e: e["state"] == "CONFIRMED", since=since)
    connected = model.view_of(call_id)
    assert connected is not None
    assert connected.can(Operation.HOLD) and connected.can(Operation.BLIND_TRANSFER)
    assert not connected.can(Operation.ANSWER) and not connected.can(Operation.RESUME)
    assert model.state.agent.state is AgentState.ON_CALL

    with qtbot.waitSignal(model.lines_changed, timeout=5000):
        model.hold(call_id)
    held = model.view_of(call_id)
    assert held is not None and held.held
    assert held.can(Operation.RESUME) and not held.can(Operation.HOLD)
    model.resume(call_id)
    qtbot.waitUntil(lambda: state_of(model, call_id) is CallState.CONNECTED, timeout=5000)

    with qtbot.waitSignal(model.call_ended, timeout=10000) as ended:
        model.blind_transfer(call_id, "2003")
    record = ended.args[0]
    assert record.end_reason is EndReason.TRANSFERRED
    assert record.transferred_to == f"sip:2003@{SIP_DOMAIN}"
    wait_peer(qtbot, target, "call_state", lambda e: e["state"] == "CONFIRMED", timeout=8)


def test_a_refused_command_becomes_a_message_in_the_agents_words(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)
    view = ring_agent(qtbot, model, far)
    with qtbot.waitSignal(model.message_posted, timeout=2000) as posted:
        model.hold(view.call_id)  # a ringing call cannot be held
    message = posted.args[0]
    assert message.source is MessageSource.AGENT
    assert "Cannot hold the call on line 1" in message.text
    assert state_of(model, view.call_id) is CallState.RINGING_IN


def test_wrap_up_follows_an_answered_call_then_the_agent_is_ready_again(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)
    seen: list[AgentState] = []
    model.agent_changed.connect(lambda _old, new: seen.append(new.state))

    view = ring_agent(qtbot, model, far)
    model.answer(view.call_id)
    qtbot.waitUntil(lambda: model.state.agent.state is AgentState.ON_CALL, timeout=5000)
    model.hangup(view.call_id)
    qtbot.waitUntil(lambda: model.state.agent.state is AgentState.WRAP_UP, timeout=5000)
    status = model.state.agent
    assert status.wrap_up_until is not None
    assert status.wrap_up_until - status.since == pytest.approx(2.0)
    qtbot.waitUntil(lambda: model.state.agent.state is AgentState.READY, timeout=6000)
    assert seen == [AgentState.ON_CALL, AgentState.WRAP_UP, AgentState.READY]


def test_not_ready_answers_a_direct_call_busy(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    with qtbot.waitSignal(model.agent_changed, timeout=2000):
        model.set_not_ready("lunch")
    assert model.state.agent.reason == "lunch"
    far = far_end(peer_factory, deployment)
    rang: list[Any] = []
    model.incoming_call.connect(rang.append)

    since = far.mark()
    far_call = far.call(AGENT_URI)
    event = wait_peer(
        qtbot,
        far,
        "call_state",
        lambda e: e["call_id"] == far_call and e["state"] == "DISCONNECTED",
        since=since,
    )
    assert event["code"] == 486
    assert rang == []
    assert any("answered busy" in m.text for m in model.messages)
    qtbot.waitUntil(lambda: bool(model.history()), timeout=5000)
    assert model.history()[0].outcome is HistoryOutcome.MISSED
    assert model.state.missed_calls == 1, "the agent sees who called during the break"


def test_an_unknown_reason_code_is_refused(deployment: Deployment, desk: Desk, qtbot: Any) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    with qtbot.waitSignal(model.message_posted, timeout=2000) as posted:
        model.set_not_ready("gone fishing")
    assert "Lunch, Training" in posted.args[0].text
    assert model.state.agent.state is AgentState.READY
    assert [r.code for r in model.state.not_ready_reasons] == ["lunch", "training"]


def test_a_listener_that_opens_a_nested_loop_does_not_stop_sip(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    """What a modal dialog does: the slot runs its own event loop until the caller gives up.
    The caller's CANCEL only reaches the model if SIP keeps running inside that loop."""
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)
    outcome: list[str] = []

    def modal(view: Any) -> None:
        loop = QEventLoop()
        model.call_ended.connect(loop.quit)
        QTimer.singleShot(0, lambda: far.command("hangup", call_id="all"))
        QTimer.singleShot(8000, loop.quit)
        loop.exec()
        outcome.append("ended" if model.view_of(view.call_id) is None else "still ringing")

    model.incoming_call.connect(modal)
    far.call(AGENT_URI)
    qtbot.waitUntil(lambda: bool(outcome), timeout=10000)
    assert outcome == ["ended"]


def test_history_survives_a_restart_and_counts_missed_calls(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)
    ring_agent(qtbot, model, far)
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        far.command("hangup", call_id="all")
    qtbot.waitUntil(lambda: model.state.missed_calls == 1, timeout=5000)
    assert model.history()[0].outcome is HistoryOutcome.MISSED

    model = desk.restart()
    sign_in(model, deployment, qtbot)
    entries = model.history("2002")
    assert [e.outcome for e in entries] == [HistoryOutcome.MISSED]
    assert model.state.missed_calls == 1
    with qtbot.waitSignal(model.missed_calls_changed, timeout=2000):
        model.mark_missed_seen()
    assert model.state.missed_calls == 0


def test_a_wrong_password_names_the_password_field(
    deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    with qtbot.waitSignal(model.sign_in_failed, timeout=10000) as failed:
        model.sign_in(deployment.site.url, "anna", "wrong horse")
    failure = failed.args[0]
    assert failure.field is SignInField.PASSWORD
    assert "password" in failure.message.lower()
    assert model.state.signed_in is None and not model.state.signing_in


def test_an_unreachable_server_names_the_server_field(desk: Desk, qtbot: Any) -> None:
    model = desk.model
    with qtbot.waitSignal(model.sign_in_failed, timeout=15000) as failed:
        model.sign_in("http://127.0.0.1:9", "anna", AGENT_PW)
    assert failed.args[0].field is SignInField.SERVER
    assert not failed.args[0].offline_possible


def test_registration_changes_carry_old_and_new(
    deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    changes: list[tuple[Any, Any]] = []
    model.registration_changed.connect(lambda old, new: changes.append((old, new)))
    sign_in(model, deployment, qtbot)
    assert changes[0][0].state is RegistrationState.SIGNED_OUT
    assert changes[-1][1].state is RegistrationState.REGISTERED
    current = model.state.registration.current
    assert current is not None and current.transport.lower() == "udp"
    for old, new in itertools.pairwise(changes):
        assert old[1] == new[0], "each change starts where the last one ended"


def test_the_server_shows_the_agents_state_and_registration(
    deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    api, http = deployment.site.api, deployment.site.http

    def status() -> dict[str, Any] | None:
        body = api.ok(http.get(f"/api/v1/admin/agents/{deployment.agent['id']}", headers=api.h))
        return body.get("status")

    qtbot.waitUntil(lambda: (s := status()) is not None and s["registration"]["registered"])
    shown = status()
    assert shown is not None and shown["state"] == "ready"
    assert shown["registration"]["transport"] == "udp"
    model.set_not_ready("training")
    qtbot.waitUntil(lambda: (s := status()) is not None and s["state"] == "not_ready")
    assert status()["reason"] == "training"  # type: ignore[index]

    with qtbot.waitSignal(model.signed_out, timeout=10000):
        model.sign_out()
    assert status()["state"] == "signed_out"  # type: ignore[index]


def a_finished_call(model: SessionModel, far: Any, qtbot: Any) -> None:
    view = ring_agent(qtbot, model, far)
    model.answer(view.call_id)
    qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED, timeout=5000)
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        model.hangup(view.call_id)


@pytest.mark.parametrize(("server_back", "delivery_s"), [(True, 10.0), (False, 0.5)])
def test_sign_out_tries_to_deliver_waiting_logs_and_says_when_it_cannot(
    deployment: Deployment,
    engine_factory: Any,
    tmp_path: Path,
    peer_factory: Any,
    qtbot: Any,
    server_back: bool,
    delivery_s: float,
) -> None:
    desk = Desk(engine_factory, tmp_path / "client", sign_out_delivery_s=delivery_s)
    try:
        model = desk.model
        sign_in(model, deployment, qtbot)
        deployment.site.stop()
        a_finished_call(model, far_end(peer_factory, deployment), qtbot)
        qtbot.waitUntil(lambda: model.state.pending_logs == 1, timeout=5000)
        if server_back:
            deployment.site.start()
        with qtbot.waitSignal(model.signed_out, timeout=15000):
            model.sign_out()
        said = any("1 call log(s) could not be sent yet" in m.text for m in model.messages)
        if server_back:
            assert model.state.pending_logs == 0, "delivered before the session ended"
            assert not said
        else:
            assert model.state.pending_logs == 1, "kept for the next start here"
            assert said
    finally:
        desk.close()


def test_an_unanswered_call_leaves_the_agent_not_ready_no_answer(
    deployment: Deployment, desk: Desk, peer_factory: Any, qtbot: Any
) -> None:
    deployment.patch_agent({"no_answer_s": 1})
    model = desk.model
    sign_in(model, deployment, qtbot)
    far = far_end(peer_factory, deployment)
    view = ring_agent(qtbot, model, far)
    qtbot.waitUntil(lambda: model.state.agent.state is AgentState.NO_ANSWER, timeout=5000)
    assert state_of(model, view.call_id) is CallState.RINGING_IN, "the call itself rings on"
    assert any("missed a call" in m.text for m in model.messages)
    with qtbot.waitSignal(model.call_ended, timeout=5000):
        far.command("hangup", call_id="all")
    assert model.state.agent.state is AgentState.NO_ANSWER, "only the agent leaves it"
    with qtbot.waitSignal(model.agent_changed, timeout=1000) as changed:
        model.set_ready()
    assert changed.args[1].state is AgentState.READY


def test_the_directory_reaches_the_model_without_login_names(
    deployment: Deployment, desk: Desk, qtbot: Any
) -> None:
    model = desk.model
    sign_in(model, deployment, qtbot)
    with qtbot.waitSignal(model.directory_loaded, timeout=5000) as loaded:
        model.load_directory()
    entries = loaded.args[0]
    signed_in = model.state.signed_in
    assert signed_in is not None
    anna = next(e for e in entries if e.extension == signed_in.session.extension)
    assert (anna.name, anna.group) == ("Anna", "Support")
    assert all(e.name != "anna" for e in entries), "display names, never login names"
    assert any(e.name == "Support" and e.group is None for e in entries), "groups are listed"


def test_a_log_the_server_refuses_is_counted_apart_from_the_waiting_ones(
    deployment: Deployment, engine_factory: Any, tmp_path: Path, qtbot: Any
) -> None:
    desk = Desk(engine_factory, tmp_path / "client")
    try:
        model = desk.model
        sign_in(model, deployment, qtbot)
        workstation = desk.workstation
        assert workstation is not None and model.state.signed_in is not None
        owner = model.state.signed_in.session.owner
        bad = {
            "direction": "outbound",
            "remote": "sip:200@example.com",
            "started_at": "0001-01-01T00:00:00+14:00",
        }
        with qtbot.waitSignal(model.refused_logs_changed, timeout=10000):
            workstation.outbox.add(owner, "6c0e6f6e-7a1f-4f5e-9a53-0c1f2b3c4d5e", bad)
            workstation.sender.wake()
        assert model.state.refused_logs == 1 and model.state.pending_logs == 0
    finally:
        desk.close()
