"""Call quality in the sending direction: the loss the far end reports about the agent's stream
(its RTCP receiver reports) is what a relay dropped on the way there, and the round-trip time is
known, as the issue asks "both ways" (`test_call_quality_rig` checks the receiving direction).

The far end's media sits behind `tests.rig.udp_relay.UdpRelay`, which drops every Nth RTP packet
of the agent's. The far end reports its cumulative loss every ~5 s (pjmedia's RTCP interval), so
after the dropping stops its next report must count the packets the relay dropped on top of
what it counted before the dropping began (the agent's first few packets, sent before the far
end's stream listened); the tolerance is one packet, as in the receiving direction.
"""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.call_quality import QualityLevel
from tests.rig.kamailio import KamailioServer
from tests.rig.udp_relay import UdpRelay
from tests.sip.helpers import TEST_CODECS, placed_through_relay
from tests.sip.test_calls import signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

DROP_EVERY = 10
"""10 % of the agent's packets for one report's time: the call's loss so far passes the 2 %
limit, though the agent hears every packet."""


def test_the_far_ends_reported_loss_matches_what_the_relay_dropped_and_rtt_is_known(
    engine_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    relay: UdpRelay,
    qtbot: Any,
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    far = peer_factory(
        "far",
        account="1007",
        codecs=TEST_CODECS,
        media_public_address=relay.public_address,
        media_port=relay.media_port,
    )
    far.command("auto_answer", code=200)

    call_id, _ = placed_through_relay(qtbot, engine, far, relay, "1007")
    # A first report that answers the agent's sender report gives the round-trip time, and
    # the loss before any dropping: the agent's first packets, sent before the far end's stream
    # was listening (a few, counted by the far end as lost), are the baseline.
    qtbot.waitUntil(
        lambda: (q := engine.call_quality(call_id)) is not None and q.rtt_ms is not None,
        timeout=15000,
    )
    start = engine.call_quality(call_id)
    assert start is not None and start.rtt_ms is not None
    assert 0.0 <= start.rtt_ms < 240.0, start  # loopback: well under a millisecond
    baseline = start.tx_lost
    assert baseline < 20, start
    relay.drop_to_far_every = DROP_EVERY

    # The next report counts the dropped packets: the agent's line leaves green (the figures
    # are the call's so far), though nothing the agent receives is lost.
    qtbot.waitUntil(
        lambda: (q := engine.call_quality(call_id)) is not None and q.tx_lost >= baseline + 10,
        timeout=15000,
    )
    lossy = engine.call_quality(call_id)
    assert lossy is not None
    assert lossy.tx_loss_pct > 2.0 and lossy.level is not QualityLevel.GOOD, lossy
    assert lossy.rx_lost == 0 and relay.dropped_to_client == 0

    # Stop dropping: the next report (after more packets passed) counts exactly what the relay
    # dropped.
    relay.drop_to_far_every = None
    dropped = relay.dropped_to_far
    stopped_at = relay.to_far

    def settled() -> bool:
        q = engine.call_quality(call_id)
        return (
            q is not None
            and q.tx_packets > stopped_at + 50
            and q.tx_lost - baseline >= dropped - 1
            and q.rtt_ms is not None
        )

    qtbot.waitUntil(settled, timeout=20000)
    final = engine.call_quality(call_id)
    assert final is not None
    assert abs(final.tx_lost - baseline - dropped) <= 1, (final, baseline, dropped)
    print(  # the figure the issue asks for, in the test log (pytest -s)
        f"relay dropped {dropped} of the agent's {relay.to_far} packets; the far end reported "
        f"{final.tx_lost - baseline} more lost ({final.tx_lost} with {baseline} at the start) of "
        f"{final.tx_packets} sent; RTT {final.rtt_ms} ms"
    )
    engine.hangup(call_id)
