"""Whether this process can serve: its store answers and its message queue listens (issue 20,
point 5).

A process that loses Redis while another process still has it must hand its traffic over, not
hold it: during a 10 s cut its ops waited 10 s while /healthz said 200 and the balancer kept
routing to it. Here a probe PINGs Redis every PROBE_EVERY seconds on a connection of its own,
with a short timeout, and the Socket.IO listener says whether it listens (web/queue.py). While
either fails:

- ``/healthz`` answers 503 (haproxy's check takes the process out within its interval);
- if another process was alive at the last heartbeat, every other HTTP request but static
  files is answered 503 ``unavailable`` at once, the Socket.IO handshakes included (nginx,
  which has no active checks, then passes idempotent requests to the next process:
  ``proxy_next_upstream http_503``); alone, a process serves them as the store allows;
- once it has lasted SHED_AFTER seconds, and if another process was alive at the last heartbeat,
  the process closes its sockets' transports: the pages reconnect through the balancer, to a
  process that has Redis, and resend their outboxes there. Alone, it keeps them (there is no
  one to hand them to; their ops are answered ``unavailable`` and resent until Redis is back).

Without Redis (one process on SQLite) there is nothing to probe and nothing to fail over to:
/healthz answers 200 while the process runs.
"""

from __future__ import annotations

import json
import logging
import time

log = logging.getLogger("facilitator.health")

PROBE_EVERY = 0.25  # seconds between two PINGs of Redis
PROBE_TIMEOUT = 0.5  # seconds a PING may take before Redis counts as unreachable
STARTUP = 5.0  # seconds the first check waits for the queue's first subscription
SHED_AFTER = 0.5  # seconds unreachable before the sockets are handed to another process
# Paths answered whatever the health: the page's files never need Redis.
ALWAYS = ("/static/", "/vendor/", "/favicon.ico")


class Health:
    def __init__(self, ping=None, queue=None, peers=None, shed=None, clock=time.monotonic) -> None:
        self.ping = ping  # fn() that raises if the store does not answer; None: nothing to probe
        self.queue = queue  # the RedisQueue, or None
        self.peers = peers or (lambda: 0)  # other live processes at the last heartbeat
        self.shed = shed or (lambda: 0)  # closes this process's sockets; returns how many
        self.clock = clock
        self.store_ok = True
        self._bad_since: float | None = None
        self._shed = False

    def unreachable(self) -> list[str]:
        """What does not answer now: "store", "queue"; empty when the process can serve."""
        down = []
        if not self.store_ok:
            down.append("store")
        if self.queue is not None and not self.queue.listening:
            down.append("queue")
        return down

    def check(self) -> None:
        """One probe, and what follows from it (the loop calls it; tests may too)."""
        if self.ping is not None:
            try:
                self.ping()
                self.store_ok = True
            except Exception:
                self.store_ok = False
        down = self.unreachable()
        now = self.clock()
        if not down:
            if self._bad_since is not None:
                log.warning("healthy again after %.1f s: /healthz answers 200", now - self._bad_since)
            self._bad_since, self._shed = None, False
            return
        if self._bad_since is None:
            self._bad_since = now
            log.warning("%s unreachable: /healthz answers 503 and requests are refused", " and ".join(down))
        if not self._shed and now - self._bad_since >= SHED_AFTER and self.peers() > 0:
            self._shed = True
            closed = self.shed()
            log.warning("closed %d sockets: they reconnect to another process", closed)

    def run(self, sleep, server=None) -> None:
        """The probe loop, for a background task. python-socketio starts its queue's listener at
        the first connection; it is started here, so that the queue listens (and is checked)
        from the start, and the checks begin once it first listens (or after STARTUP)."""
        if server is not None and not server.manager_initialized:
            server.manager_initialized = True
            server.manager.initialize()
        started = self.clock()
        while self.queue is not None and not self.queue.listening and self.clock() - started < STARTUP:
            sleep(0.05)
        while True:
            try:
                self.check()
            except Exception:  # the probe must never stop
                log.exception("health probe failed")
            sleep(PROBE_EVERY)

    # ----- WSGI ----------------------------------------------------------------------------------

    def middleware(self, wsgi_app):
        """In front of the whole app (Socket.IO included): refuse at once while unreachable."""

        def app(environ, start_response):
            down = self.unreachable() if self._bad_since is not None else ()
            path = environ.get("PATH_INFO", "")
            if not down or path.startswith(ALWAYS):
                return wsgi_app(environ, start_response)
            if path == "/healthz":
                body = {"ok": False, "unreachable": down}
            elif self.peers() == 0:
                # alone: no one to hand the request to; it meets the store as it is
                return wsgi_app(environ, start_response)
            else:
                body = {"ok": False, "error": {"code": "unavailable",
                                               "message": "This server has lost its store; retry (another one may answer)."}}
            data = json.dumps(body).encode()
            start_response("503 Service Unavailable", [
                ("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"), ("Retry-After", "1")])
            return [data]

        return app


def redis_ping(url: str):
    """A PING on a connection of the probe's own (the store's pool may be all taken by ops
    waiting on the same dead link), failing within PROBE_TIMEOUT."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT,
                                  retry=Retry(NoBackoff(), 0), max_connections=1)
    return client.ping
