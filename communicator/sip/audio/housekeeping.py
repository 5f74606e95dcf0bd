"""What the application's main thread must call for the audio bridge, without Qt.

The app owns the timer (a ``QTimer`` in the UI)::

    keeper = AudioHousekeeper(bridge)
    timer = QTimer(interval=keeper.interval_ms)      # 200 ms
    timer.timeout.connect(keeper.tick)
    timer.start()

`tick` calls `AudioBridge.poll` every time (closes idle streams after the linger; replaces a
device that stopped with the default one and raises an `AudioNotice`), `Ringer.poll` when a
ringer is given (a ringer device lost while ringing moves to the default one), and every
``refresh_every_s`` re-reads the device list. PortAudio only sees new devices after a
re-initialisation, which is done only while no stream is open (between calls, ringer quiet);
during a call the cached list is kept and the refresh happens at the next idle tick.
`refreshed` tells the settings dialog that the list may have changed.

Everything runs on the thread that created the endpoint (the bridge is not thread-safe on the
control side); `tick` never blocks longer than a PortAudio re-initialisation (tens of ms).
"""

from __future__ import annotations

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
        self.refreshed = 0
        """How many times the device list was re-read (re-initialised) so far."""

    def tick(self) -> None:
        self._bridge.poll()
        if self._ringer is not None:
            self._ringer.poll()
        now = self._clock()
        if now < self._next_refresh or OpenStreams.count:
            return
        self._next_refresh = now + self._refresh_every_s
        if self._bridge.refresh_devices():
            self.refreshed += 1
