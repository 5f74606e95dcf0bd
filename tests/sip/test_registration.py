"""Registration over the real rig: transports, bad credentials, lost connection and back."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from communicator.core.registration import (
    LOST_CONNECTION_MESSAGE,
    FailureReason,
    RegistrationState,
)
from communicator.sip.events import RegistrationChanged
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import make_profile, wait_none

pytestmark = [pytest.mark.rig, pytest.mark.timeout(90)]

REGISTERED = RegistrationState.REGISTERED


@pytest.mark.parametrize(("transport", "user"), [("udp", "1001"), ("tcp", "1002"), ("tls", "1003")])
def test_registers_on_each_transport(
    engine_factory: Any, kamailio: KamailioServer, qtbot: Any, transport: str, user: str
) -> None:
    engine = engine_factory(ca_file=kamailio.ca_file)
    seen: list[RegistrationChanged] = []
    engine.subscribe(lambda e: seen.append(e) if isinstance(e, RegistrationChanged) else None)
    engine.apply_profile(make_profile(kamailio, user, transport))
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=5000)

    current = engine.registration.current
    assert current is not None
    assert current.transport == transport.upper()
    assert current.contact_host == "127.0.0.1" and current.contact_port > 0
    assert current.server_host == kamailio.host
    assert current.expiry == 60
    assert seen[-1].status.state is REGISTERED
    assert engine.registration.message is None

    engine.sign_out()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.SIGNED_OUT, timeout=5000)


def test_wrong_password_is_bad_credentials_without_retries(
    engine_factory: Any, kamailio: KamailioServer, qtbot: Any
) -> None:
    engine = engine_factory()
    profile = make_profile(kamailio, "1004").with_password("not-the-password")
    engine.apply_profile(profile)
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.FAILED, timeout=5000)

    status = engine.registration
    assert status.last_failure is not None
    assert status.last_failure.reason is FailureReason.BAD_CREDENTIALS
    assert status.message == LOST_CONNECTION_MESSAGE
    assert "Wrong user name or password" in (status.detail or "")
    attempts = engine.register_attempts
    # No retry storm: nothing is scheduled, and nothing more goes out while we keep pumping.
    assert status.next_attempt_at is None
    wait_none(qtbot, lambda: engine.register_attempts != attempts, within_ms=1500)
    assert engine.register_attempts == attempts
    assert engine.registration.state is RegistrationState.FAILED


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_lost_connection_is_shown_and_registration_comes_back(
    engine_factory: Any, kamailio_factory: Any, qtbot: Any, transport: str
) -> None:
    server = kamailio_factory()
    engine = engine_factory()
    expiry, refresh = 4, 2
    engine.apply_profile(
        make_profile(
            server,
            "1005",
            transport,
            sections={"registration": {"expiry_seconds": expiry, "refresh_seconds": refresh}},
        )
    )
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=5000)

    server.stop()
    # The message shows no later than the expiry after the last successful REGISTER.
    qtbot.waitUntil(lambda: engine.registration.lost_connection, timeout=(expiry + 1) * 1000)
    assert engine.registration.message == LOST_CONNECTION_MESSAGE
    assert engine.state.registration.message == LOST_CONNECTION_MESSAGE

    server.start()
    qtbot.waitUntil(lambda: engine.registration.state.is_registered, timeout=5000)
    assert not engine.registration.lost_connection
    assert engine.registration.message is None


def test_falls_back_to_the_next_transport_when_the_first_is_unreachable(
    engine_factory: Any, kamailio: KamailioServer, qtbot: Any
) -> None:
    """TLS first, but nothing listens for TLS on the server's port (only UDP does there):
    the account registers over UDP, and the agent is told why."""
    engine = engine_factory(ca_file=kamailio.ca_file)
    profile = make_profile(
        kamailio, "1005", "udp", sections={"sip": {"transports": ["tls", "udp"]}}
    )
    engine.apply_profile(profile)
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=10000)

    current = engine.registration.current
    assert current is not None and current.transport == "UDP"
    assert any("over TLS" in n and "trying UDP" in n for n in engine.state.notices)
    assert engine.registration.message is None

    # Signing in again starts with the preferred transport and ends on the same fallback.
    engine.sign_out()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.SIGNED_OUT, timeout=5000)
    notices = len(engine.state.notices)
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=10000)
    assert engine.registration.current is not None
    assert engine.registration.current.transport == "UDP"
    assert len(engine.state.notices) > notices


def test_sign_in_and_shutdown_send_no_second_register_while_one_is_pending(
    engine_factory: Any, kamailio: KamailioServer, qtbot: Any, caplog: Any
) -> None:
    """pjsua logs "Object is busy (PJSIP_EBUSY)" when asked for a REGISTER while one is in
    flight; the engine must never do that (sign in, sign out, sign in, shut down)."""
    engine = engine_factory()
    engine.apply_profile(make_profile(kamailio, "1004"))
    with caplog.at_level(logging.DEBUG, logger="communicator.sip.trace"):
        engine.sign_in()
        qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=5000)
        engine.sign_out()
        qtbot.waitUntil(
            lambda: engine.registration.state is RegistrationState.SIGNED_OUT, timeout=5000
        )
        engine.sign_in()
        qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=5000)
        engine.close()
    busy = [r.getMessage() for r in caplog.records if "EBUSY" in r.getMessage()]
    assert busy == []


@pytest.mark.parametrize("via", ["server", "outbound_proxy"])
def test_tls_uses_its_own_port(
    engine_factory: Any, kamailio: KamailioServer, qtbot: Any, via: str
) -> None:
    """Kamailio listens for TLS on a port of its own: the profile's ``port`` is the UDP one
    and ``tls_port`` (or ``outbound_proxy_tls_port``) says where TLS goes."""
    udp_port, tls_port = kamailio.port("udp"), kamailio.port("tls")
    assert len({udp_port, kamailio.port("tcp"), tls_port}) == 3
    sip: dict[str, Any] = {"port": udp_port, "transports": ["tls"]}
    if via == "server":
        sip["tls_port"] = tls_port
    else:
        sip |= {
            "outbound_proxy": kamailio.host,
            "outbound_proxy_port": udp_port,
            "outbound_proxy_tls_port": tls_port,
            "tls_port": udp_port,  # not used: everything goes through the proxy
        }
    profile = make_profile(kamailio, "1003", "tls", sections={"sip": sip})
    assert profile.sip.port == udp_port
    engine = engine_factory(ca_file=kamailio.ca_file)
    engine.apply_profile(profile)
    engine.sign_in()
    qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=5000)
    current = engine.registration.current
    assert current is not None and current.transport == "TLS"
    assert not engine.state.notices  # no fallback to another transport
    engine.sign_out()
    qtbot.waitUntil(lambda: engine.registration.state is RegistrationState.SIGNED_OUT, timeout=5000)
