"""Call set-up and waiting helpers for the real-audio tests (keep the Qt loop running)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from communicator.core.calls import CallState
from communicator.sip.audio import DeviceManager
from tests.sip.helpers import peer_call_id, wait_peer
from tests.sip.sound.pulse import MonitorRecording, PulseServer


def connected_call(qtbot: Any, engine: Any, peer: Any, dial: str) -> tuple[Any, int]:
    """Place a call to an auto-answering peer; wait until both sides have active media."""
    since = peer.mark()
    call = engine.place_call(dial)
    qtbot.waitUntil(lambda: engine.call(call).state is CallState.CONNECTED, timeout=5000)
    peer_call = peer_call_id(qtbot, peer, since=since)
    wait_peer(
        qtbot,
        peer,
        "media_state",
        lambda e: e["call_id"] == peer_call and e["state"] == "active",
        since=since,
    )
    return call, peer_call


def wait_mic_flowing(qtbot: Any, bridge: Any, *, steady_ms: int = 400) -> None:
    """Wait until the microphone reaches the calls steadily: for ``steady_ms`` the sound card
    delivered blocks, pjmedia took frames from the bridge and the capture ring neither ran dry
    nor overflowed. (Before `devices.warm_up_portaudio` the first stream of the process
    delivered nothing for ~1.9 s; this keeps a regression from passing as a silent start.)
    """
    seen: dict[str, Any] = {}

    def steady() -> bool:
        stats = bridge.stats()
        mark = (stats.capture_underruns, stats.capture_overruns)
        if seen.get("mark") != mark:
            seen.update(mark=mark, frames=stats.frames_requested, blocks=stats.device_callbacks)
            return False
        # Both counted in 20 ms units (pjmedia frames, device blocks).
        need = steady_ms // 20
        return (
            stats.frames_requested - seen["frames"] >= need
            and stats.device_callbacks - seen["blocks"] >= need
        )

    qtbot.waitUntil(steady, timeout=10000)


def record_both(
    qtbot: Any,
    pulse: PulseServer,
    peer: Any,
    peer_call: int,
    directory: Path,
    *,
    sink: str = "main_sink",
    seconds: float = 1.5,
    tag: str = "",
) -> tuple[Path, Path]:
    """Record what the far end hears and what reaches ``sink`` at the same time."""
    far = directory / f"far_hears{tag}.wav"
    local = directory / f"agent_hears{tag}.wav"
    monitor = pulse.record_monitor(sink, seconds, local)
    since = peer.mark()
    peer.record(peer_call, far, duration_ms=int(seconds * 1000))
    wait_recording(qtbot, monitor, seconds)
    wait_peer(qtbot, peer, "recorded", since=since, timeout=seconds + 5)
    return far, local


def wait_recording(qtbot: Any, recording: MonitorRecording, seconds: float) -> None:
    qtbot.waitUntil(recording.done.is_set, timeout=int((seconds + 5) * 1000))
    assert recording.error is None, recording.error


def tone_level_db(path: Path, freq: float, *, skip_ms: float = 300.0) -> float:
    """Level at ``freq`` relative to the strongest spectral peak of the recording (dB)."""
    import numpy as np

    from tests.rig.audio_check import read_wav

    samples, rate, _ = read_wav(path)
    samples = samples[int(rate * skip_ms / 1000) :]
    if len(samples) < rate // 10 or not np.any(samples):
        return float("-inf")
    x = samples - np.mean(samples)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    spectrum[0] = 0.0
    top = float(np.max(spectrum)) or 1e-300
    k = round(freq / (rate / len(x)))
    peak = float(np.max(spectrum[max(0, k - 3) : k + 4]))
    return float(20 * np.log10(max(peak, 1e-300) / top))


def assert_mix(
    path: Path, present: list[float], absent: list[float] | None = None, *, skip_ms: float = 300.0
) -> None:
    absent = absent or []
    levels = {f: tone_level_db(path, f, skip_ms=skip_ms) for f in [*present, *absent]}
    assert all(levels[f] > -20.0 for f in present), (path, levels)
    assert all(levels[f] < -30.0 for f in absent), (path, levels)


class NoDevices(DeviceManager):
    """A machine with no audio device at all."""

    def refresh(self, *, force: bool = False) -> bool:
        self._devices = ()
        return False
