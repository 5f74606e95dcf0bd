"""The pjsua2 Endpoint of the pytest process and the engines tests make on it (imported by
tests/conftest.py, so tests/sip and tests/ui share them).

``sip_endpoint`` (session) is the only Endpoint the pytest process creates, pumped by the
engine's own `Pump` on the Qt event loop of pytest-qt's application. Each test makes its own
`SipEngine` on it with ``engine_factory`` (closed after the test: calls hung up, account
unregistered and shut down), so tests cannot leak accounts or calls into each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rig.fixtures import require_pjsua2


@pytest.fixture(scope="session")
def sip_endpoint(qapp: Any) -> Iterator[Any]:
    require_pjsua2()
    from communicator.sip.endpoint import EndpointOptions, SipEndpoint
    from communicator.ui.pump import Pump

    endpoint = SipEndpoint(EndpointOptions(bound_address="127.0.0.1"))
    pump = Pump(endpoint.poll, sockets=endpoint)
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
