"""One direction of the bridge: a ring with its producer-side resampler and depth controller.

Capture: PortAudio's microphone blocks in (device rate), pjmedia's 20 ms frames out (16 kHz).
Playback: pjmedia's frames in, the speaker's blocks out. The producer resamples with a
variable ratio steered by a `drift.DepthController` (or slips a sample now and then when both
sides run at one rate), so the two clocks never run the ring dry or full.
"""

from __future__ import annotations

from communicator.sip.audio.drift import AdaptiveTarget, DepthController
from communicator.sip.audio.resample import StreamResampler
from communicator.sip.audio.ring import RingBuffer, Samples
from communicator.sip.audio.slip import WINDOW as SLIP_WINDOW
from communicator.sip.audio.slip import SampleSlipper

RING_SECONDS = 0.5
ACTIVE_WINDOW_S = 0.15
"""A side counts as running while it was served within this time."""
MAX_UNDERRUN_TIMES = 1000
CONFIRM_UNDERRUN_S = 1.0
"""An underrun counts when its producer delivers again within this time: a stall, however
long. Not after it: the producer had stopped (a call ended or was held)."""
RESYNC_S = 0.06
"""Backlog beyond the target (plus two blocks) that is dropped at once instead of drained."""


class Direction:
    """One ring with its producer-side resampler and depth controller."""

    def __init__(self, in_rate: int, out_rate: int, consumer_block: int, producer_block: int):
        self.ring = RingBuffer(int(out_rate * RING_SECONDS))
        slip = in_rate == out_rate and producer_block >= SLIP_WINDOW + 2
        self.resampler: StreamResampler | SampleSlipper = (
            SampleSlipper(out_rate) if slip else StreamResampler(in_rate, out_rate)
        )
        block = max(producer_block, consumer_block)
        self.target = AdaptiveTarget(
            minimum=block * 3 // 4,
            maximum=int(out_rate * 0.15),
            step_up=block // 2,
            step_down=max(1, producer_block // 4),
        )
        """The target is the depth just before a producer block arrives, as if the consumer
        drained continuously; the consumer reads whole blocks ahead of that, so a sample
        waits about target + one consumer block, and each read finds at least the target
        left over: the margin for both threads' scheduling jitter. It starts at its minimum,
        three quarters of a block (15 ms at 20 ms blocks; it was one block, which put the
        added latency at 40-47 ms); start-up underruns raise it only until the start-up
        jitter has passed, later ones for longer (see `AdaptiveTarget`)."""
        self._consumer_block = consumer_block
        self.ring.prime = self._prime()
        self.control = DepthController(out_rate, self.target)
        self.out_rate = out_rate
        self.resync_above = max(consumer_block, producer_block) * 2 + int(out_rate * RESYNC_S)
        self.resync = True
        """Drop a backlog beyond ``resync_above`` at once (both directions). A device that
        delivers in bursts longer than that (not a sound card) would lose audio each time:
        the test rig's old sine "microphone" did (see tests/sip/sound/pulse.py)."""
        self.last_served = float("-inf")
        self.last_produced = float("-inf")
        self._window_start = 0.0
        self._underruns_seen = 0
        self.underruns = 0
        """Gaps in a flowing stream: the ring's underruns, each confirmed when the producer
        comes back within `CONFIRM_UNDERRUN_S`. A producer that stopped (the call ended or
        went on hold, the device closed) leaves the consumer one empty read: that is the end
        of the audio, not a gap in it, and is not counted. Written by the producer's thread
        only; the consumer's thread only writes `_underruns_seen` and `_underrun_at`."""
        self._confirmed_upto = 0
        self._underrun_at = 0.0
        self.underrun_times: list[float] = []
        """When the counted underruns happened (the empty read's time; the first
        `MAX_UNDERRUN_TIMES`): support and the benchmark match them against other events."""

    def _prime(self) -> int:
        """Reading (re)starts at the steady-state level before a read: target + one read."""
        return self.target.value + self._consumer_block

    def _restart(self, now: float) -> None:
        """Audio starts flowing through this ring (either side was idle): a start-up period."""
        self.target.restart(now)
        self.ring.prime = self._prime()
        self.ring.take_min_level()
        self._window_start = now

    def produce(self, block: Samples, block_s: float, now: float) -> None:
        ring = self.ring
        gap = now - self.last_produced
        producer_was_idle = gap > ACTIVE_WINDOW_S
        self.last_produced = now
        seen = self._underruns_seen
        if seen != self._confirmed_upto:
            if gap <= CONFIRM_UNDERRUN_S:
                new = seen - self._confirmed_upto
                self.underruns += new
                room = MAX_UNDERRUN_TIMES - len(self.underrun_times)
                self.underrun_times.extend([self._underrun_at] * min(new, max(room, 0)))
            self._confirmed_upto = seen
        if now - self.last_served > ACTIVE_WINDOW_S:
            # Nobody consumes (no call on the bridge, or the device is closed): stay empty
            # so the next start primes at the target, and count nothing.
            if ring.level:
                ring.clear()
            self.control.reset()
            self.resampler.process(block)
            return
        # The level as if the consumer drained continuously: without this the measurement
        # aliases the consumer's block sawtooth, and jumps by a block each time the two
        # clocks' phases slip past each other (every ~30 s at 300 ppm).
        if producer_was_idle:  # e.g. the call's audio starts after the device opened
            self._restart(now)
        since = min(max(now - self.last_served, 0.0), ACTIVE_WINDOW_S)
        level = ring.level - since * self.out_rate
        correction = self.control.update(round(level), block_s)
        ring.write(self.resampler.process(block, correction))

    def consume(self, out: Samples, now: float) -> None:
        ring = self.ring
        ring.counting = now - self.last_served <= ACTIVE_WINDOW_S
        if not ring.counting:  # the consumer starts (a call connects, a stream opens)
            self._restart(now)
        self.last_served = now
        ring.read_into(out)
        # A backlog far above the target (a device that started slowly, a stall) would take
        # the drift controller (+-2000 ppm) tens of seconds to drain: drop it at once.
        excess = ring.level - self.target.value
        if self.resync and excess > self.resync_above:
            ring.drop(excess)
            self.control.reset()
        if ring.underruns != self._underruns_seen:
            self._underrun_at = now
            self._underruns_seen = ring.underruns
            self.target.on_underrun(now)
            ring.prime = self._prime()
            self._window_start = now
        elif now - self._window_start >= 1.0:
            if self._window_start:
                headroom = ring.take_min_level() - len(out)
                self.target.on_window(now - self._window_start, headroom, now)
                ring.prime = self._prime()
            self._window_start = now
