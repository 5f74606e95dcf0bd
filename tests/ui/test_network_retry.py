"""A network change that pjsua2 keeps refusing is retried with a growing delay, a bounded
number of times, and then the agent is told once; the next change starts afresh."""

from __future__ import annotations

from typing import Any

from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.ui.network_watch import MAX_ATTEMPTS, MAX_RETRY_MS, RETRY_MS, NetworkRecovery


class RefusingEngine:
    """Stands in for the engine where pjsua2 refuses every ``handleIpChange`` (the one part the
    rig cannot make fail on demand); ``refuse`` is turned off to let the next one through."""

    closed = False

    def __init__(self) -> None:
        self.calls = 0
        self.refuse = True

    def handle_ip_change(self) -> None:
        self.calls += 1
        if self.refuse:
            raise RuntimeError("handleIpChange: an IP change is already in progress (70013)")


def test_the_delay_doubles_up_to_its_cap() -> None:
    recovery = NetworkRecovery(RefusingEngine())
    delays = [recovery.retry_delay(n) for n in range(1, 9)]
    assert delays[0] == RETRY_MS
    assert delays[1] == 2 * RETRY_MS
    assert delays == sorted(delays)
    assert max(delays) == MAX_RETRY_MS
    recovery.close()


def test_a_recovery_that_keeps_failing_stops_and_tells_the_agent(qtbot: Any) -> None:
    engine = RefusingEngine()
    recovery = NetworkRecovery(engine, settle_ms=1, retry_ms=5, max_retry_ms=20, max_attempts=4)
    told: list[Message] = []
    recovery.notice.connect(told.append)
    try:
        recovery.network_changed("address added 10.1.2.3 on 2")
        qtbot.waitUntil(lambda: bool(told), timeout=5000)
        assert engine.calls == 4
        assert not recovery.retrying  # no timer left: nothing more runs by itself
        assert recovery.handled == 0
        assert len(told) == 1
        assert told[0].level is MessageLevel.WARNING
        assert told[0].source is MessageSource.PHONE
        assert "could not reconnect" in told[0].text
        # The next change starts afresh, and this time pjsua2 takes it.
        engine.refuse = False
        with qtbot.waitSignal(recovery.recovering, timeout=5000) as recovered:
            recovery.network_changed("resumed from sleep")
        assert recovered.args == ["resumed from sleep"]
        assert engine.calls == 5
        assert recovery.refusals == 4
        assert len(told) == 1
    finally:
        recovery.close()


def test_the_default_bound_is_over_half_a_minute_and_finite() -> None:
    recovery = NetworkRecovery(RefusingEngine())
    total = sum(recovery.retry_delay(n) for n in range(1, MAX_ATTEMPTS))
    assert 30_000 <= total <= 120_000
    recovery.close()
