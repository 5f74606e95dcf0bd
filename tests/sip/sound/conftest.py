"""Fixtures for the real-audio tests: a started bridge on the private PulseAudio server
(``pulse``, in tests/sip/sound/pulse_fixture.py, shared by every test of the session)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sip.sound.pulse import PulseServer

BridgeFactory = Callable[..., Any]


@pytest.fixture
def bridge_factory(sip_endpoint: Any, pulse: PulseServer) -> Iterator[BridgeFactory]:
    """``make(microphone=None, speaker=None, start=True) -> AudioBridge``; every bridge is
    detached and closed after the test (before the engines are closed)."""
    from communicator.sip.audio import AudioBridge, DeviceManager

    bridges: list[AudioBridge] = []

    def make(**kwargs: Any) -> AudioBridge:
        start = kwargs.pop("start", True)
        devices = DeviceManager()
        devices.refresh(force=True)
        bridge = AudioBridge(devices, **kwargs)
        bridges.append(bridge)
        if start:
            bridge.start()
        return bridge

    try:
        yield make
    finally:
        for bridge in reversed(bridges):
            bridge.close()


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    path = tmp_path / "audio"
    path.mkdir()
    return path
