"""Input and output level meters: RMS and peak in dBFS, cheap enough for an audio callback.

`LevelMeter.update` runs in an audio callback (three numpy reductions on the block, no copy,
float stores); `LevelMeter.reading` runs on the UI thread (peak hold with decay, dB conversion).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from communicator.sip.audio.ring import Samples

SILENCE_DBFS = -120.0


def to_dbfs(value: float) -> float:
    return 20.0 * math.log10(value) if value > 1e-6 else SILENCE_DBFS


@dataclass(frozen=True)
class MeterReading:
    rms_dbfs: float
    peak_dbfs: float
    """Peak held for `LevelMeter.hold_s`, then decaying."""


class LevelMeter:
    def __init__(
        self,
        *,
        hold_s: float = 1.0,
        decay_db_per_s: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hold_s = hold_s
        self.decay_db_per_s = decay_db_per_s
        self._clock = clock
        self._sum_sq = 0.0
        self._count = 0
        self._block_peak = 0.0
        self._held_peak_db = SILENCE_DBFS
        self._held_at = 0.0
        self._last_rms_db = SILENCE_DBFS

    def update(self, block: Samples) -> None:
        """Account one block (audio thread)."""
        if len(block) == 0:
            return
        self._sum_sq += float(np.dot(block, block))
        self._count += len(block)
        peak = max(float(block.max()), -float(block.min()))  # np.abs would allocate a copy
        self._block_peak = max(self._block_peak, peak)

    def silence(self, samples: int) -> None:
        self._count += samples

    def reading(self) -> MeterReading:
        """RMS since the previous reading and the held peak (UI thread)."""
        sum_sq, count, peak = self._sum_sq, self._count, self._block_peak
        self._sum_sq, self._count, self._block_peak = 0.0, 0, 0.0
        now = self._clock()
        if count:
            self._last_rms_db = to_dbfs(math.sqrt(sum_sq / count))
        peak_db = to_dbfs(peak)
        held = self._held_peak_db
        age = now - self._held_at
        if age > self.hold_s:
            held = max(SILENCE_DBFS, held - self.decay_db_per_s * (age - self.hold_s))
        if peak_db >= held:
            self._held_peak_db, self._held_at = peak_db, now
            held = peak_db
        return MeterReading(rms_dbfs=self._last_rms_db, peak_dbfs=held)
