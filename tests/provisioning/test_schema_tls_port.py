"""The SIP account's TLS ports: ``tls_port`` / ``outbound_proxy_tls_port`` and their default."""

from __future__ import annotations

from typing import Any

import pytest

from communicator.provisioning.schema import (
    ProfileError,
    Transport,
    default_tls_port,
    parse_profile,
)


def profile(**sip: Any) -> Any:
    return parse_profile(
        {
            "agent": {"login": "anna", "extension": "201"},
            "sip": {"username": "201", "server": "pbx.example.com", **sip},
        }
    )


# (port, tls_port, the port used for tls)
TLS_PORT_RULE = [
    (5060, None, 5061),  # the standard pair
    (5080, None, 5080),  # a server on another port serves every transport there
    (5061, None, 5061),
    (5060, 5071, 5071),  # given: used as is
    (5070, 443, 443),
    (5060, 5060, 5060),
]


@pytest.mark.parametrize(("port", "tls_port", "used"), TLS_PORT_RULE)
def test_server_tls_port_rule(port: int, tls_port: int | None, used: int) -> None:
    fields: dict[str, Any] = {"port": port}
    if tls_port is not None:
        fields["tls_port"] = tls_port
    sip = profile(**fields).sip
    assert sip.tls_port == tls_port
    assert sip.effective_tls_port == used
    assert sip.server_port(Transport.TLS) == used
    assert sip.server_port(Transport.UDP) == sip.server_port(Transport.TCP) == port
    assert default_tls_port(port) == (5061 if port == 5060 else port)


@pytest.mark.parametrize(("port", "tls_port", "used"), TLS_PORT_RULE)
def test_outbound_proxy_tls_port_rule(port: int, tls_port: int | None, used: int) -> None:
    fields: dict[str, Any] = {"outbound_proxy": "proxy.example.com", "outbound_proxy_port": port}
    if tls_port is not None:
        fields["outbound_proxy_tls_port"] = tls_port
    sip = profile(**fields).sip
    assert sip.effective_outbound_proxy_tls_port == used
    assert sip.outbound_proxy_port_for(Transport.TLS) == used
    assert sip.outbound_proxy_port_for(Transport.UDP) == port
    # The server's own TLS port does not follow the proxy's.
    assert sip.effective_tls_port == 5061


def test_old_profiles_without_the_fields_stay_valid_and_round_trip() -> None:
    old = profile(port=5060, transports=["tls", "udp"])
    assert (old.sip.tls_port, old.sip.outbound_proxy_tls_port) == (None, None)
    again = parse_profile(old.to_dict(include_secrets=True))
    assert again == old
    given = profile(tls_port=5071, outbound_proxy_tls_port=5072)
    assert parse_profile(given.to_dict(include_secrets=True)).sip.tls_port == 5071


def test_tls_port_change_is_a_sip_change() -> None:
    assert profile().sip_settings_differ(profile(tls_port=5071))
    assert profile().sip_settings_differ(profile(outbound_proxy_tls_port=5071))


@pytest.mark.parametrize("field", ["tls_port", "outbound_proxy_tls_port"])
@pytest.mark.parametrize("value", [0, 65536, "5061x", True])
def test_bad_tls_ports_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ProfileError) as error:
        profile(**{field: value})
    assert f"sip.{field}" in str(error.value)
