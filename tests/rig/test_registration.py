"""Kamailio as registrar: digest auth over UDP, TCP and TLS; OPTIONS; subscriber tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rig.fixtures import KamailioFactory, PeerFactory
from tests.rig.kamailio import (
    SUBSCRIBER_HEADER,
    KamailioServer,
    generate_certificate,
    ha1,
    sip_options_ping,
)
from tests.rig.peer_client import PeerError

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]

USER_FOR = {"udp": "1001", "tcp": "1002", "tls": "1003"}


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_kamailio_answers_options(kamailio: KamailioServer, transport: str) -> None:
    code = sip_options_ping(
        kamailio.host,
        kamailio.port(transport),
        transport=transport,
        timeout=2.0,
        ca_file=kamailio.ca_file,
    )
    assert code == 200


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_peer_registers_with_digest_auth(
    kamailio: KamailioServer, peer_factory: PeerFactory, transport: str
) -> None:
    peer = peer_factory(f"reg-{transport}")
    user = USER_FOR[transport]

    reg = peer.register_on(kamailio, user, transport, expires=120)

    assert reg["code"] == 200 and reg["active"] is True
    assert 0 < reg["expires"] <= 120
    if transport != "udp":
        conn = peer.wait_for(
            "transport_state", lambda e: e["type"] == transport and e["state"] == "connected"
        )
        if transport == "tls":
            tls = conn["tls"]
            assert tls["established"] is True
            assert tls["verify_status"] == 0, tls["verify_msgs"]  # verifyServer=True passed
            assert tls["peer_cn"] == kamailio.domain
    m = peer.mark()
    peer.command("unregister")
    unreg = peer.wait_for("reg_state", since=m)
    assert unreg["code"] == 200 and unreg["active"] is False


def test_wrong_password_is_rejected(kamailio: KamailioServer, peer_factory: PeerFactory) -> None:
    peer = peer_factory("wrong-password")
    fields = peer.registration_fields(kamailio, "1004", "udp", password="not-the-password")

    with pytest.raises(PeerError, match=r"registration failed: (401|403)"):
        peer.register_and_wait(**fields)

    reg = peer.events("reg_state")[-1]
    assert reg["code"] in (401, 403) and reg["active"] is False


def test_tls_with_an_unrelated_ca_fails(
    kamailio: KamailioServer, peer_factory: PeerFactory, tmp_path: Path
) -> None:
    other_ca, _ = generate_certificate(tmp_path / "other-ca")
    peer = peer_factory("tls-wrong-ca")
    fields = peer.registration_fields(kamailio, "1005", "tls", ca_file=str(other_ca))

    with pytest.raises(PeerError, match="registration failed"):
        peer.register_and_wait(**fields)

    reg = peer.events("reg_state")[-1]
    assert reg["active"] is False and reg["code"] != 200


def test_subscriber_file_with_ha1_only(
    kamailio_factory: KamailioFactory, peer_factory: PeerFactory, tmp_path: Path
) -> None:
    domain = "sip.test.invalid"
    table = tmp_path / "subscriber"
    table.write_text(
        SUBSCRIBER_HEADER
        + "\n"
        + f"1:2001:{domain}::{ha1('2001', domain, 's3cret:with:colons')}:\n"
        + f"2:2002:{domain}::{ha1('2002', domain, 'other')}:\n"
    )
    server = kamailio_factory(subscriber_file=table)
    assert [a.username for a in server.accounts] == ["2001", "2002"]

    peer = peer_factory("ha1")
    reg = peer.register_and_wait(
        user="2001",
        password="s3cret:with:colons",
        domain=domain,
        proxy=server.proxy_uri("udp"),
        transport="udp",
    )
    assert reg["code"] == 200


def test_call_to_unknown_user_gets_404(kamailio: KamailioServer, peer_factory: PeerFactory) -> None:
    peer = peer_factory("caller-404", account="1006")

    call_id = peer.call(kamailio.aor("9999"))

    end = peer.wait_call_state(call_id, "DISCONNECTED")
    assert end["code"] == 404


def test_ip_address_as_domain_is_refused() -> None:
    with pytest.raises(ValueError, match="never an IP address"):
        KamailioServer([("1", "x")], domain="127.0.0.1")
