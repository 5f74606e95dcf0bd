"""Destroying AudioMediaPorts while the conference clock runs (`communicator.sip.media_port`).

pjmedia 2.15 applies a port's removal at its next clock tick. These tests check, on the real
conference bridge, that a retired port is off the bridge before its C++ half is freed, that
no tick reaches it afterwards, and that a slot reused by a newer port is left alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from communicator.sip.media_port import (
    conference_slots,
    free_after_removal,
    kept_ports,
    retire_media_port,
)
from tests.sip.helpers import CallbackCounts, counting_port
from tests.sip.sound.helpers import NoDevices

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]

OWNER = "test-media-port"


@pytest.fixture
def counterpart(sip_endpoint: Any) -> Iterator[Any]:
    """A counterpart for the ports under test (itself retired safely), clock running."""
    import pjsua2 as pj

    sip_endpoint.set_clock_demand(OWNER, True)
    other, _ = counting_port(pj, "counterpart")
    try:
        yield other
    finally:
        assert retire_media_port(other) is True
        sip_endpoint.set_clock_demand(OWNER, False)


def _max_ports(sip_endpoint: Any) -> int:
    return int(sip_endpoint.ep.mediaMaxPorts())


def _connected(pj: Any, counterpart: Any, qtbot: Any, name: str) -> tuple[Any, CallbackCounts]:
    port, counts = counting_port(pj, name)
    counterpart.startTransmit(port)
    port.startTransmit(counterpart)
    qtbot.waitUntil(lambda: counts.requested > 2 and counts.received > 2, timeout=3000)
    return port, counts


def test_a_retired_port_is_off_the_bridge_and_never_called_again(
    sip_endpoint: Any, counterpart: Any, qtbot: Any
) -> None:
    import pjsua2 as pj

    port, counts = _connected(pj, counterpart, qtbot, "retired")
    witness, seen = _connected(pj, counterpart, qtbot, "witness")
    slot = port.getPortId()
    counterpart.stopTransmit(port)
    port.stopTransmit(counterpart)

    assert retire_media_port(port) is True
    # Without the wait for pjmedia's tick the slot is still taken here (the removal is only
    # queued) while the C++ port is already freed.
    assert slot not in conference_slots(_max_ports(sip_endpoint))
    assert not port.thisown, "the C++ half was destroyed explicitly"
    calls = (counts.requested, counts.received)
    ticks = seen.requested
    qtbot.waitUntil(lambda: seen.requested >= ticks + 5, timeout=3000)
    assert (counts.requested, counts.received) == calls
    del port
    assert retire_media_port(witness) is True


def test_a_newer_port_in_the_reused_slot_survives_the_old_ones_proxy(
    sip_endpoint: Any, counterpart: Any, qtbot: Any
) -> None:
    import pjsua2 as pj

    old, _ = _connected(pj, counterpart, qtbot, "old")
    slot = old.getPortId()
    counterpart.stopTransmit(old)
    old.stopTransmit(counterpart)
    assert retire_media_port(old) is True
    # pjmedia hands out the lowest free slot: fill the ones below until a port gets ours.
    fillers: list[Any] = []
    new, counts = _connected(pj, counterpart, qtbot, "new")
    while new.getPortId() != slot:
        assert new.getPortId() < slot
        fillers.append(new)
        new, counts = _connected(pj, counterpart, qtbot, "new")
    for filler in fillers:
        counterpart.stopTransmit(filler)
        filler.stopTransmit(counterpart)
        assert retire_media_port(filler) is True

    del old  # the old proxy dies now: it must not remove the slot the new port holds
    gc.collect()
    assert slot in conference_slots(_max_ports(sip_endpoint))
    before = counts.requested
    qtbot.waitUntil(lambda: counts.requested >= before + 5, timeout=3000)
    counterpart.stopTransmit(new)
    new.stopTransmit(counterpart)
    assert retire_media_port(new) is True


def test_retiring_runs_a_stopped_clock_just_long_enough(sip_endpoint: Any, qtbot: Any) -> None:
    import pjsua2 as pj

    qtbot.waitUntil(lambda: not sip_endpoint.sound_clock_running, timeout=5000)
    port, _ = counting_port(pj, "clockless")
    slot = port.getPortId()
    assert slot in conference_slots(_max_ports(sip_endpoint))

    assert retire_media_port(port) is True
    assert slot not in conference_slots(_max_ports(sip_endpoint))
    assert not sip_endpoint.sound_clock_running


def test_an_unconfirmed_removal_keeps_the_port_alive(sip_endpoint: Any, qtbot: Any) -> None:
    """No clock, so the removal stays queued: freeing the port then would leave the next tick
    a dangling pointer. The port is kept (a leak, logged) and the slot goes at the next tick."""
    import pjsua2 as pj

    qtbot.waitUntil(lambda: not sip_endpoint.sound_clock_running, timeout=5000)
    port, counts = counting_port(pj, "unconfirmed")
    slot = port.getPortId()
    kept = kept_ports()

    assert free_after_removal(port, _max_ports(sip_endpoint), timeout=0.05) is False
    assert kept_ports() == kept + 1
    assert slot in conference_slots(_max_ports(sip_endpoint)), "still queued"
    assert port.getPortId() == slot, "the C++ half is alive"
    sip_endpoint.set_clock_demand(OWNER, True)
    try:
        qtbot.waitUntil(
            lambda: slot not in conference_slots(_max_ports(sip_endpoint)), timeout=3000
        )
    finally:
        sip_endpoint.set_clock_demand(OWNER, False)
    assert counts.requested == 0


def test_a_bridge_closed_with_the_clock_stopped_leaves_the_bridge(
    sip_endpoint: Any, qtbot: Any
) -> None:
    """No tick would ever apply a queued removal: the old ``del port`` left the slot taken
    (and the freed port in it for the next tick to find)."""
    from communicator.sip.audio import AudioBridge

    qtbot.waitUntil(lambda: not sip_endpoint.sound_clock_running, timeout=5000)
    bridge = AudioBridge(NoDevices())
    bridge.start()
    slot = bridge.port.getPortId()
    assert not sip_endpoint.sound_clock_running
    bridge.close()
    assert slot not in conference_slots(_max_ports(sip_endpoint))
    assert not sip_endpoint.sound_clock_running


def test_bridges_close_in_a_loop_while_the_clock_runs(
    sip_endpoint: Any, counterpart: Any, qtbot: Any
) -> None:
    """The shape of the crash that was seen: AudioBridge.close() while a tick feeds its port."""
    from communicator.sip.audio import AudioBridge

    kept = kept_ports()
    for _ in range(40):
        bridge = AudioBridge(NoDevices())
        bridge.start()
        port = bridge.port
        counterpart.startTransmit(port)
        port.startTransmit(counterpart)
        qtbot.waitUntil(lambda b=bridge: b.stats().frames_requested > 1, timeout=3000)
        counterpart.stopTransmit(port)
        port.stopTransmit(counterpart)
        slot = port.getPortId()
        del port
        bridge.close()
        assert bridge.port is None
        assert slot not in conference_slots(_max_ports(sip_endpoint)), "freed while queued"
    assert kept_ports() == kept
