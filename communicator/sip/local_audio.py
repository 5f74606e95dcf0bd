"""The agent's own audio on the conference bridge: a source (microphone) and a sink (speaker).

The engine connects every active, un-held call both ways to the local audio: source -> call
(unless muted) and call -> sink. Mute disconnects the source from the call; hold disconnects
both directions. Conference calls are also connected to each other.

The default is the null sound device's capture and playback ports (Linux wheels have no sound
backend). The audio bridge plugs in an AudioMediaPort backed by sounddevice with
`SipEngine.set_local_audio`; tests plug in a looping tone player as the microphone and an
AudioMediaRecorder as the speaker. The engine only calls ``startTransmit``/``stopTransmit``
on these objects; their owner keeps them alive and destroys them before the endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, eq=False)
class LocalAudio:
    source: Any
    """pjsua2 AudioMedia the agent speaks into (what the far ends hear)."""
    sink: Any
    """pjsua2 AudioMedia the agent listens to."""


def null_device_audio(endpoint_ep: Any) -> LocalAudio:
    """The sound device ports of the bridge (the null device unless one was selected)."""
    manager = endpoint_ep.audDevManager()
    return LocalAudio(manager.getCaptureDevMedia(), manager.getPlaybackDevMedia())
