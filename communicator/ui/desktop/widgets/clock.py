"""One shared 1 s timer for every clock the agent sees (call timers, time in state, wrap-up).

A widget that shows a running clock calls ``clock.need(self)`` while it has one and
``clock.release(self)`` when it has none; the timer runs only while someone needs it, so an
idle window wakes nobody. Widgets compute what they show from the model's epoch values
(`time.time()` clock) on each ``tick``.

A running clock changes its text every second; `ClockLabel` shows it without making the window
lay itself out again each time (see its docstring).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


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


class ClockLabel(QLabel):
    """A label for a text that changes every second (``12:34 in state``, ``0:07 left``).

    A plain `QLabel` asks its parent's layout to recompute on every ``setText`` (a
    LayoutRequest up to the window, then a repaint of the window around it) unless its
    minimum and maximum sizes are equal. This one has a fixed size: wide enough for the
    widest text of ``patterns`` in the current font (each ``9`` stands for the widest digit),
    recomputed when the font or style changes, so a tick repaints the label's own rectangle
    and nothing else. It also fills its background, so Qt need not repaint the widgets
    underneath it either.
    """

    def __init__(self, patterns: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._patterns = patterns
        self.setAutoFillBackground(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._fit()

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        widest = max("0123456789", key=metrics.horizontalAdvance)
        margins = self.contentsMargins()
        width = max(metrics.horizontalAdvance(p.replace("9", widest)) for p in self._patterns)
        width += margins.left() + margins.right() + 2 * self.margin() + 2  # antialiased edge
        height = metrics.height() + margins.top() + margins.bottom() + 2 * self.margin()
        self.setFixedSize(width, height)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()
