"""One shared 1 s timer for every clock the agent sees (call timers, time in state, wrap-up).

A widget that shows a running clock calls ``clock.need(self)`` while it has one and
``clock.release(self)`` when it has none; the timer runs only while someone needs it, so an
idle window wakes nobody. Widgets compute what they show from the model's epoch values
(`time.time()` clock) on each ``tick``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal


class SharedClock(QObject):
    """Emits ``tick(now)`` once a second while at least one user needs it."""

    tick = Signal(float)

    def __init__(self, now: Callable[[], float] = time.time, parent: QObject | None = None):
        super().__init__(parent)
        self._now = now
        self._users: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._timer.timeout.connect(self._fire)

    def now(self) -> float:
        return self._now()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def need(self, user: object) -> None:
        self._users.add(id(user))
        if not self._timer.isActive():
            self._timer.start()

    def release(self, user: object) -> None:
        self._users.discard(id(user))
        if not self._users:
            self._timer.stop()

    def set_needed(self, user: object, needed: bool) -> None:
        if needed:
            self.need(user)
        else:
            self.release(user)

    def _fire(self) -> None:
        self.tick.emit(self._now())


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:34``, ``1:02:03``: how long, as clocks show it."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
