"""The call log's quality counts the whole call across a hold: pjsua makes the call's stream
afresh on the hold and on the resume, and the stream's own counts start again
(`core.call_quality.CallTotals`)."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.call_quality import CallQuality
from communicator.core.call_record import CallRecord
from communicator.core.calls import CallState
from communicator.sip.events import CallEnded, QualityMeasured
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS
from tests.sip.test_calls import signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]


def test_the_call_logs_figures_count_the_whole_call_across_a_hold(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    ended: list[CallRecord] = []
    engine.subscribe(lambda e: ended.append(e.record) if isinstance(e, CallEnded) else None)
    readings: list[CallQuality] = []
    engine.subscribe(
        lambda e: readings.append(e.quality) if isinstance(e, QualityMeasured) else None
    )
    far = peer_factory("far", account="1007", codecs=TEST_CODECS)
    far.command("auto_answer", code=200)
    call_id = engine.place_call("1007")
    qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.CONNECTED, timeout=5000)
    qtbot.waitUntil(
        lambda: (q := engine.call_quality(call_id)) is not None and q.rx_packets >= 200,
        timeout=10000,
    )
    before = engine.call_quality(call_id)
    assert before is not None

    engine.hold(call_id)
    qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.HELD, timeout=5000)
    engine.resume(call_id)
    qtbot.waitUntil(lambda: engine.call(call_id).state is CallState.CONNECTED, timeout=5000)
    # Two readings of the resumed stream (~2 s apart): the totals go on from where they were,
    # though the stream's own count started again.
    resumed_at = len(readings)
    qtbot.waitUntil(lambda: len(readings) >= resumed_at + 2, timeout=10000)
    received = [q.rx_packets for q in readings]
    assert received == sorted(received), received
    resumed = readings[-1]
    assert resumed.rx_packets > before.rx_packets and resumed.tx_packets > before.tx_packets
    assert resumed.rx_lost == 0 and resumed.level.value == "good"

    engine.hangup(call_id)
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=5000)
    logged = ended[0].quality
    assert logged is not None
    assert logged.rx_packets >= resumed.rx_packets  # not only the last stream's
    print(f"before the hold {before.rx_packets} received; in the log {logged.rx_packets}")
