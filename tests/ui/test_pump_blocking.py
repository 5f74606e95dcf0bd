"""The SIP pump never blocks the Qt loop waiting for an answer where sockets wake it (issue 14:
a 5 ms blocking poll was part of most GUI stalls of a sign-in and a call)."""

from __future__ import annotations

import socket
from typing import Any

from communicator.sip.polling import PollHint
from communicator.ui.pump import PollPlan, Pump, PumpPolicy, plan_next_poll

POLICY = PumpPolicy()


def plan(
    hint: PollHint,
    *,
    events: int = 0,
    watching: bool = True,
    timers_known: bool = True,
    can_watch: bool | None = None,
) -> PollPlan:
    return plan_next_poll(
        events=events,
        hint=hint,
        since_activity=60.0,
        policy=POLICY,
        watching=watching,
        timers_known=timers_known,
        can_watch=can_watch,
    )


def test_hot_polls_do_not_block_where_sockets_and_timers_wake_the_pump() -> None:
    # Events were handled: drain at once, without waiting in epoll.
    assert plan(PollHint(), events=2) == PollPlan(0.0, 0)
    # A transaction is under way: a short non-blocking tick; its answer wakes the pump.
    assert plan(PollHint(hot=True)) == PollPlan(POLICY.hot_tick, 0)
    # ... or pjsip's next timer, if it is due sooner.
    assert plan(PollHint(hot=True, next_deadline_in=0.002)) == PollPlan(0.002, 0)
    # The watch is being renewed (pjsip's sockets changed): still no blocking poll.
    assert plan(PollHint(hot=True), watching=False, can_watch=True) == PollPlan(POLICY.hot_tick, 0)


def test_hot_polls_still_block_where_nothing_else_wakes_the_pump() -> None:
    blocking = PollPlan(0.0, POLICY.hot_block_ms)
    assert plan(PollHint(hot=True), watching=False) == blocking  # no socket discovery here
    assert plan(PollHint(hot=True), timers_known=False) == blocking  # pjsip's timers unknown
    assert plan(PollHint(), events=1, timers_known=False) == blocking


class _WatchedSocket:
    """A SocketSource with one real UDP socket and pjsip's timers known (or not)."""

    def __init__(self, timers_known: bool) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.watch_generation = 0
        self.knows_next_timer = timers_known

    def watched_fds(self) -> frozenset[int] | None:
        return frozenset({self.socket.fileno()})

    def check_sockets(self) -> None:
        pass


def blocks_after_a_command(qtbot: Any, timers_known: bool) -> list[int]:
    """The block of each poll after a command (`Pump.kick`) once the pump watches a socket."""
    source = _WatchedSocket(timers_known)
    hints = [PollHint(hot=True), PollHint()]
    blocks: list[int] = []
    kicked = [False]

    def poll(block_ms: int) -> tuple[int, PollHint]:
        if kicked[0]:
            blocks.append(block_ms)
            return 0, hints.pop(0) if hints else PollHint()
        return 0, PollHint()

    pump = Pump(poll, PumpPolicy(idle_interval=3600, quiet_idle_interval=3600), sockets=source)
    pump.start()
    try:
        qtbot.waitUntil(lambda: pump.watching and pump.settled, timeout=5000)
        kicked[0] = True
        pump.kick()
        qtbot.waitUntil(lambda: len(blocks) >= 3 and pump.settled, timeout=5000)
    finally:
        pump.stop()
        source.socket.close()
    return blocks


def test_a_watching_pump_that_knows_pjsips_timers_never_blocks_after_a_command(
    qtbot: Any,
) -> None:
    # The command's poll, the hot one, the last (settled): none waits in epoll.
    assert set(blocks_after_a_command(qtbot, timers_known=True)) == {0}


def test_a_pump_without_pjsips_timers_still_waits_for_the_answer(qtbot: Any) -> None:
    blocks = blocks_after_a_command(qtbot, timers_known=False)
    assert blocks[0] == PumpPolicy().hot_block_ms  # the command's poll waits for its answer
