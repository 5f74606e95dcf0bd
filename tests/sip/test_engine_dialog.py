"""Hold, resume and transfer given before an answered call's dialog is confirmed (the agent
clicks Hold right after Answer): they wait for the ACK instead of failing in pjsip."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.calls import CallState
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, wait_none, wait_peer
from tests.sip.test_calls import signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]


def ringing_call(engine: Any, caller: Any, kamailio: KamailioServer, qtbot: Any) -> Any:
    caller.call(kamailio.aor("1006"))
    qtbot.waitUntil(
        lambda: any(c is not None and c.state is CallState.RINGING_IN for c in engine.state.lines),
        timeout=5000,
    )
    call = next(c for c in engine.state.lines if c is not None)
    return call.call_id


def test_hold_right_after_answer_waits_for_the_dialog(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    call_id = ringing_call(engine, caller, kamailio, qtbot)

    since = caller.mark()
    engine.answer(call_id)
    engine.hold(call_id)  # same step: pjsua has not even sent the 200 yet
    assert engine.call(call_id).state is CallState.HELD
    wait_peer(qtbot, caller, "media_state", lambda e: e["state"] == "remote_hold", since=since)
    assert not [n for n in engine.state.notices if "Hold" in n or "ESESSIONSTATE" in n]

    since = caller.mark()
    engine.resume(call_id)
    wait_peer(qtbot, caller, "media_state", lambda e: e["state"] == "active", since=since)


def test_hold_and_resume_before_the_ack_send_nothing(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    call_id = ringing_call(engine, caller, kamailio, qtbot)

    since = caller.mark()
    engine.answer(call_id)
    engine.hold(call_id)
    engine.resume(call_id)
    wait_peer(qtbot, caller, "media_state", lambda e: e["state"] == "active", since=since)
    wait_none(
        qtbot,
        lambda: bool(
            caller.events("media_state", lambda e: e["state"] == "remote_hold" and e["_i"] >= since)
        ),
        within_ms=1000,
    )
    assert engine.call(call_id).state is CallState.CONNECTED
