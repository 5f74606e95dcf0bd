"""The project's one observer style, in one place.

Whoever publishes a stream of events keeps a `Subscribers`: ``subscribe(listener)`` returns the
callable that unsubscribes it (safe to call twice), and `emit` calls every listener in the order
they subscribed. A listener that raises does not stop the others: its exception goes to the
owner's ``on_error`` (which runs inside the ``except`` block, so ``log.exception`` there keeps
the traceback); without one it propagates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Generic, TypeVar

E = TypeVar("E")


class Subscribers(Generic[E]):
    def __init__(self, on_error: Callable[[Exception], None] | None = None) -> None:
        self._listeners: list[Callable[[E], None]] = []
        self._on_error = on_error

    def __len__(self) -> int:
        return len(self._listeners)

    def subscribe(self, listener: Callable[[E], None]) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: E) -> None:
        for listener in tuple(self._listeners):  # a listener may unsubscribe itself
            try:
                listener(event)
            except Exception as error:
                if self._on_error is None:
                    raise
                self._on_error(error)
