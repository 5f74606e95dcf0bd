"""What the settings dialog does to the bridge: choose the devices, set the volumes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sip.sound.pulse import PulseServer

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


def flowing(qtbot: Any, bridge: Any, blocks: int = 5) -> None:
    """Wait until the open streams deliver ``blocks`` more callbacks."""
    start = bridge.stats().device_callbacks
    qtbot.waitUntil(lambda: bridge.stats().device_callbacks > start + blocks, timeout=5000)


def test_choosing_devices_moves_the_open_streams(
    bridge_factory: Any, pulse: PulseServer, qtbot: Any
) -> None:
    modules = pulse.load_sink("spare_sink")
    try:
        bridge = bridge_factory()
        bridge.keep_open(True)
        flowing(qtbot, bridge)
        default_speaker = bridge.speaker_in_use
        assert default_speaker is not None and default_speaker.name != "comm_spare"

        bridge.set_devices(microphone=None, speaker="comm_spare")
        assert bridge.streams_open
        assert bridge.speaker_in_use is not None and bridge.speaker_in_use.name == "comm_spare"
        flowing(qtbot, bridge)
        assert not bridge.notices

        # A device that is not there: the default is used, and the agent is told.
        bridge.set_devices(microphone=None, speaker="comm_gone")
        assert bridge.speaker_in_use == default_speaker
        assert [n.text for n in bridge.notices] == [
            "The speaker comm_gone is not connected; using the default speaker."
        ]
        flowing(qtbot, bridge)
        assert bridge.failures == []
        bridge.keep_open(False)
    finally:
        pulse.unload(*modules)


def test_microphone_volume_scales_the_microphone(bridge_factory: Any, qtbot: Any) -> None:
    bridge = bridge_factory()
    bridge.set_mic_volume(9.0)
    assert bridge.mic_volume == 4.0
    bridge.set_speaker_volume(-1.0)
    assert bridge.speaker_volume == 0.0
    bridge.set_speaker_volume(1.0)
    bridge.keep_open(True)
    # The rig's microphone plays a sine; the input meter reads it after the volume.
    bridge.set_mic_volume(1.0)
    qtbot.waitUntil(lambda: bridge.input_level().rms_dbfs > -40.0, timeout=5000)
    bridge.set_mic_volume(0.0)
    assert bridge.mic_volume == 0.0
    qtbot.waitUntil(lambda: bridge.input_level().rms_dbfs < -100.0, timeout=5000)
    bridge.set_mic_volume(1.0)
    qtbot.waitUntil(lambda: bridge.input_level().rms_dbfs > -40.0, timeout=5000)
    assert bridge.failures == []
    bridge.keep_open(False)
