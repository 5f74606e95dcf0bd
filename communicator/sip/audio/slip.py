"""Drift compensation without resampling: slip one sample now and then, smoothly.

When the sound card runs at the bridge rate (PulseAudio and PipeWire accept 16 kHz; so do
most headsets), the two clocks still drift apart by tens to hundreds of ppm, but nothing needs
resampling. Running libsamplerate anyway at a ratio of ~1.0 costs ~30 us a block with warm
caches, several times that in an audio callback, plus an output array per block. Instead
`SampleSlipper` passes blocks through untouched and, whenever the correction asked for by the
depth controller adds up to a whole sample, drops or repeats one sample, spread over a short
window (`WINDOW` samples, 2 ms at 16 kHz) by linear interpolation: a brief ~3 % time warp that
is inaudible in speech. This is the "inserting/dropping samples with smoothing" that pjmedia's
own delay buffer does (there with WSOLA over longer windows). At 300 ppm and 16 kHz it slips
about five samples a second; the controller's clamp (2000 ppm, 0.64 samples per 20 ms block)
stays below the one slip per block this allows.

Same calls as `resample.StreamResampler` (`process`, `reset`). The returned array is the
input block itself or a view of a preallocated buffer, valid until the next call (the ring
copies it at once); no allocation per block.
"""

from __future__ import annotations

import numpy as np

from communicator.sip.audio.ring import Samples

WINDOW = 32
"""Samples over which one slip is spread."""


class SampleSlipper:
    def __init__(self, rate: int, *, max_block: int = 16384, window: int = WINDOW) -> None:
        self._window = window
        self._owed = 0.0
        """Samples owed: positive -> drop one when it reaches 1, negative -> insert one."""
        self._out: Samples = np.zeros(max_block + 1, dtype=np.float32)
        # Drop: y[i] reads x at i + (i + 1) / (L + 1) for i < L, then y[i] = x[i + 1].
        self._drop_w: Samples = (np.arange(1, window + 1) / (window + 1)).astype(np.float32)
        # Insert: y[i] reads x at i * L / (L + 1) for i <= L, then y[i] = x[i - 1].
        pos = np.arange(window + 1) * window / (window + 1)
        self._ins_k = np.floor(pos).astype(np.intp)
        self._ins_k1 = self._ins_k + 1
        self._ins_f: Samples = (pos - self._ins_k).astype(np.float32)
        self._a: Samples = np.zeros(window + 1, dtype=np.float32)
        self._b: Samples = np.zeros(window + 1, dtype=np.float32)
        self.slips = 0
        """Samples dropped or inserted so far."""

    def reset(self) -> None:
        self._owed = 0.0

    def process(self, block: Samples, correction: float = 0.0) -> Samples:
        """``block`` -> about ``len(block) * (1 - correction)`` samples (exactly on average)."""
        n = len(block)
        owed = self._owed + n * correction
        window = self._window
        if -1.0 < owed < 1.0 or n < window + 2:
            self._owed = owed
            return block
        out = self._out
        self.slips += 1
        if owed > 0:
            seg = out[:window]
            np.subtract(block[1 : window + 1], block[:window], out=seg)
            np.multiply(seg, self._drop_w, out=seg)
            np.add(seg, block[:window], out=seg)
            out[window : n - 1] = block[window + 1 : n]
            self._owed = owed - 1.0
            return out[: n - 1]
        a, b = self._a, self._b
        np.take(block, self._ins_k, out=a)
        np.take(block, self._ins_k1, out=b)
        seg = out[: window + 1]
        np.subtract(b, a, out=seg)
        np.multiply(seg, self._ins_f, out=seg)
        np.add(seg, a, out=seg)
        out[window + 1 : n + 1] = block[window:n]
        self._owed = owed + 1.0
        return out[: n + 1]
