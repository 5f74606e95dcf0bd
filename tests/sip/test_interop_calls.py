"""Interop fixes found by running against other softphones, each on the rig.

* Calls refused because every line is busy leave a call record (486, missed), also when
  pjsua refuses them itself for want of a call slot (its compiled limit of 4 calls) before
  the engine sees them: `stack_full_guard` records those for the engine.
* A transfer whose final NOTIFY never arrives (or cannot be parsed) must not stay pending for
  ever: after the engine's transfer time limit it ends with a notice and the agent keeps the
  call.
"""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.calls import CallState, EndReason, TransferState
from communicator.core.registration import RegistrationState
from communicator.provisioning.schema import MAX_LINES_LIMIT
from communicator.sip.events import NoticePosted
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, make_profile, wait_peer
from tests.sip.sound.helpers import connected_call
from tests.sip.test_calls import answering_peer, records_of, signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

STACK_CALL_LIMIT = 4
"""Simultaneous calls the pjsua2 wheel allows per process (PJSUA_MAX_CALLS is compiled in:
`UaConfig.maxCalls` above it is cut back to it)."""


def _busy_record_for_one_more_caller(
    qtbot: Any, kamailio: KamailioServer, peer_factory: Any, records: list[Any], user: str
) -> None:
    caller = peer_factory("caller", account="1008", codecs=TEST_CODECS)
    before = len(records)
    refused = caller.call(kamailio.aor(user))
    end = wait_peer(
        qtbot,
        caller,
        "call_state",
        lambda e: e["call_id"] == refused and e["state"] == "DISCONNECTED",
    )
    assert end["code"] == 486
    qtbot.waitUntil(lambda: len(records) == before + 1, timeout=5000)
    assert records[-1].end_reason is EndReason.BUSY_REJECTED and records[-1].missed
    assert records[-1].sip_code == 486
    assert records[-1].remote.uri.startswith("sip:1008@")


def test_a_caller_refused_busy_gets_486_and_leaves_a_record(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", agent={"max_lines": 1})
    records = records_of(engine)
    far = answering_peer(peer_factory, "far", "1007")
    call, _ = connected_call(qtbot, engine, far, "1007")

    _busy_record_for_one_more_caller(qtbot, kamailio, peer_factory, records, "1006")
    assert engine.call(call).state is CallState.CONNECTED
    engine.hangup(call)


def test_a_caller_refused_when_the_stack_is_full_still_leaves_a_record(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    """Every line busy with as many calls as pjsua allows: the next INVITE never reaches
    pjsua's onIncomingCall; the engine must still refuse it (486) and log it. A profile
    allowing more lines than that gets only as many lines as can ever hold a call."""
    engine = signed_in_engine(
        engine_factory, kamailio, qtbot, "1006", agent={"max_lines": MAX_LINES_LIMIT}
    )
    assert len(engine.state.lines) == STACK_CALL_LIMIT
    records = records_of(engine)
    # Two far ends with two calls each (a far end is a pjsua2 process too: 4 calls at most).
    far_users = ("1009", "1010")
    for i, user in enumerate(far_users):
        answering_peer(peer_factory, f"far{i}", user)
    calls = []
    for n in range(STACK_CALL_LIMIT):
        call = engine.place_call(far_users[n % 2])
        qtbot.waitUntil(lambda c=call: engine.call(c).state is CallState.CONNECTED, timeout=5000)
        calls.append(call)
    assert all(line is not None for line in engine.state.lines)
    assert engine.stack_call_limit == STACK_CALL_LIMIT

    _busy_record_for_one_more_caller(qtbot, kamailio, peer_factory, records, "1006")
    for call in calls:
        engine.hangup(call)


TRANSFER_LIMIT_S = 2.0
"""The engine's transfer time limit in this test (30 s in the product)."""


def test_a_transfer_without_a_final_notify_ends_and_the_agent_keeps_the_call(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    """The far end accepts the REFER but its NOTIFYs never say how it ended (here: the
    transfer target keeps ringing; in the wild: a final NOTIFY pjsip cannot parse)."""
    engine = engine_factory(transfer_timeout=TRANSFER_LIMIT_S)
    engine.apply_profile(make_profile(kamailio, "1006"))
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.REGISTERED, timeout=5000)
    notices = notices_of(engine)
    far = answering_peer(peer_factory, "far", "1007")
    target = peer_factory("target", account="1008", codecs=TEST_CODECS)
    target.command("auto_answer", code=180)  # rings for ever
    call, _ = connected_call(qtbot, engine, far, "1007")

    engine.blind_transfer(call, "1008")
    assert engine.call(call).transfer is TransferState.BLIND_PENDING
    wait_peer(qtbot, target, "incoming_call")  # the far end took the REFER and dials
    qtbot.waitUntil(
        lambda: engine.call(call).transfer is TransferState.NONE,
        timeout=int(TRANSFER_LIMIT_S * 1000) + 5000,
    )
    assert engine.call(call).state is CallState.CONNECTED
    assert any("ransfer" in text for text in notices), notices
    assert engine.state.lines[0] is not None and engine.state.lines[0].call_id == call
    far.command("hangup", call_id="all")
    target.command("hangup", call_id="all")
    qtbot.waitUntil(lambda: engine.state.lines[0] is None, timeout=5000)


def notices_of(engine: Any) -> list[str]:
    notices: list[str] = []
    engine.subscribe(lambda e: notices.append(e.text) if isinstance(e, NoticePosted) else None)
    return notices
