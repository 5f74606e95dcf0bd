"""Run a function on the Qt main thread from any thread (a queued signal)."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, Qt, Signal, Slot


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


def quit_on_signals(app: QCoreApplication, signals: tuple[int, ...] = ()) -> QSocketNotifier:
    """Quit the Qt loop on SIGINT/SIGTERM promptly, without a polling timer.

    Python runs signal handlers only when it next executes bytecode, which an idle Qt loop may
    not do for a long time. ``signal.set_wakeup_fd`` writes a byte to a socket on every signal;
    a QSocketNotifier on the other end wakes the loop, and the handler runs. Keep the returned
    notifier alive for as long as the loop runs."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    for sig in signals or (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier.activated.connect(drain)
    notifier.setProperty("sockets", (reader, writer))  # keep both ends alive with the notifier
    return notifier
