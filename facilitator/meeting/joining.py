"""Joining with the public code: who may try, how often, and how many fit.

Plain Python (no Flask). The code on the screen is public inside the room and secret outside
it, so guessing must be slow, while a whole room that joins through one NAT address within a
minute must never be held up: only failed attempts count, and one phone's failures must never
stop another phone that has the right code (issue 20, point 3).
"""

from __future__ import annotations

import math
import threading
import time

from .errors import OpError

NO_DEVICE = "-"  # the attempts of an address that carry no device cookie, counted as one device


class JoinBudget:
    """Failed join-code attempts per device and per address, and how long the next one waits.

    A device is the join page's device cookie at one address; attempts without the cookie are
    one device of their address. Each failure counts for the device and for its address, in
    windows of ``window`` seconds. Within its budget an attempt is checked at once. Past it, the
    attempts are slowed, never refused outright: they are checked one at a time, spaced
    ``window / budget`` seconds apart (the budget's own pace), and the right code then gets in.
    The device's budget is ``failures``; the address's, ``address_failures``, is much larger and
    only a client that drops its cookie on every try reaches it (then every device of the
    address is spaced at its pace). Only an attempt that would wait more than ``max_wait``
    seconds for its turn is answered ``rate_limited``, with ``retry_after``, unchecked.
    Successful joins are never counted.
    """

    def __init__(self, failures: int = 10, address_failures: int = 120, window: float = 60.0,
                 max_wait: float = 10.0) -> None:
        self.failures = max(1, int(failures))
        self.address_failures = max(1, int(address_failures))
        self.window = float(window)
        self.max_wait = float(max_wait)

    def _lanes(self, address: str, device: str | None) -> tuple[tuple[str, int], tuple[str, int]]:
        return ((f"d:{address}|{device or NO_DEVICE}", self.failures), (f"a:{address}", self.address_failures))

    def _too_long(self, wait: float):
        return OpError("rate_limited", "Too many wrong join codes from this phone or network; wait and retry.",
                       retry_after=max(1, math.ceil(wait)))

    def admit(self, address: str, device: str | None) -> float:
        """Seconds this attempt waits for its turn before the code is checked (0 within the
        budgets); raises ``rate_limited`` if that would be more than ``max_wait``."""
        raise NotImplementedError

    def failed(self, address: str, device: str | None) -> None:
        raise NotImplementedError


class JoinGuard(JoinBudget):
    """The budgets in memory: one server process."""

    def __init__(self, failures: int = 10, address_failures: int = 120, window: float = 60.0,
                 max_wait: float = 10.0, clock=time.monotonic, max_keys: int = 100_000) -> None:
        super().__init__(failures, address_failures, window, max_wait)
        self.clock = clock
        self.max_keys = max_keys
        self._failed: dict[str, list] = {}  # lane -> [failures, end of their window]
        self._slot: dict[str, float] = {}  # lane -> time of its next turn
        self._lock = threading.Lock()

    def _count(self, lane: str, now: float) -> int:
        entry = self._failed.get(lane)
        if entry is None or entry[1] <= now:
            return 0
        return entry[0]

    def admit(self, address: str, device: str | None) -> float:
        with self._lock:
            now = self.clock()
            slowed = [(lane, budget) for lane, budget in self._lanes(address, device)
                      if self._count(lane, now) >= budget]
            at = max([now] + [self._slot.get(lane, 0.0) for lane, _ in slowed])
            if at - now > self.max_wait:
                raise self._too_long(at - now)
            for lane, budget in slowed:
                self._slot[lane] = at + self.window / budget
            return at - now

    def failed(self, address: str, device: str | None) -> None:
        with self._lock:
            now = self.clock()
            for lane, _ in self._lanes(address, device):
                entry = self._failed.get(lane)
                if entry is None or entry[1] <= now:
                    if entry is None:
                        self._forget_stale(now)
                    entry = self._failed[lane] = [0, now + self.window]
                entry[0] += 1

    def _forget_stale(self, now: float) -> None:
        """Bound the memory a scan from many addresses can take."""
        if len(self._failed) + len(self._slot) < self.max_keys:
            return
        for lane in [k for k, (_, end) in self._failed.items() if end <= now]:
            del self._failed[lane]
        for lane in [k for k, at in self._slot.items() if at <= now]:
            del self._slot[lane]
        while len(self._failed) >= self.max_keys:  # all recent: drop the oldest entries
            del self._failed[next(iter(self._failed))]


# KEYS: device failures, device turn, address failures, address turn. ARGV: window ms, device
# budget, address budget, max wait ms. Returns {0, wait ms} (the turn is taken) or {-1, wait ms}.
# Redis's clock, so that every process spaces the turns alike.
ADMIT_LUA = r"""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local at = now
local slowed = {}
for i = 1, 2 do
  local budget = tonumber(ARGV[i + 1])
  if tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0') >= budget then
    local turn = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
    if turn > at then at = turn end
    slowed[#slowed + 1] = {KEYS[2 * i], window / budget}
  end
end
local wait = at - now
if wait > tonumber(ARGV[4]) then return {-1, wait} end
for _, lane in ipairs(slowed) do
  redis.call('SET', lane[1], math.floor(at + lane[2]), 'PX', math.floor(wait + lane[2] + window))
end
return {0, wait}
"""

# KEYS: the failure counters. ARGV: window ms.
FAILED_LUA = r"""
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
end
return 0
"""


class SharedJoinGuard(JoinBudget):
    """The same budgets in Redis, shared by every process of a deployment: behind a balancer a
    guesser gets one budget, not one per process. ``redis`` is a client with ``eval`` (the
    guarded one: an outage is StoreUnavailable, as for every other call)."""

    def __init__(self, redis, prefix: str, failures: int = 10, address_failures: int = 120,
                 window: float = 60.0, max_wait: float = 10.0) -> None:
        super().__init__(failures, address_failures, window, max_wait)
        self.r = redis
        self.prefix = prefix

    def _keys(self, address: str, device: str | None) -> list[str]:
        keys = []
        for lane, _ in self._lanes(address, device):
            keys += [f"{self.prefix}:join:{lane}:f", f"{self.prefix}:join:{lane}:t"]
        return keys

    def admit(self, address: str, device: str | None) -> float:
        status, wait_ms = self.r.eval(ADMIT_LUA, 4, *self._keys(address, device), int(self.window * 1000),
                                      self.failures, self.address_failures, int(self.max_wait * 1000))
        if int(status) < 0:
            raise self._too_long(int(wait_ms) / 1000)
        return int(wait_ms) / 1000

    def failed(self, address: str, device: str | None) -> None:
        keys = self._keys(address, device)
        self.r.eval(FAILED_LUA, 2, keys[0], keys[2], int(self.window * 1000))


def check_room(state, limit: int) -> None:
    """A meeting holds at most ``limit`` participants; the next one is told so, clearly."""
    if len(state.participants) >= limit:
        raise OpError("meeting_full", f"This meeting is full: it takes at most {limit} participants.",
                      limit=limit)
