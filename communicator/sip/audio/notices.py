"""What the audio side tells the agent (a device missing, lost or failing), and the small
board the bridge and the ringer each keep their notices on."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

KEEP_NOTICES = 20
"""The latest notices kept for a late observer (e.g. a window opened after sign-in)."""


@dataclass(frozen=True)
class AudioNotice:
    kind: str
    """``no_device`` | ``device_missing`` | ``device_lost`` | ``device_error``."""
    text: str


class NoticeBoard:
    """``notices`` (the latest few) and ``subscribe(listener)`` for each new one; listeners
    run on the thread that raised the notice (the endpoint's)."""

    def __init__(self) -> None:
        self._notices: list[AudioNotice] = []
        self._listeners: list[Callable[[AudioNotice], None]] = []

    @property
    def notices(self) -> tuple[AudioNotice, ...]:
        return tuple(self._notices)

    def subscribe(self, listener: Callable[[AudioNotice], None]) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def tell(self, kind: str, text: str) -> None:
        notice = AudioNotice(kind, text)
        log.warning("audio: %s", text)
        self._notices.append(notice)
        del self._notices[:-KEEP_NOTICES]
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("audio notice listener failed")
