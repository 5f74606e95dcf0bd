"""Fixtures for the SIP engine tests: one pjsua2 Endpoint for the whole session.

``sip_endpoint`` (session) is the only Endpoint the pytest process creates, pumped by the
engine's own `Pump` on the Qt event loop of pytest-qt's application. Each test makes its own
`SipEngine` on it with ``engine_factory`` (closed after the test: calls hung up, account
unregistered and shut down), so tests cannot leak accounts or calls into each other.

Waiting always keeps the Qt loop (and so the pump) running: ``qtbot.waitUntil`` for engine
state, `wait_peer` for far-end events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rig.fixtures import require_kamailio, require_pjsua2
from tests.rig.kamailio import KamailioServer


@pytest.fixture(scope="session")
def sip_endpoint(qapp: Any) -> Iterator[Any]:
    require_pjsua2()
    from communicator.sip.endpoint import EndpointOptions, SipEndpoint
    from communicator.sip.pump import Pump

    endpoint = SipEndpoint(EndpointOptions(bound_address="127.0.0.1"))
    pump = Pump(endpoint.poll)
    endpoint.wakeup = pump.kick
    endpoint.pump = pump  # type: ignore[attr-defined]
    pump.start()
    try:
        yield endpoint
    finally:
        pump.stop()
        endpoint.wakeup = lambda: None
        endpoint.shutdown()


EngineFactory = Callable[..., Any]


@pytest.fixture
def engine_factory(sip_endpoint: Any, tmp_path: Path) -> Iterator[EngineFactory]:
    from communicator.sip.engine import SipEngine

    engines: list[SipEngine] = []

    def make(*, ca_file: Path | None = None, **kwargs: Any) -> SipEngine:
        kwargs.setdefault("recordings_dir", tmp_path / "recordings")
        engine = SipEngine(sip_endpoint, tls_ca_file=str(ca_file) if ca_file else None, **kwargs)
        engines.append(engine)
        return engine

    try:
        yield make
    finally:
        for engine in reversed(engines):
            engine.close()
        assert sip_endpoint.pump.failures == []


@pytest.fixture
def rig_kamailio(kamailio: KamailioServer) -> KamailioServer:
    require_kamailio()
    return kamailio
