"""Per-key token buckets: the work one link may ask of the server, bounded.

The link's web form checks the whole record as the enterprise types (form.js posts after
every pause); a page left open, or a script, must not take a public server's cores. Each
link has a bucket of ``burst`` requests that refills one every ``every`` seconds; a request
finding it empty is told how long to wait (answered 429 with Retry-After). Kept in the
process (each ``serve`` process bounds its own share), at most ``max_keys`` buckets.

>>> clock = iter([0.0, 0.0, 0.0, 0.5, 2.0]).__next__
>>> b = Buckets(burst=2, every=1.0, clock=clock)
>>> [b.take("a"), b.take("a"), b.take("a"), b.take("a"), b.take("a")]
[0.0, 0.0, 1.0, 0.5, 0.0]
"""

from __future__ import annotations

import threading
import time


class Buckets:
    def __init__(self, burst: int, every: float, clock=time.monotonic, max_keys: int = 10000):
        self.burst, self.every, self.clock, self.max_keys = burst, every, clock, max_keys
        self._held: dict[object, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()

    def take(self, key) -> float:
        """0.0 when ``key`` may go on now (a token taken), else the seconds until it may."""
        with self._lock:
            moment = self.clock()
            tokens, then = self._held.get(key, (float(self.burst), moment))
            tokens = min(float(self.burst), tokens + (moment - then) / self.every)
            if tokens >= 1.0:
                self._held[key] = (tokens - 1.0, moment)
                self._forget(moment)
                return 0.0
            self._held[key] = (tokens, moment)
            return (1.0 - tokens) * self.every

    def _forget(self, moment: float) -> None:
        """Buckets full again are dropped when there are too many (a full one is a new one)."""
        if len(self._held) <= self.max_keys:
            return
        full = [k for k, (t, then) in self._held.items() if t + (moment - then) / self.every >= self.burst]
        for k in full:
            del self._held[k]
