"""Real audio through the bridge: PulseAudio devices <-> AudioMediaPort <-> a far-end peer.

The agent's "microphone" is PulseAudio's sine source (440 Hz), the "speaker" the default null
sink, recorded from its monitor. Codecs are PCMU/PCMA (speex distorts pure tones).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from communicator.core.calls import CallState
from tests.rig.audio_check import analyse, assert_tone
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, wait_peer
from tests.sip.sound.helpers import connected_call, record_both, wait_mic_flowing
from tests.sip.sound.pulse import PulseServer
from tests.sip.test_calls import signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

MIC_HZ = 440.0
FAR_HZ = 1000.0
DRAIN_MS = 800.0
"""What is already in flight when a recording starts (jitter buffers, rings) is skipped."""


def silent(path: Path) -> bool:
    result = analyse(path, skip_ms=DRAIN_MS)
    assert result.dbfs < -60.0, result.describe()
    return True


def test_two_way_audio_mute_and_hold(
    sip_endpoint: Any,
    engine_factory: Any,
    bridge_factory: Any,
    kamailio_factory: Any,
    peer_factory: Any,
    pulse: PulseServer,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    bridge = bridge_factory()
    assert bridge.microphone_in_use is not None and bridge.speaker_in_use is not None
    kamailio: KamailioServer = kamailio_factory()  # its own registrar: no earlier bindings
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    bridge.attach(engine)
    # Attached but no call: the conference bridge's clock (null device) stays stopped, so a
    # signed-in client with its sound card plugged in idles as cheaply as a headless one.
    assert not sip_endpoint.sound_clock_running
    far = peer_factory("far", account="1007", server=kamailio, codecs=TEST_CODECS)
    far.command("auto_answer", code=200)
    call, far_call = connected_call(qtbot, engine, far, "1007")
    far.command("play_tone", call_id=far_call, freq=FAR_HZ)
    wait_mic_flowing(qtbot, bridge)

    # Both ways: the far end hears the sine microphone, the null sink gets the far end's tone.
    far_hears, agent_hears = record_both(qtbot, pulse, far, far_call, tmp_path, tag="-talk")
    assert_tone(far_hears, MIC_HZ, tolerance_hz=5.0, min_dbfs=-30.0, skip_ms=300)
    assert_tone(agent_hears, FAR_HZ, tolerance_hz=5.0, min_dbfs=-30.0, skip_ms=300)
    assert bridge.input_level().rms_dbfs > -40.0
    assert bridge.output_level().rms_dbfs > -40.0
    assert bridge.failures == []

    # Mute at the bridge: the far end hears silence; the agent still hears the far end.
    bridge.set_muted(True)
    assert bridge.muted
    far_hears, agent_hears = record_both(qtbot, pulse, far, far_call, tmp_path, tag="-muted")
    assert silent(far_hears)
    assert_tone(agent_hears, FAR_HZ, tolerance_hz=5.0, min_dbfs=-30.0, skip_ms=300)
    bridge.set_muted(False)

    # Hold: no audio either way.
    mark = far.mark()
    engine.hold(call)
    qtbot.waitUntil(lambda: engine.call(call).state is CallState.HELD, timeout=5000)
    wait_peer(
        qtbot,
        far,
        "media_state",
        lambda e: e["call_id"] == far_call and e["state"] == "remote_hold",
        since=mark,
    )
    far_hears, agent_hears = record_both(qtbot, pulse, far, far_call, tmp_path, tag="-held")
    assert silent(far_hears)
    assert silent(agent_hears)

    # Resume: both ways again.
    mark = far.mark()
    engine.resume(call)
    wait_peer(
        qtbot,
        far,
        "media_state",
        lambda e: e["call_id"] == far_call and e["state"] == "active",
        since=mark,
    )
    wait_mic_flowing(qtbot, bridge)
    far_hears, agent_hears = record_both(qtbot, pulse, far, far_call, tmp_path, tag="-resumed")
    assert_tone(far_hears, MIC_HZ, tolerance_hz=5.0, min_dbfs=-30.0, skip_ms=300)
    assert_tone(agent_hears, FAR_HZ, tolerance_hz=5.0, min_dbfs=-30.0, skip_ms=300)
    assert sip_endpoint.sound_clock_running
    engine.hangup(call)
    stats = bridge.stats()
    assert stats.frames_requested > 0 and stats.frames_received > 0
    qtbot.waitUntil(lambda: not sip_endpoint.sound_clock_running, timeout=5000)
