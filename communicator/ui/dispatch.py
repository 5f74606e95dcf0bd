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


class SignalQuitter:
    """Quits the Qt loop on SIGINT/SIGTERM promptly, without a polling timer.

    Python runs signal handlers only when it next executes bytecode, which an idle Qt loop may
    not do for a long time. ``signal.set_wakeup_fd`` writes a byte to a socket on every signal;
    a QSocketNotifier on the other end wakes the loop, and the handler runs. Keep the object
    for as long as the loop runs; :meth:`close` restores the previous wakeup fd."""

    def __init__(
        self,
        app: QCoreApplication,
        signals: tuple[int, ...] = (),
        *,
        on_signal: Callable[[int], None] | None = None,
    ) -> None:
        """``on_signal(signum)`` runs first, on the main thread, before the loop is told to
        quit (quitting closes the windows: a handler of their closing can then tell the two
        apart)."""
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())

        def handle(signum: int, _frame: object) -> None:
            if on_signal is not None:
                on_signal(signum)
            app.quit()

        for sig in signals or (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, handle)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            self._reader.recv(64)

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()
