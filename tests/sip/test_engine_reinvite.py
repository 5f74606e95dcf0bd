"""Hold and resume given while the call's previous re-INVITE is still under way (the agent
answers a second line and presses Swap at once; Hold then Resume on one line): pjsip allows
one INVITE transaction at a time per dialog, so the later one waits for the earlier instead
of failing. A hold the far end answers with 491 (its own re-INVITE crossed ours) is sent again.
Either way the far end ends up hearing what the lines show."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.calls import CallId, CallState
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, peer_call_id, wait_none, wait_peer
from tests.sip.test_calls import signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]


def ring(engine: Any, caller: Any, kamailio: KamailioServer, qtbot: Any) -> tuple[CallId, int]:
    """``caller`` rings the agent: the core's id of the ringing call and the caller's id."""
    known = {c.call_id for c in engine.state.lines if c is not None}
    peer_call = caller.call(kamailio.aor("1006"))

    def ringing() -> Any:
        return next(
            (
                c
                for c in engine.state.lines
                if c is not None and c.call_id not in known and c.state is CallState.RINGING_IN
            ),
            None,
        )

    qtbot.waitUntil(lambda: ringing() is not None, timeout=5000)
    return ringing().call_id, peer_call


def hears(qtbot: Any, peer: Any, call: int, state: str, since: int) -> None:
    wait_peer(
        qtbot,
        peer,
        "media_state",
        lambda e: e["call_id"] == call and e["state"] == state,
        since=since,
    )


def last_media_state(peer: Any, call: int) -> str:
    return str(peer.events("media_state", lambda e: e["call_id"] == call)[-1]["state"])


def stays(qtbot: Any, peer: Any, call: int, state: str) -> None:
    """Nothing changes the far end's media state from ``state`` any more."""
    wait_none(qtbot, lambda: last_media_state(peer, call) != state, within_ms=500)


def test_swap_right_after_answering_the_second_line_resumes_the_first(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    a = peer_factory("a", account="1007", codecs=TEST_CODECS)
    b = peer_factory("b", account="1008", codecs=TEST_CODECS)

    since_a = a.mark()
    first, call_a = ring(engine, a, kamailio, qtbot)
    engine.answer(first)
    hears(qtbot, a, call_a, "active", since_a)

    since_b = b.mark()
    second, call_b = ring(engine, b, kamailio, qtbot)
    since_a = a.mark()
    engine.answer(second)  # holds line 1: its re-INVITE is on its way
    engine.swap()  # same step: line 1's hold has not been answered yet
    assert engine.call(first).state is CallState.CONNECTED
    assert engine.call(second).state is CallState.HELD

    hears(qtbot, b, call_b, "remote_hold", since_b)
    hears(qtbot, a, call_a, "remote_hold", since_a)
    hears(qtbot, a, call_a, "active", since_a)
    stays(qtbot, a, call_a, "active")
    stays(qtbot, b, call_b, "remote_hold")
    assert engine.failures == []

    # Line 1 really is talking again: its far end hears the agent's DTMF.
    since_a = a.mark()
    engine.send_dtmf(first, "4#")

    def heard() -> list[str]:
        return [str(e["digit"]) for e in a.events("dtmf") if e["_i"] >= since_a]

    qtbot.waitUntil(lambda: len(heard()) >= 2, timeout=5000)
    assert heard() == ["4", "#"]
    engine.hangup_all()
    qtbot.waitUntil(lambda: engine.state.lines == (None, None), timeout=5000)


def test_hold_and_resume_at_once_on_a_talking_call(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    far = peer_factory("far", account="1007", codecs=TEST_CODECS)
    far.command("auto_answer", code=200)
    since = far.mark()
    call_id = engine.place_call("1007")
    # An outgoing call is CONNECTED once its dialog is confirmed: nothing waits for the ACK.
    qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.CONNECTED, timeout=5000)
    peer_call = peer_call_id(qtbot, far, since=since)
    hears(qtbot, far, peer_call, "active", since)

    since = far.mark()
    engine.hold(call_id)
    engine.resume(call_id)  # the hold's re-INVITE is under way: the resume follows it
    assert engine.call(call_id).state is CallState.CONNECTED
    hears(qtbot, far, peer_call, "remote_hold", since)
    hears(qtbot, far, peer_call, "active", since)
    stays(qtbot, far, peer_call, "active")
    assert engine.failures == []

    # Hold, resume and hold again at once: the resume waits behind the first hold and the
    # second hold cancels it; the far end ends up held, as the line shows.
    since = far.mark()
    engine.hold(call_id)
    engine.resume(call_id)
    engine.hold(call_id)
    assert engine.call(call_id).state is CallState.HELD
    hears(qtbot, far, peer_call, "remote_hold", since)
    stays(qtbot, far, peer_call, "remote_hold")
    assert engine.failures == []
    engine.hangup(call_id)
    qtbot.waitUntil(lambda: engine.state.lines == (None, None), timeout=5000)


def test_hold_crossing_the_far_ends_own_reinvite_is_sent_again(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    far = peer_factory("far", account="1007", codecs=TEST_CODECS)
    far.command("auto_answer", code=200)
    since = far.mark()
    call_id = engine.place_call("1007")
    qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.CONNECTED, timeout=5000)
    peer_call = peer_call_id(qtbot, far, since=since)
    hears(qtbot, far, peer_call, "active", since)

    # The far end re-INVITEs (holds) and, before the engine has read that, the agent holds:
    # the two re-INVITEs cross and each side answers the other's with 491 (glare). The
    # engine's event loop does not run while the test waits for the far end's command.
    since = far.mark()
    far.command("hold", call_id=peer_call)
    engine.hold(call_id)
    wait_peer(
        qtbot,
        far,
        "media_state",
        lambda e: e["call_id"] == peer_call and bool(e["hold"]),
        since=since,
    )
    assert engine.call(call_id).state is CallState.HELD
    assert engine.failures == []
    engine.hangup(call_id)
    qtbot.waitUntil(lambda: engine.state.lines == (None, None), timeout=5000)
