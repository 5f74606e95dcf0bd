"""What the bridge counts: underruns, overruns, queue depths, callbacks and their CPU time.

`StreamCounts` keeps the counts of streams already closed (the devices close between calls),
so `BridgeStats` covers the bridge's whole life.
"""

from __future__ import annotations

from dataclasses import dataclass

from communicator.sip.audio.callbacks import PortCore
from communicator.sip.audio.direction import MAX_UNDERRUN_TIMES, Direction


@dataclass(frozen=True)
class BridgeStats:
    capture_underruns: int
    capture_overruns: int
    playback_underruns: int
    playback_overruns: int
    capture_depth_ms: float
    playback_depth_ms: float
    capture_target_ms: float
    playback_target_ms: float
    capture_correction_ppm: float
    playback_correction_ppm: float
    frames_requested: int
    frames_received: int
    device_callbacks: int
    port_cpu_s: float
    """Time spent in the port callbacks (pjmedia clock thread)."""
    device_cpu_s: float
    """Time spent in the stream callbacks (PortAudio thread)."""
    spin_restarts: int = 0
    """Streams restarted because their thread was spinning (`spin.SpinWatch`)."""

    @property
    def underruns(self) -> int:
        return self.capture_underruns + self.playback_underruns

    @property
    def overruns(self) -> int:
        return self.capture_overruns + self.playback_overruns


def _ms(d: Direction | None, value: float) -> float:
    return 1000.0 * value / d.out_rate if d else 0.0


class StreamCounts:
    """Underruns and overruns of closed streams, per direction, and their underrun times."""

    def __init__(self) -> None:
        self._past = [0, 0, 0, 0]
        """Capture underruns/overruns, playback underruns/overruns."""
        self._past_underrun_times: dict[str, list[float]] = {"capture": [], "playback": []}

    def keep(self, capture: Direction | None, playback: Direction | None) -> None:
        """The streams of these directions closed: keep what they counted."""
        if capture is not None:
            self._past[0] += capture.underruns
            self._past[1] += capture.ring.overruns
            self._keep_underrun_times("capture", capture)
        if playback is not None:
            self._past[2] += playback.underruns
            self._past[3] += playback.ring.overruns
            self._keep_underrun_times("playback", playback)

    def _keep_underrun_times(self, name: str, d: Direction) -> None:
        kept = self._past_underrun_times[name]
        kept.extend(d.underrun_times[: max(0, MAX_UNDERRUN_TIMES - len(kept))])

    def stats(self, core: PortCore, spin_restarts: int) -> BridgeStats:
        cap, play = core.capture, core.playback
        past = self._past
        return BridgeStats(
            capture_underruns=past[0] + (cap.underruns if cap else 0),
            capture_overruns=past[1] + (cap.ring.overruns if cap else 0),
            playback_underruns=past[2] + (play.underruns if play else 0),
            playback_overruns=past[3] + (play.ring.overruns if play else 0),
            capture_depth_ms=_ms(cap, cap.control.average_depth) if cap else 0.0,
            playback_depth_ms=_ms(play, play.control.average_depth) if play else 0.0,
            capture_target_ms=_ms(cap, cap.target.value) if cap else 0.0,
            playback_target_ms=_ms(play, play.target.value) if play else 0.0,
            capture_correction_ppm=cap.control.correction * 1e6 if cap else 0.0,
            playback_correction_ppm=play.control.correction * 1e6 if play else 0.0,
            frames_requested=core.frames_requested,
            frames_received=core.frames_received,
            device_callbacks=core.device_callbacks,
            port_cpu_s=core.port_ns / 1e9,
            device_cpu_s=core.device_ns / 1e9,
            spin_restarts=spin_restarts,
        )

    def underrun_times(self, core: PortCore) -> dict[str, list[float]]:
        """Monotonic times of the counted underruns, per direction (the first
        `MAX_UNDERRUN_TIMES` of each ring, closed ones included)."""
        return {
            name: self._past_underrun_times[name] + (list(d.underrun_times) if d else [])
            for name, d in (("capture", core.capture), ("playback", core.playback))
        }
