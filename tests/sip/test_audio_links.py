"""The engine's audit of conference-bridge connections reads real listener lists."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from communicator.sip import audio_routing
from communicator.sip.engine import LINK_SETTLE_S
from tests.sip.helpers import counting_port
from tests.sip.sound.helpers import connected_call
from tests.sip.test_calls import answering_peer, signed_in_engine

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


ROUTING_LOG = "communicator.sip.audio_routing"


def _listed(key: Any, src: Any) -> bool:
    """The link is in its source's listener list (read while the ConfPortInfo is alive:
    ``src.getPortInfo().listeners`` reads freed memory)."""
    info = src.getPortInfo()
    return key[3] in list(info.listeners)


def _link(engine: Any, key: Any) -> Any:
    """The engine's link with ``key`` now, None when it has none."""
    return next((link for link in engine.audio_links() if link.key == key), None)


@pytest.fixture
def in_call(engine_factory: Any, kamailio: Any, peer_factory: Any, qtbot: Any) -> tuple[Any, Any]:
    """(engine, call): an engine in a connected call with a far-end peer."""
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1008")
    far = answering_peer(peer_factory, "far-links", "1009")
    call, _ = connected_call(qtbot, engine, far, "1009")
    return engine, call


def test_audit_leaves_intact_connections_alone(
    in_call: tuple[Any, Any], qtbot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    engine, call = in_call
    assert engine.audio_links(), "a connected call has bridge connections"

    # pjmedia 2.15 applies connections at its next clock tick, later than the call's state
    # change on a loaded machine: wait for them.
    qtbot.waitUntil(
        lambda: all(_listed(link.key, link.src) for link in engine.audio_links()),
        timeout=5000,
    )
    with caplog.at_level(logging.DEBUG, logger=ROUTING_LOG):
        for _ in range(5):
            assert engine.audit_audio_links() == 0
    assert not [r for r in caplog.records if "re-connect" in r.getMessage()]
    engine.hangup(call)


def test_audit_waits_for_a_pending_connect_then_remakes_a_dropped_one(
    in_call: tuple[Any, Any], qtbot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    engine, call = in_call
    # The agent's voice to the call: muting drops it, un-muting makes it anew.
    link = next(link for link in engine.audio_links() if link.source == "source")
    key, src = link.key, link.src
    qtbot.waitUntil(lambda: _listed(key, src), timeout=5000)

    # The engine's own audit (it runs for a while after each media change) stays out of it.
    qtbot.waitUntil(lambda: not engine.audio_audit_running, timeout=5000)
    engine.set_mute(call, True)
    assert _link(engine, key) is None
    qtbot.waitUntil(lambda: not _listed(key, src), timeout=5000)

    # The engine re-makes it; pjmedia applies that at its next tick. An audit right away
    # must not take the pending connect for a missing one.
    with caplog.at_level(logging.DEBUG, logger=ROUTING_LOG):
        engine.set_mute(call, False)
        assert _link(engine, key) is not None
        assert engine.audit_audio_links() == 0
        assert not [r for r in caplog.records if "re-connect" in r.getMessage()]
    qtbot.waitUntil(lambda: _listed(key, src), timeout=5000)

    # A connection pjmedia really dropped (older than a few ticks) is re-made. The engine's
    # links carry their making time on the default clock (time.monotonic).
    qtbot.waitUntil(
        lambda: time.monotonic() - _link(engine, key).made_at >= LINK_SETTLE_S, timeout=5000
    )
    dst = _link(engine, key).dst
    src.stopTransmit(dst)
    qtbot.waitUntil(lambda: not _listed(key, src), timeout=5000)
    with caplog.at_level(logging.DEBUG, logger=ROUTING_LOG):
        assert engine.audit_audio_links() == 1
    assert [r for r in caplog.records if "re-connect" in r.getMessage()]
    qtbot.waitUntil(lambda: _listed(key, src), timeout=5000)
    engine.hangup(call)


def test_resetting_local_audio_drops_its_links_even_when_the_new_ones_fail(
    in_call: tuple[Any, Any], qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plugged-in media are destroyed right after the reset (the audio bridge retires its
    port): a link left to them would call into freed memory."""
    import pjsua2 as pj

    from communicator.sip.media_port import retire_media_port

    engine, call = in_call
    port, counts = counting_port(pj, "plugged")
    engine.set_local_audio(port, port)

    def plugged_links() -> list[Any]:
        return [link.key for link in engine.audio_links() if link.src is port or link.dst is port]

    assert plugged_links(), "the call is connected to the plugged-in port"
    qtbot.waitUntil(lambda: counts.requested > 2, timeout=5000)

    def fail(*_: Any) -> None:
        raise pj.Error()

    monkeypatch.setattr(audio_routing, "wanted_links", fail)
    engine.reset_local_audio()
    assert plugged_links() == []
    monkeypatch.undo()
    assert retire_media_port(port) is True
    engine.hangup(call)
