"""What the audio side tells the agent (a device missing, lost or failing), the texts in the
agent's words, and the small board the bridge and the ringer each keep their notices on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from communicator.core.observers import Subscribers

if TYPE_CHECKING:
    from communicator.sip.audio.devices import AudioDevice

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
        self._subscribers = Subscribers[AudioNotice](
            on_error=lambda _error: log.exception("audio notice listener failed")
        )

    @property
    def notices(self) -> tuple[AudioNotice, ...]:
        return tuple(self._notices)

    def subscribe(self, listener: Callable[[AudioNotice], None]) -> Callable[[], None]:
        return self._subscribers.subscribe(listener)

    def tell(self, kind: str, text: str) -> None:
        notice = AudioNotice(kind, text)
        log.warning("audio: %s", text)
        self._notices.append(notice)
        del self._notices[:-KEEP_NOTICES]
        self._subscribers.emit(notice)


def missing_device_text(what: str, choice: str | None, found: AudioDevice | None) -> str | None:
    """The agent chose a ``what`` (microphone/speaker) that is not there: the default is used."""
    if choice and (found is None or choice not in (found.name, found.label)):
        return f"The {what} {choice} is not connected; using the default {what}."
    return None


def no_device_text(have_mic: bool, have_spk: bool) -> str | None:
    """No usable microphone and/or speaker (calls still connect, silent that way)."""
    if have_mic and have_spk:
        return None
    if not have_mic and not have_spk:
        return "No microphone/speaker was found"
    return f"No {'microphone' if not have_mic else 'speaker'} was found"


def lost_device_text(what: str, old: AudioDevice | None, new: AudioDevice | None) -> str | None:
    """A ``what`` stopped (unplugged) and was reopened: on ``new``, or restarted in place."""
    if old is None or new is None:
        return None
    if new.name != old.name:
        return f"The {what} {old.name} stopped working; now using {new.name}."
    return f"The {what} {old.name} stopped and was restarted."


def disconnected_device_text(
    what: str, old: AudioDevice | None, new: AudioDevice | None, *, still_listed: bool
) -> str | None:
    """A device change moved the ``what`` from ``old`` to ``new``: news for the agent only
    when ``old`` is no longer listed (else a device preference chose ``new``)."""
    if old is None or new is None or new.name == old.name or still_listed:
        return None
    return f"The {what} {old.name} was disconnected; now using {new.name}."
