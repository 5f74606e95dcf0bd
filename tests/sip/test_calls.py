"""Calls through the real rig: two lines with hold/swap, busy lines, DTMF, late offer."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.call_record import CallRecord
from communicator.core.calls import CallDirection, CallState, EndReason
from communicator.core.errors import LinesBusyError
from communicator.core.registration import RegistrationState
from communicator.sip.events import CallEnded
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, make_profile, peer_call_id, wait_peer

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

CONNECTED, HELD = CallState.CONNECTED, CallState.HELD


def signed_in_engine(
    engine_factory: Any, kamailio: KamailioServer, qtbot: Any, user: str, **sections: Any
) -> Any:
    engine = engine_factory()
    engine.apply_profile(make_profile(kamailio, user, sections=sections))
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.REGISTERED, timeout=5000)
    return engine


def answering_peer(peer_factory: Any, name: str, user: str) -> Any:
    peer = peer_factory(name, account=user, codecs=TEST_CODECS)
    peer.command("auto_answer", code=200)
    return peer


def records_of(engine: Any) -> list[CallRecord]:
    records: list[CallRecord] = []
    engine.subscribe(lambda e: records.append(e.record) if isinstance(e, CallEnded) else None)
    return records


def test_two_lines_hold_swap_and_busy(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    records = records_of(engine)
    a = answering_peer(peer_factory, "a", "1007")
    b = answering_peer(peer_factory, "b", "1008")

    first = engine.place_call("1007")
    qtbot.waitUntil(lambda: engine.call(first).state is CONNECTED, timeout=5000)
    call_a = peer_call_id(qtbot, a)
    wait_peer(qtbot, a, "media_state", lambda e: e["call_id"] == call_a and e["state"] == "active")

    # Dialling on the second line holds the first; the far end sees the hold.
    mark_a = a.mark()
    second = engine.place_call("1008")
    qtbot.waitUntil(lambda: engine.call(second).state is CONNECTED, timeout=5000)
    assert engine.call(first).state is HELD
    assert [c.line if c else None for c in engine.state.lines] == [1, 2]
    wait_peer(
        qtbot,
        a,
        "media_state",
        lambda e: e["call_id"] == call_a and e["state"] == "remote_hold",
        since=mark_a,
    )
    call_b = peer_call_id(qtbot, b)

    # Swap: line 1 back, line 2 held - both far ends see it.
    mark_a, mark_b = a.mark(), b.mark()
    engine.swap()
    assert engine.call(first).state is CONNECTED and engine.call(second).state is HELD
    wait_peer(
        qtbot,
        a,
        "media_state",
        lambda e: e["call_id"] == call_a and e["state"] == "active",
        since=mark_a,
    )
    wait_peer(
        qtbot,
        b,
        "media_state",
        lambda e: e["call_id"] == call_b and e["state"] == "remote_hold",
        since=mark_b,
    )

    # All lines busy: outgoing refused with a clear message, a third caller gets 486.
    with pytest.raises(LinesBusyError, match="All 2 lines are busy"):
        engine.place_call("1009")
    c = peer_factory("c", account="1009", codecs=TEST_CODECS)
    busy_call = c.call(kamailio.aor("1006"))
    end = wait_peer(
        qtbot,
        c,
        "call_state",
        lambda e: e["call_id"] == busy_call and e["state"] == "DISCONNECTED",
    )
    assert end["code"] == 486
    busy = [r for r in records if r.direction is CallDirection.INCOMING]
    assert len(busy) == 1
    assert busy[0].end_reason is EndReason.BUSY_REJECTED and busy[0].missed
    assert busy[0].sip_code == 486

    # Far end hangs up line 2; the agent hangs up line 1.
    b.command("hangup", call_id=call_b)
    qtbot.waitUntil(lambda: second not in engine.lines.calls, timeout=5000)
    engine.hangup(first)
    wait_peer(
        qtbot, a, "call_state", lambda e: e["call_id"] == call_a and e["state"] == "DISCONNECTED"
    )
    reasons = {r.call_id: r.end_reason for r in records}
    assert reasons[second] is EndReason.REMOTE_HANGUP
    assert reasons[first] is EndReason.LOCAL_HANGUP
    assert engine.state.lines == (None, None)


def test_incoming_call_rings_and_is_answered(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    records = records_of(engine)
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    peer_call = caller.call(kamailio.aor("1006"))
    wait_peer(
        qtbot, caller, "call_state", lambda e: e["call_id"] == peer_call and e["state"] == "EARLY"
    )
    (ringing,) = [c for c in engine.state.lines if c is not None]
    assert ringing.state is CallState.RINGING_IN and ringing.remote.number == "1007"
    engine.answer(ringing.call_id)
    wait_peer(
        qtbot,
        caller,
        "call_state",
        lambda e: e["call_id"] == peer_call and e["state"] == "CONFIRMED",
    )
    caller.command("hangup", call_id=peer_call)
    qtbot.waitUntil(lambda: len(records) == 1, timeout=5000)
    assert records[0].answered and records[0].end_reason is EndReason.REMOTE_HANGUP


@pytest.mark.parametrize("method", ["rfc4733", "sip_info"])
def test_dtmf_reaches_the_far_end(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any, method: str
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", media={"dtmf": method})
    far = answering_peer(peer_factory, "far", "1007")
    call = engine.place_call("1007")
    qtbot.waitUntil(lambda: engine.call(call).state is CONNECTED, timeout=5000)
    far_call = peer_call_id(qtbot, far)
    wait_peer(
        qtbot, far, "media_state", lambda e: e["call_id"] == far_call and e["state"] == "active"
    )
    engine.send_dtmf(call, "12*#9")

    def digits() -> str:
        return "".join(e["digit"] for e in far.events("dtmf"))

    qtbot.waitUntil(lambda: len(digits()) == 5, timeout=5000)
    assert digits() == "12*#9"
    assert {e["method"] for e in far.events("dtmf")} == {method}
    engine.hangup(call)


def test_late_offer_call(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", sip={"use_sdp": False})
    far = answering_peer(peer_factory, "far", "1007")
    call = engine.place_call("1007")
    qtbot.waitUntil(lambda: engine.call(call).state is CONNECTED, timeout=5000)
    incoming = wait_peer(qtbot, far, "incoming_call")
    head, _, body = incoming["message"].partition("\r\n\r\n")
    assert "application/sdp" not in head.lower() and not body.strip()
    wait_peer(
        qtbot,
        far,
        "media_state",
        lambda e: e["call_id"] == incoming["call_id"] and e["state"] == "active",
    )
    engine.hangup(call)
