"""Notice a sound-card stream whose thread spins, so the bridge can restart it.

PortAudio 19.6's ALSA host API on ALSA's pulse plugin (how PortAudio reaches PulseAudio and
PipeWire on most Linux desktops) sometimes busy-loops in its own stream thread: callbacks
still arrive on time, but the thread burns 30-60 % of a core, measured here on the first
stream a process opens (see docs/FINDINGS.md). Closing and reopening the stream ends it.

`SpinWatch` runs inside the stream callback: every ``check_every`` callbacks (about a second)
it compares the CPU time of the calling thread (`time.thread_time`: PortAudio's own polling
counts, not just our callback) with the wall time. ``seconds`` checks in a row above
``max_cpu`` of a core set `spinning`; the main thread's `AudioBridge.poll` then restarts the
streams. One clock reading per second; no allocation otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SPIN_CPU = 0.25
"""A stream thread using more than this fraction of a core is spinning (a healthy one uses
1-3 % here, PortAudio and the sound server's client library included)."""
SPIN_CHECKS = 3
"""Consecutive checks above `SPIN_CPU` before a restart is asked for."""


class SpinWatch:
    def __init__(
        self,
        *,
        check_every: int = 50,
        max_cpu: float = SPIN_CPU,
        checks: int = SPIN_CHECKS,
        thread_clock: Callable[[], float] = time.thread_time,
        wall_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.check_every = check_every
        self.max_cpu = max_cpu
        self.checks = checks
        self.thread_clock = thread_clock
        """CPU time of the calling thread (replaceable: a test makes a stream look busy)."""
        self._wall_clock = wall_clock
        self._count = 0
        self._cpu = 0.0
        self._wall = 0.0
        self._hot = 0
        self.spinning = False
        self.last_cpu_fraction = 0.0
        """The calling thread's CPU use at the last check (fraction of one core)."""

    def reset(self) -> None:
        self._count = 0
        self._wall = 0.0
        self._hot = 0
        self.spinning = False

    def tick(self) -> None:
        """Call once per stream callback, from the stream's thread."""
        self._count += 1
        if self._count < self.check_every:
            return
        self._count = 0
        cpu = self.thread_clock()
        wall = self._wall_clock()
        if self._wall:
            elapsed = wall - self._wall
            if elapsed > 0:
                self.last_cpu_fraction = (cpu - self._cpu) / elapsed
                if self.last_cpu_fraction > self.max_cpu:
                    self._hot += 1
                    if self._hot >= self.checks:
                        self.spinning = True
                else:
                    self._hot = 0
        self._cpu = cpu
        self._wall = wall
