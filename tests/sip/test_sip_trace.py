"""The SIP trace for support, switched at run time as the Settings dialog does
(`SipEngine.set_sip_trace`): on, the ``communicator.sip.trace`` log carries the REGISTER, its
challenge and the 200 with the digest credentials redacted; off again, a whole new registration
leaves no SIP message there. Real Kamailio, the pytest process's endpoint."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from communicator.core.registration import RegistrationState
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import make_profile

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]

REGISTERED = RegistrationState.REGISTERED
TRACE = "communicator.sip.trace"
DIGEST_RESPONSE = re.compile(r'response="?[0-9a-f]{32}', re.IGNORECASE)


def traced(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == TRACE]


def test_the_sip_trace_switches_on_and_off_at_run_time_without_credentials(
    sip_endpoint: Any, engine_factory: Any, kamailio: KamailioServer, qtbot: Any, caplog: Any
) -> None:
    was = sip_endpoint.sip_trace
    engine = engine_factory()
    account = kamailio.account("1005")
    engine.apply_profile(make_profile(kamailio, "1005"))
    try:
        with caplog.at_level(logging.DEBUG, logger=TRACE):
            engine.set_sip_trace(False)
            assert not sip_endpoint.sip_trace
            engine.set_sip_trace(True)
            assert sip_endpoint.sip_trace
            engine.sign_in()
            qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=5000)
            qtbot.waitUntil(
                lambda: any("SIP/2.0 200 OK" in m and "REGISTER" in m for m in traced(caplog)),
                timeout=5000,
            )
            on = traced(caplog)
            registers = [m for m in on if "REGISTER sip:" in m]
            assert registers, on[-5:]
            assert any("SIP/2.0 401" in m or "SIP/2.0 407" in m for m in on)  # the challenge
            answered = [m for m in registers if "Authorization: <redacted>" in m]
            assert answered, registers  # the REGISTER with credentials, redacted
            assert not any(DIGEST_RESPONSE.search(m) for m in on)
            assert account.password and not any(account.password in m for m in on)

            caplog.clear()
            engine.set_sip_trace(False)
            assert not sip_endpoint.sip_trace
            engine.sign_out()
            qtbot.waitUntil(
                lambda: engine.registration.state is RegistrationState.SIGNED_OUT, timeout=5000
            )
            engine.sign_in()
            qtbot.waitUntil(lambda: engine.registration.state is REGISTERED, timeout=5000)
            off = traced(caplog)
            assert not any("REGISTER sip:" in m or "SIP/2.0 " in m for m in off), off[:5]
    finally:
        sip_endpoint.set_sip_trace(was)
