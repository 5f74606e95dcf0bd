"""One message channel for everything the agent should read: engine, audio, ringer, workstation
and refused commands all speak through `Message` values (level, source, text; and, for a notice
the UI can say in the agent's language, its `NoticeCode` and parameters)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from communicator.core.notices import NoticeCode, NoticeParams


class MessageLevel(Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class MessageSource(Enum):
    PHONE = "phone"
    """The SIP engine: registration, calls, transfers, forwarding."""
    AUDIO = "audio"
    """Microphone and speaker."""
    RINGER = "ringer"
    WORKSTATION = "workstation"
    """Sign-in, profile updates, call logs, the keyring."""
    AGENT = "agent"
    """A command the agent gave that could not be carried out."""


@dataclass(frozen=True)
class Message:
    level: MessageLevel
    source: MessageSource
    text: str
    """In English (or already in the agent's language, for the UI's own messages)."""
    code: NoticeCode | None = None
    """Set when the UI translates the message by its code (`communicator.core.notices`)."""
    params: NoticeParams = ()
