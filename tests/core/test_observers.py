"""The one observer style: subscribe returns the unsubscribe callable; emit survives a failing
listener when the owner says how to report it."""

from __future__ import annotations

import pytest

from communicator.core.observers import Subscribers


def test_listeners_get_events_in_order_until_they_unsubscribe() -> None:
    subs = Subscribers[int]()
    got: list[tuple[str, int]] = []
    stop_a = subs.subscribe(lambda e: got.append(("a", e)))
    subs.subscribe(lambda e: got.append(("b", e)))
    subs.emit(1)
    stop_a()
    stop_a()  # twice is harmless
    subs.emit(2)
    assert got == [("a", 1), ("b", 1), ("b", 2)]
    assert len(subs) == 1


def test_a_listener_may_unsubscribe_itself_while_being_called() -> None:
    subs = Subscribers[int]()
    got: list[int] = []
    stop: list[object] = []

    def once(event: int) -> None:
        got.append(event)
        stop[0]()  # type: ignore[operator]

    stop.append(subs.subscribe(once))
    subs.subscribe(got.append)
    subs.emit(1)
    subs.emit(2)
    assert got == [1, 1, 2]


def test_a_failing_listener_goes_to_on_error_and_the_others_still_hear() -> None:
    errors: list[Exception] = []
    subs = Subscribers[int](on_error=errors.append)
    got: list[int] = []

    def broken(_event: int) -> None:
        raise RuntimeError("bug")

    subs.subscribe(broken)
    subs.subscribe(got.append)
    subs.emit(7)
    assert got == [7]
    assert [str(e) for e in errors] == ["bug"]


def test_without_on_error_a_failure_propagates() -> None:
    subs = Subscribers[int]()

    def broken(_event: int) -> None:
        raise RuntimeError("bug")

    subs.subscribe(broken)
    with pytest.raises(RuntimeError):
        subs.emit(1)
