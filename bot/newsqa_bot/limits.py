"""Fair use: a per-user rate limit and a global cap on engine calls running at once.

Both answer immediately with a friendly line instead of queueing, so a burst of questions
never leaves interactions waiting past Discord's deadlines.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque


class RateLimiter:
    """At most ``count`` calls per ``window`` seconds per key (sliding window)."""

    def __init__(self, count: int, window: float) -> None:
        self.count = count
        self.window = window
        self._calls: dict[int, deque[float]] = defaultdict(deque)

    def retry_after(self, key: int, now: float | None = None) -> float:
        """0 and the call is counted, or the seconds until ``key`` may call again."""
        now = time.monotonic() if now is None else now
        calls = self._calls[key]
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(calls) >= self.count:
            return calls[0] + self.window - now
        calls.append(now)
        return 0.0


class Slots:
    """A non-blocking counting semaphore: ``take`` fails instead of waiting."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.used = 0

    def take(self) -> bool:
        if self.used >= self.size:
            return False
        self.used += 1
        return True

    def give(self) -> None:
        self.used = max(self.used - 1, 0)
