"""The Socket.IO message queue on Redis, with a listener that notices a lost Redis and is back
within a fraction of a second of its return (issue 20, point 5).

python-socketio's RedisManager retries its listener after 1, 2, 4 … 60 s and reads with no
timeout: after a 10 s cut it came back 5.5–6 s after Redis did, and a silent cut (no reset)
would leave it waiting for ever, its sockets deaf to every other process's events. Here the
listener reads in short ticks, pings Redis when the channel is quiet, counts the link dead when
nothing has come back for SILENCE seconds, and tries again every RETRY seconds. Whether it
listens is what /healthz reports for the queue (web/health.py).
"""

from __future__ import annotations

import logging
import time

import redis as redis_lib
import socketio
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import wire

log = logging.getLogger("facilitator.queue")

TICK = 0.1  # seconds a read waits for a message before the loop looks at the clock
PING_EVERY = 0.5  # seconds of a quiet channel after which Redis is asked for a pong
SILENCE = 2.0  # seconds without anything from Redis (a message, a pong) before the link is dead
RETRY = 0.2  # seconds between attempts to listen again
# Publishing (each emit) must not hang on a silent cut either.
OPTIONS = {"socket_timeout": 2.0, "socket_connect_timeout": 1.0, "retry": Retry(NoBackoff(), 0)}


class RedisQueue(socketio.RedisManager):
    def __init__(self, url: str, channel: str, clock=time.monotonic) -> None:
        super().__init__(url, channel=channel, redis_options=dict(OPTIONS))
        self.clock = clock
        self.listening = False  # subscribed, and Redis answered within SILENCE
        self._down_since: float | None = None

    def set_server(self, server):
        super().set_server(server)
        # the library puts the packets' json module here; the queue's writes wire.RawJSON
        # values (the synthesis the worker encoded) as the JSON they are
        self.json = wire.QueueJSON

    def _listener(self):
        """A client of the listener's own: a publish that fails (and reconnects) never swaps the
        connection the listener reads."""
        client = redis_lib.Redis.from_url(self.redis_url, **dict(OPTIONS))
        return client, client.pubsub()

    def _redis_listen_with_retries(self):  # replaces RedisManager's; its caller is _listen
        while True:
            client = pubsub = None
            try:
                client, pubsub = self._listener()
                pubsub.subscribe(self.channel)
                heard = pinged = self.clock()
                while True:
                    message = pubsub.get_message(timeout=TICK)
                    now = self.clock()
                    if message is not None:
                        heard = now
                        if message["type"] == "subscribe":
                            self._up()
                        elif message["type"] == "message":
                            yield message
                    elif now - heard > SILENCE:
                        raise redis_lib.exceptions.TimeoutError(f"no answer from Redis for {SILENCE} s")
                    if now - pinged >= PING_EVERY and now - heard >= PING_EVERY:
                        pubsub.ping()
                        pinged = now
            except Exception as error:  # any failure: listen again, never give up
                self._down(error)
            finally:
                for closing in (pubsub, client):
                    try:
                        if closing is not None:
                            closing.close()
                    except Exception:
                        pass
            time.sleep(RETRY)

    def _up(self) -> None:
        self.listening = True
        if self._down_since is not None:
            log.warning("message queue: listening again, %.1f s after the link was lost",
                        self.clock() - self._down_since)
            self._down_since = None

    def _down(self, error: BaseException) -> None:
        self.listening = False
        if self._down_since is None:
            self._down_since = self.clock()
            log.warning("message queue: lost Redis (%s: %s); listening again every %.1f s",
                        type(error).__name__, str(error)[:200], RETRY)
