"""Python's cyclic garbage collector, kept from holding the event loop.

A full collection walks every object the collector tracks, and the loop waits for it. A server
holds many that live as long as the process or the connection: some 160,000 from start-up
(the modules, numpy's, scikit-learn's) and about 155 per connected socket (eventlet's and
Engine.IO's). On the 2-vCPU bench machine a full collection took 140–190 ms at 480 phones and
0.5–0.8 s at 5,000, and came every twenty seconds or so while rapporteurs typed: an op arriving
then waited that long (docs/performance.md, "The room gauge").

So, under ``run.py serve``: what has survived is frozen every ``freeze_every`` seconds
(``gc.freeze``, which costs nothing: it moves the lists), and the automatic collections walk
only what was made since. Every ``full_every`` seconds the frozen objects are handed back and
collected once (``gc.unfreeze``, ``gc.collect``), so that reference cycles among them (a closed
connection's, an exception's frames) are freed after all: that one collection is the only long
pause, once per ``full_every`` instead of every few seconds. Objects freed by their reference
count (nearly all) are freed at once, frozen or not; only cyclic garbage waits, at most
``full_every`` seconds.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("facilitator.collector")


class CollectorPolicy:
    def __init__(self, freeze_every: float = 10.0, full_every: float = 900.0,
                 clock=time.monotonic, collector=gc) -> None:
        self.freeze_every = freeze_every
        self.full_every = full_every
        self.clock = clock
        self.gc = collector
        self.last_full = self.clock()
        self.fulls = 0  # full collections made (for the logs and the tests)

    def start(self) -> None:
        """At start-up, before the first request: collect once, then freeze what is left."""
        self.gc.collect()
        self.gc.freeze()
        self.last_full = self.clock()

    def tick(self) -> None:
        now = self.clock()
        if self.full_every and now - self.last_full >= self.full_every:
            frozen = self.gc.get_freeze_count()
            started = time.perf_counter()
            self.gc.unfreeze()
            found = self.gc.collect()
            self.gc.freeze()
            self.last_full, self.fulls = now, self.fulls + 1
            log.info("full collection: %d objects frozen, %d unreachable freed, %.0f ms",
                     frozen, found, 1000 * (time.perf_counter() - started))
        else:
            self.gc.freeze()

    def run(self, sleep) -> None:
        """The background task: ``sleep`` is the loop's (eventlet's, gevent's)."""
        while True:
            sleep(self.freeze_every)
            try:
                self.tick()
            except Exception:  # never take the server down for its housekeeping
                log.exception("collector tick failed")
