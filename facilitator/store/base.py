"""The event store interface: one append-only log per meeting.

Plain Python, no Flask. Two implementations: ``sqlite.SQLiteStore`` (embedded
default) and ``redis.RedisStore`` (several server processes share a meeting).
Both are checked by ``tests/test_store_contract.py``.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod


class StoreError(Exception):
    """Base class of every error raised by a store."""


class MeetingExists(StoreError):
    """create_meeting with an id that is already taken."""


class UnknownMeeting(StoreError):
    """An operation that needs the meeting found no meeting with that id."""


class JoinCodeTaken(StoreError):
    """create_meeting with a join code that another meeting already uses."""


class StoreUnavailable(StoreError):
    """The backend did not answer (Redis down, SQLite file unwritable). Nothing is known to
    have been written; the caller may retry the same call (appends are idempotent by op_id)."""


class SeqConflict(StoreError):
    """append's expected_seq is stale: another writer appended first."""

    def __init__(self, last_seq: int):
        super().__init__(f"sequence conflict: the log is at {last_seq}")
        self.last_seq = int(last_seq)


class DuplicateOps(SeqConflict):
    """append_many with op_ids the meeting has already recorded: ``seqs`` maps each of them to
    the seq it was stored at. A retransmission is answered from there; the caller must not
    decide it again (its decision was folded into a state the log never had)."""

    def __init__(self, last_seq: int, seqs: dict[str, int]):
        super().__init__(last_seq)
        self.seqs = {str(k): int(v) for k, v in seqs.items()}


def dump_event(event: dict) -> str:
    """The stored form of an event: JSON text without ``seq`` and ``op_id``."""
    if not isinstance(event, dict):
        raise TypeError("an event must be a dict")
    body = {k: v for k, v in event.items() if k not in ("seq", "op_id")}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def load_event(text: str, seq: int) -> dict:
    event = json.loads(text)
    event["seq"] = int(seq)
    return event


def check_import(events: list[dict]) -> list[tuple[str | None, str]]:
    """Serialise create_meeting's events: [(op_id, json)]; refuses duplicate op_ids."""
    out: list[tuple[str | None, str]] = []
    seen: set[str] = set()
    for event in events:
        if not isinstance(event, dict):
            raise TypeError("an event must be a dict")
        op_id = event.get("op_id")
        if op_id is not None:
            if not isinstance(op_id, str):
                raise TypeError("op_id must be a string or None")
            if op_id in seen:
                raise StoreError(f"duplicate op_id in imported events: {op_id!r}")
            seen.add(op_id)
        out.append((op_id, dump_event(event)))
    return out


def check_secret_path(path) -> tuple[str, ...]:
    """set_secret's path, checked for every backend: one or two names, never the join code
    (it is indexed beside the secrets and set once, at creation)."""
    path = tuple(path)
    if not 1 <= len(path) <= 2 or not all(isinstance(p, str) and p for p in path):
        raise ValueError("a secret's path is one or two non-empty names")
    if path[0] == "join_code":
        raise ValueError("the join code is set at creation only")
    return path


def with_secret(secrets: dict, path: tuple[str, ...], value: str) -> dict:
    """The secrets with the entry at ``path`` set to ``value``: a copy, the input untouched."""
    if not isinstance(value, str) or not value:
        raise ValueError("a secret is a non-empty string")
    changed = dict(secrets)
    if len(path) == 1:
        changed[path[0]] = value
        return changed
    parent = changed.get(path[0])
    if not isinstance(parent, dict):
        raise StoreError(f"the secrets hold no {path[0]!r} map")
    changed[path[0]] = dict(parent, **{path[1]: value})
    return changed


def check_new_meeting(secrets: dict, events: list[dict]) -> tuple[str, str | None, list[tuple[str | None, str]]]:
    """create_meeting's input, checked and serialised once for every backend:
    (secrets as JSON, the join code or None, the events as ``check_import`` rows)."""
    code = secrets.get("join_code")
    if code is not None and not isinstance(code, str):
        raise TypeError("join_code must be a string")
    return json.dumps(secrets, ensure_ascii=False), code, check_import(events)


class EventStore(ABC):
    """One append-only event log per meeting, plus the meeting's secrets and
    participant registry.

    Events are JSON-able dicts. ``read`` returns each stored event plus
    ``"seq"`` (an int); ``op_id`` is kept beside the event, never inside it.
    """

    # The backend's exceptions that mean "not reachable now" rather than a bug (see guard.py).
    UNAVAILABLE: tuple = ()

    @abstractmethod
    def create_meeting(self, meeting_id: str, secrets: dict, events: list[dict]) -> int:
        """Atomically record the meeting, its secrets (``secrets["join_code"]``,
        when present, is indexed for :meth:`meeting_for_join_code`) and append
        ``events`` as seq 1..n (each may carry ``"op_id"``, possibly None; a
        ``"seq"`` they carry is ignored). Raises MeetingExists (or
        JoinCodeTaken) and writes nothing if the id (or code) is taken.
        Returns the last seq (0 for no events)."""

    @abstractmethod
    def meeting_ids(self) -> list[str]:
        """Every meeting id, in creation order."""

    @abstractmethod
    def secrets(self, meeting_id: str) -> dict | None:
        """The meeting's secrets, None if the meeting is unknown."""

    @abstractmethod
    def meeting_for_join_code(self, code: str) -> str | None:
        """The meeting whose secrets carry this join code, or None."""

    @abstractmethod
    def set_secret(self, meeting_id: str, path: tuple[str, ...], value: str) -> None:
        """Set one entry of the meeting's secrets, atomically with respect to every other
        writer of them, durable before returning: ``("plenary",)`` sets ``secrets["plenary"]``
        (made if absent), ``("rapporteurs", gid)`` sets ``secrets["rapporteurs"][gid]`` (the
        map must exist: StoreError otherwise). Every other entry is left as it is. A re-issued
        link's new key goes here; from then on ``secrets`` answers the new value. Raises
        UnknownMeeting for an unknown meeting, ValueError for a bad path or value (the join
        code cannot be set: it is indexed and set at creation)."""

    @abstractmethod
    def append(self, meeting_id: str, op_id: str | None, event: dict,
               expected_seq: int) -> tuple[int, bool]:
        """Append one event, atomically and durably.

        - op_id already recorded for this meeting: return (its seq, True),
          write nothing, whatever expected_seq is;
        - the log's last seq != expected_seq: raise SeqConflict(last_seq);
        - else store the event as seq expected_seq + 1, durable before
          returning (seq, False).
        Raises UnknownMeeting for an unknown meeting."""

    # Whether append_many is there: several events in one durable write (group commit).
    GROUP_COMMIT = False

    def append_many(self, meeting_id: str, items: list[tuple[str | None, dict]],
                    expected_seq: int) -> int:
        """Append ``items`` ([(op_id, event)]) as seq expected_seq + 1, + 2, ..., all or none,
        durable before returning the last seq.

        - an op_id among them already recorded: raise DuplicateOps(last_seq, {op_id: its seq})
          for every such op_id, and write nothing (checked first, whatever expected_seq is);
        - else the log's last seq != expected_seq: raise SeqConflict(last_seq), write nothing;
        Raises UnknownMeeting for an unknown meeting. Only where GROUP_COMMIT is true."""
        raise NotImplementedError

    @abstractmethod
    def read(self, meeting_id: str, after: int = 0, limit: int | None = None) -> list[dict]:
        """Events with seq > after, in order, at most ``limit`` ([] for an
        unknown meeting)."""

    @abstractmethod
    def last_seq(self, meeting_id: str) -> int:
        """The last seq of the meeting's log; 0 if empty or unknown."""

    @abstractmethod
    def seq_of_op(self, meeting_id: str, op_id: str) -> int | None:
        """The seq of the event appended for op_id, or None."""

    @abstractmethod
    def add_participant(self, meeting_id: str, key: str, record: dict) -> None:
        """Record (or replace) a participant: key -> small JSON record.
        Raises UnknownMeeting for an unknown meeting."""

    @abstractmethod
    def participant(self, meeting_id: str, key: str) -> dict | None:
        """The participant's record, or None."""

    # -- what a reader last read: a translation sent without its original's version is taken as
    # made from the words of this read (docs/protocol.md, translation.set) ----------------------
    @abstractmethod
    def note_read(self, meeting_id: str, reader: str, seq: int) -> None:
        """Record that ``reader`` (a key id and a name) has read the meeting up to ``seq``; a
        lower seq than the one recorded changes nothing. Shared by every process of the store."""

    @abstractmethod
    def last_read(self, meeting_id: str, reader: str) -> int:
        """The highest seq ``note_read`` recorded for the reader; 0 if none."""

    # -- sentence vectors: derived data, kept so that a restart need not embed again ----------
    @abstractmethod
    def load_vectors(self, fingerprint: str, keys: list[str]) -> dict[str, bytes]:
        """The stored vectors among ``keys`` (key: language and text hash), made by the engine
        named ``fingerprint``; keys never stored are absent from the answer."""

    @abstractmethod
    def save_vectors(self, fingerprint: str, vectors: dict[str, bytes]) -> None:
        """Store vectors (raw float32 bytes) under the engine's fingerprint; replaces any there.
        Shared by every meeting of the store: the same text gives the same vector."""

    @abstractmethod
    def close(self) -> None:
        """Release connections. The store is unusable afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
