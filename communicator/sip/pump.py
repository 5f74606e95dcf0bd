"""Drive pjsua2 from the Qt thread: a QTimer calls ``libHandleEvents`` adaptively.

The Endpoint runs with ``threadCnt = 0`` and ``mainThreadOnly = True``, so nothing happens in
pjsip unless this thread polls. `plan_next_poll` (pure, unit-tested) decides how:

* **hot** - a SIP transaction we care about is in progress (call setup, REGISTER, a command was
  just issued) or events were just processed: poll again at once and let ``libHandleEvents``
  *block* in epoll for up to ``hot_block_ms``. A response is then handled the moment it arrives
  (no timer latency), and waiting costs no CPU. The Qt loop still runs between polls.
* **media** - calls are up and their RTP comes through the pumped ioqueue (only with
  ``EndpointOptions(media_thread=False)``): poll continuously, blocking up to
  ``rtp_block_ms`` in epoll, so each packet is handled as it arrives.
* **warm** - calls are up, media on pjmedia's own thread (the default): poll every
  ``warm_interval`` without blocking.
* **idle** - registered, nothing going on: poll every ``idle_interval``. This is what an idle
  agent costs. Measured: each wake-up of a Python QTimer costs ~0.13 ms of CPU (PySide6 signal
  dispatch and the Qt loop; our poll itself is ~10 us), so 10 wake-ups/s alone would be 0.13 %;
  250 ms keeps a registered client near 0.1 % and delays an incoming INVITE by at most that
  much (the caller hears ringback up to a quarter second later).

Timers the engine needs (registration refresh, no-answer forwarding) shorten the delay.

`Pump` is PySide6.QtCore only (no widgets), so the GUI app and the headless runner share it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer


@dataclass(frozen=True)
class PollHint:
    """What the engine reports after each poll."""

    hot: bool = False
    """A transaction is in progress (call setup, REGISTER in flight, INFO digits queued...)."""
    live: bool = False
    """At least one call exists."""
    next_deadline_in: float | None = None
    """Seconds until a timer of the engine is due (None: no timer)."""
    rtp: bool = False
    """Calls are up and their RTP arrives on the pumped ioqueue (no media worker thread):
    keep polling, blocking in epoll, so packets reach the jitter buffer as they arrive."""


@dataclass(frozen=True)
class PumpPolicy:
    hot_block_ms: int = 5
    rtp_block_ms: int = 10
    warm_interval: float = 0.02
    idle_interval: float = 0.25
    linger: float = 0.05
    """Stay hot this long after the last event or command (transactions we wait for are
    reported as ``hot`` by the engine; this only catches quick follow-ups)."""

    def __post_init__(self) -> None:
        if self.hot_block_ms < 0 or self.warm_interval < 0 or self.idle_interval <= 0:
            raise ValueError("pump intervals must not be negative")


@dataclass(frozen=True)
class PollPlan:
    delay: float
    """Seconds until the next poll."""
    block_ms: int
    """How long the next ``libHandleEvents`` may wait for network events."""


def plan_next_poll(
    *, events: int, hint: PollHint, since_activity: float, policy: PumpPolicy
) -> PollPlan:
    """When to poll next and how long that poll may block.

    ``events``: what the poll just processed; ``since_activity``: seconds since the last event
    or engine command.
    """
    if events > 0 or hint.hot:
        return PollPlan(0.0, policy.hot_block_ms)
    if since_activity < policy.linger:
        # One blocking poll covers the rest of the linger time (a follow-up wakes it at once).
        return PollPlan(0.0, max(1, math.ceil((policy.linger - since_activity) * 1000)))
    if hint.rtp:
        return PollPlan(0.0, policy.rtp_block_ms)
    delay = policy.warm_interval if hint.live else policy.idle_interval
    if hint.next_deadline_in is not None:
        delay = min(delay, max(0.0, hint.next_deadline_in))
    return PollPlan(delay, 0)


PollFunction = Callable[[int], tuple[int, PollHint]]
"""Poll once, blocking up to the given ms: returns (events processed, hint)."""


class Pump(QObject):
    """Calls ``poll`` from the Qt event loop of the thread that created it."""

    def __init__(
        self,
        poll: PollFunction,
        policy: PumpPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._poll = poll
        self._policy = policy or PumpPolicy()
        self._clock = clock
        self._last_activity = clock()
        self._next_block_ms = 0
        self._running = False
        self._in_poll = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._run)
        self.polls = 0
        self.failures: list[BaseException] = []

    @property
    def policy(self) -> PumpPolicy:
        return self._policy

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._running = True
        self.kick()

    def stop(self) -> None:
        self._running = False
        self._timer.stop()

    def kick(self) -> None:
        """Poll as soon as control returns to the event loop (after an engine command)."""
        self._last_activity = self._clock()
        if self._running and not self._in_poll:
            self._next_block_ms = 0
            self._timer.start(0)

    def poll_now(self, block_ms: int = 0) -> int:
        """Poll synchronously (tests and shutdown); returns the events processed."""
        events, _ = self._poll(block_ms)
        return events

    def _run(self) -> None:
        if not self._running:
            return
        self._in_poll = True
        try:
            events, hint = self._poll(self._next_block_ms)
        except Exception as error:  # keep pumping; the engine records its own failures
            self.failures.append(error)
            events, hint = 0, PollHint()
        finally:
            self._in_poll = False
        self.polls += 1
        now = self._clock()
        if events > 0:
            self._last_activity = now
        plan = plan_next_poll(
            events=events, hint=hint, since_activity=now - self._last_activity, policy=self._policy
        )
        self._next_block_ms = plan.block_ms
        if self._running:
            self._timer.start(round(plan.delay * 1000))
