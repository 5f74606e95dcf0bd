"""The far-end peer's call features that later tests rely on: DTMF, hold, transfers."""

from __future__ import annotations

import pytest

from tests.rig.fixtures import PeerFactory
from tests.rig.kamailio import KamailioServer
from tests.rig.peer_client import PeerProcess

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


def _connect(
    kamailio: KamailioServer, a: PeerProcess, b: PeerProcess, user_b: str
) -> tuple[int, int]:
    """A calls B (B auto-answers); returns (A's call id, B's call id) once both are confirmed."""
    since_b = b.mark()
    call_a = a.call(kamailio.aor(user_b))
    a.wait_call_state(call_a, "CONFIRMED")
    call_b = b.wait_incoming(since=since_b)["call_id"]
    b.wait_call_state(call_b, "CONFIRMED", since=since_b)
    return call_a, call_b


@pytest.mark.parametrize("method", ["rfc4733", "sip_info"])
def test_dtmf_reaches_the_other_side(
    kamailio: KamailioServer, peer_factory: PeerFactory, method: str
) -> None:
    a = peer_factory("dtmf-a", account="1001")
    b = peer_factory("dtmf-b", account="1009")
    b.command("auto_answer", code=200)
    call_a, call_b = _connect(kamailio, a, b, "1009")
    a.wait_media_active(call_a)

    a.command("dtmf", call_id=call_a, digits="1*9#", method=method)

    digits = []
    since = 0
    for _ in range(4):
        event = b.wait_for("dtmf", lambda e: e["call_id"] == call_b, since=since)
        since = event["_i"] + 1
        digits.append(event["digit"])
        assert event["method"] == method
    assert "".join(digits) == "1*9#"


def test_hold_and_unhold(kamailio: KamailioServer, peer_factory: PeerFactory) -> None:
    a = peer_factory("hold-a", account="1002")
    b = peer_factory("hold-b", account="1010")
    b.command("auto_answer", code=200)
    call_a, call_b = _connect(kamailio, a, b, "1010")

    ma, mb = a.mark(), b.mark()
    a.command("hold", call_id=call_a)
    assert a.wait_for("media_state", lambda e: e["hold"], since=ma)["state"] == "local_hold"
    assert b.wait_for("media_state", lambda e: e["hold"], since=mb)["state"] == "remote_hold"

    ma, mb = a.mark(), b.mark()
    a.command("unhold", call_id=call_a)
    a.wait_media_active(call_a, since=ma)
    b.wait_media_active(call_b, since=mb)


def test_blind_transfer_of_the_peer(kamailio: KamailioServer, peer_factory: PeerFactory) -> None:
    transferor = peer_factory("xfer-a", account="1003")
    transferee = peer_factory("xfer-b", account="1004")
    target = peer_factory("xfer-c", account="1006")
    for peer in (transferee, target):
        peer.command("auto_answer", code=200)
    call_a, call_b = _connect(kamailio, transferor, transferee, "1004")

    transferor.command("xfer", call_id=call_a, uri=kamailio.aor("1006"))

    request = transferee.wait_for("transfer_request")
    assert request["call_id"] == call_b and request["target"] == kamailio.aor("1006")
    final = transferor.wait_for("transfer_status", lambda e: e["final"])
    assert final["code"] == 200
    call_c = target.wait_incoming()["call_id"]
    target.wait_call_state(call_c, "CONFIRMED")
    new_b = transferee.wait_for(
        "call_state", lambda e: e["call_id"] != call_b and e["state"] == "CONFIRMED"
    )
    assert "1006@" in new_b["remote_uri"]

    transferor.command("hangup", call_id=call_a)
    transferee.wait_call_state(call_b, "DISCONNECTED")
    mc = target.mark()
    transferee.command("hangup", call_id=new_b["call_id"])
    target.wait_call_state(call_c, "DISCONNECTED", since=mc)


def test_attended_transfer_with_replaces(
    kamailio: KamailioServer, peer_factory: PeerFactory
) -> None:
    agent = peer_factory("att-a", account="1005")
    customer = peer_factory("att-b", account="1007")
    expert = peer_factory("att-c", account="1008")
    for peer in (customer, expert):
        peer.command("auto_answer", code=200)
    to_customer, customer_call = _connect(kamailio, agent, customer, "1007")
    agent.command("hold", call_id=to_customer)
    to_expert, expert_call = _connect(kamailio, agent, expert, "1008")

    agent.command("xfer_replaces", call_id=to_customer, dest_call_id=to_expert)

    replaced = expert.wait_for("replaced")
    assert replaced["call_id"] == expert_call
    expert.wait_call_state(replaced["new_call_id"], "CONFIRMED")
    expert.wait_call_state(expert_call, "DISCONNECTED")
    final = agent.wait_for("transfer_status", lambda e: e["final"] and e["call_id"] == to_customer)
    assert final["code"] == 200
    customer_new = customer.wait_for(
        "call_state", lambda e: e["call_id"] != customer_call and e["state"] == "CONFIRMED"
    )
    assert "1008@" in customer_new["remote_uri"]
    customer.wait_media_active(customer_new["call_id"])


def test_late_offer_call_gets_media(kamailio: KamailioServer, peer_factory: PeerFactory) -> None:
    a = peer_factory("late-a", account="1003")
    b = peer_factory("late-b", account="1004")
    b.command("auto_answer", code=200)

    call_a = a.call(kamailio.aor("1004"), late_offer=True)

    a.wait_call_state(call_a, "CONFIRMED")
    a.wait_media_active(call_a)
    call_b = b.wait_incoming()["call_id"]
    b.wait_media_active(call_b)
    assert "m=audio" not in b.wait_incoming()["message"]  # the INVITE carried no SDP offer


@pytest.mark.parametrize(
    ("srtp_a", "srtp_b", "outcome"),
    [("mandatory", "mandatory", "media"), ("mandatory", "disabled", 488)],
)
def test_srtp_modes(
    kamailio: KamailioServer,
    peer_factory: PeerFactory,
    srtp_a: str,
    srtp_b: str,
    outcome: str | int,
) -> None:
    a = peer_factory("srtp-a", account="1005", srtp=srtp_a)
    b = peer_factory("srtp-b", account="1006", srtp=srtp_b)
    b.command("auto_answer", code=200)

    call_a = a.call(kamailio.aor("1006"))

    if outcome == "media":
        a.wait_call_state(call_a, "CONFIRMED")
        a.wait_media_active(call_a)
        assert "RTP/SAVP" in b.wait_incoming()["message"]
    else:
        assert a.wait_call_state(call_a, "DISCONNECTED")["code"] == outcome
