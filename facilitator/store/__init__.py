"""Event stores: one interface (base.EventStore), SQLite and Redis implementations."""
from __future__ import annotations

from .base import (DuplicateOps, EventStore, JoinCodeTaken, MeetingExists, SeqConflict,
                   StoreError, StoreUnavailable, UnknownMeeting)
from .guard import GuardedStore, OutageLog

__all__ = ["EventStore", "StoreError", "MeetingExists", "UnknownMeeting",
           "SeqConflict", "DuplicateOps", "JoinCodeTaken", "StoreUnavailable", "GuardedStore",
           "OutageLog", "open_store", "guarded"]


def guarded(store: EventStore, logger=None) -> GuardedStore:
    """The store as the server uses it: backend outages become StoreUnavailable, logged once."""
    return GuardedStore(store, store.UNAVAILABLE, OutageLog(logger))


def open_store(data_dir: str | None, redis_url: str | None, prefix: str = "fac",
               offload=None) -> EventStore:
    """Redis when ``redis_url`` is given (keys under ``prefix:``), else SQLite
    at ``<data_dir>/facilitator.sqlite3`` (``data_dir`` defaults to ``data``
    and is created if missing), its commits run through ``offload`` (see SQLiteStore)."""
    if redis_url:
        from .redis import RedisStore
        return RedisStore(redis_url, prefix=prefix)
    from .sqlite import SQLiteStore, sqlite_path
    return SQLiteStore(sqlite_path(data_dir or "data"), offload=offload)
