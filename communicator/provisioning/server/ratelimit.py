"""Token-bucket rate limiting of sign-in attempts (per agent login and per client address)."""

from __future__ import annotations

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


class InFlight:
    """Caps the password checks running or queued at once, per client address and in all, so
    a flood of sign-ins from one place cannot keep a real agent's sign-in waiting behind it
    (argon2 is meant to be slow)."""

    def __init__(self, per_key: int, total: int) -> None:
        self.per_key = per_key
        self.total = total
        self._counts: dict[str, int] = {}
        self._all = 0

    def enter(self, key: str) -> bool:
        """Counts one check for ``key``; False (nothing counted) when a cap is reached."""
        count = self._counts.get(key, 0)
        if count >= self.per_key or self._all >= self.total:
            return False
        self._counts[key] = count + 1
        self._all += 1
        return True

    def leave(self, key: str) -> None:
        count = self._counts.get(key, 0) - 1
        if count > 0:
            self._counts[key] = count
        else:
            self._counts.pop(key, None)
        self._all = max(0, self._all - 1)
