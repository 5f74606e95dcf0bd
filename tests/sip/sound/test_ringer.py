"""The ringer falls back to the default output device (real PulseAudio, issue 6).

The ringer device is missing at ring time, cannot be opened, or vanishes while ringing: the
ringtone (880 + 1320 Hz bursts, a 3 s cycle) is heard on the default sink (``main_sink``,
recorded from its monitor) and an `AudioNotice` tells the agent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from communicator.sip.audio import AudioNotice, DeviceManager, Ringer
from tests.sip.sound.helpers import assert_mix, wait_recording
from tests.sip.sound.pulse import PulseServer

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]

RINGTONE_HZ = [880.0, 1320.0]
CYCLE_S = 3.5
"""A recording this long holds at least one whole burst of the 3 s ringtone cycle."""


def heard_on(pulse: PulseServer, sink: str, qtbot: Any, path: Path) -> Path:
    recording = pulse.record_monitor(sink, CYCLE_S, path)
    wait_recording(qtbot, recording, CYCLE_S)
    return recording.path


@pytest.fixture
def devices(pulse: PulseServer) -> DeviceManager:
    devices = DeviceManager()
    devices.refresh(force=True)
    return devices


@pytest.mark.parametrize(
    "choice",
    [
        pytest.param("USB Headset", id="not-listed"),
        pytest.param("comm_spare", id="listed-but-sink-absent"),
    ],
)
def test_missing_ringer_device_rings_on_default(
    devices: DeviceManager, pulse: PulseServer, qtbot: Any, tmp_path: Path, choice: str
) -> None:
    assert "spare_sink" not in pulse.sinks()
    ringer = Ringer(devices, choice)
    told: list[AudioNotice] = []
    ringer.subscribe(told.append)
    try:
        assert ringer.start_ringing()
        default = devices.default("output")
        assert default is not None and ringer.device_in_use == default.name
        assert [n.kind for n in told] == ["device_missing"]
        assert choice in told[0].text and default.name in told[0].text
        assert ringer.notices == tuple(told)
        assert_mix(heard_on(pulse, "main_sink", qtbot, tmp_path / "main.wav"), RINGTONE_HZ)
    finally:
        ringer.stop_ringing()
    assert not ringer.ringing


def test_ringer_device_unplugged_while_ringing_moves_to_default(
    devices: DeviceManager, pulse: PulseServer, qtbot: Any, tmp_path: Path
) -> None:
    modules = pulse.load_sink("spare_sink")
    ringer = Ringer(devices, "comm_spare")
    told: list[AudioNotice] = []
    ringer.subscribe(told.append)
    try:
        assert ringer.start_ringing()
        assert ringer.device_in_use == "comm_spare" and told == []
        assert_mix(heard_on(pulse, "spare_sink", qtbot, tmp_path / "spare.wav"), RINGTONE_HZ)

        # Unplugged. PulseAudio would move the stream to its default sink by itself; killing
        # it too makes it fail as on a backend whose device vanished, so the ringer's own
        # fallback is what keeps it ringing.
        pulse.unload(*modules)
        modules = []
        assert pulse.kill_playback_of(os.getpid()) >= 1

        def moved() -> bool:
            ringer.poll()
            return ringer.device_in_use not in (None, "comm_spare")

        qtbot.waitUntil(moved, timeout=5000)
        assert ringer.ringing
        default = devices.default("output")
        assert default is not None and ringer.device_in_use == default.name
        assert [n.kind for n in told] == ["device_lost"]
        assert "comm_spare" in told[0].text and default.name in told[0].text
        assert_mix(heard_on(pulse, "main_sink", qtbot, tmp_path / "main.wav"), RINGTONE_HZ)
        ringer.poll()  # still ringing on the default: nothing more to say
        assert len(ringer.notices) == 1
    finally:
        ringer.stop_ringing()
        if modules:
            pulse.unload(*modules)
