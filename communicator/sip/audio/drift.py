"""Drift compensation: hold a queue's depth near a small adaptive target.

pjmedia's clock (the system clock) and the sound card's clock drift apart by tens to hundreds
of ppm, so one side of each queue slowly produces more than the other consumes. The producer
of each queue asks `DepthController.update` for a ratio correction before every block and
resamples by ``nominal_ratio * (1 - correction)``: a PI controller on the smoothed depth
(error in seconds), clamped to +-``max_correction``. At 300 ppm skew the steady correction is
300 ppm, far too small to hear (a 0.03 % pitch change), and the queue stays at its target.

The target adapts (`AdaptiveTarget`): an underrun raises it by half a block, and after
``relax_after_s`` without underruns, while every read left more than that half block behind,
it comes down a quarter of a producer block at a time, never below ``minimum``. An underrun
after such a step down means the lower target was too low for this machine's scheduling
jitter: the wait before the next step down doubles (up to ``max_relax_after_s``), so over a
long call the target settles just above the worst stalls seen instead of probing below them
every few seconds (each probe costing an underrun: a gap the agent hears), and a depth that
underran is never returned to (`AdaptiveTarget.floor`). Underruns before
the first step down (the streams starting) do not count for that; and underruns in the first
seconds after the queue starts (`AdaptiveTarget.restart`) raise it only until the start-up
jitter has passed.

Gains: the queue is an integrator of the correction, so the PI loop has a natural period of
2*pi/sqrt(ki) (~20 s) and damping kp / (2 sqrt(ki)) (~0.8): a 1 ms depth error asks for
500 ppm at once, and a constant skew is absorbed by the integral within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AdaptiveTarget:
    minimum: int
    maximum: int
    step_up: int
    step_down: int
    relax_after_s: float = 10.0
    max_relax_after_s: float = 320.0
    value: int = 0
    startup_s: float = 2.0
    """After `restart`: underruns in this time raise the target as usual, but once
    ``settle_s`` pass without another it goes straight back to its start value. Start-up
    jitter (a stream starting, call set-up work on every thread) says little about the call's
    steady state; a raised target would otherwise stay 10 s or more, adding its depth to the
    latency of the call's first words. An underrun after that follows the usual rules."""
    settle_s: float = 2.0

    def __post_init__(self) -> None:
        if not self.value:
            self.value = self.minimum
        self._quiet_s = 0.0
        self._relaxed = False
        self.relax_wait_s = self.relax_after_s
        """Quiet time needed before the next step down (doubles after a failed one)."""
        self._restart_at = float("-inf")
        self._start_value = self.value
        self._startup_raised = False
        self.floor = self.minimum
        """The lowest value relaxing may reach: raised past every depth that underran after
        start-up."""

    def restart(self, now: float) -> None:
        """Audio (re)starts through the queue at ``now`` (seconds): a start-up period."""
        self._restart_at = now
        self._start_value = self.value
        self._startup_raised = False
        self._quiet_s = 0.0

    def _starting(self, now: float | None) -> bool:
        return now is not None and now - self._restart_at < self.startup_s

    def on_underrun(self, now: float | None = None) -> None:
        underran_at = self.value
        self.value = min(self.maximum, self.value + self.step_up)
        self._quiet_s = 0.0
        if self._starting(now):
            self._startup_raised = True
            return
        self._startup_raised = False
        # This depth was too low for this machine: never relax to it again (a stall that
        # happened once in minutes happens again; each return costs a gap the agent hears).
        self.floor = max(self.floor, min(self.maximum, underran_at + self.step_down))
        if self._relaxed:
            self.relax_wait_s = min(self.max_relax_after_s, self.relax_wait_s * 2)
            self._relaxed = False

    def on_window(self, seconds: float, headroom: int, now: float | None = None) -> None:
        """``seconds`` passed without underrun; ``headroom``: the fewest samples that were
        left over by a read in that time (lowest pre-read level minus the read size)."""
        self._quiet_s += seconds
        if self._startup_raised:
            if not self._starting(now) and self._quiet_s >= self.settle_s:
                self._startup_raised = False
                self._quiet_s = 0.0
                self.value = max(self.floor, min(self.value, self._start_value))
            return
        if self._quiet_s >= self.relax_wait_s:
            self._quiet_s = 0.0
            if headroom > self.step_up and self.value > self.floor:
                self.value = max(self.floor, self.value - self.step_down)
                self._relaxed = True


class DepthController:
    """PI controller: queue depth (samples at ``rate``) -> ratio correction (fraction)."""

    def __init__(
        self,
        rate: int,
        target: AdaptiveTarget,
        *,
        smoothing_s: float = 0.5,
        kp: float = 0.5,
        ki: float = 0.1,
        max_correction: float = 0.002,
    ) -> None:
        self.rate = rate
        self.target = target
        self.smoothing_s = smoothing_s
        self.kp = kp
        self.ki = ki
        self.max_correction = max_correction
        self._avg: float | None = None
        self._integral = 0.0
        self.correction = 0.0

    def reset(self) -> None:
        self._avg = None
        self._integral = 0.0
        self.correction = 0.0

    @property
    def average_depth(self) -> float:
        return self._avg if self._avg is not None else 0.0

    def update(self, level: int, block_s: float) -> float:
        """Feed the depth seen before a producer block of ``block_s`` seconds."""
        if self._avg is None:
            self._avg = float(level)
        else:
            alpha = min(1.0, block_s / self.smoothing_s)
            self._avg += alpha * (level - self._avg)
        error_s = (self._avg - self.target.value) / self.rate
        limit = self.max_correction
        integral = self._integral + error_s * block_s
        # Anti-windup: the integral alone never asks for more than the clamp.
        bound = limit / self.ki if self.ki else 0.0
        self._integral = max(-bound, min(bound, integral))
        value = self.kp * error_s + self.ki * self._integral
        self.correction = max(-limit, min(limit, value))
        return self.correction
