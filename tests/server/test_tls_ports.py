"""Per-account TLS ports through the admin API into the agent's VoIP profile."""

from __future__ import annotations

from typing import Any

from .conftest import Api


def _profile_sip(api: Api, login: str) -> dict[str, Any]:
    signed = api.sign_in(login)
    return dict(api.ok(api.c.get("/api/v1/profile", headers=api.bearer(signed["token"])))["sip"])


def test_tls_ports_default_to_automatic_and_can_be_set_and_cleared(api: Api) -> None:
    agent = api.agent("tina")
    acc = api.account(agent["id"], transports=["tls", "udp"])
    url = f"/api/v1/admin/accounts/{acc['id']}"
    detail = api.ok(api.c.get(url, headers=api.h))
    assert (detail["sip_tls_port"], detail["outbound_proxy_tls_port"]) == (0, 0)
    sip = _profile_sip(api, "tina")
    assert (sip["tls_port"], sip["outbound_proxy_tls_port"]) == (None, None)

    api.ok(
        api.c.patch(
            url,
            json={
                "sip_tls_port": 5071,
                "outbound_proxy": "proxy.example.com",
                "outbound_proxy_tls_port": 5072,
            },
            headers=api.h,
        )
    )
    sip = _profile_sip(api, "tina")
    assert (sip["port"], sip["tls_port"], sip["outbound_proxy_tls_port"]) == (5060, 5071, 5072)

    api.ok(api.c.patch(url, json={"sip_tls_port": 0}, headers=api.h))
    assert _profile_sip(api, "tina")["tls_port"] is None


def test_bad_tls_port_is_a_422(api: Api) -> None:
    acc = api.account()
    resp = api.c.patch(
        f"/api/v1/admin/accounts/{acc['id']}", json={"sip_tls_port": 65536}, headers=api.h
    )
    assert resp.status_code == 422
