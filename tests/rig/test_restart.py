"""Kamailio stopped and started again on the same ports: peers register again and can call."""

from __future__ import annotations

import pytest

from tests.rig.fixtures import KamailioFactory, PeerFactory
from tests.rig.kamailio import sip_options_ping

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


def test_restart_on_the_same_ports(
    kamailio_factory: KamailioFactory, peer_factory: PeerFactory
) -> None:
    server = kamailio_factory()
    ports = (server.udp_port, server.tcp_port, server.tls_port)
    # Over TCP pjsua2 notices the lost connection and retries by itself (after 1 s here);
    # over UDP nothing is noticed, so that peer is told to register again.
    a = peer_factory(
        "restart-a",
        account="1001",
        server=server,
        transport="tcp",
        retry_interval=1,
        first_retry_interval=1,
    )
    b = peer_factory("restart-b", account="1002", server=server, transport="udp")
    b.command("auto_answer", code=200)
    since_a = a.mark()

    server.stop()
    with pytest.raises(OSError):
        sip_options_ping(server.host, server.tcp_port, transport="tcp", timeout=0.5)
    server.start()

    assert (server.udp_port, server.tcp_port, server.tls_port) == ports
    # Kamailio keeps registrations in memory only: both peers must register again.
    a.wait_for("reg_state", lambda e: e["code"] == 200 and e["active"], since=since_a, timeout=10)
    since_b = b.mark()
    b.command("reregister")
    assert b.wait_for("reg_state", since=since_b)["code"] == 200

    call = a.call(server.aor("1002"))
    a.wait_call_state(call, "CONFIRMED")
    a.wait_media_active(call)
    b.wait_call_state(b.wait_incoming(since=since_b)["call_id"], "CONFIRMED", since=since_b)
