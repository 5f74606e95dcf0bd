"""Tells the server the agent's state and registration, off the UI thread, latest value first.

One background thread per signed-in agent. `report` hands it the newest status (an older one
not yet sent is simply replaced: the server wants the present, not the history); the thread
sends it, retries after ``retry_s`` while the server cannot be reached, and repeats the last
status every ``heartbeat_s`` so the server can tell a crashed client from a quiet one (pool
leases end when the reports stop). `close` sends a final status (signed out) before the session
ends, within a time limit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from communicator.provisioning.client import ProvisioningError

log = logging.getLogger(__name__)

T = TypeVar("T")


class StatusReporter(Generic[T]):
    def __init__(
        self,
        send: Callable[[T], object],
        *,
        retry_s: float = 5.0,
        heartbeat_s: float = 60.0,
        name: str = "status-reporter",
    ) -> None:
        self._send = send
        self._retry_s = retry_s
        self._heartbeat_s = heartbeat_s
        self._cond = threading.Condition()
        self._latest: T | None = None
        self._unsent = False
        self._stopping = False
        self._sent_count = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def sent_count(self) -> int:
        """How many reports reached the server (for tests and support)."""
        with self._cond:
            return self._sent_count

    def report(self, status: T) -> None:
        with self._cond:
            self._latest = status
            self._unsent = True
            self._cond.notify_all()

    def close(self, final: T | None = None, timeout: float = 2.0) -> None:
        """Send ``final`` (if given) within ``timeout`` seconds, then stop the thread."""
        with self._cond:
            self._stopping = True
            if final is not None:
                self._latest, self._unsent = final, True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._unsent and not self._stopping:
                    woken = self._cond.wait(self._heartbeat_s)
                    if not woken and self._latest is not None and not self._stopping:
                        self._unsent = True  # the heartbeat is due
                if self._stopping and not self._unsent:
                    return
                status, self._unsent = self._latest, False
                stopping = self._stopping
            if status is None:
                continue
            if self._deliver(status) or stopping:
                if stopping:
                    return
                continue
            with self._cond:  # not delivered: try again later unless something newer came
                if not self._unsent:
                    self._unsent = True
                    self._cond.wait(self._retry_s)

    def _deliver(self, status: T) -> bool:
        try:
            self._send(status)
        except ProvisioningError as err:
            log.info("agent status not delivered (%s): %s", err.kind.value, err.message)
            return not err.kind.retryable  # a refused report is not repeated
        except Exception:
            log.exception("agent status report failed")
            return True
        with self._cond:
            self._sent_count += 1
        return True
