"""Call quality: the figures of one call's audio stream, a MOS estimate, and a traffic light.

The figures come from the media stack's RTP/RTCP statistics (the SIP adapter reads them), both
ways: *rx* is what the agent receives (loss counted from RTP sequence numbers, jitter per
RFC 3550), *tx* is what the far end reports about our stream in its RTCP receiver reports
(known only after the first report, ~5 s into the call). The round-trip time comes from RTCP
too (None until known).

MOS: ITU-T G.107 E-model, simplified the usual way for VoIP monitoring:

* ``R = 93.2 - Id - Ie_eff`` (R0 - Is = 93.2 with G.107's default values; the advantage
  factor A = 0);
* ``Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)`` with the one-way delay ``d`` (ms) taken as
  RTT/2 + the jitter buffer's delay + one packet (20 ms) of packetisation; no echo terms;
* ``Ie_eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)`` with random loss (BurstR = 1) and
  ``Ppl`` the worse of the two directions' loss in percent; ``Ie`` and ``Bpl`` per codec from
  ITU-T G.113 Appendix I where it lists the codec, otherwise an estimate (marked below);
  wideband codecs are rated on the narrowband scale (no G.107.1 extension);
* ``MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R)`` clamped to 1..4.5.

The stack's counts run from the stream's start, and a hold makes the stream afresh: the call log
keeps the call's totals (`CallTotals`). The line's light shows
the call as it is now (`LiveQuality`): the packets and losses of the last `LIVE_WINDOW_S`
(`over_stretch`), so a call that goes bad after ten good minutes turns red within seconds (the
loss must outweigh the window's good part: ~6 s for 10 % loss), and one that recovers turns
green again.

Pure: no Qt, no pjsua2, no clock (the times are given).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections import deque
from dataclasses import dataclass

PACKETISATION_MS = 20.0
"""One audio frame of delay at the sender (the engine's ptime)."""


@dataclass(frozen=True)
class CodecImpairment:
    ie: float
    """Equipment impairment factor (no loss)."""
    bpl: float
    """Packet-loss robustness factor."""


CODEC_IMPAIRMENTS: dict[str, CodecImpairment] = {
    "pcmu": CodecImpairment(0.0, 25.1),  # G.711 with PLC (G.113 I)
    "pcma": CodecImpairment(0.0, 25.1),
    "g711": CodecImpairment(0.0, 25.1),
    "g722": CodecImpairment(0.0, 25.1),  # estimate: G.711-like on the narrowband scale
    "opus": CodecImpairment(0.0, 30.0),  # estimate: no G.113 entry
    "g729": CodecImpairment(11.0, 19.0),  # G.729A (G.113 I)
    "g723": CodecImpairment(15.0, 16.1),  # G.723.1 6.3 kbit/s (G.113 I)
    "gsm": CodecImpairment(20.0, 10.0),  # GSM-FR Ie (G.113 I); Bpl an estimate
    "ilbc": CodecImpairment(11.0, 32.0),  # estimate (published measurements)
    "speex": CodecImpairment(11.0, 20.0),  # estimate
    "l16": CodecImpairment(0.0, 4.3),  # uncompressed, no PLC
}
UNKNOWN_CODEC = CodecImpairment(10.0, 20.0)
"""For a codec missing above: a middling narrowband codec."""


def codec_impairment(codec: str) -> CodecImpairment:
    """``codec`` as the stack names it ("PCMU/8000/1", "G722", "opus/48000/2")."""
    name = codec.split("/", 1)[0].strip().lower()
    for key, value in CODEC_IMPAIRMENTS.items():
        if name.startswith(key):
            return value
    return UNKNOWN_CODEC


def delay_impairment(one_way_ms: float) -> float:
    """G.107's Id for a one-way (mouth-to-ear) delay, simplified (no echo)."""
    d = max(0.0, one_way_ms)
    return 0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0.0)


def effective_equipment_impairment(codec: CodecImpairment, loss_pct: float) -> float:
    """G.107's Ie,eff for random loss (BurstR = 1)."""
    ppl = min(100.0, max(0.0, loss_pct))
    return codec.ie + (95.0 - codec.ie) * ppl / (ppl + codec.bpl)


def r_factor(codec: CodecImpairment, one_way_ms: float, loss_pct: float) -> float:
    return 93.2 - delay_impairment(one_way_ms) - effective_equipment_impairment(codec, loss_pct)


def mos_from_r(r: float) -> float:
    """G.107 Annex B: the estimated conversational MOS for a rating R."""
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)


class QualityLevel(enum.Enum):
    GOOD = "good"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True)
class Threshold:
    """One figure's limits: past ``amber`` the line turns amber, past ``red`` red."""

    figure: str
    """A `CallQuality` attribute."""
    amber: float
    red: float
    higher_is_worse: bool = True

    def level(self, value: float | None) -> QualityLevel:
        if value is None:
            return QualityLevel.GOOD
        sign = 1.0 if self.higher_is_worse else -1.0
        if sign * value > sign * self.red:
            return QualityLevel.RED
        if sign * value > sign * self.amber:
            return QualityLevel.AMBER
        return QualityLevel.GOOD


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("jitter_ms", amber=20.0, red=50.0),
    Threshold("loss_pct", amber=2.0, red=5.0),
    Threshold("rtt_ms", amber=240.0, red=400.0),
    Threshold("mos", amber=3.6, red=3.1, higher_is_worse=False),
)
"""Amber at the issue's limits (jitter > 20 ms, loss > 2 %, RTT > 240 ms, MOS < 3.6); red
where a call is clearly hard to understand."""

_ORDER = (QualityLevel.GOOD, QualityLevel.AMBER, QualityLevel.RED)


@dataclass(frozen=True)
class CallQuality:
    """One reading of a call's stream statistics (cumulative since the call's media began)."""

    codec: str
    rx_packets: int
    rx_lost: int
    rx_jitter_ms: float
    tx_packets: int
    tx_lost: int
    """As the far end reported it (RTCP); 0 until its first report."""
    tx_jitter_ms: float
    rtt_ms: float | None
    """None until an RTCP report gave it."""
    jitter_buffer_ms: float = 0.0

    @property
    def rx_loss_pct(self) -> float:
        expected = self.rx_packets + self.rx_lost
        return 100.0 * self.rx_lost / expected if expected > 0 else 0.0

    @property
    def tx_loss_pct(self) -> float:
        return min(100.0, 100.0 * self.tx_lost / self.tx_packets) if self.tx_packets > 0 else 0.0

    @property
    def loss_pct(self) -> float:
        """The worse direction's loss."""
        return max(self.rx_loss_pct, self.tx_loss_pct)

    @property
    def jitter_ms(self) -> float:
        """The worse direction's jitter."""
        return max(self.rx_jitter_ms, self.tx_jitter_ms)

    @property
    def one_way_delay_ms(self) -> float:
        return (self.rtt_ms or 0.0) / 2.0 + self.jitter_buffer_ms + PACKETISATION_MS

    @property
    def r_factor(self) -> float:
        return r_factor(codec_impairment(self.codec), self.one_way_delay_ms, self.loss_pct)

    @property
    def mos(self) -> float:
        return mos_from_r(self.r_factor)

    @property
    def level(self) -> QualityLevel:
        worst = max((t.level(getattr(self, t.figure)) for t in THRESHOLDS), key=_ORDER.index)
        return worst

    def summary(self) -> str:
        """The figures for a tooltip, one per line."""
        rtt = "unknown yet" if self.rtt_ms is None else f"{self.rtt_ms:.0f} ms"
        return "\n".join(
            (
                f"Call quality: {self.level.value} (MOS {self.mos:.1f})",
                f"Received: loss {self.rx_loss_pct:.1f} %, jitter {self.rx_jitter_ms:.0f} ms",
                f"Sent: loss {self.tx_loss_pct:.1f} %, jitter {self.tx_jitter_ms:.0f} ms",
                f"Round trip: {rtt}",
                f"Codec: {self.codec}",
            )
        )

    def as_log(self) -> dict[str, float | int | str | None]:
        """The call log's ``quality`` field: flat, finite numbers (and the codec's name)."""
        values: dict[str, float | int | str | None] = {
            "mos": round(self.mos, 2),
            "r_factor": round(self.r_factor, 1),
            "level": self.level.value,
            "codec": self.codec[:200],
            "rx_packets": self.rx_packets,
            "rx_lost": self.rx_lost,
            "rx_loss_pct": round(self.rx_loss_pct, 2),
            "rx_jitter_ms": round(self.rx_jitter_ms, 1),
            "tx_packets": self.tx_packets,
            "tx_lost": self.tx_lost,
            "tx_loss_pct": round(self.tx_loss_pct, 2),
            "tx_jitter_ms": round(self.tx_jitter_ms, 1),
            "rtt_ms": None if self.rtt_ms is None else round(self.rtt_ms, 1),
            "jitter_buffer_ms": round(self.jitter_buffer_ms, 1),
        }
        return {
            key: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for key, v in values.items()
        }


LIVE_WINDOW_S = 10.0
"""The stretch the live figures count: two of the far end's RTCP reports (~5 s apart), which
the sent direction's loss needs, and a few of the engine's readings."""


def over_stretch(earlier: CallQuality, later: CallQuality) -> CallQuality:
    """The figures between two readings of one call: the packets and losses counted in between
    (a direction whose counts went down, a stream the stack started afresh, counts from zero);
    jitter, round-trip time and the jitter buffer as the later reading has them. The sent
    direction's losses are the far end's running count (its reports go on across our stream's
    restart), so they are always the difference, never less than none."""
    rx_restarted = later.rx_packets < earlier.rx_packets
    tx_restarted = later.tx_packets < earlier.tx_packets
    return dataclasses.replace(
        later,
        rx_packets=later.rx_packets if rx_restarted else later.rx_packets - earlier.rx_packets,
        rx_lost=later.rx_lost if rx_restarted else max(0, later.rx_lost - earlier.rx_lost),
        tx_packets=later.tx_packets if tx_restarted else later.tx_packets - earlier.tx_packets,
        tx_lost=max(0, later.tx_lost - earlier.tx_lost),
    )


def added(earlier: CallQuality, later: CallQuality) -> CallQuality:
    """Two streams' counts one after the other, as one call's; jitter, round-trip time and the
    jitter buffer as the later has them."""
    return dataclasses.replace(
        later,
        rx_packets=earlier.rx_packets + later.rx_packets,
        rx_lost=earlier.rx_lost + later.rx_lost,
        tx_packets=earlier.tx_packets + later.tx_packets,
        tx_lost=earlier.tx_lost + later.tx_lost,
    )


class CallTotals:
    """One call's counts since it began (the call log's), across the stack's stream restarts:
    pjsua makes a call's stream afresh on a hold and again on the resume, and its counts start
    from zero (seen on the rig: 251 packets received before a hold, 100 soon after the resume).
    Each stream's last reading is added to the streams' before it."""

    def __init__(self) -> None:
        self._before: CallQuality | None = None
        self._last: CallQuality | None = None
        self._stream: object = None

    def add(self, reading: CallQuality, stream: object = None) -> CallQuality:
        """Take the stack's reading of the call's current stream (``stream``: what tells it
        from the one before, such as its start time; without it, counts that went down); the
        call's totals."""
        last = self._last
        if last is not None and (
            (stream is not None and stream != self._stream)
            or reading.rx_packets < last.rx_packets
            or reading.tx_packets < last.tx_packets
        ):
            self._before = last if self._before is None else added(self._before, last)
        self._last, self._stream = reading, stream
        return reading if self._before is None else added(self._before, reading)


class LiveQuality:
    """One call's readings, turned into its live figures: each reading over the stretch since
    the newest reading at least ``window_s`` older (the whole call while it is younger)."""

    def __init__(self, window_s: float = LIVE_WINDOW_S) -> None:
        self._window_s = window_s
        self._readings: deque[tuple[float, CallQuality]] = deque()
        self._stream: object = None

    def add(self, at: float, reading: CallQuality, stream: object = None) -> CallQuality:
        """Take the reading made at ``at`` (monotonic seconds); the live figures. A new
        ``stream`` (see `CallTotals.add`) starts them afresh: its counts are not comparable
        with the stream's before."""
        readings = self._readings
        if stream is not None and stream != self._stream:
            readings.clear()
        self._stream = stream
        readings.append((at, reading))
        while len(readings) > 2 and at - readings[1][0] >= self._window_s:
            readings.popleft()
        base_at, base = readings[0]
        if base is reading or at - base_at < self._window_s:
            return reading
        return over_stretch(base, reading)
