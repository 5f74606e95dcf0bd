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


@pytest.fixture
def rig_kamailio(kamailio: KamailioServer) -> KamailioServer:
    require_kamailio()
    return kamailio


class LocalTone:
    """The agent's "microphone" plays a tone; the "speaker" records to a WAV."""

    def __init__(self, directory: Path) -> None:
        import pjsua2 as pj

        from tests.rig.audio_check import write_tone_wav

        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.player: Any = None
        self.recorder: Any = None
        self.speaker_path = directory / "agent_hears.wav"
        self._pj = pj
        self._write = write_tone_wav
        self._engine: Any = None

    def plug(self, engine: Any, freq: float) -> None:
        pj = self._pj
        # Long enough never to reach its end in a test: pjsua2 2.15.1 hands the C++ player to
        # its end-of-file callback, which runs later on another thread and would find it freed
        # if the player were destroyed just after a loop ended.
        wav = self._write(self.directory / f"mic_{int(freq)}.wav", freq, 60.0, 16000, dbfs=-8.0)
        self.player = pj.AudioMediaPlayer()
        self.player.createPlayer(str(wav), 0)  # loops
        self.recorder = pj.AudioMediaRecorder()
        self.recorder.createRecorder(str(self.speaker_path))
        self._engine = engine
        engine.set_local_audio(self.player, self.recorder)

    def close(self) -> None:
        if self._engine is not None and not self._engine._closed:
            self._engine.reset_local_audio()
        self.player = None
        self.recorder = None


@pytest.fixture
def local_tone(sip_endpoint: Any, tmp_path: Path) -> Iterator[LocalTone]:
    tone = LocalTone(tmp_path / "local")
    try:
        yield tone
    finally:
        tone.close()
