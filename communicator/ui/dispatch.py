"""Run a function on the Qt main thread from any thread (a queued signal)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot


class MainThreadDispatcher(QObject):
    """``dispatcher.post(fn)`` from a worker thread runs ``fn()`` on the thread that created the
    dispatcher (the Qt main thread), in order. Exceptions are logged by Qt, never lost silently:
    the caller wraps what must not fail."""

    _call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def post(self, fn: Callable[[], None]) -> None:
        self._call.emit(fn)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()
