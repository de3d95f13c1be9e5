"""Rate budgets: a token bucket per connection, and one per key shared by its connections.

Never per IP address: a whole venue sits behind one NAT. Plain Python; the web layer decides
which bucket a message draws on.
"""

from __future__ import annotations

import threading
import time


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; one token per op."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.last = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def available(self) -> bool:
        self._refill()
        return self.tokens >= 1

    def take(self) -> bool:
        self._refill()
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class KeyBudgets:
    """One bucket per key, shared by every connection that key has open in this process.

    With several processes, the balancer routes a meeting (and so all its keys) to one process,
    so a key's connections meet here.
    """

    def __init__(self, rate: float, burst: float, clock=time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._connections: dict[str, int] = {}

    def open(self, key_id: str, cap: int) -> bool:
        """Count one more connection of this key; False (and nothing counted) past `cap`."""
        with self._lock:
            count = self._connections.get(key_id, 0)
            if count >= cap:
                return False
            self._connections[key_id] = count + 1
            self._buckets.setdefault(key_id, TokenBucket(self.rate, self.burst, self.clock))
            return True

    def close(self, key_id: str) -> None:
        with self._lock:
            count = self._connections.get(key_id, 0) - 1
            if count > 0:
                self._connections[key_id] = count
            else:
                # The bucket goes with the last connection only once it is full again, so that
                # reconnecting does not buy a fresh burst.
                self._connections.pop(key_id, None)
                bucket = self._buckets.get(key_id)
                if bucket is not None and bucket.available() and bucket.tokens >= bucket.burst:
                    del self._buckets[key_id]

    def connections(self, key_id: str) -> int:
        with self._lock:
            return self._connections.get(key_id, 0)

    def take(self, key_id: str, connection: TokenBucket) -> bool:
        """One op: it needs a token from its connection's bucket and from its key's."""
        with self._lock:
            shared = self._buckets.setdefault(
                key_id, TokenBucket(self.rate, self.burst, self.clock)
            )
            if not (connection.available() and shared.available()):
                return False
            connection.take()
            shared.take()
            return True
