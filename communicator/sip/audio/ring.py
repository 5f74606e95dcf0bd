"""A bounded single-producer/single-consumer ring of float32 samples between two clocks.

Preallocated once; `write` and `read_into` copy at most two slices each and hold a plain
`threading.Lock` only for that (a few microseconds, never across a call that can block).
Overrun drops the oldest samples, underrun pads with silence; both are counted (events and
samples) while `counting` is on, so idle periods (no call on the bridge) do not count.

After an underrun the reader waits until the ring holds ``prime`` samples again before it
resumes, so a late producer causes one clean gap instead of a run of crackles.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


class RingBuffer:
    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._buf: Samples = np.zeros(capacity, dtype=np.float32)
        self._cap = capacity
        self._read = 0
        self._write = 0
        self._lock = threading.Lock()
        self._primed = False
        self.prime = 0
        """Samples the ring must hold before reading starts (and restarts after an underrun)."""
        self.counting = True
        self.underruns = 0
        """Reads that found fewer samples than asked for (while primed)."""
        self.overruns = 0
        """Writes that pushed the oldest samples out."""
        self.missing_samples = 0
        self.dropped_samples = 0
        self.min_level_before_read = capacity
        """Lowest level seen by a read since `take_min_level` (for the adaptive target)."""

    @property
    def capacity(self) -> int:
        return self._cap

    @property
    def level(self) -> int:
        """Samples waiting (an int read; safe from either thread)."""
        return self._write - self._read

    def clear(self) -> None:
        with self._lock:
            self._read = self._write
            self._primed = False

    def write(self, data: Samples) -> None:
        n = len(data)
        if n == 0:
            return
        cap = self._cap
        buf = self._buf
        with self._lock:
            if n > cap:
                skipped = n - cap
                data = data[skipped:]
                self._write += skipped
                n = cap
            w = self._write % cap
            first = min(n, cap - w)
            buf[w : w + first] = data[:first]
            if first < n:
                buf[: n - first] = data[first:]
            self._write += n
            excess = self._write - self._read - cap
            if excess > 0:
                self._read += excess
        if excess > 0 and self.counting:
            self.overruns += 1
            self.dropped_samples += excess

    def read_into(self, out: Samples) -> int:
        """Fill ``out`` (silence where nothing is available); returns the samples taken."""
        n = len(out)
        cap = self._cap
        buf = self._buf
        with self._lock:
            avail = self._write - self._read
            self.min_level_before_read = min(self.min_level_before_read, avail)
            if not self._primed:
                if avail < max(self.prime, 1):
                    take = -1
                else:
                    self._primed = True
            if self._primed:
                take = min(n, avail)
                r = self._read % cap
                first = min(take, cap - r)
                out[:first] = buf[r : r + first]
                if first < take:
                    out[first:take] = buf[: take - first]
                self._read += take
                if take < n:
                    self._primed = False
        if take < 0:
            out[:] = 0.0
            return 0
        if take < n:
            out[take:] = 0.0
            if self.counting:
                self.underruns += 1
                self.missing_samples += n - take
        return take

    def drop(self, samples: int) -> int:
        """Discard the oldest ``samples`` (a resync after a start-up backlog); counted as
        an overrun, since audio is lost."""
        with self._lock:
            n = max(0, min(samples, self._write - self._read))
            self._read += n
        if n and self.counting:
            self.overruns += 1
            self.dropped_samples += n
        return n

    def take_min_level(self) -> int:
        """The lowest pre-read level since the last call (then reset)."""
        value = self.min_level_before_read
        self.min_level_before_read = self._cap
        return value
