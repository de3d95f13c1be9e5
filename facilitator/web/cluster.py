"""This server process among others sharing one Redis: a heartbeat, and one owner per meeting.

- Every process writes ``<prefix>:proc:<id>`` every HEARTBEAT seconds with a TTL of TTL_MS and
  lists itself in ``<prefix>:procs``. A process whose key has expired is dead: the first live
  process to notice removes it from the set and clears what it left behind (presence).
- A meeting's owner holds the lease ``<prefix>:m:<id>:owner`` (its process id, TTL_MS), taken by
  the first process that touches the meeting while the lease is free and renewed by the
  heartbeat. Only the owner runs the meeting's live views (synthesis, vote results). A process
  that does not own a meeting still serves it correctly: the store's expected-seq check orders
  its appends and it emits its own events (see docs/operations.md, "One owner per meeting").
  When the owner dies its lease lapses within TTL_MS and the next process to touch the meeting
  takes it and catches up from the log.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time

from ..store import StoreUnavailable

HEARTBEAT = 0.5  # seconds between beats
TTL_MS = 2000  # a process (and its leases) is dead this long after its last beat
# A lease is believed locally for less than its TTL: a beat delayed by a busy loop must not leave
# two processes both thinking they own a meeting.
LOCAL_SHARE = 0.6
RETRY = 0.5  # seconds before a process that found a meeting owned by another asks again
IDLE = 600  # seconds without an op after which a process lets a meeting's lease go

log = logging.getLogger("facilitator.cluster")

# KEYS: lease. ARGV: process id, ttl ms. Takes a free lease or renews our own; returns the owner.
ACQUIRE_LUA = r"""
local owner = redis.call('GET', KEYS[1])
if not owner or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return owner
"""

# KEYS: lease. ARGV: process id. Lets go of our own lease only.
RELEASE_LUA = r"""
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Cluster:
    def __init__(self, redis, prefix: str, name: str, clock=time.monotonic) -> None:
        self.r = redis  # a GuardedStore around a redis client: outages are StoreUnavailable
        self.prefix = prefix
        # Names the process for an operator (host:port) and stays unique across restarts.
        self.id = f"{name}:{os.getpid()}:{secrets.token_hex(3)}"
        self.clock = clock
        self._lock = threading.Lock()
        self._held: dict[str, float] = {}  # meeting -> clock() until which we believe we own it
        self._used: dict[str, float] = {}  # meeting -> clock() of the last request
        self._elsewhere: dict[str, float] = {}  # meeting -> clock() before which not to ask again
        self.on_dead: list = []  # fn(process_id), called once per dead process, cluster-wide
        self.on_beat: list = []  # fn(owned meeting ids), after each beat
        # fn(meeting id), at the first beat that finds a meeting owned here and not at the one
        # before: what the last owner had in memory for it (queued drafts) is to be done again
        self.on_taken: list = []
        self.peers = 0  # other processes alive at the last beat (web/health.py hands them sockets)

    # ----- keys ------------------------------------------------------------------------------

    def process_key(self, process_id: str) -> str:
        return f"{self.prefix}:proc:{process_id}"

    def lease_key(self, meeting_id: str) -> str:
        return f"{self.prefix}:m:{meeting_id}:owner"

    # ----- ownership -------------------------------------------------------------------------

    def owns(self, meeting_id: str) -> bool:
        """Whether this process owns the meeting, taking the lease if it is free."""
        now = self.clock()
        with self._lock:
            self._used[meeting_id] = now
            if self._held.get(meeting_id, 0) > now:
                return True
            if self._elsewhere.get(meeting_id, 0) > now:
                return False
        try:
            owner = self._take(meeting_id)
        except StoreUnavailable:
            return False
        with self._lock:
            if owner == self.id:
                self._held[meeting_id] = now + LOCAL_SHARE * TTL_MS / 1000
                self._elsewhere.pop(meeting_id, None)
                return True
            self._held.pop(meeting_id, None)
            self._elsewhere[meeting_id] = now + RETRY
        return False

    def _take(self, meeting_id: str) -> str:
        # EVAL through the guarded client (a few hundred bytes): outages become StoreUnavailable.
        return self.r.eval(ACQUIRE_LUA, 1, self.lease_key(meeting_id), self.id, TTL_MS)

    def owner(self, meeting_id: str) -> str | None:
        return self.r.get(self.lease_key(meeting_id))

    def owned(self) -> list[str]:
        now = self.clock()
        with self._lock:
            return [m for m, until in self._held.items() if until > now]

    # ----- heartbeat -------------------------------------------------------------------------

    def alive(self, process_ids) -> set[str]:
        process_ids = sorted(set(process_ids))
        if not process_ids:
            return set()
        if process_ids == [self.id]:
            return {self.id}
        values = self.r.mget([self.process_key(p) for p in process_ids])
        return {p for p, v in zip(process_ids, values) if v is not None}

    def beat(self) -> None:
        start = self.clock()
        self.r.set(self.process_key(self.id), "1", px=TTL_MS)
        self.r.sadd(f"{self.prefix}:procs", self.id)
        with self._lock:
            idle = [m for m in self._held if start - self._used.get(m, 0) > IDLE]
            for meeting_id in idle:
                del self._held[meeting_id]
            for meeting_id in [m for m, t in self._used.items() if start - t > IDLE]:
                del self._used[meeting_id]
                self._elsewhere.pop(meeting_id, None)
            # Meetings served here lately, owned or not: a lapsed lease (its owner died) is
            # taken here at once, not at the meeting's next request.
            renew = list(self._used)
        for meeting_id in idle:
            self.r.eval(RELEASE_LUA, 1, self.lease_key(meeting_id), self.id)
        for meeting_id in renew:
            owner = self._take(meeting_id)
            with self._lock:
                if owner == self.id:
                    if meeting_id not in self._held:
                        log.info("took the lease of meeting %s", meeting_id)
                    self._held[meeting_id] = start + LOCAL_SHARE * TTL_MS / 1000
                    self._elsewhere.pop(meeting_id, None)
                elif self._held.pop(meeting_id, None) is not None:
                    # we stalled past the TTL and another process took it
                    log.warning("lost the lease of meeting %s to %s", meeting_id, owner)
        self._bury_dead()
        owned = self.owned()
        for callback in self.on_beat:
            callback(owned)

    def _bury_dead(self) -> None:
        members = self.r.smembers(f"{self.prefix}:procs")
        others = set(members) - {self.id}
        alive = self.alive(others)
        self.peers = len(alive)
        for process_id in others - alive:
            # SREM answers 1 to one process only: that one clears up after the dead.
            if self.r.srem(f"{self.prefix}:procs", process_id):
                log.info("process %s is gone; clearing what it left", process_id)
                for callback in self.on_dead:
                    callback(process_id)

    def run(self, sleep) -> None:
        """The heartbeat loop, for a background task; `sleep` is the async mode's sleep."""
        while True:
            try:
                self.beat()
            except StoreUnavailable:
                pass  # the store logs its outage once; leases lapse and are taken again after
            except Exception:  # a beat that fails must not end the heartbeat
                log.exception("heartbeat failed")
            sleep(HEARTBEAT)


def open_cluster(redis_url: str, prefix: str, name: str, outage) -> Cluster:
    """A Cluster on its own guarded Redis client, its outages in the store's outage log."""
    from ..store import GuardedStore
    from ..store.redis import RedisStore, connect

    return Cluster(GuardedStore(connect(redis_url), RedisStore.UNAVAILABLE, outage), prefix, name)


def attach(cluster: Cluster, hub, socketio) -> None:
    """Start the heartbeat. Each beat, the owner folds in what other processes appended to its
    meetings (so its live views see every event within a beat), and tells `on_taken` of the
    meetings it has just come to own; a dead process's presence entries are deleted and its
    boards told."""
    owned_before: set[str] = set()

    def catch_up(owned: list[str]) -> None:
        nonlocal owned_before
        for meeting_id in owned:
            hub.state(meeting_id)
        taken = [m for m in owned if m not in owned_before]
        owned_before = set(owned)
        for meeting_id in taken:
            for callback in cluster.on_taken:
                try:
                    callback(meeting_id)
                except Exception:  # one callback's failure must not cost the others theirs
                    log.exception("after taking the lease of meeting %s", meeting_id)

    def clear_presence(process_id: str) -> None:
        for meeting_id, audience in hub.presence.clear_process(process_id):
            hub.presence_changed(meeting_id, audience, hub.presence.list(meeting_id, audience))

    cluster.on_beat.append(catch_up)
    cluster.on_dead.append(clear_presence)
    socketio.start_background_task(cluster.run, socketio.sleep)
