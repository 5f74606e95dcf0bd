"""The phone re-registers at once when the network changes or the machine resumes from sleep
(`communicator.ui.network_watch.NetworkRecovery`), shows the lost connection while it cannot,
and keeps its calls.

Network changes are real: a second loopback address added and removed (``ip addr``, needs
CAP_NET_ADMIN: the test is skipped without it), seen through rtnetlink. The resume is logind's
``PrepareForSleep(false)`` signal sent on the session bus of the test run by a connection that
owns ``org.freedesktop.login1`` there (the system bus of a test machine has no logind).
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from PySide6.QtDBus import QDBusConnection, QDBusMessage

from communicator.core.calls import CallState
from communicator.core.registration import LOST_CONNECTION_MESSAGE, RegistrationState
from communicator.ui.network_watch import LOGIN1, NetworkRecovery
from tests.rig.kamailio import KamailioServer
from tests.sip.helpers import TEST_CODECS, make_profile, wait_peer
from tests.sip.sound.helpers import connected_call
from tests.sip.test_calls import answering_peer, signed_in_engine

pytestmark = [
    pytest.mark.rig,
    pytest.mark.timeout(90),
    # pjsip closes and reopens its sockets in handleIpChange (listener restart; a call's media
    # transport is re-created for its re-INVITE); when Qt's loop polls the pump's notifier of a
    # closed one before the pump rescans, Qt warns and disables it (the rescan re-arms it).
    pytest.mark.qt_log_ignore("QSocketNotifier: Invalid socket"),
]

SLOW_REFRESH = {"registration": {"expiry_seconds": 3600, "refresh_seconds": 1800}}
"""Without a network change the phone would not REGISTER again during the test."""


def change_address(action: str, address: str) -> None:
    done = subprocess.run(
        ["ip", "addr", action, f"{address}/32", "dev", "lo"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot change the loopback addresses here: {done.stderr.strip()}")


@contextmanager
def extra_address(address: str) -> Iterator[Callable[[], None]]:
    """Add ``address`` to lo; yields the function that removes it (again at exit)."""
    change_address("add", address)
    present = [True]

    def remove() -> None:
        if present[0]:
            present[0] = False
            change_address("del", address)

    try:
        yield remove
    finally:
        remove()


@contextmanager
def recovery_for(engine: Any, **options: Any) -> Iterator[NetworkRecovery]:
    recovery = NetworkRecovery(engine, **options)
    recovery.start()
    try:
        yield recovery
    finally:
        recovery.close()


def registered_again(engine: Any, attempts: int) -> Callable[[], bool]:
    return lambda: (
        engine.register_attempts > attempts
        and engine.registration.state is RegistrationState.REGISTERED
    )


def test_an_address_change_mid_call_re_registers_and_the_call_goes_on(
    engine_factory: Any, kamailio: KamailioServer, peer_factory: Any, qtbot: Any
) -> None:
    engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", **SLOW_REFRESH)
    far = answering_peer(peer_factory, "far", "1007")
    call, far_call = connected_call(qtbot, engine, far, "1007")
    mark = far.mark()
    with recovery_for(engine) as recovery:
        assert recovery.watching_network
        for step in ("add", "del"):
            attempts = engine.register_attempts
            with qtbot.waitSignal(recovery.recovering, timeout=5000) as told:
                change_address(step, "127.0.0.51")
            assert "127.0.0.51" in told.args[0]
            qtbot.waitUntil(registered_again(engine, attempts), timeout=5000)
            assert engine.registration.message is None
    # The call survived both changes (pjsua2 re-INVITEd it): up here, and at the far end.
    assert engine.call(call).state is CallState.CONNECTED
    far.command("ping")
    assert not [
        e
        for e in far.events("call_state", lambda e: e["call_id"] == far_call)
        if e["_i"] >= mark and e["state"] == "DISCONNECTED"
    ]
    engine.hangup(call)
    wait_peer(
        qtbot,
        far,
        "call_state",
        lambda e: e["call_id"] == far_call and e["state"] == "DISCONNECTED",
        since=mark,
    )


def test_lost_connection_shows_while_the_registrar_is_away_and_clears_on_the_next_change(
    engine_factory: Any, kamailio_factory: Any, peer_factory: Any, qtbot: Any
) -> None:
    server = kamailio_factory()
    engine = signed_in_engine(engine_factory, server, qtbot, "1006", **SLOW_REFRESH)
    with recovery_for(engine) as recovery, extra_address("127.0.0.52") as remove:
        # The registrar goes away and the network changes: the REGISTER cannot get through.
        server.stop()
        recovery_seen = recovery.handled
        change_address("del", "127.0.0.52")
        qtbot.waitUntil(lambda: engine.registration.lost_connection, timeout=20000)
        assert recovery.handled > recovery_seen
        assert engine.registration.message == LOST_CONNECTION_MESSAGE
        change_address("add", "127.0.0.52")

        # Back (it forgot every binding: Kamailio keeps them in memory): the next change
        # re-registers at once and the message goes.
        server.start()
        attempts = engine.register_attempts
        remove()
        qtbot.waitUntil(registered_again(engine, attempts), timeout=10000)
        qtbot.waitUntil(lambda: not engine.registration.lost_connection, timeout=5000)
        assert engine.registration.message is None

    # The registrar has the binding again: a call reaches the agent.
    caller = peer_factory("caller", account="1008", server=server, codecs=TEST_CODECS)
    caller.send("call", uri=server.aor("1006"))
    qtbot.waitUntil(
        lambda: any(c is not None and c.state is CallState.RINGING_IN for c in engine.state.lines),
        timeout=5000,
    )
    engine.hangup_all()


def test_resuming_from_sleep_re_registers(
    engine_factory: Any, kamailio: KamailioServer, qtbot: Any
) -> None:
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        pytest.skip("no session D-Bus (run under scripts/with-secret-service.sh)")
    logind = QDBusConnection.connectToBus(QDBusConnection.BusType.SessionBus, "fake-logind")
    assert logind.registerService(LOGIN1[0])
    try:
        engine = signed_in_engine(engine_factory, kamailio, qtbot, "1006", **SLOW_REFRESH)
        with recovery_for(engine, bus=bus) as recovery:
            assert recovery.watching_sleep
            attempts = engine.register_attempts
            going = QDBusMessage.createSignal(LOGIN1[1], LOGIN1[2], "PrepareForSleep")
            going.setArguments([True])
            assert logind.send(going)
            resumed = QDBusMessage.createSignal(LOGIN1[1], LOGIN1[2], "PrepareForSleep")
            resumed.setArguments([False])
            with qtbot.waitSignal(recovery.recovering, timeout=5000) as told:
                assert logind.send(resumed)
            assert told.args == ["resumed from sleep"]
            assert recovery.handled == 1  # going to sleep changed nothing
            qtbot.waitUntil(registered_again(engine, attempts), timeout=5000)
    finally:
        logind.unregisterService(LOGIN1[0])
        QDBusConnection.disconnectFromBus("fake-logind")


class Lines:
    """A process's output lines, read by a thread, awaited one by one (no sleeps)."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait(self, wanted: Callable[[str], bool], timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if wanted(line):
                return line
        raise AssertionError(f"not seen in time; output so far: {self.seen[-20:]}")


def test_the_headless_client_watches_the_network_by_itself(
    kamailio: KamailioServer, tmp_path: Path
) -> None:
    """The application wiring (`HeadlessClient(watch_network=True)`) in its own process."""
    profile = tmp_path / "profile.json"
    profile.write_text(
        make_profile(kamailio, "1009", sections=SLOW_REFRESH).to_json(include_secrets=True)
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "communicator.ui.headless",
            "--profile",
            str(profile),
            "--bind",
            "127.0.0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = Lines(process.stdout)
        lines.wait(lambda line: line.startswith("registration: registered"))
        with extra_address("127.0.0.54"):
            lines.wait(lambda line: "network: address added 127.0.0.54" in line)
            lines.wait(lambda line: line.startswith("registration: refreshing"))
            lines.wait(lambda line: line.startswith("registration: registered"))
        process.send_signal(signal.SIGTERM)
        lines.wait(lambda line: line == "shut down")
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
