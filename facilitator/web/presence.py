"""Who is connected to a board, per meeting and audience, and which contribution each one has
open in an editor (`editing`: ephemeral, never in the log).

In one process, a dict. With Redis, shared by every process: each entry names the process that
holds the connection, so when that process dies (its heartbeat lapses, see cluster.py) its
entries stop being listed at once and are then deleted by a live process, which tells the boards.
"""

from __future__ import annotations

import json
import threading

DAY = 24 * 3600


def _listed(clients: dict[str, tuple]) -> list[dict]:
    """`clients`: client id -> (name, contribution id being edited or None)."""
    out = []
    for cid, (name, editing) in sorted(clients.items()):
        entry = {"id": cid[:8], "name": name}
        if editing:
            entry["editing"] = editing
        out.append(entry)
    return out


class Presence:
    """In memory: one process sees its own clients."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], dict[str, tuple]] = {}

    def add(self, meeting_id: str, audience: str, client_id: str, name: str) -> list[dict]:
        with self._lock:
            self._clients.setdefault((meeting_id, audience), {})[client_id] = (name, None)
        return self.list(meeting_id, audience)

    def editing(self, meeting_id: str, audience: str, client_id: str, name: str,
                contribution_id: str | None) -> list[dict]:
        """Mark what a connected client edits (None: nothing); a client gone stays gone."""
        with self._lock:
            clients = self._clients.get((meeting_id, audience), {})
            if client_id in clients:
                clients[client_id] = (name, contribution_id)
        return self.list(meeting_id, audience)

    def remove(self, meeting_id: str, audience: str, client_id: str) -> list[dict]:
        with self._lock:
            self._clients.get((meeting_id, audience), {}).pop(client_id, None)
        return self.list(meeting_id, audience)

    def list(self, meeting_id: str, audience: str) -> list[dict]:
        with self._lock:
            clients = dict(self._clients.get((meeting_id, audience), {}))
        return _listed(clients)


# Replaces an entry only while it is there: an editing signal racing its own disconnect must not
# bring the entry back.
_REPLACE_IF_THERE = """
if redis.call('hexists', KEYS[1], ARGV[1]) == 1 then
  redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
end
return 0
"""


class RedisPresence(Presence):
    """A hash per meeting and audience: client id -> [process id, name, contribution id being
    edited or null]; and per process, the set of hashes it wrote to, for clearing up after it."""

    def __init__(self, redis, prefix: str, cluster) -> None:
        self._redis = redis  # guarded: outages surface as StoreUnavailable
        self._prefix = prefix
        self._cluster = cluster

    def _key(self, meeting_id: str, audience: str) -> str:
        return f"{self._prefix}:m:{meeting_id}:presence:{audience}"

    def _mine(self, process_id: str) -> str:
        return f"{self._prefix}:proc:{process_id}:presence"

    def add(self, meeting_id, audience, client_id, name):
        key = self._key(meeting_id, audience)
        self._redis.hset(key, client_id, self._entry(name, None))
        self._redis.expire(key, DAY)  # a backstop: the heartbeat clears a dead process's entries
        self._redis.sadd(self._mine(self._cluster.id), key)
        self._redis.expire(self._mine(self._cluster.id), DAY)
        return self.list(meeting_id, audience)

    def _entry(self, name: str, editing: str | None) -> str:
        return json.dumps([self._cluster.id, name, editing], ensure_ascii=False)

    def editing(self, meeting_id, audience, client_id, name, contribution_id):
        self._redis.eval(_REPLACE_IF_THERE, 1, self._key(meeting_id, audience), client_id,
                         self._entry(name, contribution_id))
        return self.list(meeting_id, audience)

    def remove(self, meeting_id, audience, client_id):
        self._redis.hdel(self._key(meeting_id, audience), client_id)
        return self.list(meeting_id, audience)

    def list(self, meeting_id, audience):
        entries = {}
        for client_id, value in self._redis.hgetall(self._key(meeting_id, audience)).items():
            process_id, name, *editing = json.loads(value)  # entries of older servers: no editing
            entries[client_id] = (process_id, name, editing[0] if editing else None)
        alive = self._cluster.alive(p for p, _, _ in entries.values())
        return _listed({cid: (name, editing) for cid, (p, name, editing) in entries.items()
                        if p in alive})

    def clear_process(self, process_id: str) -> list[tuple[str, str]]:
        """Delete a dead process's entries; returns the (meeting, audience) pairs it was in."""
        changed = []
        mine = self._mine(process_id)
        head = f"{self._prefix}:m:"
        for key in self._redis.smembers(mine):
            gone = [cid for cid, value in self._redis.hgetall(key).items()
                    if json.loads(value)[0] == process_id]
            if gone:
                self._redis.hdel(key, *gone)
            meeting_id, _, audience = key[len(head):].partition(":presence:")
            changed.append((meeting_id, audience))
        self._redis.delete(mine)
        return changed
