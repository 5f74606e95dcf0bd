"""What the application's main thread must call for the audio bridge, without Qt.

The app owns the timer (a single-shot ``QTimer`` in the UI, `communicator.ui.audio`)::

    keeper = AudioHousekeeper(bridge)
    timer.timeout -> keeper.tick(); timer.start(keeper.next_interval_ms())
    OpenStreams.subscribe(...) -> timer.start(keeper.interval_ms)    # a stream just opened

`next_interval_ms` is ``interval_ms`` (200 ms) while any PortAudio stream is open (a call, a
tone, the ringer: there is something to watch) and otherwise the time until the next device
list refresh (10 s): an idle agent's process is woken 0.1 times a second instead of 5 (each
wake-up of a Python QTimer costs ~0.13 ms of CPU; bench/ui_bench.py's idle figure). Hot-plug
is followed as before: the device list is re-read every ``refresh_every_s`` while idle, and
a device lost during a call is seen by the 200 ms tick.

A re-read with PulseAudio's devices costs ~22 ms of CPU (~35 ms of the GUI thread): every
10 s that alone is 0.2 % of a core. On Linux the UI watches ALSA's device nodes (/dev/snd, the
only way a device PortAudio lists comes or goes) and tells `devices_may_have_changed`, so the
periodic re-read there is a slow safety net (`refresh_every_s`).

`tick` calls `AudioBridge.poll` every time (closes idle streams after the linger; replaces a
device that stopped with the default one and raises an `AudioNotice`), `Ringer.poll` when a
ringer is given (a ringer device lost while ringing moves to the default one), and every
``refresh_every_s`` re-reads the device list. PortAudio only sees new devices after a
re-initialisation, which is done only while no stream is open (between calls, ringer quiet).
The periodic re-read waits for that; a change the platform reported (`devices_may_have_changed`)
is not kept waiting for the end of the call: `AudioBridge.rescan` closes the bridge's streams,
re-reads and reopens on what is chosen then (a headset plugged in mid-call is taken at once).
`refreshed` tells the settings dialog that the list may have changed.

Everything runs on the thread that created the endpoint (the bridge is not thread-safe on the
control side); `tick` never blocks longer than a PortAudio re-initialisation (tens of ms).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from communicator.sip.audio.devices import OpenStreams


class AudioHousekeeper:
    interval_ms = 200

    def __init__(
        self,
        bridge: Any,
        *,
        ringer: Any = None,
        refresh_every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bridge = bridge
        self._ringer = ringer
        self._refresh_every_s = refresh_every_s
        self._clock = clock
        self._next_refresh = clock() + refresh_every_s
        self._change_reported = False
        self.refreshed = 0
        """How many times the device list was re-read (re-initialised) so far."""

    @property
    def refresh_every_s(self) -> float:
        return self._refresh_every_s

    @refresh_every_s.setter
    def refresh_every_s(self, seconds: float) -> None:
        """Slower where the platform tells of device changes (`devices_may_have_changed`)."""
        self._refresh_every_s = seconds
        self._next_refresh = min(self._next_refresh, self._clock() + seconds)

    def devices_may_have_changed(self, settle_s: float = 0.5) -> None:
        """The platform saw the sound devices change (ALSA's /dev/snd nodes): re-read the
        list ``settle_s`` from now (a card's nodes appear one by one), or at the first tick
        without an open stream after that."""
        self._next_refresh = min(self._next_refresh, self._clock() + settle_s)
        self._change_reported = True

    def next_interval_ms(self) -> int:
        """How long the timer may sleep before `tick` has work again."""
        if OpenStreams.count:
            return self.interval_ms
        until_refresh = math.ceil((self._next_refresh - self._clock()) * 1000)
        return max(self.interval_ms, until_refresh)

    def tick(self) -> None:
        self._bridge.poll()
        if self._ringer is not None:
            self._ringer.poll()
        now = self._clock()
        if now < self._next_refresh:
            return
        if OpenStreams.count:
            # Streams open (a call): only a reported change re-reads now, through the bridge
            # (it closes its streams for it); False while another stream (the ringer) is open.
            if self._change_reported and self._bridge.rescan():
                self._change_reported = False
                self._next_refresh = now + self._refresh_every_s
                self.refreshed += 1
            return
        self._change_reported = False
        self._next_refresh = now + self._refresh_every_s
        if self._bridge.refresh_devices():
            self.refreshed += 1
