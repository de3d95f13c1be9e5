"""Redis event store: one stream per meeting.

Keys, all under ``<prefix>:``:

- ``<prefix>:meetings``                 list of meeting ids, creation order
- ``<prefix>:codes``                    hash join code -> meeting id
- ``<prefix>:m:<id>:secrets``           string, the secrets as JSON (its existence = the meeting exists)
- ``<prefix>:m:<id>:log``               stream; entry id ``<seq>-1``, fields ``e`` (event JSON), ``o`` (op_id, if any)
- ``<prefix>:m:<id>:ops``               hash op_id -> seq
- ``<prefix>:m:<id>:participants``      hash key -> record JSON
- ``<prefix>:m:<id>:reads``             hash reader -> the last seq it read (translation.set)

``append``, ``append_many`` and ``create_meeting`` are each one Lua script (EVALSHA), so the
checks and the writes are atomic across every process sharing the server.
Durability of an acknowledged append is Redis's: see ``appendfsync`` in
docs. Not written for Redis Cluster (a script touches keys of several slots).
"""
from __future__ import annotations

import base64
import json

import redis as redis_lib

from .base import (DuplicateOps, EventStore, JoinCodeTaken, MeetingExists, SeqConflict,
                   StoreError, UnknownMeeting, check_new_meeting, check_secret_path,
                   dump_event, load_event, with_secret)

# KEYS: secrets, log, ops. ARGV: has_op ("1"/"0"), op_id, expected_seq, json.
# Returns {0, seq} appended, {1, seq} duplicate, {-1, 0} unknown, {-2, last} conflict.
APPEND_LUA = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local has_op = ARGV[1] == '1'
if has_op then
  local s = redis.call('HGET', KEYS[3], ARGV[2])
  if s then return {1, tonumber(s)} end
end
local last = 0
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #top > 0 then last = tonumber(string.match(top[1][1], '^(%d+)')) end
if last ~= tonumber(ARGV[3]) then return {-2, last} end
local seq = last + 1
local id = string.format('%d-1', seq)
if has_op then
  redis.call('XADD', KEYS[2], id, 'e', ARGV[4], 'o', ARGV[2])
  redis.call('HSET', KEYS[3], ARGV[2], seq)
else
  redis.call('XADD', KEYS[2], id, 'e', ARGV[4])
end
return {0, seq}
"""

# KEYS: secrets, log, ops. ARGV: expected_seq, n, then n * (has_op, op_id, json).
# Returns {0, last} appended, {-1, 0} unknown, {-3, last, op_id, seq, ...} op_ids already recorded
# (checked first: a retransmission is answered from its seq, whatever expected_seq is), {-2, last}
# a stale expected_seq. Every check runs before the first write, so a refusal writes nothing.
APPEND_MANY_LUA = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local last = 0
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #top > 0 then last = tonumber(string.match(top[1][1], '^(%d+)')) end
local n = tonumber(ARGV[2])
local dups = {-3, last}
for i = 1, n do
  local b = 2 + (i - 1) * 3
  if ARGV[b + 1] == '1' then
    local s = redis.call('HGET', KEYS[3], ARGV[b + 2])
    if s then
      dups[#dups + 1] = ARGV[b + 2]
      dups[#dups + 1] = tonumber(s)
    end
  end
end
if #dups > 2 then return dups end
if last ~= tonumber(ARGV[1]) then return {-2, last} end
for i = 1, n do
  local b = 2 + (i - 1) * 3
  local seq = last + i
  local id = string.format('%d-1', seq)
  if ARGV[b + 1] == '1' then
    redis.call('XADD', KEYS[2], id, 'e', ARGV[b + 3], 'o', ARGV[b + 2])
    redis.call('HSET', KEYS[3], ARGV[b + 2], seq)
  else
    redis.call('XADD', KEYS[2], id, 'e', ARGV[b + 3])
  end
end
return {0, last + n}
"""

# KEYS: secrets, log, ops, meetings, codes.
# ARGV: meeting_id, secrets_json, has_code, code, n, then n * (has_op, op_id, json).
# Returns {0, n} created, {-1, 0} meeting exists, {-2, 0} join code taken.
# Every check runs before the first write, so a refusal writes nothing.
CREATE_LUA = r"""
if redis.call('EXISTS', KEYS[1]) == 1 then return {-1, 0} end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return {-1, 0} end
local has_code = ARGV[3] == '1'
if has_code and redis.call('HEXISTS', KEYS[5], ARGV[4]) == 1 then return {-2, 0} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('RPUSH', KEYS[4], ARGV[1])
if has_code then redis.call('HSET', KEYS[5], ARGV[4], ARGV[1]) end
local n = tonumber(ARGV[5])
for i = 1, n do
  local b = 5 + (i - 1) * 3
  local id = string.format('%d-1', i)
  if ARGV[b + 1] == '1' then
    redis.call('XADD', KEYS[2], id, 'e', ARGV[b + 3], 'o', ARGV[b + 2])
    redis.call('HSET', KEYS[3], ARGV[b + 2], i)
  else
    redis.call('XADD', KEYS[2], id, 'e', ARGV[b + 3])
  end
end
return {0, n}
"""

# KEYS: secrets, participants. ARGV: key, json.
PARTICIPANT_LUA = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
"""


# KEYS: reads. ARGV: reader, seq. Keeps the higher of the recorded seq and this one.
READ_LUA = r"""
local seen = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > seen then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
"""


# Hundreds of phones can vote in the same second; under eventlet each is a green thread that
# wants a connection. A blocking pool makes them queue for one instead of failing with
# "Too many connections" (redis-py's default pool refuses past 100).
POOL_SIZE = 50
POOL_TIMEOUT = 30  # seconds a caller waits for a free connection
# A Redis that does not answer within these is treated as down (the op is answered
# `unavailable` and the client resends it) rather than holding the op for ever.
CONNECT_TIMEOUT = 2
SOCKET_TIMEOUT = 10


def connect(url: str):
    pool = redis_lib.BlockingConnectionPool.from_url(
        url, max_connections=POOL_SIZE, timeout=POOL_TIMEOUT, decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=SOCKET_TIMEOUT,
    )
    return redis_lib.Redis(connection_pool=pool)


class RedisStore(EventStore):
    # Down, restarting (LOADING), unreachable or a read-only replica after a failover.
    UNAVAILABLE = (redis_lib.exceptions.ConnectionError, redis_lib.exceptions.TimeoutError,
                   redis_lib.exceptions.ReadOnlyError)
    GROUP_COMMIT = True

    def __init__(self, url: str, prefix: str = "fac", client=None):
        self.prefix = prefix
        self.r = client or connect(url)
        # register_script: EVALSHA, loading the script once if the server lacks it.
        self._append = self.r.register_script(APPEND_LUA)
        self._append_many = self.r.register_script(APPEND_MANY_LUA)
        self._create = self.r.register_script(CREATE_LUA)
        self._participant = self.r.register_script(PARTICIPANT_LUA)
        self._read = self.r.register_script(READ_LUA)

    def _k(self, meeting_id: str, what: str) -> str:
        return f"{self.prefix}:m:{meeting_id}:{what}"

    def create_meeting(self, meeting_id: str, secrets: dict, events: list[dict]) -> int:
        secrets_json, code, rows = check_new_meeting(secrets, events)
        args: list = [meeting_id, secrets_json, "1" if code is not None else "0",
                      code or "", len(rows)]
        for op_id, text in rows:
            args += ["1" if op_id is not None else "0", op_id or "", text]
        keys = [self._k(meeting_id, "secrets"), self._k(meeting_id, "log"),
                self._k(meeting_id, "ops"), f"{self.prefix}:meetings",
                f"{self.prefix}:codes"]
        status, n = self._create(keys=keys, args=args)
        if status == -1:
            raise MeetingExists(meeting_id)
        if status == -2:
            raise JoinCodeTaken(code)
        return int(n)

    def meeting_ids(self) -> list[str]:
        return list(self.r.lrange(f"{self.prefix}:meetings", 0, -1))

    def secrets(self, meeting_id: str) -> dict | None:
        text = self.r.get(self._k(meeting_id, "secrets"))
        return json.loads(text) if text is not None else None

    def meeting_for_join_code(self, code: str) -> str | None:
        return self.r.hget(f"{self.prefix}:codes", code)

    def set_secret(self, meeting_id: str, path: tuple[str, ...], value: str) -> None:
        path = check_secret_path(path)
        key = self._k(meeting_id, "secrets")

        # WATCH/MULTI: the JSON is changed in Python (Lua's cjson would turn an empty map
        # into a list), and redone if another writer changed the secrets meanwhile.
        def update(pipe) -> None:
            text = pipe.get(key)
            if text is None:
                raise UnknownMeeting(meeting_id)
            changed = with_secret(json.loads(text), path, value)
            pipe.multi()
            pipe.set(key, json.dumps(changed, ensure_ascii=False))

        self.r.transaction(update, key)

    def append(self, meeting_id: str, op_id: str | None, event: dict,
               expected_seq: int) -> tuple[int, bool]:
        text = dump_event(event)
        keys = [self._k(meeting_id, "secrets"), self._k(meeting_id, "log"),
                self._k(meeting_id, "ops")]
        args = ["1" if op_id is not None else "0", op_id or "", int(expected_seq), text]
        status, seq = self._append(keys=keys, args=args)
        if status == 0:
            return int(seq), False
        if status == 1:
            return int(seq), True
        if status == -1:
            raise UnknownMeeting(meeting_id)
        if status == -2:
            raise SeqConflict(int(seq))
        raise StoreError(f"unexpected append reply {status!r}")

    def append_many(self, meeting_id: str, items: list[tuple[str | None, dict]],
                    expected_seq: int) -> int:
        args: list = [int(expected_seq), len(items)]
        for op_id, event in items:
            args += ["1" if op_id is not None else "0", op_id or "", dump_event(event)]
        keys = [self._k(meeting_id, "secrets"), self._k(meeting_id, "log"),
                self._k(meeting_id, "ops")]
        status, last, *dups = self._append_many(keys=keys, args=args)
        if status == 0:
            return int(last)
        if status == -1:
            raise UnknownMeeting(meeting_id)
        if status == -3:
            raise DuplicateOps(int(last), dict(zip(dups[::2], dups[1::2])))
        if status == -2:
            raise SeqConflict(int(last))
        raise StoreError(f"unexpected append_many reply {status!r}")

    def read(self, meeting_id: str, after: int = 0, limit: int | None = None) -> list[dict]:
        if limit is not None and limit <= 0:
            return []
        entries = self.r.xrange(self._k(meeting_id, "log"), min=f"{int(after) + 1}-0",
                                max="+", count=limit)
        return [load_event(fields["e"], int(entry_id.split("-", 1)[0]))
                for entry_id, fields in entries]

    def last_seq(self, meeting_id: str) -> int:
        top = self.r.xrevrange(self._k(meeting_id, "log"), max="+", min="-", count=1)
        return int(top[0][0].split("-", 1)[0]) if top else 0

    def seq_of_op(self, meeting_id: str, op_id: str) -> int | None:
        s = self.r.hget(self._k(meeting_id, "ops"), op_id)
        return int(s) if s is not None else None

    def add_participant(self, meeting_id: str, key: str, record: dict) -> None:
        text = json.dumps(record, ensure_ascii=False)
        ok = self._participant(keys=[self._k(meeting_id, "secrets"),
                                     self._k(meeting_id, "participants")],
                               args=[key, text])
        if not ok:
            raise UnknownMeeting(meeting_id)

    def participant(self, meeting_id: str, key: str) -> dict | None:
        text = self.r.hget(self._k(meeting_id, "participants"), key)
        return json.loads(text) if text is not None else None

    def note_read(self, meeting_id: str, reader: str, seq: int) -> None:
        self._read(keys=[self._k(meeting_id, "reads")], args=[reader, int(seq)])

    def last_read(self, meeting_id: str, reader: str) -> int:
        seq = self.r.hget(self._k(meeting_id, "reads"), reader)
        return int(seq) if seq is not None else 0

    def load_vectors(self, fingerprint: str, keys: list[str]) -> dict[str, bytes]:
        keys = list(keys)
        if not keys:
            return {}
        values = self.r.hmget(f"{self.prefix}:vectors:{fingerprint}", keys)
        # base64: the client decodes replies as text
        return {k: base64.b64decode(v) for k, v in zip(keys, values) if v is not None}

    def save_vectors(self, fingerprint: str, vectors: dict[str, bytes]) -> None:
        if vectors:
            self.r.hset(f"{self.prefix}:vectors:{fingerprint}",
                        mapping={k: base64.b64encode(bytes(v)).decode("ascii") for k, v in vectors.items()})

    def close(self) -> None:
        self.r.close()
