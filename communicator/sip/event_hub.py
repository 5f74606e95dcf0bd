"""The engine's observers: `subscribe` listeners, the recent notices, and change detection
for the state the UI shows (an event goes out only when its part changed)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from communicator.core.calls import Call
from communicator.core.notices import Notice
from communicator.core.observers import Subscribers
from communicator.core.registration import RegistrationStatus
from communicator.sip.events import (
    EngineEvent,
    ForwardingChanged,
    LinesChanged,
    NoticePosted,
    RegistrationChanged,
)

log = logging.getLogger(__name__)

Listener = Callable[[EngineEvent], None]
MAX_NOTICES = 20


class EventHub:
    def __init__(self) -> None:
        self._subscribers = Subscribers[EngineEvent](
            on_error=lambda _error: log.exception("engine listener failed")
        )
        self._notices: deque[str] = deque(maxlen=MAX_NOTICES)
        self._registration: RegistrationStatus | None = None
        self._lines: tuple[Call | None, ...] | None = None
        self._forwarding: str | None = None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._subscribers.subscribe(listener)

    def emit(self, event: EngineEvent) -> None:
        self._subscribers.emit(event)

    def notice(self, said: str | Notice) -> None:
        """Tell the agent: an English text, or a coded `Notice` the UI can translate."""
        notice = Notice(said) if isinstance(said, str) else said
        self._notices.append(notice.text)
        self.emit(NoticePosted(notice.text, notice.code, notice.params))

    def notices(self) -> tuple[str, ...]:
        """The most recent notices, newest last."""
        return tuple(self._notices)

    def publish(
        self,
        registration: RegistrationStatus,
        static_ip: bool,
        lines: tuple[Call | None, ...],
        forwarding: str | None,
    ) -> None:
        """Emit an event for each part that differs from what was last published."""
        if registration != self._registration:
            self._registration = registration
            self.emit(RegistrationChanged(registration, static_ip=static_ip))
        if lines != self._lines:
            self._lines = lines
            self.emit(LinesChanged(lines))
        if forwarding != self._forwarding:
            self._forwarding = forwarding
            self.emit(ForwardingChanged(forwarding))
