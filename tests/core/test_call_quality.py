from __future__ import annotations

import math

import pytest

from communicator.core.call_quality import (
    THRESHOLDS,
    CallQuality,
    QualityLevel,
    codec_impairment,
    delay_impairment,
    effective_equipment_impairment,
    mos_from_r,
    r_factor,
)


def quality(**changes: object) -> CallQuality:
    values: dict[str, object] = {
        "codec": "PCMU/8000/1",
        "rx_packets": 1000,
        "rx_lost": 0,
        "rx_jitter_ms": 2.0,
        "tx_packets": 1000,
        "tx_lost": 0,
        "tx_jitter_ms": 2.0,
        "rtt_ms": 10.0,
        "jitter_buffer_ms": 20.0,
    }
    values.update(changes)
    return CallQuality(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("r", "mos"),
    [(93.2, 4.41), (80.0, 4.02), (70.0, 3.60), (60.0, 3.10), (50.0, 2.58), (0.0, 1.0)],
)
def test_mos_from_r_matches_g107_annex_b(r: float, mos: float) -> None:
    assert mos_from_r(r) == pytest.approx(mos, abs=0.01)


def test_mos_is_clamped() -> None:
    assert mos_from_r(-5.0) == 1.0
    assert mos_from_r(120.0) == 4.5


def test_delay_impairment_has_its_knee_at_177_ms() -> None:
    assert delay_impairment(100.0) == pytest.approx(2.4)
    assert delay_impairment(200.0) == pytest.approx(0.024 * 200 + 0.11 * 22.7)


def test_loss_impairment_uses_the_codecs_robustness() -> None:
    g711 = codec_impairment("PCMA/8000/1")
    assert (g711.ie, g711.bpl) == (0.0, 25.1)
    assert effective_equipment_impairment(g711, 2.0) == pytest.approx(95 * 2 / 27.1)
    g729 = codec_impairment("G729/8000")
    assert effective_equipment_impairment(g729, 0.0) == 11.0
    assert codec_impairment("something/8000").ie == 10.0


def test_g711_without_loss_or_delay_is_near_the_top() -> None:
    assert mos_from_r(r_factor(codec_impairment("PCMU"), 0.0, 0.0)) == pytest.approx(4.41, abs=0.01)


def test_a_clean_g711_call_is_good() -> None:
    q = quality()
    assert q.one_way_delay_ms == 5.0 + 20.0 + 20.0
    assert q.r_factor == pytest.approx(93.2 - 0.024 * 45.0)
    assert q.mos > 4.3
    assert q.level is QualityLevel.GOOD


def test_loss_is_the_worse_direction() -> None:
    q = quality(rx_packets=970, rx_lost=30, tx_lost=10)
    assert q.rx_loss_pct == pytest.approx(3.0)
    assert q.tx_loss_pct == pytest.approx(1.0)
    assert q.loss_pct == pytest.approx(3.0)
    assert q.level is QualityLevel.AMBER


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({"rx_jitter_ms": 20.0}, QualityLevel.GOOD),
        ({"rx_jitter_ms": 21.0}, QualityLevel.AMBER),
        ({"tx_jitter_ms": 60.0}, QualityLevel.RED),
        ({"rtt_ms": 250.0}, QualityLevel.AMBER),
        ({"rtt_ms": 500.0}, QualityLevel.RED),
        ({"rx_packets": 900, "rx_lost": 100}, QualityLevel.RED),
        ({"codec": "GSM/8000", "rx_packets": 985, "rx_lost": 15}, QualityLevel.AMBER),
    ],
)
def test_level_follows_the_thresholds(changes: dict[str, object], level: QualityLevel) -> None:
    assert quality(**changes).level is level


def test_mos_alone_can_turn_the_line_amber() -> None:
    # 1.5 % loss on GSM: under every other limit, but MOS below 3.6.
    q = quality(codec="GSM/8000", rx_packets=985, rx_lost=15)
    assert q.loss_pct < 2.0 and q.mos < 3.6


def test_thresholds_are_data_in_the_issues_terms() -> None:
    assert {t.figure: t.amber for t in THRESHOLDS} == {
        "jitter_ms": 20.0,
        "loss_pct": 2.0,
        "rtt_ms": 240.0,
        "mos": 3.6,
    }


def test_unknown_rtt_counts_as_no_delay() -> None:
    q = quality(rtt_ms=None)
    assert q.level is QualityLevel.GOOD
    assert "unknown" in q.summary()
    assert q.as_log()["rtt_ms"] is None


def test_log_values_are_flat_and_finite() -> None:
    log = quality(rx_lost=5).as_log()
    assert log["rx_lost"] == 5 and log["codec"] == "PCMU/8000/1" and log["level"] == "good"
    for value in log.values():
        assert value is None or isinstance(value, (int, str)) or math.isfinite(value)
    assert len(log) <= 64


def test_no_packets_yet_is_no_loss() -> None:
    q = quality(rx_packets=0, tx_packets=0)
    assert (q.rx_loss_pct, q.tx_loss_pct) == (0.0, 0.0)


def test_the_call_log_carries_the_records_quality() -> None:
    import dataclasses
    import uuid

    from communicator.core.call_record import CallRecord, call_log_payload
    from communicator.core.calls import CallDirection, CallId, EndReason, RemoteParty

    record = CallRecord(
        record_id=uuid.uuid4(),
        call_id=CallId("c1"),
        direction=CallDirection.OUTGOING,
        remote=RemoteParty("sip:2002@example.com", "", "2002"),
        line=1,
        created_at=100.0,
        ringing_at=None,
        answered_at=101.0,
        ended_at=110.0,
        duration=10.0,
        talk_time=9.0,
        end_reason=EndReason.LOCAL_HANGUP,
        sip_code=200,
        missed=False,
    )
    assert call_log_payload(record)["quality"] is None
    with_quality = dataclasses.replace(record, quality=quality(rx_lost=10))
    assert call_log_payload(with_quality)["quality"] == quality(rx_lost=10).as_log()
