"""The line's light shows the call as it is now (`core.call_quality.LiveQuality`): the packets
and losses of the last `LIVE_WINDOW_S`, not since the call began, so ten good minutes neither
hide a bad patch nor keep a recovered call red; the call log keeps the totals."""

from __future__ import annotations

from communicator.core.call_quality import (
    LIVE_WINDOW_S,
    CallQuality,
    LiveQuality,
    QualityLevel,
    over_stretch,
)

PPS = 50
"""20 ms packets."""


def reading(
    seconds: float, *, rx_lost: int = 0, tx_lost: int = 0, jitter: float = 2.0
) -> CallQuality:
    """The stack's counts after ``seconds`` of a call, both ways."""
    sent = int(seconds * PPS)
    return CallQuality(
        codec="PCMU/8000",
        rx_packets=sent - rx_lost,
        rx_lost=rx_lost,
        rx_jitter_ms=jitter,
        tx_packets=sent,
        tx_lost=tx_lost,
        tx_jitter_ms=jitter,
        rtt_ms=20.0,
        jitter_buffer_ms=40.0,
    )


def test_a_stretch_counts_what_happened_in_it() -> None:
    earlier, later = reading(600, rx_lost=30), reading(610, rx_lost=80, jitter=9.0)
    stretch = over_stretch(earlier, later)
    assert (stretch.rx_packets, stretch.rx_lost) == (450, 50)
    assert stretch.rx_loss_pct == 10.0
    assert (stretch.tx_packets, stretch.tx_lost) == (500, 0)
    assert stretch.rx_jitter_ms == 9.0 and stretch.rtt_ms == 20.0  # as now
    assert later.rx_loss_pct < 2.0  # the totals would call this call fine


def test_a_restarted_stream_counts_from_zero_and_losses_never_go_negative() -> None:
    earlier = reading(600, rx_lost=30, tx_lost=12)
    restarted = reading(4, rx_lost=2)  # the stack made the stream afresh (a re-INVITE)
    stretch = over_stretch(earlier, restarted)
    assert stretch == restarted
    fewer = CallQuality("PCMU/8000", 29_990, 25, 2.0, 30_000, 12, 2.0, 20.0)  # late packets
    assert over_stretch(earlier, fewer).rx_lost == 0


def test_the_far_ends_running_loss_count_across_our_restart_is_not_new_loss() -> None:
    # Our stream started afresh (a resume), the far end's reports go on counting: 12 lost
    # before the restart must not show as 12 of the new stream's 200 packets (6 %, red).
    earlier = reading(600, tx_lost=12)
    restarted = reading(4, tx_lost=12)
    stretch = over_stretch(earlier, restarted)
    assert (stretch.tx_packets, stretch.tx_lost) == (200, 0)
    assert stretch.level is QualityLevel.GOOD
    assert over_stretch(earlier, reading(4, tx_lost=15)).tx_lost == 3


def test_a_bad_patch_after_good_minutes_turns_the_light_red_and_recovery_green() -> None:
    live = LiveQuality()
    seen: list[tuple[float, QualityLevel]] = []
    lost = 0
    t = 0.0
    while t <= 700:
        if 600 < t <= 620:
            lost += PPS * 2 // 10  # 10 % of each 2 s reading
        total = reading(t, rx_lost=lost)
        seen.append((t, live.add(t, total).level))
        t += 2.0
    total_pct = reading(700, rx_lost=lost).rx_loss_pct
    assert total_pct < 2.0  # the whole call's figure: green all along
    levels = dict(seen)
    assert levels[598.0] is QualityLevel.GOOD
    assert levels[606.0] is QualityLevel.RED  # within a few seconds of the loss starting
    assert levels[620.0] is QualityLevel.RED
    assert levels[620.0 + LIVE_WINDOW_S + 2.0] is QualityLevel.GOOD  # recovered
    assert levels[700.0] is QualityLevel.GOOD


def test_a_young_call_counts_from_its_start() -> None:
    live = LiveQuality()
    first = reading(1, rx_lost=5)
    assert live.add(1.0, first) == first
    second = reading(3, rx_lost=5)
    assert live.add(3.0, second) == second  # younger than the window: the whole call
    later = reading(13, rx_lost=5)
    assert live.add(13.0, later).rx_lost == 0  # since the reading 10 s before (at 3 s)


def test_the_sent_direction_counts_the_far_ends_reports_in_the_window() -> None:
    """The far end reports its loss every ~5 s: the window holds at least one report."""
    live = LiveQuality()
    level = QualityLevel.GOOD
    for step in range(0, 40):
        t = float(step * 2)
        reported = 40 if t >= 30 else 0  # a report at 30 s counting 40 lost (16 % of 5 s)
        level = live.add(t, reading(t, tx_lost=reported)).level
        if t == 32.0:
            assert level is QualityLevel.RED
    assert level is QualityLevel.GOOD  # 40 s after: the report is out of the window


def test_a_new_stream_starts_the_live_figures_afresh() -> None:
    # After a resume the new stream's count can pass the old one's by the next reading: the
    # difference of the two would be nonsense (here 15 lost of 50: a false red).
    live = LiveQuality()
    live.add(0.0, reading(600, rx_lost=5), stream="before")
    live.add(10.0, reading(610, rx_lost=5), stream="before")
    fresh = live.add(12.0, reading(12, rx_lost=0), stream="after the resume")
    assert fresh == reading(12, rx_lost=0)
    later = live.add(22.0, reading(22, rx_lost=1), stream="after the resume")
    assert later.rx_lost == 1 and later.level is QualityLevel.GOOD
