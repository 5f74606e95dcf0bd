"""Call quality from pjsua2's stream statistics, read at most every `QUALITY_INTERVAL_S`.

The engine calls `QualitySampler.sample_if_due` from its pump step (the thread that owns the
endpoint, never inside a pjsua2 callback): one ``getStreamStat`` per call with media, a few
microseconds each. The last figures of each call are kept until its call record is published
(`attach`), so the call log carries them even when the record waits for its recording; the
line's light gets the same readings over the last few seconds (`live_quality`, the core's
`LiveQuality`). The last reading is at most one interval old when the call ends (pjsua2
destroys the stream before the engine hears of the disconnect, so nothing fresher can be read
then).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

import pjsua2 as pj

from communicator.core.call_quality import CallQuality, CallTotals, LiveQuality
from communicator.core.call_record import CallRecord
from communicator.core.calls import CallId
from communicator.sip.events import EngineEvent, QualityMeasured

log = logging.getLogger(__name__)

QUALITY_INTERVAL_S = 2.0
"""How often a call's statistics are read (the indicator's refresh)."""
FIRST_READING_S = 1.0
"""The first reading after a call's media starts (some packets have flowed by then)."""
MAX_KEPT = 16
"""Readings kept for calls whose record is not published yet (a bound, never reached)."""


def read_quality(call: Any, index: int, codec: str) -> tuple[CallQuality, tuple[int, int]]:
    """One reading of the audio stream ``index`` of the pjsua2 ``call``, and when that stream
    began (which tells a stream made afresh from the one before)."""
    stat = call.getStreamStat(index)
    rtcp = stat.rtcp
    rx, tx = rtcp.rxStat, rtcp.txStat
    rtt = rtcp.rttUsec
    started = (int(rtcp.start.sec), int(rtcp.start.msec))
    return CallQuality(
        codec=codec,
        rx_packets=int(rx.pkt),
        rx_lost=int(rx.loss),
        rx_jitter_ms=int(rx.jitterUsec.last) / 1000.0,
        tx_packets=int(tx.pkt),
        tx_lost=int(tx.loss),
        tx_jitter_ms=int(tx.jitterUsec.last) / 1000.0,
        rtt_ms=int(rtt.last) / 1000.0 if int(rtt.n) > 0 else None,
        jitter_buffer_ms=float(stat.jbuf.avgDelayMsec),
    ), started


class QualitySampler:
    def __init__(
        self,
        calls: Callable[[], Iterable[Any]],
        emit: Callable[[EngineEvent], None],
        monotonic: Callable[[], float],
    ) -> None:
        """``calls``: the live EngineCalls (with ``core_id`` and ``audio_index``)."""
        self._calls = calls
        self._emit = emit
        self._mono = monotonic
        self._last: dict[CallId, CallQuality] = {}
        self._totals: dict[CallId, CallTotals] = {}
        self._windows: dict[CallId, LiveQuality] = {}
        self._live: dict[CallId, CallQuality] = {}
        self._codecs: dict[CallId, str] = {}
        self._next_at: float | None = None

    def quality(self, call_id: CallId) -> CallQuality | None:
        """The last reading: counts since the call's media began (the call log's)."""
        return self._last.get(call_id)

    def live_quality(self, call_id: CallId) -> CallQuality | None:
        """The last reading over the last `LIVE_WINDOW_S` (the line's light)."""
        return self._live.get(call_id)

    def _media_calls(self) -> list[tuple[CallId, Any, int]]:
        return [
            (c.core_id, c, c.audio_index)
            for c in self._calls()
            if c.core_id is not None and c.audio_index is not None
        ]

    def sample_if_due(self) -> bool:
        """Read every call with media if the interval has passed; whether a figure changed."""
        calls = self._media_calls()
        now = self._mono()
        if not calls:
            self._next_at = None
            return False
        if self._next_at is None:
            self._next_at = now + FIRST_READING_S
        if now < self._next_at:
            return False
        self._next_at = now + QUALITY_INTERVAL_S
        changed = False
        for call_id, call, index in calls:
            try:
                codec = self._codecs.get(call_id)
                if codec is None:
                    info = call.getStreamInfo(index)
                    codec = f"{info.codecName}/{info.codecClockRate}"
                    self._codecs[call_id] = codec
                reading, stream = read_quality(call, index, codec)
            except pj.Error as error:  # the stream went away meanwhile
                log.debug("no stream statistics for %s: %s", call_id, error.info())
                continue
            quality = self._totals.setdefault(call_id, CallTotals()).add(reading, stream)
            live = self._windows.setdefault(call_id, LiveQuality()).add(now, reading, stream)
            # The live figures move on while the totals stand still (a call on hold): the light
            # follows them, so either change is news.
            if self._last.get(call_id) != quality or self._live.get(call_id) != live:
                self._last[call_id], self._live[call_id] = quality, live
                self._emit(QualityMeasured(call_id, quality))
                changed = True
        for kept in (self._last, self._totals, self._windows, self._live):
            while len(kept) > MAX_KEPT:
                del kept[next(iter(kept))]
        return changed

    def deadline(self) -> float | None:
        """Seconds until the next reading is due (None: no call with media)."""
        if self._next_at is None:
            return FIRST_READING_S if self._media_calls() else None
        return max(0.0, self._next_at - self._mono())

    def attach(self, record: CallRecord) -> CallRecord:
        """``record`` with its call's last figures (which are forgotten)."""
        self._codecs.pop(record.call_id, None)
        self._totals.pop(record.call_id, None)
        self._windows.pop(record.call_id, None)
        self._live.pop(record.call_id, None)
        quality = self._last.pop(record.call_id, None)
        return record if quality is None else dataclasses.replace(record, quality=quality)
