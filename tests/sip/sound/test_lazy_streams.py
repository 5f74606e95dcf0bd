"""The bridge opens the devices only while a call or a tone needs them (real PulseAudio)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from communicator.core.calls import Call as CoreCall
from communicator.core.calls import CallDirection, CallId, CallState, RemoteParty
from communicator.sip.audio import AudioHousekeeper, OpenStreams
from communicator.sip.events import LinesChanged
from tests.sip.sound.pulse import PulseServer

pytestmark = [pytest.mark.rig, pytest.mark.timeout(60)]


@dataclass
class _State:
    lines: tuple[CoreCall | None, ...] = ()


@dataclass
class LinesEngine:
    """What the bridge uses of `SipEngine`: local audio, `subscribe`, ``state.lines``."""

    listeners: list[Any] = field(default_factory=list)
    state: _State = field(default_factory=_State)
    local: Any = None
    closed: bool = False

    def set_local_audio(self, source: Any, sink: Any) -> None:
        self.local = source

    def reset_local_audio(self) -> None:
        self.local = None

    def subscribe(self, listener: Any) -> Any:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def lines(self, *states: CallState) -> None:
        self.state = _State(
            tuple(
                CoreCall(
                    call_id=CallId(f"c{i}"),
                    direction=CallDirection.OUTGOING,
                    remote=RemoteParty(uri=f"sip:{i}@x", number=str(i)),
                    line=i + 1,
                    state=state,
                    created_at=0.0,
                )
                for i, state in enumerate(states)
            )
        )
        for listener in list(self.listeners):
            listener(LinesChanged(self.state.lines))


def test_streams_follow_the_calls_and_tones(
    bridge_factory: Any, pulse: PulseServer, qtbot: Any
) -> None:
    bridge = bridge_factory(speaker="comm_speaker")
    engine = LinesEngine()
    keeper = AudioHousekeeper(bridge)
    # Started, no call: devices chosen but not open (nothing runs between calls).
    assert not bridge.streams_open
    assert bridge.speaker_in_use is not None and bridge.speaker_in_use.name == "comm_speaker"
    bridge.attach(engine)
    assert engine.local is bridge.port and not bridge.streams_open

    # Dialling opens them (before the answer); they stay open through the call and hold.
    engine.lines(CallState.DIALING)
    assert bridge.streams_open and OpenStreams.count >= 1
    engine.lines(CallState.CONNECTED)
    engine.lines(CallState.HELD)
    keeper.tick()
    assert bridge.streams_open
    qtbot.waitUntil(lambda: bridge.stats().device_callbacks > 20, timeout=3000)

    # Ended: closed after the linger, by the housekeeping tick; counts survive the close.
    engine.lines()
    keeper.tick()
    assert bridge.streams_open
    callbacks = bridge.stats().device_callbacks

    def closed() -> bool:
        keeper.tick()
        return not bridge.streams_open

    qtbot.waitUntil(closed, timeout=10000)
    assert bridge.stats().device_callbacks >= callbacks
    assert bridge.speaker_in_use is not None and bridge.speaker_in_use.name == "comm_speaker"

    # A tone with no call opens the speaker for it, and it plays.
    rec = pulse.record_monitor("speaker_sink", 1.0, pulse.directory / "dtmf-lazy.wav")
    qtbot.waitUntil(rec.started.is_set, timeout=3000)
    bridge.dtmf_feedback("1")
    assert bridge.streams_open
    qtbot.waitUntil(rec.done.is_set, timeout=6000)
    from tests.sip.sound.helpers import assert_mix

    assert_mix(rec.path, [697.0, 1209.0], skip_ms=0)
    qtbot.waitUntil(closed, timeout=10000)

    # Detached: a later "call" of that engine opens nothing.
    bridge.detach(engine)
    assert engine.listeners == [] and engine.local is None
    engine.lines(CallState.CONNECTED)
    assert not bridge.streams_open
    assert bridge.failures == []
