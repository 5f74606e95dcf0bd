"""One Communicator per user: a second launch hands its arguments to the running one and exits.

The running instance listens on a local socket (`QLocalServer`: a Unix domain socket, a named
pipe on Windows) whose name is per user and per settings directory (`instance_name`), readable
by that user only. A second launch connects, sends its arguments (call links), waits for the
running one's "ok" and exits 0; the running one raises its window and opens the links.

A socket left behind by a crash (the file exists, nobody accepts) is stale: `InstanceServer`
removes it and listens, but only after a connection attempt found nobody there, so a live
instance's socket is never taken over. (Two launches in the same instant can still both find
nobody; the later one's socket then wins and the earlier one takes no hand-overs.)

Cold start: on Unix the socket is a file, so `another_instance_may_run` answers without loading
QtNetwork; the module itself loads only when there is someone to talk to, or once the sign-in
window has shown.
"""

from __future__ import annotations

import binascii
import logging
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

log = logging.getLogger(__name__)

TIMEOUT_MS = 3000
MAX_MESSAGE = 64 * 1024
"""A hand-over is a few links; anything longer is not from a Communicator."""
OK = b"ok\n"


class HandOver(Enum):
    NO_INSTANCE = "no instance"
    HANDED = "handed over"
    NOT_ANSWERING = "not answering"
    """Someone accepted the connection but never said ok (a hung instance)."""


def instance_name(config_dir: Path, platform: str = sys.platform) -> str:
    """The local socket's name: per user (and per settings directory, so a test or a second
    profile with its own ``COMMUNICATOR_CONFIG_DIR`` is an instance of its own)."""
    if hasattr(os, "getuid"):
        user = str(os.getuid())
    else:
        user = re.sub(r"[^A-Za-z0-9_.-]", "_", os.environ.get("USERNAME", ""))[:32] or "user"
    key = f"{binascii.crc32(str(config_dir.expanduser().absolute()).encode()):08x}"
    name = f"communicator-{user}-{key}"
    if platform == "win32":
        return name  # a named pipe in the session's namespace
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    directory = runtime if runtime and os.path.isdir(runtime) else tempfile.gettempdir()
    return str(Path(directory) / f"{name}.sock")


def another_instance_may_run(name: str, platform: str = sys.platform) -> bool:
    """False when no instance can be running (on Unix: no socket file), without QtNetwork."""
    if platform == "win32" or not os.path.isabs(name):
        return True
    return os.path.exists(name)


def hand_over(name: str, arguments: Sequence[str], timeout_ms: int = TIMEOUT_MS) -> HandOver:
    """Give ``arguments`` to the instance listening on ``name``."""
    import json

    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return HandOver.NO_INSTANCE
    payload = json.dumps({"arguments": list(arguments)}).encode() + b"\n"
    socket.write(payload)
    socket.waitForBytesWritten(timeout_ms)
    reply = b""
    while not reply.endswith(b"\n") and len(reply) < 16:
        if not socket.bytesAvailable() and not socket.waitForReadyRead(timeout_ms):
            break
        reply += socket.readAll().data()
    socket.disconnectFromServer()
    return HandOver.HANDED if reply == OK else HandOver.NOT_ANSWERING


class InstanceServer(QObject):
    """The running instance's end: ``arguments_received(list[str])`` for each hand-over."""

    arguments_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer

        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Listen on the name; False if another live instance owns it.

        The owner is asked first: Qt's listen with socket options binds in a private directory
        and renames the socket into place, which would silently replace a live instance's
        socket rather than fail with "address in use"."""
        from PySide6.QtNetwork import QLocalServer, QLocalSocket

        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(TIMEOUT_MS):
            probe.disconnectFromServer()
            return False  # alive: never take its socket
        if another_instance_may_run(self.name):
            log.info("single instance: removing the stale socket %s", self.name)
            QLocalServer.removeServer(self.name)
        if self._server.listen(self.name):
            return True
        why = self._server.errorString()
        log.warning("single instance: cannot listen on %s: %s", self.name, why)
        return False

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        self._server.close()  # removes the socket file on Unix

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + socket.readAll().data()
        if len(data) > MAX_MESSAGE:
            log.warning("single instance: oversized hand-over dropped")
            socket.abort()
            return
        self._buffers[socket] = data
        if not data.endswith(b"\n"):
            return
        arguments = _arguments(data)
        if arguments is None:
            log.warning("single instance: unreadable hand-over dropped")
            socket.abort()
            return
        socket.write(OK)
        socket.flush()
        socket.disconnectFromServer()
        self.arguments_received.emit(arguments)

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()


def _arguments(data: bytes) -> list[str] | None:
    import json

    try:
        message = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    arguments = message.get("arguments") if isinstance(message, dict) else None
    if not isinstance(arguments, list) or not all(isinstance(a, str) for a in arguments):
        return None
    return arguments
