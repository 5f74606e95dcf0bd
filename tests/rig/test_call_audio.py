"""A call between two pjsua2 peers through Kamailio carries audio both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rig.audio_check import assert_tone
from tests.rig.fixtures import PeerFactory
from tests.rig.kamailio import KamailioServer

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


@pytest.mark.parametrize("transport", ["udp", "tls"])
def test_tones_cross_a_call_both_ways(
    kamailio: KamailioServer, peer_factory: PeerFactory, tmp_path: Path, transport: str
) -> None:
    user_a, user_b = ("1005", "1006") if transport == "udp" else ("1007", "1008")
    a = peer_factory("a", account=user_a, transport=transport, codecs=["PCMU", "PCMA"])
    b = peer_factory("b", account=user_b, transport=transport, codecs=["PCMU", "PCMA"])
    b.command("auto_answer", code=200)

    call_a = a.call(kamailio.aor(user_b))
    a.wait_call_state(call_a, "CONFIRMED")
    media_a = a.wait_media_active(call_a)
    call_b = b.wait_incoming()["call_id"]
    b.wait_call_state(call_b, "CONFIRMED")
    media_b = b.wait_media_active(call_b)
    assert media_a["codec"] == media_b["codec"] == "PCMU/8000"

    a.command("play_tone", call_id=call_a, freq=440)
    b.command("play_tone", call_id=call_b, freq=1000)
    heard_by_a, heard_by_b = tmp_path / "heard_by_a.wav", tmp_path / "heard_by_b.wav"
    a.record(call_a, heard_by_a, duration_ms=1200)
    b.record(call_b, heard_by_b, duration_ms=1200)
    a.wait_recorded(heard_by_a)
    b.wait_recorded(heard_by_b)

    # Each side hears the other's tone, well above silence (the generator is at about -11 dBFS).
    assert_tone(heard_by_b, 440.0, tolerance_hz=3.0, min_dbfs=-25.0, skip_ms=200)
    assert_tone(heard_by_a, 1000.0, tolerance_hz=3.0, min_dbfs=-25.0, skip_ms=200)

    m = b.mark()
    a.command("hangup", call_id=call_a)
    assert a.wait_call_state(call_a, "DISCONNECTED")["code"] == 200
    b.wait_call_state(call_b, "DISCONNECTED", since=m)
