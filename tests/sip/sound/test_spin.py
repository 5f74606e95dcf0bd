"""A sound-card stream whose thread spins is restarted (real PulseAudio streams)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from communicator.sip.audio import AudioHousekeeper
from communicator.sip.audio.spin import SpinWatch


class Clocks:
    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 0.0

    def step(self, seconds: float, cpu_fraction: float) -> None:
        self.wall += seconds
        self.cpu += seconds * cpu_fraction


def watch(clocks: Clocks, **kwargs: Any) -> SpinWatch:
    return SpinWatch(
        check_every=5,
        thread_clock=lambda: clocks.cpu,
        wall_clock=lambda: clocks.wall,
        **kwargs,
    )


def run(w: SpinWatch, clocks: Clocks, seconds: float, cpu_fraction: float) -> None:
    """Callbacks every 0.2 s (a check every second at check_every=5)."""
    for _ in range(round(seconds / 0.2)):
        clocks.step(0.2, cpu_fraction)
        w.tick()


def test_healthy_stream_is_left_alone() -> None:
    clocks = Clocks()
    w = watch(clocks)
    run(w, clocks, 30.0, 0.03)
    assert not w.spinning
    assert w.last_cpu_fraction == pytest.approx(0.03)


def test_spinning_needs_consecutive_hot_checks() -> None:
    clocks = Clocks()
    w = watch(clocks)
    run(w, clocks, 1.0, 0.03)  # first check: a baseline only
    run(w, clocks, 2.0, 0.6)
    run(w, clocks, 1.0, 0.03)  # a cool second in between resets the count
    run(w, clocks, 2.0, 0.6)
    assert not w.spinning
    run(w, clocks, 1.0, 0.6)
    assert w.spinning
    w.reset()
    assert not w.spinning


def test_spinning_stream_is_restarted_and_keeps_playing(bridge_factory: Any, qtbot: Any) -> None:
    bridge = bridge_factory()
    keeper = AudioHousekeeper(bridge)
    bridge.keep_open(True)
    qtbot.waitUntil(lambda: bridge.stats().device_callbacks > 10, timeout=3000)
    assert bridge.opened is not None
    before = bridge.opened.streams
    # The stream threads report 90 % of a core (what PortAudio's ALSA loop does when it
    # spins): the real callbacks feed the watches, the housekeeping tick restarts them.
    for w in bridge.spin_watches:
        w.check_every = 5
        w.thread_clock = lambda: 0.9 * time.monotonic()

    def restarted() -> bool:
        keeper.tick()
        return bridge.stats().spin_restarts == 1

    qtbot.waitUntil(restarted, timeout=5000)
    assert bridge.streams_open and bridge.opened is not None and bridge.opened.streams != before
    for w in bridge.spin_watches:
        w.thread_clock = time.thread_time
        w.reset()
    callbacks = bridge.stats().device_callbacks
    qtbot.waitUntil(lambda: bridge.stats().device_callbacks > callbacks + 10, timeout=3000)
    keeper.tick()
    assert bridge.stats().spin_restarts == 1
    assert bridge.failures == []
    assert not bridge.notices  # nothing for the agent to do: logged only
    bridge.keep_open(False)
