"""Transfers, conference, SRTP, STUN, static IP, forwarding, recording, deferred re-registration."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from communicator.core.calls import CallState, EndReason
from communicator.core.registration import RegistrationState
from tests.rig.audio_check import assert_tone
from tests.rig.kamailio import KamailioServer
from tests.sip.audio import assert_tones
from tests.sip.helpers import (
    TEST_CODECS,
    make_profile,
    peer_call_id,
    wait_none,
    wait_peer,
    wait_recorded,
    wav_complete,
)
from tests.sip.test_calls import answering_peer, records_of, signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

CONNECTED = CallState.CONNECTED


def confirmed(peer: Any, call_id: int) -> Any:
    return lambda e: e["call_id"] == call_id and e["state"] == "CONFIRMED"


def media_active(call_id: int) -> Any:
    return lambda e: e["call_id"] == call_id and e["state"] == "active"


def connected_call(qtbot: Any, engine: Any, peer: Any, dial: str) -> tuple[Any, int]:
    since = peer.mark()
    call = engine.place_call(dial)
    qtbot.waitUntil(lambda: engine.call(call).state is CONNECTED, timeout=5000)
    peer_call = peer_call_id(qtbot, peer, since=since)
    wait_peer(qtbot, peer, "media_state", media_active(peer_call), since=since)
    return call, peer_call


def peer_call_with(peer: Any, user: str) -> Any:
    return lambda e: e["state"] == "CONFIRMED" and f"sip:{user}@" in e["remote_uri"]


def test_blind_transfer_connects_the_far_ends(
    engine_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    records = records_of(engine)
    a = answering_peer(peer_factory, "a", "1007")
    b = answering_peer(peer_factory, "b", "1008")
    call, _ = connected_call(qtbot, engine, a, "1007")

    engine.blind_transfer(call, "1008")
    qtbot.waitUntil(lambda: call not in engine.lines.calls, timeout=8000)
    assert records[-1].end_reason is EndReason.TRANSFERRED
    assert records[-1].transferred_to == f"sip:1008@{kamailio.domain}"

    a_new = wait_peer(qtbot, a, "call_state", peer_call_with(a, "1008"))
    b_call = wait_peer(qtbot, b, "call_state", peer_call_with(b, "1007"))
    wait_peer(qtbot, b, "media_state", media_active(b_call["call_id"]))
    wait_peer(qtbot, a, "media_state", media_active(a_new["call_id"]))
    # Audio flows between them.
    b.command("play_tone", call_id=b_call["call_id"], freq=1000)
    heard = tmp_path / "a_hears_b.wav"
    a.record(a_new["call_id"], heard, duration_ms=900)
    wait_peer(qtbot, a, "recorded", timeout=5)
    assert_tone(heard, 1000.0, tolerance_hz=5.0, min_dbfs=-30.0)


def test_attended_transfer_connects_the_far_ends(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    records = records_of(engine)
    a = answering_peer(peer_factory, "a", "1007")
    b = answering_peer(peer_factory, "b", "1008")
    original, _ = connected_call(qtbot, engine, a, "1007")

    consult = engine.start_consult(original, "1008")
    qtbot.waitUntil(lambda: engine.call(consult).state is CONNECTED, timeout=5000)
    assert engine.call(original).state is CallState.HELD
    b_consult = peer_call_id(qtbot, b)
    engine.complete_transfer(consult)

    qtbot.waitUntil(lambda: not engine.lines.calls, timeout=8000)
    assert {r.end_reason for r in records} == {EndReason.TRANSFERRED}
    wait_peer(qtbot, b, "replaced", lambda e: e["call_id"] == b_consult)
    wait_peer(qtbot, a, "call_state", peer_call_with(a, "1008"))
    wait_peer(qtbot, b, "call_state", peer_call_with(b, "1007"))


def test_three_way_conference_everyone_hears_the_others(
    engine_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    qtbot: Any,
    local_tone: Any,
    tmp_path: Path,
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    local_tone.plug(engine, 500.0)
    a = answering_peer(peer_factory, "a", "1007")
    b = answering_peer(peer_factory, "b", "1008")
    first, a_call = connected_call(qtbot, engine, a, "1007")
    second, b_call = connected_call(qtbot, engine, b, "1008")
    mark_a = a.mark()
    engine.conference(first, second)
    assert {engine.call(first).state, engine.call(second).state} == {CONNECTED}
    wait_peer(qtbot, a, "media_state", media_active(a_call), since=mark_a)

    a.command("play_tone", call_id=a_call, freq=700)
    b.command("play_tone", call_id=b_call, freq=1100)
    a_hears, b_hears = tmp_path / "a_hears.wav", tmp_path / "b_hears.wav"
    a.record(a_call, a_hears, duration_ms=1500)
    b.record(b_call, b_hears, duration_ms=1500)
    wait_peer(qtbot, a, "recorded", timeout=6)
    wait_peer(qtbot, b, "recorded", timeout=6)
    engine.hangup_all()
    local_tone.close()
    qtbot.waitUntil(lambda: wav_complete(local_tone.speaker_path), timeout=3000)

    assert_tones(a_hears, [500.0, 1100.0], [700.0])
    assert_tones(b_hears, [500.0, 700.0], [1100.0])
    assert_tones(local_tone.speaker_path, [700.0, 1100.0], [500.0])


def test_split_conference_holds_the_other_call(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    a = answering_peer(peer_factory, "a", "1007")
    b = answering_peer(peer_factory, "b", "1008")
    first, _ = connected_call(qtbot, engine, a, "1007")
    second, b_call = connected_call(qtbot, engine, b, "1008")
    engine.conference(first, second)
    mark_b = b.mark()
    engine.split_conference(first)
    assert engine.call(first).state is CONNECTED
    assert engine.call(second).state is CallState.HELD
    wait_peer(
        qtbot,
        b,
        "media_state",
        lambda e: e["call_id"] == b_call and e["state"] == "remote_hold",
        since=mark_b,
    )


def test_srtp_mandatory_call_and_488_against_plain_rtp(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", media={"srtp": "mandatory"})
    records = records_of(engine)
    secure = peer_factory("secure", account="1007", codecs=TEST_CODECS, srtp="mandatory")
    secure.command("auto_answer", code=200)
    call, secure_call = connected_call(qtbot, engine, secure, "1007")
    incoming = wait_peer(qtbot, secure, "incoming_call", lambda e: e["call_id"] == secure_call)
    assert "RTP/SAVP" in incoming["message"] and "a=crypto:" in incoming["message"]
    engine.hangup(call)

    plain = answering_peer(peer_factory, "plain", "1008")
    refused = engine.place_call("1008")
    qtbot.waitUntil(lambda: refused not in engine.lines.calls, timeout=5000)
    assert records[-1].sip_code == 488
    assert plain.alive


def test_stun_is_configured_and_used(
    engine_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    qtbot: Any,
    stun_server: Any,
) -> None:
    host, port = stun_server.address.split(":")

    def requests() -> int:
        return len(re.findall(r"Got a request", stun_server.process.log_text()))

    before = requests()
    engine = signed_in_engine(
        engine_factory,
        kamailio,
        qtbot,
        "1006",
        nat={"stun_server": host, "stun_port": int(port)},
    )
    assert engine.stun_servers == (stun_server.address,)
    far = answering_peer(peer_factory, "far", "1007")
    call, _ = connected_call(qtbot, engine, far, "1007")
    # The call's media transport asked the STUN server for its mapped address.
    qtbot.waitUntil(lambda: requests() > before, timeout=5000)
    engine.hangup(call)


def test_static_ip_account_calls_without_register_and_takes_calls_only_from_the_server(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = engine_factory()
    records = records_of(engine)
    profile = make_profile(
        kamailio,
        "1006",
        sections={
            "equipment": {"type": "static_ip", "workstation_ip": "127.0.0.1", "protocol": "udp"},
        },
    )
    engine.apply_profile(profile)
    engine.sign_in()
    assert engine.state.static_ip and engine.state.signed_in
    far = answering_peer(peer_factory, "far", "1007")
    call, _ = connected_call(qtbot, engine, far, "1007")
    engine.hangup(call)
    assert engine.register_attempts == 0
    assert engine.registration.state is RegistrationState.SIGNED_OUT

    local = engine.local_address("udp")
    target = f"sip:1006@{local.host}:{local.port}"
    # Through the SIP server: accepted (rings).
    caller = peer_factory("caller", account="1008", codecs=TEST_CODECS)
    via_server = caller.call(target)
    wait_peer(
        qtbot, caller, "call_state", lambda e: e["call_id"] == via_server and e["state"] == "EARLY"
    )
    (ringing,) = [c for c in engine.state.lines if c is not None]
    engine.answer(ringing.call_id)
    wait_peer(qtbot, caller, "call_state", confirmed(caller, via_server))
    caller.command("hangup", call_id=via_server)
    qtbot.waitUntil(lambda: not engine.lines.calls, timeout=5000)

    # Straight from another address: 403.
    intruder = peer_factory("intruder", codecs=TEST_CODECS)
    intruder.register(user="9999", password="x", domain="127.0.0.1", register=False)
    direct = intruder.call(target)
    end = wait_peer(
        qtbot,
        intruder,
        "call_state",
        lambda e: e["call_id"] == direct and e["state"] == "DISCONNECTED",
    )
    assert end["code"] == 403
    assert len(records) == 2


@pytest.mark.parametrize("rule", ["always", "no_answer"])
def test_forwarding_redirects_to_another_peer(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any, rule: str
) -> None:
    fields: dict[str, Any] = {"enabled": True, "target": "1008"}
    if rule == "no_answer":
        fields["after_seconds"] = 1
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", forwarding={rule: fields})
    records = records_of(engine)
    assert engine.state.forwarding is not None and "1008" in engine.state.forwarding
    target = peer_factory("target", account="1008", codecs=TEST_CODECS)
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    caller.command("follow_redirects", enabled=True)
    caller.call(kamailio.aor("1006"))
    rang = wait_peer(qtbot, target, "incoming_call", timeout=6)
    assert "sip:1007@" in rang["remote_uri"]
    assert records[-1].end_reason is EndReason.FORWARDED
    assert records[-1].forwarded_to == f"sip:1008@{kamailio.domain}"
    assert records[-1].sip_code == 302


def test_recording_holds_the_far_end_and_is_attached(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any, tmp_path: Path
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", recording={"enabled": True})
    records = records_of(engine)
    far = answering_peer(peer_factory, "far", "1007")
    call, far_call = connected_call(qtbot, engine, far, "1007")
    far.command("play_tone", call_id=far_call, freq=700)
    wait_recorded(qtbot, engine, call, 1.0)
    # The record is published only once the recording is a complete file: whoever gets it
    # (the outbox) may upload the file at once.
    finished: list[bool] = []
    engine.on_call_finished = lambda r: finished.append(
        r.recording_path is not None and wav_complete(Path(r.recording_path))
    )
    engine.hangup(call)
    qtbot.waitUntil(lambda: bool(records), timeout=5000)
    assert finished == [True]
    (record,) = records
    assert record.recording_path is not None
    path = Path(record.recording_path)
    assert path.parent == tmp_path / "recordings"
    assert_tone(path, 700.0, tolerance_hz=5.0, min_dbfs=-35.0)


def test_profile_change_during_a_call_reregisters_after_it(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    far = answering_peer(peer_factory, "far", "1007")
    call, _ = connected_call(qtbot, engine, far, "1007")
    changed = make_profile(
        kamailio, "1006", sections={"registration": {"expiry_seconds": 45, "refresh_seconds": 20}}
    )
    attempts = engine.register_attempts
    engine.apply_profile(changed)
    assert engine.state.profile_pending
    wait_none(qtbot, lambda: engine.register_attempts != attempts, within_ms=300)
    assert engine.register_attempts == attempts
    assert engine.registration.current.expiry == 60

    engine.hangup(call)
    qtbot.waitUntil(
        lambda: (
            engine.registration.current is not None and engine.registration.current.expiry == 45
        ),
        timeout=5000,
    )
    assert not engine.state.profile_pending


def test_far_end_transfers_the_agent_and_the_client_follows(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    """A REFER from the far end is accepted: the agent's client calls the transfer target on
    a free line, the agent sees it (lines snapshot and a notice), and the old call ends when
    the transferor hangs up."""
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    records = records_of(engine)
    a = answering_peer(peer_factory, "a", "1007")
    b = answering_peer(peer_factory, "b", "1008")
    original, a_call = connected_call(qtbot, engine, a, "1007")

    a.command("xfer", call_id=a_call, uri=kamailio.aor("1008"))
    wait_peer(qtbot, a, "transfer_status", lambda e: e["final"] and e["code"] == 200)
    b_call = wait_peer(qtbot, b, "call_state", peer_call_with(b, "1006"))

    def new_line() -> Any:
        return next(
            (c for c in engine.state.lines if c is not None and c.call_id != original), None
        )

    qtbot.waitUntil(lambda: new_line() is not None and new_line().state is CONNECTED, timeout=5000)
    assert "1008" in new_line().remote.uri
    assert any("transferred the call to" in n and "1008" in n for n in engine.state.notices)
    wait_peer(qtbot, b, "media_state", media_active(b_call["call_id"]))

    a.command("hangup", call_id=a_call)
    qtbot.waitUntil(lambda: original not in engine.lines.calls, timeout=5000)
    assert [r.call_id for r in records] == [original]
    assert new_line() is not None


def test_far_end_transfers_a_one_line_agent_onto_the_same_line(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    """max_lines = 1: the REFER is accepted (no 603), the call to the target takes over line
    1 once the transferring call is gone, and that call produces its record."""
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", agent={"max_lines": 1})
    assert engine.lines.max_lines == 1
    records = records_of(engine)
    a = answering_peer(peer_factory, "a", "1007")
    b = answering_peer(peer_factory, "b", "1008")
    original, a_call = connected_call(qtbot, engine, a, "1007")

    a.command("xfer", call_id=a_call, uri=kamailio.aor("1008"))
    final = wait_peer(qtbot, a, "transfer_status", lambda e: e["final"])
    assert final["code"] == 200
    b_call = wait_peer(qtbot, b, "call_state", peer_call_with(b, "1006"))
    # Until A hangs up, line 1 still shows the call with A.
    (shown,) = engine.state.lines
    assert shown is not None and shown.call_id == original

    a.command("hangup", call_id=a_call)  # what a transferor does after NOTIFY 200

    def on_line_1() -> Any:
        (call,) = engine.state.lines
        return call

    qtbot.waitUntil(
        lambda: (
            on_line_1() is not None
            and on_line_1().call_id != original
            and on_line_1().state is CONNECTED
        ),
        timeout=5000,
    )
    new = on_line_1()
    assert new.line == 1 and "sip:1008@" in new.remote.uri
    assert [(r.call_id, r.end_reason, r.line) for r in records] == [
        (original, EndReason.TRANSFERRED, 1)
    ]
    assert records[0].transferred_to is not None and "1008" in records[0].transferred_to
    assert not any("declined" in n for n in engine.state.notices)
    assert engine.failures == []
    wait_peer(qtbot, b, "media_state", media_active(b_call["call_id"]))

    engine.hangup(new.call_id)
    wait_peer(
        qtbot,
        b,
        "call_state",
        lambda e: e["call_id"] == b_call["call_id"] and e["state"] == "DISCONNECTED",
    )
    assert [r.end_reason for r in records] == [EndReason.TRANSFERRED, EndReason.LOCAL_HANGUP]


def test_ip_address_change_reregisters_and_keeps_the_call(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    far = answering_peer(peer_factory, "far", "1007")
    call, far_call = connected_call(qtbot, engine, far, "1007")
    attempts = engine.register_attempts
    mark = far.mark()

    engine.handle_ip_change()
    qtbot.waitUntil(lambda: engine.register_attempts > attempts, timeout=5000)
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.REGISTERED, timeout=5000)
    current = engine.registration.current
    assert current is not None and current.contact_host == "127.0.0.1"
    assert engine.registration.message is None
    # The call survives: still connected here, and the far end still has it.
    assert engine.call(call).state is CONNECTED
    far.command("ping")
    assert not [
        e
        for e in far.events("call_state", lambda e: e["call_id"] == far_call)
        if e["_i"] >= mark and e["state"] == "DISCONNECTED"
    ]
    engine.hangup(call)
    wait_peer(
        qtbot,
        far,
        "call_state",
        lambda e: e["call_id"] == far_call and e["state"] == "DISCONNECTED",
        since=mark,
    )

    # The registrar has the refreshed contact: a new call reaches the agent.
    qtbot.waitUntil(lambda: not engine.lines.calls, timeout=5000)
    assert current.contact_port == engine.local_address("udp").port
    caller = peer_factory("caller", account="1008", codecs=TEST_CODECS)
    caller.send("call", uri=kamailio.aor("1006"))
    qtbot.waitUntil(
        lambda: any(c is not None and c.state is CallState.RINGING_IN for c in engine.state.lines),
        timeout=5000,
    )


WEDNESDAY_10 = dt.datetime(2026, 11, 25, 10, 0)
WEDNESDAY_18 = dt.datetime(2026, 11, 25, 18, 0)
OFFICE_HOURS = {
    "enabled": True,
    "target": "1008",
    "start": "09:00",
    "end": "17:00",
    "days": ["wed"],
}


def _incoming_goes_to_target(
    qtbot: Any, kamailio: KamailioServer, caller: Any, target: Any
) -> dict[str, Any]:
    caller.call(kamailio.aor("1006"))
    return wait_peer(qtbot, target, "incoming_call", timeout=6)


@pytest.mark.parametrize(("now", "covered"), [(WEDNESDAY_10, True), (WEDNESDAY_18, False)])
def test_schedule_forwarding_follows_the_local_clock(
    engine_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    qtbot: Any,
    now: dt.datetime,
    covered: bool,
) -> None:
    engine = engine_factory(local_now=lambda: now)
    engine.apply_profile(
        make_profile(kamailio, "1006", sections={"forwarding": {"schedule": OFFICE_HOURS}})
    )
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.REGISTERED, timeout=5000)
    records = records_of(engine)
    forwarding = engine.state.forwarding
    assert forwarding is not None and "1008" in forwarding
    assert ("(now)" in forwarding) is covered
    target = peer_factory("target", account="1008", codecs=TEST_CODECS)
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    caller.command("follow_redirects", enabled=True)
    if covered:
        rang = _incoming_goes_to_target(qtbot, kamailio, caller, target)
        assert "sip:1007@" in rang["remote_uri"]
        assert records[-1].end_reason is EndReason.FORWARDED
        assert records[-1].forwarded_to == f"sip:1008@{kamailio.domain}"
    else:
        caller.send("call", uri=kamailio.aor("1006"))
        qtbot.waitUntil(
            lambda: any(
                c is not None and c.state is CallState.RINGING_IN for c in engine.state.lines
            ),
            timeout=5000,
        )
        assert not target.events("incoming_call")
        assert records == []


def test_agent_set_forwarding_overrides_the_profile_and_can_be_cleared(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    from communicator.provisioning.schema import ForwardingSettings

    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    records = records_of(engine)
    assert engine.state.forwarding is None
    target = peer_factory("target", account="1008", codecs=TEST_CODECS)
    caller = peer_factory("caller", account="1007", codecs=TEST_CODECS)
    caller.command("follow_redirects", enabled=True)

    engine.set_forwarding(
        ForwardingSettings.model_validate({"always": {"enabled": True, "target": "1008"}})
    )
    assert engine.state.forwarding == "All calls are forwarded to 1008"
    _incoming_goes_to_target(qtbot, kamailio, caller, target)
    assert records[-1].end_reason is EndReason.FORWARDED

    engine.set_forwarding(None)  # back to the profile's rules: none
    assert engine.state.forwarding is None
    caller.send("call", uri=kamailio.aor("1006"))
    qtbot.waitUntil(
        lambda: any(c is not None and c.state is CallState.RINGING_IN for c in engine.state.lines),
        timeout=5000,
    )
    assert len(target.events("incoming_call")) == 1
