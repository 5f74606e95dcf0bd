"""The engine's audit of conference-bridge connections reads real listener lists."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.sip.sound.helpers import connected_call
from tests.sip.test_calls import answering_peer, signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


def test_audit_leaves_intact_connections_alone(
    engine_factory: Any,
    kamailio: Any,
    peer_factory: Any,
    qtbot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1008")
    far = answering_peer(peer_factory, "far-links", "1009")
    call, _ = connected_call(qtbot, engine, far, "1009")
    assert engine._links, "a connected call has bridge connections"

    def all_listed() -> bool:
        # Every connection the engine made is in its source's listener list (read while the
        # ConfPortInfo is alive: `src.getPortInfo().listeners` reads freed memory). pjmedia
        # 2.15 applies connections at its next clock tick, later than the call's state
        # change on a loaded machine: wait for them.
        for key, (src, _dst) in engine._links.items():
            info = src.getPortInfo()
            if key[3] not in list(info.listeners):
                return False
        return True

    qtbot.waitUntil(all_listed, timeout=5000)
    with caplog.at_level(logging.DEBUG, logger="communicator.sip.engine"):
        for _ in range(5):
            engine._audit_links()
    assert not [r for r in caplog.records if "re-connect" in r.getMessage()]
    engine.hangup(call)
