"""Conference mixing, the ringer on its own sink, tones, device loss and no device at all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from communicator.core.calls import CallState
from communicator.sip.audio import CallTones, Ringer
from tests.rig.audio_check import analyse, assert_tone
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import wait_peer
from tests.sip.sound.helpers import (
    NoDevices,
    assert_mix,
    connected_call,
    record_both,
    wait_recording,
)
from tests.sip.sound.pulse import PulseServer
from tests.sip.test_calls import answering_peer, signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

MIC_HZ = 440.0


def test_conference_mixes_both_calls(
    engine_factory: Any,
    bridge_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    pulse: PulseServer,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    bridge = bridge_factory()
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    bridge.attach(engine)
    a = answering_peer(peer_factory, "a", "1007")
    b = answering_peer(peer_factory, "b", "1008")
    first, a_call = connected_call(qtbot, engine, a, "1007")
    second, b_call = connected_call(qtbot, engine, b, "1008")
    mark = a.mark()
    engine.conference(first, second)
    wait_peer(
        qtbot,
        a,
        "media_state",
        lambda e: e["call_id"] == a_call and e["state"] == "active",
        since=mark,
    )
    a.command("play_tone", call_id=a_call, freq=700)
    b.command("play_tone", call_id=b_call, freq=1100)
    a_hears, agent_hears = record_both(qtbot, pulse, a, a_call, tmp_path, seconds=2.0, tag="-a")
    b_hears = tmp_path / "b_hears.wav"
    since = b.mark()
    b.record(b_call, b_hears, duration_ms=1500)
    wait_peer(qtbot, b, "recorded", since=since, timeout=6)

    assert_mix(agent_hears, [700.0, 1100.0], [MIC_HZ])
    assert_mix(a_hears, [MIC_HZ, 1100.0], [700.0])
    assert_mix(b_hears, [MIC_HZ, 700.0], [1100.0])
    engine.hangup_all()


def test_ringer_ringback_and_call_waiting(
    engine_factory: Any,
    bridge_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    pulse: PulseServer,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    bridge = bridge_factory(speaker="comm_speaker")
    assert bridge.speaker_in_use is not None and bridge.speaker_in_use.name == "comm_speaker"
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    bridge.attach(engine)
    ringer = Ringer(bridge.devices, "comm_ringer")
    tones = CallTones(engine, bridge, ringer)
    try:
        # An incoming call rings on the ringer sink, not on the speaker.
        caller = peer_factory("caller", account="1007", codecs=["PCMU", "PCMA"])
        caller.call(kamailio.aor("1006"))
        qtbot.waitUntil(lambda: ringer.ringing, timeout=5000)
        assert ringer.device_in_use == "comm_ringer"
        ring_rec = pulse.record_monitor("ringer_sink", 2.0, tmp_path / "ringer.wav")
        spk_rec = pulse.record_monitor("speaker_sink", 2.0, tmp_path / "speaker.wav")
        wait_recording(qtbot, ring_rec, 2.0)
        wait_recording(qtbot, spk_rec, 2.0)
        assert_mix(ring_rec.path, [880.0, 1320.0])
        assert analyse(spk_rec.path, skip_ms=300).dbfs < -60.0

        # Answered: the ringer stops.
        (incoming,) = [c for c in engine.state.lines if c is not None]
        engine.answer(incoming.call_id)
        qtbot.waitUntil(lambda: engine.call(incoming.call_id).state is CallState.CONNECTED)
        qtbot.waitUntil(lambda: not ringer.ringing, timeout=3000)

        # A second caller during the call: one call-waiting beep on the speaker, no ringer.
        spk_rec = pulse.record_monitor("speaker_sink", 1.5, tmp_path / "waiting.wav")
        other = peer_factory("other", account="1008", codecs=["PCMU", "PCMA"])
        other.call(kamailio.aor("1006"))
        wait_recording(qtbot, spk_rec, 1.5)
        assert not ringer.ringing
        assert_tone(spk_rec.path, 440.0, tolerance_hz=5.0, min_dbfs=-35.0, skip_ms=0)
        engine.hangup_all()
        qtbot.waitUntil(lambda: not any(engine.state.lines), timeout=5000)

        # Ring-back on the speaker while an outgoing call rings at the far end.
        ringing_peer = peer_factory("ringing", account="1009", codecs=["PCMU", "PCMA"])
        ringing_peer.command("auto_answer", enabled=False, ring=True)
        call = engine.place_call("1009")
        qtbot.waitUntil(lambda: engine.call(call).state is CallState.RINGING_OUT, timeout=5000)
        spk_rec = pulse.record_monitor("speaker_sink", 1.5, tmp_path / "ringback.wav")
        wait_recording(qtbot, spk_rec, 1.5)
        assert_tone(spk_rec.path, 425.0, tolerance_hz=5.0, min_dbfs=-35.0, skip_ms=0)
        engine.hangup(call)
        qtbot.waitUntil(lambda: not any(engine.state.lines), timeout=5000)

        # DTMF feedback on the speaker.
        spk_rec = pulse.record_monitor("speaker_sink", 1.0, tmp_path / "dtmf.wav")
        qtbot.waitUntil(spk_rec.started.is_set, timeout=3000)
        bridge.dtmf_feedback("5")
        wait_recording(qtbot, spk_rec, 1.0)
        assert_mix(spk_rec.path, [770.0, 1336.0], skip_ms=0)
    finally:
        tones.close()


def test_speaker_unplugged_mid_call_falls_back_to_default(
    engine_factory: Any,
    bridge_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    pulse: PulseServer,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    modules = pulse.load_sink("spare_sink")
    bridge = bridge_factory(speaker="comm_spare")
    assert bridge.speaker_in_use is not None and bridge.speaker_in_use.name == "comm_spare"
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    bridge.attach(engine)
    far = answering_peer(peer_factory, "far", "1007")
    call, far_call = connected_call(qtbot, engine, far, "1007")
    far.command("play_tone", call_id=far_call, freq=1000)

    # The headset is pulled out. PulseAudio moves our stream to its default sink by itself;
    # killing the stream as well makes it fail like a backend whose device vanished (WASAPI,
    # CoreAudio), so the bridge's own fallback is what keeps the call audible.
    pulse.unload(*modules)
    pulse.kill_playback_of(os.getpid())

    def switched() -> bool:
        bridge.poll()
        used = bridge.speaker_in_use
        return used is not None and used.name != "comm_spare"

    qtbot.waitUntil(switched, timeout=5000)
    assert any(n.kind == "device_lost" and "comm_spare" in n.text for n in bridge.notices)
    far_hears, agent_hears = record_both(qtbot, pulse, far, far_call, tmp_path, tag="-after")
    assert engine.call(call).state is CallState.CONNECTED
    assert_tone(agent_hears, 1000.0, tolerance_hz=5.0, min_dbfs=-30.0, skip_ms=300)
    assert_tone(far_hears, MIC_HZ, tolerance_hz=5.0, min_dbfs=-30.0, skip_ms=300)
    engine.hangup(call)


def test_no_device_calls_still_connect(
    engine_factory: Any,
    sip_endpoint: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    from communicator.sip.audio import AudioBridge

    bridge = AudioBridge(NoDevices())
    try:
        bridge.start()
        assert [n.text for n in bridge.notices] == ["No microphone/speaker was found"]
        assert bridge.microphone_in_use is None and bridge.speaker_in_use is None
        engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
        bridge.attach(engine)
        far = answering_peer(peer_factory, "far", "1007")
        call, far_call = connected_call(qtbot, engine, far, "1007")
        heard = tmp_path / "far.wav"
        since = far.mark()
        far.record(far_call, heard, duration_ms=600)
        wait_peer(qtbot, far, "recorded", since=since, timeout=5)
        assert analyse(heard).dbfs < -60.0
        qtbot.waitUntil(lambda: bridge.stats().frames_requested > 10, timeout=3000)
        engine.hangup(call)
        bridge.detach(engine)
    finally:
        bridge.close()
