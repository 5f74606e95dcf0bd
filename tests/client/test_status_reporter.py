"""The agent-status reporter: newest status first, retried while the server is away, a final
status at close, a heartbeat while nothing changes."""

from __future__ import annotations

import threading
from collections.abc import Callable

from communicator.provisioning.client import ErrorKind, ProvisioningError
from communicator.provisioning.status_reporter import StatusReporter


class Server:
    def __init__(self) -> None:
        self.received: list[str] = []
        self.attempts: list[str] = []
        self.down = False
        self.refuse = False
        self.gate = threading.Event()
        self.gate.set()
        self.changed = threading.Condition()

    def send(self, status: str) -> None:
        self.gate.wait(5)
        with self.changed:
            self.attempts.append(status)
            self.changed.notify_all()
        if self.down:
            raise ProvisioningError(ErrorKind.UNREACHABLE, "down")
        if self.refuse:
            raise ProvisioningError(ErrorKind.REJECTED, "no")
        with self.changed:
            self.received.append(status)
            self.changed.notify_all()

    def wait_for(self, condition: Callable[[list[str]], bool], timeout: float = 5.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: condition(self.received), timeout)


def test_the_newest_status_replaces_one_not_sent_yet() -> None:
    server = Server()
    server.gate.clear()  # the first send blocks: later reports pile up
    reporter = StatusReporter(server.send, heartbeat_s=60)
    reporter.report("ready")
    reporter.report("not_ready")
    reporter.report("on_call")
    server.gate.set()
    assert server.wait_for(lambda got: got[-1:] == ["on_call"])
    reporter.close()
    assert "not_ready" not in server.received[1:], server.received


def test_a_status_is_retried_until_the_server_is_back() -> None:
    server = Server()
    server.down = True
    reporter = StatusReporter(server.send, retry_s=0.05, heartbeat_s=60)
    reporter.report("ready")
    with server.changed:
        assert server.changed.wait_for(lambda: len(server.attempts) >= 3, 5)
    assert server.received == []
    server.down = False
    assert server.wait_for(lambda got: got == ["ready"])
    reporter.close()


def test_a_refused_status_is_not_repeated() -> None:
    server = Server()
    server.refuse = True
    reporter = StatusReporter(server.send, retry_s=0.01, heartbeat_s=60)
    reporter.report("ready")
    reporter.close(timeout=1)
    server.refuse = False
    assert server.received == []
    assert reporter.sent_count == 0


def test_close_sends_the_final_status() -> None:
    server = Server()
    reporter = StatusReporter(server.send, heartbeat_s=60)
    reporter.report("ready")
    assert server.wait_for(lambda got: got == ["ready"])
    reporter.close("signed_out", timeout=5)
    assert server.received == ["ready", "signed_out"]
    assert reporter.sent_count == 2


def test_the_last_status_is_repeated_as_a_heartbeat() -> None:
    server = Server()
    reporter = StatusReporter(server.send, heartbeat_s=0.05)
    reporter.report("ready")
    assert server.wait_for(lambda got: got[:3] == ["ready", "ready", "ready"])
    reporter.close()
