"""Joining with the public code: who may try, how often, and how many fit.

Plain Python (no Flask). The code on the screen is public inside the room and secret outside
it, so guessing must be slow, while a whole room that joins through one NAT address within a
minute must never be held up: only failed attempts count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from .errors import OpError


class JoinGuard:
    """Failed join-code attempts per address, with a short back-off.

    ``failures`` failed attempts within ``window`` seconds put the address in a back-off of
    ``backoff`` seconds, during which every attempt from it is refused unchecked (a right guess
    must not be told apart from a wrong one). Successful joins are not counted. In memory, per
    server process: enough to turn a thousand guesses a second into a few a minute.
    """

    def __init__(self, failures: int = 30, window: float = 60.0, backoff: float = 30.0,
                 clock=time.monotonic, max_addresses: int = 100_000) -> None:
        self.failures = max(1, int(failures))
        self.window = float(window)
        self.backoff = float(backoff)
        self.clock = clock
        self.max_addresses = max_addresses
        self._failed: dict[str, deque] = {}  # address -> times of its recent failures
        self._blocked: dict[str, float] = {}  # address -> end of its back-off
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Raise ``rate_limited`` (with ``retry_after`` seconds) while the address backs off."""
        with self._lock:
            until = self._blocked.get(address)
            left = 0.0 if until is None else until - self.clock()
            if until is not None and left <= 0:
                del self._blocked[address]
        if left <= 0:
            return
        raise OpError("rate_limited", "Too many wrong join codes from this address; wait and retry.",
                      retry_after=math.ceil(left))

    def failed(self, address: str) -> None:
        with self._lock:
            self._record(address, self.clock())

    def _record(self, address: str, now: float) -> None:
        times = self._failed.get(address)
        if times is None:
            self._forget_stale(now)
            times = self._failed[address] = deque()
        times.append(now)
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.failures:
            del self._failed[address]
            self._blocked[address] = now + self.backoff

    def _forget_stale(self, now: float) -> None:
        """Bound the memory a scan from many addresses can take."""
        if len(self._failed) + len(self._blocked) < self.max_addresses:
            return
        for address in [a for a, t in self._failed.items() if not t or t[-1] <= now - self.window]:
            del self._failed[address]
        for address in [a for a, until in self._blocked.items() if until <= now]:
            del self._blocked[address]
        while len(self._failed) >= self.max_addresses:  # all recent: drop the oldest entries
            del self._failed[next(iter(self._failed))]


def check_room(state, limit: int) -> None:
    """A meeting holds at most ``limit`` participants; the next one is told so, clearly."""
    if len(state.participants) >= limit:
        raise OpError("meeting_full", f"This meeting is full: it takes at most {limit} participants.",
                      limit=limit)
