"""``pulse`` (session): one private PulseAudio server for the whole test session.

It starts `PulseServer`, points this process at it (``PULSE_SERVER``, ``ALSA_CONFIG_PATH``) and
re-initialises PortAudio so sounddevice sees its devices; the environment is restored and the
server stopped by PID afterwards. Registered in tests/conftest.py, so the sound tests and the
desktop's settings tests share it (two servers in one session fight over PulseAudio's D-Bus
name).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

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
