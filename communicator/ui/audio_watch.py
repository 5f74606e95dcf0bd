"""PulseAudio's word that a sound device came or went, on the Qt loop.

A USB headset brings ALSA device nodes (/dev/snd, watched by `communicator.ui.audio`), but
a Bluetooth headset, a PipeWire/PulseAudio virtual device or a module loaded by the desktop
only appears as a PulseAudio sink or source. ``pactl subscribe`` (PulseAudio's and
pipewire-pulse's command-line client, present wherever either runs) prints one line per
server event; this watcher reads them as they come (a `QProcess`: no thread, no polling) and
calls ``changed`` for each sink or source added or removed. Streams (ours included: every
re-read of the device list connects clients and opens none) and clients are not device
changes and are ignored.

No ``pactl`` or no PulseAudio server: the watcher ends quietly (`running` is False) and the
device nodes and the periodic re-read remain. When the server goes away after it ran a while
(PulseAudio or PipeWire restarted) ``pactl`` is started again `RESTART_MS` later, and the
device list is re-read (devices may have changed meanwhile).

A libpulse binding through ctypes would avoid the helper process but needs its own main-loop
thread; one small process reading a pipe is simpler and costs nothing between events.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QObject, QProcess, QProcessEnvironment, QTimer

log = logging.getLogger(__name__)

DEVICE_EVENT = re.compile(r"^Event '(new|remove)' on (sink|source) #\d+$")
"""pactl's line for a device added or removed (``sink-input``, ``source-output``, ``client``,
``module`` and ``change`` events are not devices coming or going)."""
RESTART_MS = 3000
RAN_LONG_ENOUGH_MS = 10_000
"""A ``pactl`` that ended sooner found no server: it is not started again."""


def untranslated_environment() -> QProcessEnvironment:
    """This process's environment with messages in C: ``pactl`` translates its event lines
    (Polish: ``Zdarzenie „nowy” w odpływ #3``), which `DEVICE_EVENT` would never match."""
    environment = QProcessEnvironment.systemEnvironment()
    environment.remove("LANGUAGE")
    environment.insert("LC_ALL", "C")
    return environment


def is_device_event(line: str) -> bool:
    return DEVICE_EVENT.match(line.strip()) is not None


class PulseDeviceWatch(QObject):
    """Runs ``pactl subscribe`` while open; ``changed()`` on each device added or removed."""

    def __init__(self, changed: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._changed = changed
        self._buffer = b""
        self._closed = False
        self._process = QProcess(self)
        self._process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        self._process.setStandardErrorFile(QProcess.nullDevice())
        self._process.setProcessEnvironment(untranslated_environment())
        self._process.readyReadStandardOutput.connect(self._read)
        self._process.finished.connect(self._finished)
        self._ran = QElapsedTimer()
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.timeout.connect(self._start_again)
        self._pactl = "pactl"
        self.events = 0
        """Device events seen so far."""

    def start(self) -> bool:
        """Start watching; False when ``pactl`` is not installed."""
        pactl = shutil.which("pactl")
        if pactl is None:
            return False
        self._pactl = pactl
        self._ran.start()
        self._process.start(pactl, ["subscribe"])
        return True

    def _start_again(self) -> None:
        if not self._closed and not self.running:
            self._ran.start()
            self._process.start(self._pactl, ["subscribe"])
            self._changed()

    @property
    def running(self) -> bool:
        return self._process.state() != QProcess.ProcessState.NotRunning

    def _read(self) -> None:
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        seen = sum(is_device_event(line.decode(errors="replace")) for line in lines)
        if seen and not self._closed:
            self.events += seen
            self._changed()

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        if self._closed:
            return
        log.info("PulseAudio device events end (pactl subscribe exited with %s)", code)
        if self._ran.elapsed() >= RAN_LONG_ENOUGH_MS:
            self._restart.start(RESTART_MS)

    def close(self) -> None:
        self._closed = True
        self._restart.stop()
        if self.running:
            self._process.terminate()
            if not self._process.waitForFinished(2000):
                self._process.kill()
                self._process.waitForFinished(2000)
