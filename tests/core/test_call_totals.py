"""The call log's quality figures count the whole call (`core.call_quality.CallTotals`): pjsua
makes a call's stream afresh on a hold and on the resume, and the stream's counts start again."""

from __future__ import annotations

from communicator.core.call_quality import CallQuality, CallTotals


def reading(rx: int, rx_lost: int = 0, tx: int | None = None, tx_lost: int = 0) -> CallQuality:
    return CallQuality(
        codec="PCMU/8000",
        rx_packets=rx,
        rx_lost=rx_lost,
        rx_jitter_ms=1.0,
        tx_packets=rx if tx is None else tx,
        tx_lost=tx_lost,
        tx_jitter_ms=1.0,
        rtt_ms=20.0,
    )


def test_one_stream_is_its_own_total() -> None:
    totals = CallTotals()
    assert totals.add(reading(100)) == reading(100)
    assert totals.add(reading(200, rx_lost=3)) == reading(200, rx_lost=3)


def test_streams_after_a_hold_and_a_resume_add_up() -> None:
    totals = CallTotals()
    totals.add(reading(100), stream=1)
    totals.add(reading(250, rx_lost=5, tx_lost=2), stream=1)  # before the hold
    held = totals.add(reading(0), stream=2)  # the stream made afresh for the hold
    assert (held.rx_packets, held.rx_lost, held.tx_lost) == (250, 5, 2)
    totals.add(reading(3), stream=2)
    # Made afresh again for the resume: its count has passed the last one by the next
    # reading, so only the stream's start tells it apart.
    resumed = totals.add(reading(100, rx_lost=1), stream=3)
    assert (resumed.rx_packets, resumed.rx_lost) == (353, 6)
    assert (resumed.tx_packets, resumed.tx_lost) == (353, 2)
    assert resumed.rtt_ms == 20.0


def test_without_a_stream_key_counts_that_went_down_tell_a_restart() -> None:
    totals = CallTotals()
    totals.add(reading(250))
    assert totals.add(reading(40)).rx_packets == 290


def test_a_restart_in_the_sent_direction_only_counts_too() -> None:
    totals = CallTotals()
    totals.add(reading(500, tx=500))
    assert totals.add(reading(510, tx=10)).tx_packets == 510
