"""The demo's far ends on the rig: the echo extension greets and then returns the caller's
audio; the demo caller rings again and again and gives up when nobody answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from communicator.demo.far_ends import write_greeting
from tests.rig.audio_check import assert_tone
from tests.rig.fixtures import PeerFactory
from tests.rig.kamailio import KamailioServer

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


def test_the_echo_extension_greets_then_sends_the_callers_audio_back(
    kamailio: KamailioServer, peer_factory: PeerFactory, tmp_path: Path
) -> None:
    greeting = write_greeting(tmp_path / "greeting.wav")
    echo = peer_factory("echo", account="1001", codecs=["PCMU"])
    caller = peer_factory("caller", account="1002", codecs=["PCMU"])
    echo.command("auto_answer", code=200)
    assert echo.command("echo", greeting=str(greeting))["greeting_s"] > 0.5

    call = caller.call(kamailio.aor("1001"))
    caller.wait_media_active(call)
    caller.command("play_tone", call_id=call, freq=700)
    echo_call = echo.wait_for("greeting", timeout=5)["call_id"]
    echo.wait_for("echoing", lambda e: e["call_id"] == echo_call, timeout=5)
    heard = tmp_path / "heard.wav"
    caller.record(call, heard, duration_ms=1200)
    caller.wait_recorded(heard)

    assert_tone(heard, 700.0, tolerance_hz=3.0, min_dbfs=-30.0, skip_ms=300)
    caller.command("hangup", call_id=call)
    echo.wait_call_state(echo_call, "DISCONNECTED")


def test_the_demo_caller_rings_again_and_gives_up_when_nobody_answers(
    kamailio: KamailioServer, peer_factory: PeerFactory
) -> None:
    agent = peer_factory("agent", account="1003")
    caller = peer_factory("demo-caller", account="1004")
    caller.command(
        "ring_every", uri=kamailio.aor("1003"), interval_s=0.5, give_up_s=2, first_in_s=0
    )

    first = agent.wait_incoming(timeout=5)
    gave_up = caller.wait_for("gave_up", timeout=5)
    agent.wait_call_state(first["call_id"], "DISCONNECTED")
    caller.wait_for("ringing_out", lambda e: e["_i"] > gave_up["_i"], timeout=5)
    caller.command("ring_every", enabled=False)  # the second call is never given up now
    second = agent.wait_incoming(since=first["_i"] + 1, timeout=5)
    agent.command("answer", call_id=second["call_id"], code=200)
    agent.wait_call_state(second["call_id"], "CONFIRMED")
