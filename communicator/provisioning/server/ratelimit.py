"""Sign-in load guards of one process: token buckets of attempts per client address, and a
fair queue of password checks per address."""

from __future__ import annotations

import asyncio
import time


class TokenBuckets:
    def __init__(self, burst: int, per_second: float, max_keys: int = 100_000) -> None:
        self.burst = float(burst)
        self.rate = per_second
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """Takes one token; returns 0 when allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else 3600.0
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._prune(now)
        return 0.0

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate if self.rate > 0 else float("inf")
        for key, (_tokens, last) in list(self._buckets.items()):
            if now - last >= full_after:
                del self._buckets[key]


class HashQueue:
    """Password checks per client address: at most ``per_key`` run at once for one address and
    the others wait their turn, so a flood of sign-ins from one place occupies a few hashing
    threads and a real agent elsewhere is not kept waiting behind it (argon2 is meant to be
    slow). Past ``max_waiting`` queued checks an address is refused outright.

    Used on the event loop only (no locking)."""

    def __init__(self, per_key: int, max_waiting: int) -> None:
        self.per_key = per_key
        self.max_waiting = max_waiting
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    async def enter(self, key: str) -> bool:
        """Waits for a turn for ``key``; False at once (no turn taken) when too many wait."""
        sem, users = self._slots.setdefault(key, (asyncio.Semaphore(self.per_key), [0]))
        if users[0] >= self.per_key + self.max_waiting:
            return False
        users[0] += 1
        try:
            await sem.acquire()
        except BaseException:
            self._leave_queue(key)
            raise
        return True

    def leave(self, key: str) -> None:
        entry = self._slots.get(key)
        if entry is None:
            return
        entry[0].release()
        self._leave_queue(key)

    def _leave_queue(self, key: str) -> None:
        entry = self._slots.get(key)
        if entry is None:
            return
        entry[1][0] -= 1
        if entry[1][0] <= 0:
            del self._slots[key]
