"""A hold or resume the far end refuses (it answers our re-INVITE 488) does not happen: the
line keeps showing the call as it really is (still talking, or still on hold) and the agent
is told through the notices, instead of the line claiming a hold the caller never got."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.calls import CallState
from communicator.sip.events import NoticePosted
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, wait_peer
from tests.sip.test_calls import signed_in_engine
from tests.sip.test_engine_reinvite import ring

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]


def test_a_refused_hold_and_a_refused_resume_leave_the_call_as_it_was(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    notices: list[str] = []
    engine.subscribe(lambda e: notices.append(e.text) if isinstance(e, NoticePosted) else None)
    far = peer_factory("far", account="1007", codecs=TEST_CODECS)
    call_id, far_call = ring(engine, far, kamailio, qtbot)
    engine.answer(call_id)
    wait_peer(
        qtbot, far, "media_state", lambda e: e["call_id"] == far_call and e["state"] == "active"
    )

    far.command("reinvite_answer", code=488)
    since = far.mark()
    engine.hold(call_id)
    assert engine.call(call_id).state is CallState.HELD  # what the agent asked for, at once
    wait_peer(qtbot, far, "reinvite_refused", lambda e: e["code"] == 488, since=since)
    qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.CONNECTED, timeout=5000)
    assert engine.state.lines[0] is not None
    assert engine.state.lines[0].state is CallState.CONNECTED
    qtbot.waitUntil(lambda: any("could not be put on hold (488)" in n for n in notices))
    assert far.events("media_state", lambda e: e["call_id"] == far_call)[-1]["state"] == "active"

    # Held for real, then a resume the far end refuses: the call stays on hold.
    far.command("reinvite_answer", code=None)
    since = far.mark()
    engine.hold(call_id)
    wait_peer(
        qtbot,
        far,
        "media_state",
        lambda e: e["call_id"] == far_call and e["state"] == "remote_hold",
        since=since,
    )
    far.command("reinvite_answer", code=488)
    since = far.mark()
    engine.resume(call_id)
    assert engine.call(call_id).state is CallState.CONNECTED
    wait_peer(qtbot, far, "reinvite_refused", lambda e: e["code"] == 488, since=since)
    qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.HELD, timeout=5000)
    qtbot.waitUntil(lambda: any("could not be resumed (488)" in n for n in notices))
    far.command("reinvite_answer", code=None)
    engine.hangup(call_id)
