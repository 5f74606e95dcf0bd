"""Call quality through a lossy relay: the loss the engine measures is what the relay dropped.

The far end's media sits behind `tests.rig.udp_relay.UdpRelay` (its SDP names the relay), which
drops every Nth RTP packet on its way to the agent. After the dropping stops, the next readings
must count exactly the packets the relay dropped (a packet's loss is known once a later one
arrives): the tolerance is one packet, for a reading taken between a drop and the next packet.
"""

from __future__ import annotations

from typing import Any

import pytest

from communicator.core.call_quality import QualityLevel
from communicator.core.call_record import CallRecord
from communicator.sip.events import CallEnded
from tests.rig.kamailio import KamailioServer
from tests.rig.udp_relay import UdpRelay
from tests.sip.helpers import TEST_CODECS, placed_through_relay
from tests.sip.test_calls import signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

DROP_EVERY = 10
"""10 % loss: red on the agent's line."""


def test_measured_loss_matches_what_the_relay_dropped(
    engine_factory: Any,
    kamailio: KamailioServer,
    peer_factory: Any,
    relay: UdpRelay,
    qtbot: Any,
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006")
    ended: list[CallRecord] = []  # a call made again (`relayed_call`) ends first
    engine.subscribe(lambda e: ended.append(e.record) if isinstance(e, CallEnded) else None)
    far = peer_factory(
        "far",
        account="1007",
        codecs=TEST_CODECS,
        media_public_address=relay.public_address,
        media_port=relay.media_port,
    )
    far.command("auto_answer", code=200)

    call_id, far_call = placed_through_relay(qtbot, engine, far, relay, "1007")
    far.command("play_tone", call_id=far_call, freq=440)
    # Dropping starts once the stream runs (pjmedia does not count a loss among a stream's
    # first, probation packets).
    qtbot.waitUntil(lambda: relay.to_client >= 20, timeout=5000)
    relay.drop_every = DROP_EVERY

    # The relay drops on the way to the agent: the line turns red.
    qtbot.waitUntil(lambda: relay.dropped_to_client >= 20, timeout=10000)
    qtbot.waitUntil(
        lambda: (q := engine.call_quality(call_id)) is not None and q.rx_lost >= 10,
        timeout=10000,
    )
    lossy = engine.call_quality(call_id)
    assert lossy is not None
    assert lossy.level is QualityLevel.RED
    assert lossy.codec.startswith("PCMU")

    # Stop dropping: the readings settle on exactly what the relay dropped.
    relay.drop_every = None

    def settled() -> bool:
        q = engine.call_quality(call_id)
        return (
            q is not None
            and q.rx_packets > lossy.rx_packets + 50
            and q.rx_lost >= relay.dropped_to_client - 1
        )

    qtbot.waitUntil(settled, timeout=15000)
    final = engine.call_quality(call_id)
    dropped = relay.dropped_to_client
    assert final is not None
    assert abs(final.rx_lost - dropped) <= 1, (final, dropped)
    print(  # the figure the issue asks for, in the test log (pytest -s)
        f"relay dropped {dropped} of {relay.to_client} packets; "
        f"measured lost {final.rx_lost} of {final.rx_packets + final.rx_lost}"
    )

    engine.hangup(call_id)
    qtbot.waitUntil(lambda: any(r.call_id == call_id for r in ended), timeout=5000)
    (record,) = [r for r in ended if r.call_id == call_id]
    assert record.quality is not None
    assert abs(record.quality.rx_lost - dropped) <= 1
    assert engine.call_quality(call_id) is None  # forgotten with the record
