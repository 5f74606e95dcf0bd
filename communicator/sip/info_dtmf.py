"""DTMF by SIP INFO, one digit at a time.

Several INFO requests in flight at once can be reordered by a multi-worker proxy (and a digit
lost), so each call's digits wait in a queue and the next INFO goes only when the previous
one's transaction has completed (`InfoCompleted`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from communicator.core.calls import CallId

INFO_DTMF_MS = 160
"""Duration announced in each INFO's body."""


class InfoDtmf:
    def __init__(
        self, calls: Callable[[CallId], Any | None], failure: Callable[[str], None]
    ) -> None:
        self._calls = calls
        self._failure = failure
        self._queue: dict[CallId, deque[str]] = {}
        self._in_flight: set[CallId] = set()

    @property
    def busy(self) -> bool:
        """An INFO is in flight (poll often)."""
        return bool(self._in_flight)

    def send(self, call_id: CallId, digits: str) -> None:
        self._queue.setdefault(call_id, deque()).extend(digits)
        if call_id not in self._in_flight:
            self._send_next(call_id)

    def completed(self, call: Any) -> None:
        """The INFO on ``call`` finished: the next digit may go."""
        call.info_pending = max(0, call.info_pending - 1)
        call_id: CallId | None = call.core_id
        if call_id is not None:
            self._in_flight.discard(call_id)
            self._send_next(call_id)

    def forget(self, call_id: CallId) -> None:
        self._queue.pop(call_id, None)
        self._in_flight.discard(call_id)

    def _send_next(self, call_id: CallId) -> None:
        queue = self._queue.get(call_id)
        call = self._calls(call_id)
        if not queue or call is None:
            self.forget(call_id)
            return
        prm = pj.CallSendDtmfParam()
        prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
        prm.digits = queue.popleft()
        prm.duration = INFO_DTMF_MS
        self._in_flight.add(call_id)
        call.info_pending += 1
        try:
            call.sendDtmf(prm)
        except pj.Error as error:
            self._failure(f"SIP INFO DTMF: {error.info()}")
            call.info_pending = max(0, call.info_pending - 1)
            self.forget(call_id)
