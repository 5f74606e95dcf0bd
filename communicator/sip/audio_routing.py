"""Which conference-bridge ports are connected, and keeping them so.

`wanted_links` is a function of the lines, the calls' media, the local audio and the
recorders alone: every call the agent hears is connected both ways to the local audio
(source -> call unless muted, call -> sink), conference members to each other, recorders to
their call (and to the agent's voice). `AudioRouter` applies the wanted set as a difference
after every change, and audits the bridge for a while after media changes (`audit`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pjsua2 as pj

from communicator.core.calls import Call, CallId, CallState
from communicator.sip.local_audio import LocalAudio

log = logging.getLogger(__name__)

AUDIT_SECONDS = 1.5
"""How long after a media change the router checks its connections."""
LINK_SETTLE_S = 0.1
"""A new bridge connection is applied at pjmedia's next 20 ms tick; five ticks allow for load."""
MEDIA_STATES = (CallState.CONNECTED, CallState.HELD, CallState.EARLY_MEDIA)
"""Call states whose media the router may connect (held calls: to their recorder)."""

LinkKey = tuple[str, str, int, int]
"""A bridge connection: (source name, sink name, source slot, sink slot)."""


@dataclasses.dataclass(frozen=True, eq=False)
class AudioLink:
    """A conference-bridge connection the router made, and when (monotonic seconds):
    pjmedia applies it at its next clock tick, so the audit must not take a young link for a
    dropped one. ``source``/``sink`` name the ends: ``source``/``sink`` (the local audio),
    ``call:<id>``, ``rec:<id>``."""

    source: str
    sink: str
    source_slot: int
    sink_slot: int
    src: Any
    """The pjsua2 AudioMedia sending (owned elsewhere)."""
    dst: Any
    """The pjsua2 AudioMedia receiving (owned elsewhere)."""
    made_at: float

    @property
    def key(self) -> LinkKey:
        return (self.source, self.sink, self.source_slot, self.sink_slot)


def wanted_links(
    calls: Mapping[CallId, Call],
    media: Mapping[CallId, Any],
    local: LocalAudio,
    recorders: Mapping[CallId, Any],
) -> dict[LinkKey, tuple[Any, Any]]:
    """The connections the bridge should have. ``media``: each call's AudioMedia (only calls
    in `MEDIA_STATES` that have one); ``recorders``: each recorded call's recorder."""
    wanted: dict[LinkKey, tuple[Any, Any]] = {}

    def add(src_name: str, src: Any, dst_name: str, dst: Any) -> None:
        wanted[(src_name, dst_name, int(src.getPortId()), int(dst.getPortId()))] = (src, dst)

    for call_id, m in media.items():
        call = calls[call_id]
        name = f"call:{call_id}"
        if call.state in (CallState.CONNECTED, CallState.EARLY_MEDIA):
            add(name, m, "sink", local.sink)
        if call.state is CallState.CONNECTED:
            if not call.muted:
                add("source", local.source, name, m)
            partner = call.conference_with
            if (
                partner is not None
                and partner in media
                and calls[partner].state is CallState.CONNECTED
            ):
                add(name, m, f"call:{partner}", media[partner])
        recorder = recorders.get(call_id)
        if recorder is not None:
            add(name, m, f"rec:{call_id}", recorder)
            if call.state is CallState.CONNECTED and not call.muted:
                add("source", local.source, f"rec:{call_id}", recorder)
    return wanted


def call_media(call: Any) -> Any | None:
    """An EngineCall's AudioMedia (its stream with media as of the last media change)."""
    index = call.audio_index  # kept by EngineCall.onCallMediaState
    if index is None:
        return None
    try:
        return call.getAudioMedia(index)
    except pj.Error:
        return None


class AudioRouter:
    """The bridge connections the engine made, applied as differences and audited."""

    def __init__(self, *, monotonic: Callable[[], float], failure: Callable[[str], None]) -> None:
        self._mono = monotonic
        self._failure = failure
        self._links: dict[LinkKey, AudioLink] = {}
        self._audit_until = 0.0

    def links(self) -> tuple[AudioLink, ...]:
        return tuple(self._links.values())

    # ------------------------------------------------------------ applying

    def sync(self, wanted: Callable[[], dict[LinkKey, tuple[Any, Any]]]) -> None:
        """Make the connections match ``wanted()`` (nothing changes when it fails)."""
        try:
            target = wanted()
        except pj.Error as error:
            self._failure(f"audio: {error.info()}")
            return
        self.drop([k for k in self._links if k not in target])
        for key, (src, dst) in target.items():
            if key in self._links:
                continue
            try:
                log.debug("audio: connect %s", key)
                src.startTransmit(dst)
            except pj.Error as error:
                self._failure(f"audio {key[0]} -> {key[1]}: {error.info()}")
                continue
            self._links[key] = AudioLink(*key, src, dst, self._mono())

    def drop(self, keys: Iterable[LinkKey]) -> None:
        for key in list(keys):
            link = self._links.pop(key)
            log.debug("audio: disconnect %s", key)
            with contextlib.suppress(pj.Error):
                link.src.stopTransmit(link.dst)

    def drop_call(self, call_id: CallId) -> None:
        names = {f"call:{call_id}", f"rec:{call_id}"}
        self.drop([k for k in self._links if k[0] in names or k[1] in names])

    def drop_media(self, media: Iterable[Any]) -> None:
        """Every connection to or from one of ``media`` (about to be destroyed)."""
        gone = list(media)
        self.drop(
            [
                key
                for key, link in self._links.items()
                if any(link.src is m or link.dst is m for m in gone)
            ]
        )

    def drop_all(self) -> None:
        self.drop(list(self._links))

    # ------------------------------------------------------------ audit

    def media_changed(self) -> None:
        """A call's media changed: audit the connections for `AUDIT_SECONDS`."""
        self._audit_until = self._mono() + AUDIT_SECONDS

    @property
    def auditing(self) -> bool:
        return bool(self._audit_until)

    def audit_if_due(self) -> None:
        if self._audit_until and self._mono() < self._audit_until:
            self.audit()
        else:
            self._audit_until = 0.0

    def audit(self) -> int:
        """Re-make bridge connections that pjmedia dropped; returns how many.

        pjsua2 2.15 re-creates a call's conference port on hold/unhold re-INVITEs and hands a
        freed slot to the next call; a removal still queued on the media clock can then cut a
        connection just made to the reused slot. For a while after each media change the
        router checks its connections and re-makes missing ones (connecting is idempotent).
        pjmedia 2.15 applies a connection at its next clock tick, so a link younger than
        `LINK_SETTLE_S` is not yet expected in the listener list.
        """
        now = self._mono()
        remade = 0
        for key, link in list(self._links.items()):
            if now - link.made_at < LINK_SETTLE_S:
                continue
            try:
                # Keep the ConfPortInfo alive while reading its vector: a member of a
                # temporary SWIG object points into freed memory (garbage port ids).
                info = link.src.getPortInfo()
                if key[3] not in list(info.listeners):
                    log.debug("audio: re-connect %s", key)
                    link.src.startTransmit(link.dst)
                    self._links[key] = dataclasses.replace(link, made_at=now)
                    remade += 1
            except pj.Error:
                continue
        return remade


def call_medias(
    calls: Mapping[CallId, Call], engine_call: Callable[[CallId], Any | None]
) -> dict[CallId, Any]:
    """The AudioMedia of every call in `MEDIA_STATES` that has one."""
    media: dict[CallId, Any] = {}
    for call_id, call in calls.items():
        found_call = engine_call(call_id)
        if found_call is None or call.state not in MEDIA_STATES:
            continue
        found = call_media(found_call)
        if found is not None:
            media[call_id] = found
    return media
