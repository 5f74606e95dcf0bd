"""Group calls through the real rig (issue 18, the client side): the group the proxy names in
``X-Communicator-Group`` reaches the ringing call and its record, and a ringing call the
caller's side cancels with ``Reason: SIP;cause=200`` ends as answered elsewhere, not missed.

The far-end peer sends both headers itself through the rig's Kamailio, which passes them on
unchanged (its tm module copies a received CANCEL's Reason into the CANCEL it forwards), as the
group routing does when it forks a call to the members and one of them answers.
"""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.call_group import CallGroup
from communicator.core.call_record import CallRecord, call_log_payload
from communicator.core.calls import Call, CallState, EndReason
from communicator.core.registration import RegistrationState
from communicator.sip.events import CallEnded
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, make_profile, wait_peer

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"'


def signed_in_engine(engine_factory: Any, kamailio: KamailioServer, qtbot: Any) -> Any:
    engine = engine_factory()
    engine.apply_profile(make_profile(kamailio, "1006"))
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.REGISTERED, timeout=5000)
    return engine


def records_of(engine: Any) -> list[CallRecord]:
    records: list[CallRecord] = []
    engine.subscribe(lambda e: records.append(e.record) if isinstance(e, CallEnded) else None)
    return records


def ring(
    qtbot: Any, engine: Any, kamailio: KamailioServer, caller: Any, headers: dict[str, str]
) -> tuple[int, Call]:
    """The caller calls the agent with ``headers``; returns its call id and the ringing call."""
    peer_call = caller.call(kamailio.aor("1006"), headers=headers)
    wait_peer(
        qtbot, caller, "call_state", lambda e: e["call_id"] == peer_call and e["state"] == "EARLY"
    )
    (ringing,) = [c for c in engine.state.lines if c is not None]
    assert ringing.state is CallState.RINGING_IN
    return peer_call, ringing


def test_a_group_call_carries_its_group_and_ends_answered_elsewhere(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot)
    records = records_of(engine)
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    # "Ventes Île-de-France" percent-encoded as the proxy sends it.
    peer_call, ringing = ring(
        qtbot,
        engine,
        kamailio,
        caller,
        {"X-Communicator-Group": "Ventes%20%C3%8Ele-de-France"},
    )
    assert ringing.group == CallGroup("Ventes Île-de-France")

    caller.command("hangup", call_id=peer_call, headers={"Reason": ELSEWHERE})
    qtbot.waitUntil(lambda: len(records) == 1, timeout=5000)
    (record,) = records
    assert record.end_reason is EndReason.ANSWERED_ELSEWHERE
    assert not record.missed and not record.answered
    assert record.group == CallGroup("Ventes Île-de-France")
    payload = call_log_payload(record)
    assert payload["group"] == "Ventes Île-de-France"
    assert payload["end_reason"] == "answered_elsewhere"
    assert engine.state.lines == (None, None)


def test_a_caller_who_gives_up_is_still_a_missed_call(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    """The control: a CANCEL without a Reason (and one with another cause) is a missed call."""
    engine = signed_in_engine(engine_factory, kamailio, qtbot)
    records = records_of(engine)
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    for count, headers in enumerate(({}, {"Reason": 'SIP;cause=487;text="Gone"'}), start=1):
        peer_call, ringing = ring(qtbot, engine, kamailio, caller, {})
        assert ringing.group is None
        caller.command("hangup", call_id=peer_call, headers=headers)
        qtbot.waitUntil(lambda n=count: len(records) == n, timeout=5000)
        assert records[-1].end_reason is EndReason.MISSED and records[-1].missed
        assert "group" not in call_log_payload(records[-1])
        qtbot.waitUntil(lambda: engine.state.lines == (None, None), timeout=5000)


UNUSABLE = (
    "%FF%FE",  # not UTF-8
    "Sales%0D%0AX-Evil: 1",  # raw space and an encoded CR LF
    "%E2%80%AESales",  # a right-to-left override (a format character)
    "S" * 101,  # longer than any group name
)


def test_an_unusable_group_header_is_ignored(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    """The call rings as a call without a group (never with the raw value)."""
    engine = signed_in_engine(engine_factory, kamailio, qtbot)
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    for value in UNUSABLE:
        peer_call, ringing = ring(qtbot, engine, kamailio, caller, {"X-Communicator-Group": value})
        assert ringing.group is None, value
        caller.command("hangup", call_id=peer_call)
        qtbot.waitUntil(lambda: engine.state.lines == (None, None), timeout=5000)


def test_a_group_call_refused_busy_keeps_its_group(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    """Every line busy: the refused group call's record still names the group (the report by
    group counts it) - refused by the engine, and by pjsua itself once its call slots are all
    taken (`stack_full_guard`)."""
    engine = engine_factory()
    engine.apply_profile(make_profile(kamailio, "1006", sections={"agent": {"max_lines": 4}}))
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.REGISTERED, timeout=5000)
    records = records_of(engine)
    far_users = ("1009", "1010")
    for i, user in enumerate(far_users):
        peer_factory(f"far{i}", account=user, codecs=TEST_CODECS).command("auto_answer", code=200)
    calls = []
    for n in range(4):
        call = engine.place_call(far_users[n % 2])
        qtbot.waitUntil(lambda c=call: engine.call(c).state is CallState.CONNECTED, timeout=5000)
        calls.append(call)
    caller = peer_factory("caller", account="1008", codecs=TEST_CODECS)
    refused = caller.call(kamailio.aor("1006"), headers={"X-Communicator-Group": "Support"})
    wait_peer(
        qtbot,
        caller,
        "call_state",
        lambda e: e["call_id"] == refused and e["state"] == "DISCONNECTED" and e["code"] == 486,
    )
    qtbot.waitUntil(lambda: len(records) == 1, timeout=5000)
    assert records[0].end_reason is EndReason.BUSY_REJECTED
    assert records[0].group == CallGroup("Support")
    for call in calls:
        engine.hangup(call)
