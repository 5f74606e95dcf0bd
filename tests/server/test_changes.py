"""The change bus: listeners subscribe and get an unsubscribe callable."""

from __future__ import annotations

from communicator.provisioning.server.changes import Change, ChangeBus


def test_a_listener_gets_changes_until_it_unsubscribes() -> None:
    bus = ChangeBus()
    got: list[Change] = []
    unsubscribe = bus.subscribe(got.append)
    first = Change(agents=frozenset({1}))
    bus.publish(first)
    assert got == [first]
    unsubscribe()
    unsubscribe()  # a second call is harmless
    bus.publish(Change(everyone=True))
    assert got == [first]


def test_a_failing_listener_does_not_stop_the_others() -> None:
    bus = ChangeBus()
    got: list[Change] = []

    def broken(_change: Change) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe(broken)
    bus.subscribe(got.append)
    change = Change(sessions_revoked=frozenset({7}))
    bus.publish(change)
    assert got == [change]
