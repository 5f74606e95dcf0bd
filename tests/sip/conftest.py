"""Fixtures for the SIP engine tests. ``sip_endpoint`` and ``engine_factory`` live in
tests/rig/sip_fixtures.py (tests/ui needs them too, and there must be one Endpoint per process).

Waiting always keeps the Qt loop (and so the pump) running: ``qtbot.waitUntil`` for engine
state, `wait_peer` for far-end events.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rig.fixtures import require_kamailio
from tests.rig.kamailio import KamailioServer


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
        if self._engine is not None and not self._engine.closed:
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
