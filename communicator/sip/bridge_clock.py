"""The engine's demand for the conference bridge's clock and the media thread.

The null sound device ticks 50 times a second even with nothing to mix, and the media
thread polls RTP: an idle client stops both. The engine asks for the clock while calls or
recorders need it and `CLOCK_LINGER` seconds after (a removed recorder's WAV header is written
on a clock tick), and for the media thread while calls are alive (and as long after).
"""

from __future__ import annotations

from collections.abc import Callable

from communicator.sip.endpoint import SipEndpoint

CLOCK_LINGER = 1.5
"""Seconds the bridge clock keeps running after the last call/recorder (WAV headers)."""


class BridgeClock:
    def __init__(self, endpoint: SipEndpoint, owner: str, monotonic: Callable[[], float]) -> None:
        self._endpoint = endpoint
        self._owner = owner
        self._mono = monotonic
        self._clock_until = 0.0
        self._media_until = 0.0

    def update(self, *, calls: bool, recorders: bool) -> None:
        """Ask for what live ``calls`` and ``recorders`` need (and release what lapsed)."""
        now = self._mono()
        if calls or recorders:
            self._clock_until = now + CLOCK_LINGER
        if calls:
            self._media_until = now + CLOCK_LINGER
        self._endpoint.set_clock_demand(self._owner, now < self._clock_until)
        self._endpoint.set_media_demand(self._owner, now < self._media_until)

    def tick(self, *, calls: bool, recorders: bool) -> None:
        """Once per pump step: when a linger period is over, release what lapsed."""
        now = self._mono()
        if (self._clock_until and now >= self._clock_until) or (
            self._media_until and now >= self._media_until
        ):
            self.update(calls=calls, recorders=recorders)
            if self._mono() >= self._media_until:
                self._media_until = 0.0

    def deadlines(self) -> list[float]:
        """Seconds until the demands lapse (for the pump's next wake-up)."""
        now = self._mono()
        out: list[float] = []
        if self._endpoint.sound_clock_running and self._clock_until:
            out.append(self._clock_until - now)
        if self._media_until:
            out.append(self._media_until - now)
        return out

    def release(self) -> None:
        self._endpoint.set_clock_demand(self._owner, False)
        self._endpoint.set_media_demand(self._owner, False)
