"""Fixtures for the real-audio tests: a private PulseAudio server and a started bridge.

``pulse`` (session) starts `PulseServer`, points this process at it (``PULSE_SERVER``,
``ALSA_CONFIG_PATH``) and re-initialises PortAudio so sounddevice sees its devices; the
environment is restored and the server stopped by PID afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sip.sound.pulse import PulseServer, pulse_available


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    missing = pulse_available()
    if missing:
        pytest.skip(missing)
    pytest.importorskip("sounddevice", reason="sounddevice is not installed")
    server = PulseServer(tmp_path_factory.mktemp("pulse"))
    saved = {k: os.environ.get(k) for k in server.env}
    server.start()
    os.environ.update(server.env)
    from communicator.sip.audio.devices import DeviceManager

    DeviceManager.reinitialize()
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.close()
        DeviceManager.reinitialize()


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
