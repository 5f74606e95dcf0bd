"""Sign-in and profile fetch against a real server process."""

from __future__ import annotations

import socket

import httpx
import pytest

from communicator.provisioning.client import ErrorKind, ProvisioningClient, ProvisioningError
from tests.client.site import Site


def test_sign_in_fetch_profile_and_etag_reuse(site: Site) -> None:
    agent = site.api.agent("anna", password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1", max_lines=3)
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        assert session.login == "anna" and not session.pooled
        assert "correct horse" not in repr(session) and session.token not in repr(session)
        first = client.fetch_profile(session)
        assert first.profile is not None
        assert first.profile.agent.login == "anna"
        assert first.profile.agent.max_lines == 3
        assert first.profile.has_secrets  # the SIP password comes with a fresh answer
        again = client.fetch_profile(session, etag=first.etag)
        assert again.profile is None and again.etag == first.etag  # 304: nothing re-sent
        client.sign_out(session)
        with pytest.raises(ProvisioningError) as info:
            client.fetch_profile(session)
        assert info.value.kind is ErrorKind.SESSION_EXPIRED


def test_wrong_password(site: Site) -> None:
    site.api.agent("anna", password="correct horse")
    with ProvisioningClient(site.url) as client, pytest.raises(ProvisioningError) as info:
        client.sign_in("anna", "wrong horse")
    assert info.value.kind is ErrorKind.WRONG_CREDENTIALS
    assert str(info.value) == "Wrong user name or password."
    assert "wrong horse" not in str(info.value)


def test_inactive_agent(site: Site) -> None:
    site.api.agent("carl", password="correct horse", active=False)
    with ProvisioningClient(site.url) as client, pytest.raises(ProvisioningError) as info:
        client.sign_in("carl", "correct horse")
    assert info.value.kind is ErrorKind.AGENT_DISABLED
    assert "disabled" in str(info.value)


def test_no_free_pool_number(site: Site) -> None:
    site.api.agent("pooled1", password="correct horse")
    site.api.agent("pooled2", password="correct horse")
    site.api.account(None, sip_server="127.0.0.1")  # one pool account for two agents
    with ProvisioningClient(site.url) as client:
        first = client.sign_in("pooled1", "correct horse")
        assert first.pooled
        with pytest.raises(ProvisioningError) as info:
            client.sign_in("pooled2", "correct horse")
        assert info.value.kind is ErrorKind.NO_FREE_NUMBER
        assert str(info.value) == "No free number, or the number is invalid"
        client.sign_out(first)  # the pool number is released at sign-out
        assert client.sign_in("pooled2", "correct horse").pooled


def test_unreachable_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    with (
        ProvisioningClient(f"http://127.0.0.1:{port}") as client,
        pytest.raises(ProvisioningError) as info,
    ):
        client.sign_in("anna", "pw")
    assert info.value.kind is ErrorKind.UNREACHABLE
    assert "cannot be reached" in str(info.value)
    assert info.value.kind.retryable


def test_tls_error_is_named(site: Site) -> None:
    # Speaking TLS to a plain HTTP port fails the handshake: the agent is told it is TLS.
    with (
        ProvisioningClient(site.url.replace("http://", "https://")) as client,
        pytest.raises(ProvisioningError) as info,
    ):
        client.sign_in("anna", "pw")
    assert info.value.kind is ErrorKind.TLS
    assert "Secure connection" in str(info.value)


def test_malformed_profile_names_the_field() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sessions"):
            return httpx.Response(
                201,
                json={
                    "token": "t",
                    "expires_at": "2030-01-01T00:00:00+00:00",
                    "agent": {"id": 1, "login": "anna", "display_name": "Anna", "group": None},
                    "extension": "101",
                    "pooled": False,
                },
            )
        body = {"agent": {"login": "anna", "extension": "101"}, "sip": {"server": "x", "port": 0}}
        return httpx.Response(200, json=body, headers={"ETag": '"e1"'})

    client = ProvisioningClient("https://pbx.test", transport=httpx.MockTransport(handler))
    session = client.sign_in("anna", "pw")
    with pytest.raises(ProvisioningError) as info:
        client.fetch_profile(session)
    assert info.value.kind is ErrorKind.MALFORMED_PROFILE
    assert "sip.port" in str(info.value)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("pbx.example.com", "https://pbx.example.com"),
        ("https://pbx.example.com/", "https://pbx.example.com"),
        (" http://127.0.0.1:8080 ", "http://127.0.0.1:8080"),
    ],
)
def test_server_url_normalised(given: str, expected: str) -> None:
    assert ProvisioningClient(given).server_url == expected


@pytest.mark.parametrize("bad", ["", "ftp://x", "https://"])
def test_bad_server_url_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ValueError, match=r"server address|Not a server"):
        ProvisioningClient(bad)
