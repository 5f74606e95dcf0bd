"""The pjsua2 calls the engine holds: a collected `EngineCall` tears its call down, so every
one is kept from its creation until its DISCONNECTED record has been handled."""

from __future__ import annotations

from typing import Any

from communicator.core.calls import CallId


class CallTable:
    """EngineCalls by the core's id, and every live EngineCall (strong references)."""

    def __init__(self) -> None:
        self._by_id: dict[CallId, Any] = {}
        self._alive: list[Any] = []

    def __bool__(self) -> bool:
        """Whether any pjsua2 call is alive."""
        return bool(self._alive)

    def alive(self) -> tuple[Any, ...]:
        return tuple(self._alive)

    def keep(self, call: Any) -> None:
        self._alive.append(call)

    def gone(self, call: Any) -> None:
        """``call`` is disconnected: drop the last reference the engine holds."""
        self._alive = [c for c in self._alive if c is not call]

    def bind(self, call_id: CallId, call: Any) -> None:
        """``call`` carries the core's call ``call_id`` from now on."""
        call.core_id = call_id
        self._by_id[call_id] = call

    def get(self, call_id: CallId) -> Any | None:
        return self._by_id.get(call_id)

    def knows(self, call_id: CallId) -> bool:
        return call_id in self._by_id

    def unbind(self, call_id: CallId, call: Any = None) -> bool:
        """Forget the core id (only while it names ``call``, when given); whether it did."""
        if call is not None and self._by_id.get(call_id) is not call:
            return False
        return self._by_id.pop(call_id, None) is not None

    def clear(self) -> None:
        self._by_id.clear()
        self._alive.clear()
