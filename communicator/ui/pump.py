"""Drive pjsua2 from the Qt thread: a QTimer calls ``libHandleEvents`` adaptively.

The Endpoint runs with ``threadCnt = 0`` and ``mainThreadOnly = True``, so nothing happens in
pjsip unless this thread polls. `plan_next_poll` (pure, unit-tested) decides how:

* **hot** - a SIP transaction we care about is in progress (call setup, REGISTER, a command was
  just issued) or events were just processed: poll again at once and let ``libHandleEvents``
  *block* in epoll for up to ``hot_block_ms``. A response is then handled the moment it arrives
  (no timer latency), and waiting costs no CPU. The Qt loop still runs between polls.
  Where pjsip's sockets can be watched and its timers are known (below), no poll blocks: an
  answer wakes the pump through its socket, so waiting for it in epoll only froze the windows
  (the 5 ms block was part of most GUI stalls of a sign-in and a call, bench/ui_bench.py). The
  pump then polls again at once after events and every ``hot_tick`` while a transaction is
  under way: that tick catches what no watched socket announces (one pjsip opened since the
  last rescan, or all of them while the watch is renewed after pjsip's sockets changed).
* **media** - calls are up and their RTP comes through the pumped ioqueue (only with
  ``EndpointOptions(media_thread=False)``): poll continuously, blocking up to
  ``rtp_block_ms`` in epoll, so each packet is handled as it arrives.
* **warm** - calls are up, media on pjmedia's own thread (the default): poll every
  ``warm_interval`` (100 ms) without blocking. SIP traffic and pjsip's timers wake the pump
  anyway (sockets, timer heap); the warm poll only runs what pjsua2 queues for the main
  thread from the media thread (``mainThreadOnly``: received DTMF digits, media events), so
  those reach the engine within 100 ms. At 20 ms it cost ~2 % of a core per call here.
* **idle** - registered, nothing going on. With a `SocketSource` that knows pjsip's socket
  descriptors (Linux, see `communicator.sip.wakeup`), the pump sleeps until one of them is
  readable (a ``QSocketNotifier`` each: an incoming INVITE is handled at once) or pjsip's next
  timer is due, with a slow safety tick every ``watched_idle_interval`` (sockets pjsip opens
  for a moment, e.g. STUN, are caught by their retransmission timers or by that tick), or every
  ``quiet_idle_interval`` when pjsip's timer heap is readable too (its timers then wake the
  pump on time by themselves). No linger then either: a follow-up on a watched socket wakes the
  pump at once, so the linger's blocking polls would be wake-ups for nothing. The socket list is
  re-read at most every ``watched_idle_interval``, and within that time after any activity (a
  connection pjsip opened meanwhile is watched soon, however long the pump then sleeps).
  Without one it polls every ``idle_interval``: each wake-up of a Python QTimer costs
  ~0.13 ms of CPU, and 250 ms delays an incoming INVITE by at most that much.

Timers the engine and pjsip need (registration refresh, keep-alives, retransmissions,
no-answer forwarding) shorten the delay.

`Pump` is PySide6.QtCore only (no widgets), so the GUI app and the headless runner share it.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject, QSocketNotifier, Qt, QTimer

from communicator.sip.polling import PollHint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PumpPolicy:
    hot_block_ms: int = 5
    rtp_block_ms: int = 10
    warm_interval: float = 0.1
    idle_interval: float = 0.25
    watched_idle_interval: float = 2.0
    """Idle safety tick when pjsip's sockets are watched (they wake the pump themselves); also
    the shortest time between two re-reads of the socket list."""
    quiet_idle_interval: float = 10.0
    """Idle safety tick when pjsip's sockets are watched and its next timer is known: an idle
    signed-in client then wakes for its own timers and traffic only (issue 14's idle CPU)."""
    linger: float = 0.05
    """Stay hot this long after the last event or command (transactions we wait for are
    reported as ``hot`` by the engine; this only catches quick follow-ups)."""
    hot_tick: float = 0.005
    """While hot where pjsip's sockets can be watched and its timers are known: the interval of
    the non-blocking polls (answers on watched sockets wake the pump at once)."""

    def __post_init__(self) -> None:
        if (
            self.hot_block_ms < 0
            or self.warm_interval < 0
            or self.idle_interval <= 0
            or self.hot_tick <= 0
        ):
            raise ValueError("pump intervals must not be negative")


@dataclass(frozen=True)
class PollPlan:
    delay: float
    """Seconds until the next poll."""
    block_ms: int
    """How long the next ``libHandleEvents`` may wait for network events."""


def plan_next_poll(
    *,
    events: int,
    hint: PollHint,
    since_activity: float,
    policy: PumpPolicy,
    watching: bool = False,
    timers_known: bool = False,
    can_watch: bool | None = None,
) -> PollPlan:
    """When to poll next and how long that poll may block.

    ``events``: what the poll just processed; ``since_activity``: seconds since the last event
    or engine command; ``watching``: pjsip's sockets wake the pump (no need to poll for them);
    ``timers_known``: and ``hint.next_deadline_in`` includes pjsip's own timers;
    ``can_watch``: the sockets can be watched, even if the watch is being renewed (None: as
    ``watching``) - hot polls then never block.
    """
    quiet = watching and timers_known
    can_watch = watching if can_watch is None else can_watch
    if can_watch and timers_known and (events > 0 or hint.hot) and not hint.rtp:
        # Sockets and timers wake the pump: never block the Qt loop waiting for an answer.
        delay = 0.0 if events > 0 else policy.hot_tick
        if hint.next_deadline_in is not None:
            delay = min(delay, max(0.0, hint.next_deadline_in))
        return PollPlan(delay, 0)
    if events > 0 or hint.hot:
        return PollPlan(0.0, policy.hot_block_ms)
    if since_activity < policy.linger and not quiet:
        # Blocking polls cover the rest of the linger time (a follow-up wakes one at once),
        # each no longer than a hot one: ``libHandleEvents`` blocks the Qt loop meanwhile
        # (one 50 ms poll here was the GUI's longest stall in a call, bench/ui_bench.py).
        rest = max(1, math.ceil((policy.linger - since_activity) * 1000))
        return PollPlan(0.0, min(rest, max(1, policy.hot_block_ms)))
    if hint.rtp:
        return PollPlan(0.0, policy.rtp_block_ms)
    if hint.live:
        delay = policy.warm_interval
    else:
        delay = policy.watched_idle_interval if watching else policy.idle_interval
        if quiet:
            delay = policy.quiet_idle_interval
    if hint.next_deadline_in is not None:
        delay = min(delay, max(0.0, hint.next_deadline_in))
    return PollPlan(delay, 0)


PollFunction = Callable[[int], tuple[int, PollHint]]
"""Poll once, blocking up to the given ms: returns (events processed, hint)."""

IDLE_WAKEUPS_BEFORE_MUTE = 8
"""A watched socket that wakes the pump this many times in a row without pjsip handling
anything is muted until the next rescan (never spin on a descriptor pjsip does not read)."""


class SocketSource(Protocol):
    """Where the pump learns which descriptors to wake up on (`SipEndpoint` is one)."""

    @property
    def watch_generation(self) -> int: ...

    def watched_fds(self) -> frozenset[int] | None: ...

    def check_sockets(self) -> None: ...


def _timers_known(source: SocketSource | None) -> bool:
    """Whether the source's poll hints include pjsip's timers (`SipEndpoint.knows_next_timer`;
    a source without that property: no)."""
    return bool(getattr(source, "knows_next_timer", False))


class Pump(QObject):
    """Calls ``poll`` from the Qt event loop of the thread that created it."""

    def __init__(
        self,
        poll: PollFunction,
        policy: PumpPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sockets: SocketSource | None = None,
    ) -> None:
        super().__init__()
        self._poll = poll
        self._sockets = sockets
        self._notifiers: dict[int, QSocketNotifier] = {}
        self._watch_generation = -1
        self._watching = False
        self._can_watch = False
        """The last rescan found pjsip's sockets (a watch is possible on this system)."""
        self._idle_wakeups: dict[int, int] = {}
        self._last_check = clock()
        self._active_since_check = False
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
        self.socket_wakeups = 0
        """Polls started by a readable pjsip socket that found work (for tests and stats)."""
        self._last_events = 0
        self._settled = False
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
        self._set_notifiers(frozenset())
        self._watch_generation = -1

    @property
    def settled(self) -> bool:
        """The last poll handled nothing and nothing is in progress: the pump now waits for
        a socket, a timer or a command."""
        return self._settled

    @property
    def watching(self) -> bool:
        """pjsip's sockets wake the pump (no periodic idle polling)."""
        return self._watching

    @property
    def watched_fds(self) -> frozenset[int]:
        return frozenset(self._notifiers)

    def describe_watch(self) -> str:
        """For diagnostics: the watched descriptors and their state."""
        parts = [
            f"{fd}{'' if notifier.isEnabled() else ' (muted)'}"
            for fd, notifier in sorted(self._notifiers.items())
        ]
        return (
            f"watching={self._watching} generation={self._watch_generation} "
            f"fds=[{', '.join(parts)}] polls={self.polls} socket_wakeups={self.socket_wakeups}"
        )

    def _refresh_watch(self, now: float) -> None:
        source = self._sockets
        if source is None:
            return
        if now - self._last_check >= self._policy.watched_idle_interval:
            self._last_check = now
            self._active_since_check = False
            source.check_sockets()
        if source.watch_generation == self._watch_generation:
            return
        self._watch_generation = source.watch_generation
        fds = source.watched_fds()
        self._can_watch = fds is not None
        self._watching = fds is not None and bool(fds)
        self._set_notifiers(fds or frozenset())
        self._idle_wakeups.clear()

    def _set_notifiers(self, fds: frozenset[int]) -> None:
        for fd in [fd for fd in self._notifiers if fd not in fds]:
            notifier = self._notifiers.pop(fd)
            notifier.setEnabled(False)
            notifier.activated.disconnect(self._socket_activated)
            notifier.deleteLater()
        for fd in fds:
            if fd in self._notifiers:
                # Re-armed: a muted one gets its next chance, and one Qt disabled because its
                # socket was closed under it (pjsip restarting its listener after a network
                # change) may watch a new socket that reuses the number.
                self._notifiers[fd].setEnabled(True)
                continue
            notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
            # A bound method, not a closure over self: no reference cycle keeps a stopped
            # pump (and its Qt children) alive until some later garbage collection.
            notifier.activated.connect(self._socket_activated)
            self._notifiers[fd] = notifier

    def _forget_closed_sockets(self) -> None:
        """Drop the notifiers of descriptors pjsip has closed (or may have: a new watch
        generation, as after handleIpChange restarted its listener). Qt would warn "Invalid
        socket" and disable one on its next poll of the loop. Until the next idle rescan
        watches what pjsip opened instead, the pump polls on its idle interval."""
        if not self._notifiers:
            return
        closed = set()
        for fd in self._notifiers:
            try:
                os.fstat(fd)
            except OSError:
                closed.add(fd)
        source = self._sockets
        if closed and source is not None:
            source.check_sockets()  # the process's sockets changed: a new generation
        if source is not None and source.watch_generation != self._watch_generation:
            closed = set(self._notifiers)
        if closed:
            self._set_notifiers(frozenset(self._notifiers).difference(closed))
            self._watching = bool(self._notifiers)

    def _socket_activated(self, *_: object) -> None:
        notifier = self.sender()
        if isinstance(notifier, QSocketNotifier):
            self._socket_ready(int(notifier.socket()))

    def _socket_ready(self, fd: int) -> None:
        if not self._running or self._in_poll:
            return
        self._timer.stop()
        self._next_block_ms = 0
        polls = self.polls
        self._run()
        if self.polls == polls:
            return
        if self._last_events > 0:
            self.socket_wakeups += 1
            self._idle_wakeups.pop(fd, None)
            return
        count = self._idle_wakeups.get(fd, 0) + 1
        self._idle_wakeups[fd] = count
        notifier = self._notifiers.get(fd)
        if count >= IDLE_WAKEUPS_BEFORE_MUTE and notifier is not None:
            log.warning("SIP pump: descriptor %d is readable but pjsip reads nothing; muted", fd)
            notifier.setEnabled(False)

    def kick(self) -> None:
        """Poll as soon as control returns to the event loop (after an engine command)."""
        self._last_activity = self._clock()
        self._active_since_check = True
        # A command may have closed pjsip's sockets (handleIpChange restarts its listener):
        # let go of their notifiers before the event loop polls them again.
        self._forget_closed_sockets()
        if self._running and not self._in_poll:
            # A command was just sent: the next poll may wait for its answer right away (unless
            # the answer's socket wakes the pump anyway: then it only blocks the windows).
            quiet = self._can_watch and _timers_known(self._sockets)
            self._next_block_ms = 0 if quiet else self._policy.hot_block_ms
            self._timer.start(0)

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
        self._last_events = events
        self._settled = not (events > 0 or hint.hot)
        now = self._clock()
        if events > 0:
            self._last_activity = now
            self._active_since_check = True
        if self._settled:
            # Only a pump about to sleep needs its notifiers up to date; a busy one polls
            # again at once. The /proc scans (0.2 ms; ~8 ms more with TCP/TLS transports, the
            # kernel walking its TCP tables) stay out of call setups and registrations.
            self._refresh_watch(now)
        elif (
            self._notifiers
            and self._sockets is not None
            and self._sockets.watch_generation != self._watch_generation
        ):
            # pjsip's sockets changed (a TCP/TLS connection closed) while busy: drop the
            # notifiers now - one on a closed descriptor makes Qt warn and disable it - and
            # leave the rescan to the next idle poll (a busy pump needs none meanwhile).
            self._set_notifiers(frozenset())
        self._forget_closed_sockets()
        plan = plan_next_poll(
            events=events,
            hint=hint,
            since_activity=now - self._last_activity,
            policy=self._policy,
            watching=self._watching,
            timers_known=_timers_known(self._sockets),
            can_watch=self._can_watch,
        )
        delay = plan.delay
        if self._active_since_check and self._sockets is not None:
            # Re-read the socket list soon after activity (it may have opened a connection).
            recheck = self._last_check + self._policy.watched_idle_interval - now
            delay = min(delay, max(0.0, recheck))
        self._next_block_ms = plan.block_ms
        if self._running:
            self._timer.start(round(delay * 1000))
