"""A store that turns its backend's outages into StoreUnavailable and logs each outage once.

During a Redis restart every op fails the same way; one line when it starts and one when it
ends say more than hundreds of tracebacks.
"""
from __future__ import annotations

import logging
import threading
import time

from .base import StoreUnavailable


class OutageLog:
    """Two log lines per outage: when the first call fails and when the first call succeeds."""

    def __init__(self, logger: logging.Logger | None = None, clock=time.monotonic) -> None:
        self.logger = logger or logging.getLogger("facilitator.store")
        self.clock = clock
        self._lock = threading.Lock()
        self.since: float | None = None
        self.refused = 0
        # A file that still reads but refuses writes is not back until a write succeeds.
        self.writes_failed = False

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException, write: bool = False) -> None:
        with self._lock:
            self.refused += 1
            self.writes_failed |= write
            if self.since is not None:
                return
            self.since = self.clock()
            self.refused = 1
        self.logger.warning(
            "store outage: %s: %s; requests are answered 'unavailable' until it is back",
            type(error).__name__, str(error)[:200],
        )

    def recovered(self, write: bool = False) -> None:
        if self.since is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self.since is None or (self.writes_failed and not write):
                return
            seconds, refused = self.clock() - self.since, self.refused
            self.since, self.refused, self.writes_failed = None, 0, False
        self.logger.warning(
            "store outage over after %.1f s; %d requests were answered 'unavailable'",
            seconds, refused,
        )


class GuardedStore:
    """Every public method of the wrapped store, with `errors` raised as StoreUnavailable."""

    WRITES = frozenset({"append", "append_many", "create_meeting", "add_participant", "note_read", "save_vectors", "set_secret", "hset", "hdel", "expire"})

    def __init__(self, store, errors: tuple, outage: OutageLog) -> None:
        self._store = store
        self._errors = errors
        self.outage = outage

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if name.startswith("_") or not callable(attr):
            return attr

        write = name in self.WRITES

        def call(*args, **kwargs):
            try:
                result = attr(*args, **kwargs)
            except self._errors as error:
                self.outage.failed(error, write)
                raise StoreUnavailable(f"{type(error).__name__}: {error}") from None
            self.outage.recovered(write)
            return result

        self.__dict__[name] = call  # built once per method, not on every call of the op path
        return call
