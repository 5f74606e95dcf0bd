"""A discrete-event stand-in for pjsua2 and the SIP server, on fake time.

The machine's commands are carried out the way the adapter would: a REGISTER sent while the
server is reachable succeeds after ``rtt``; while it is down it fails at once (``FAST``: TCP
reset, ICMP unreachable, pjsip's local 503), gets pjsip's 408 after Timer F (``TIMER_F``: UDP
into the void) or is never answered (``SILENT``).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from enum import Enum

from communicator.core.registration import (
    NetworkErrorKind,
    RegistrationCommand,
    RegistrationEvent,
    RegistrationFailed,
    RegistrationMachine,
    RegistrationState,
    RegistrationSucceeded,
    SendRegister,
    SendUnregister,
    TransportFailed,
    Unregistered,
)

TIMER_F = 32.0


class DownMode(Enum):
    FAST = "fast"
    TIMER_F = "timer_f"
    SILENT = "silent"


@dataclass(frozen=True)
class _SetReachable:
    reachable: bool


@dataclass
class RegistrationSim:
    machine: RegistrationMachine
    down_mode: DownMode = DownMode.FAST
    rtt: float = 0.05
    granted_expiry: float = 30.0
    now: float = 0.0
    reachable: bool = True
    log: list[tuple[float, RegistrationCommand]] = field(default_factory=list)
    states: list[tuple[float, RegistrationState]] = field(default_factory=list)
    _queue: list[tuple[float, int, RegistrationEvent | _SetReachable]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def send(self, event: RegistrationEvent) -> tuple[RegistrationCommand, ...]:
        commands = self.machine.handle(event, self.now)
        self._record(commands)
        return commands

    def set_reachable_at(self, at: float, reachable: bool) -> None:
        self._push(at, _SetReachable(reachable))

    def run_until(self, end: float) -> None:
        while True:
            deadline = self.machine.next_deadline
            queued = self._queue[0][0] if self._queue else None
            candidates = [t for t in (deadline, queued) if t is not None]
            step = min(candidates) if candidates else None
            if step is None or step > end:
                self.now = max(self.now, end)
                return
            self.now = max(self.now, step)
            if queued is not None and queued <= step:
                _, _, item = heapq.heappop(self._queue)
                if isinstance(item, _SetReachable):
                    self.reachable = item.reachable
                else:
                    self.send(item)
            else:
                self._record(self.machine.tick(self.now))

    def times_of(self, command_type: type) -> list[float]:
        return [t for t, c in self.log if isinstance(c, command_type)]

    def _record(self, commands: tuple[RegistrationCommand, ...]) -> None:
        if not self.states or self.states[-1][1] is not self.machine.state:
            self.states.append((self.now, self.machine.state))
        for command in commands:
            self.log.append((self.now, command))
            if isinstance(command, SendRegister):
                self._register()
            elif isinstance(command, SendUnregister):
                self._push(self.now + self.rtt, Unregistered())

    def _register(self) -> None:
        if self.reachable:
            self._push(
                self.now + self.rtt,
                RegistrationSucceeded(
                    expiry=self.granted_expiry,
                    contact_host="192.0.2.10",
                    contact_port=5060,
                    transport="UDP",
                    server_host="pbx.example.com",
                ),
            )
        elif self.down_mode is DownMode.FAST:
            self._push(self.now + self.rtt, TransportFailed(NetworkErrorKind.CONNECT, "refused"))
        elif self.down_mode is DownMode.TIMER_F:
            self._push(self.now + TIMER_F, RegistrationFailed(408, "Request Timeout"))

    def _push(self, at: float, item: RegistrationEvent | _SetReachable) -> None:
        heapq.heappush(self._queue, (at, next(self._seq), item))
