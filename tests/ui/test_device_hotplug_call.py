"""A headset plugged in during a call is taken at once, and pulled out gives way to the next
preference, the call going on: on the private PulseAudio server, the headset is a null sink
(its speaker) and a second null sink with its own sine (its microphone) plus the ALSA device
naming both, as plugging one in adds a device. Nothing nudges the housekeeping: PulseAudio's
own device events (`PulseDeviceWatch`) start the re-read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from communicator.core.calls import CallState
from communicator.provisioning.credentials import CredentialStore
from communicator.ui.audio import AgentAudio
from communicator.ui.audio_extras import AudioExtras
from communicator.ui.audio_watch import is_device_event
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.ui.session import SessionModel
from communicator.workstation import Workstation
from tests.credentials.memory_backend import MemoryKeyring
from tests.rig.deployment import Deployment
from tests.sip.helpers import wait_peer
from tests.sip.sound.helpers import assert_mix, record_both, wait_mic_flowing
from tests.sip.sound.pulse import PulseServer
from tests.ui.helpers import AGENT_URI, sign_in, state_of

pytestmark = [pytest.mark.rig, pytest.mark.timeout(120)]

DEFAULT_MIC_HZ = 440.0  # the rig's default microphone (mic_sink.monitor)
HEADSET_MIC_HZ = 660.0
FAR_HZ = 1000.0
HEADSET_PCM = (
    "pcm.Headset_Pro { type asym; "
    'playback.pcm { type pulse; device "headset_sink" } '
    'capture.pcm { type pulse; device "headset_mic.monitor" } '
    'hint { show on; description "Headset Pro" } }\n'
)


class HotplugDesk:
    """The model, the agent's audio and the preference list ("Headset*", then the default)."""

    def __init__(self, engine_factory: Any, data_dir: Path) -> None:
        self.engine = engine_factory()
        self.workstation = Workstation(
            engine=self.engine,
            data_dir=data_dir,
            post_to_main=MainThreadDispatcher().post,
            credentials=CredentialStore(MemoryKeyring()),
        )
        self.audio = AgentAudio(self.engine)
        self.model = SessionModel(self.workstation, audio=self.audio)
        self.extras = AudioExtras(
            self.model, self.audio, self.engine, preferences=("Headset*", "default")
        )

    def close(self) -> None:
        self.extras.close()
        self.model.close()
        self.workstation.sign_out(deliver_for=0)
        self.workstation.close()
        self.audio.close()


@pytest.fixture
def hotplug_desk(
    pulse: PulseServer, engine_factory: Any, tmp_path: Path, qapp: Any
) -> Iterator[HotplugDesk]:
    desk = HotplugDesk(engine_factory, tmp_path / "client")
    try:
        yield desk
    finally:
        desk.close()


def in_use(bridge: Any) -> tuple[str | None, str | None]:
    mic, spk = bridge.microphone_in_use, bridge.speaker_in_use
    return (mic.name if mic else None, spk.name if spk else None)


def test_pactl_device_lines_are_told_from_stream_lines() -> None:
    assert is_device_event("Event 'new' on sink #12")
    assert is_device_event("Event 'remove' on source #3\n")
    assert not is_device_event("Event 'new' on sink-input #4")
    assert not is_device_event("Event 'remove' on source-output #4")
    assert not is_device_event("Event 'change' on sink #12")
    assert not is_device_event("Event 'new' on client #55")


def test_a_headset_plugged_in_mid_call_is_taken_and_its_removal_falls_back(
    hotplug_desk: HotplugDesk,
    pulse: PulseServer,
    deployment: Deployment,
    peer_factory: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    desk = hotplug_desk
    model, bridge = desk.model, desk.audio.bridge
    original = pulse.asoundrc.read_text()
    modules: list[int] = []
    try:
        sign_in(model, deployment, qtbot)
        far = peer_factory("far2002", account="2002", server=deployment.kamailio, codecs=["PCMU"])
        with qtbot.waitSignal(model.incoming_call, timeout=5000) as ringing:
            far_call = far.call(AGENT_URI)
        view = ringing.args[0]
        model.answer(view.call_id)
        qtbot.waitUntil(lambda: state_of(model, view.call_id) is CallState.CONNECTED)
        wait_peer(qtbot, far, "media_state", lambda e: e["state"] == "active", timeout=5)
        qtbot.waitUntil(lambda: in_use(bridge) == ("default", "default"), timeout=5000)
        far.command("play_tone", call_id=far_call, freq=FAR_HZ)

        # Plugged in mid-call: its microphone (a sink playing its own sine, heard through the
        # monitor), its ALSA device, then its speaker.
        # (A loopback keeps each null sink awake, as the rig's own: idle, one renders 2 s at a
        # time and its monitor delivers the microphone in bursts.)
        modules = pulse.load_sink("headset_mic")
        sine = pulse.pactl(
            "load-module", "module-sine", "sink=headset_mic", f"frequency={HEADSET_MIC_HZ:g}"
        )
        modules = [int(sine), *modules]
        pulse.asoundrc.write_text(original + HEADSET_PCM)
        modules = pulse.load_sink("headset_sink") + modules
        qtbot.waitUntil(lambda: in_use(bridge) == ("Headset_Pro", "Headset_Pro"), timeout=15000)
        assert model.state.audio.speaker == "Headset_Pro"  # the preference chose it
        assert state_of(model, view.call_id) is CallState.CONNECTED
        # A capture stream on a just-loaded null sink's monitor may deliver nothing for a
        # second or more (seen: 1.4 s of silence at the far end): wait for the microphone.
        wait_mic_flowing(qtbot, bridge)
        far_hears, agent_hears = record_both(
            qtbot, pulse, far, far_call, tmp_path, sink="headset_sink", tag="-headset"
        )
        assert_mix(agent_hears, [FAR_HZ])
        assert_mix(far_hears, [HEADSET_MIC_HZ], [DEFAULT_MIC_HZ])

        # Pulled out mid-call: back on the next preference (the system default).
        pulse.asoundrc.write_text(original)
        pulse.unload(*modules)
        modules = []
        qtbot.waitUntil(lambda: in_use(bridge) == ("default", "default"), timeout=15000)
        assert model.state.audio.speaker is None
        assert state_of(model, view.call_id) is CallState.CONNECTED
        wait_mic_flowing(qtbot, bridge)
        far_hears, agent_hears = record_both(
            qtbot, pulse, far, far_call, tmp_path, sink="main_sink", tag="-default"
        )
        assert_mix(agent_hears, [FAR_HZ])
        assert_mix(far_hears, [DEFAULT_MIC_HZ], [HEADSET_MIC_HZ])
        assert state_of(model, view.call_id) is CallState.CONNECTED
        assert bridge.failures == []
        model.hangup(view.call_id)
        qtbot.waitUntil(lambda: state_of(model, view.call_id) is None, timeout=5000)
    finally:
        pulse.asoundrc.write_text(original)
        if modules:
            pulse.unload(*modules)
