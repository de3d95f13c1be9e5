"""One Config read from the environment, with defaults that suit a developer's laptop."""

import os
import socket


def _env(name: str, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    SECRET_KEY = _env("FACILITATOR_SECRET_KEY", "dev-only-not-secret")
    # Where the SQLite store lives; ignored when REDIS_URL is set.
    DATA_DIR = _env("FACILITATOR_DATA", os.path.abspath("data"))
    # With Redis, the log lives in Redis streams and Redis is also the Socket.IO message queue.
    REDIS_URL = _env("FACILITATOR_REDIS")
    REDIS_PREFIX = _env("FACILITATOR_REDIS_PREFIX", "fac")
    # Links printed by create-meeting carry this origin.
    BASE_URL = _env("FACILITATOR_BASE_URL", "http://127.0.0.1:5000")
    # Joining with the public code (docs/protocol.md, "Joining"): participants per meeting;
    # failed code attempts per device (the join page's cookie at one address) and per address
    # within JOIN_WINDOW seconds, past which attempts are spaced out (never refused while the
    # wait for a turn stays under JOIN_MAX_WAIT seconds).
    MAX_PARTICIPANTS = int(_env("FACILITATOR_MAX_PARTICIPANTS", 5000))
    JOIN_FAILURES = int(_env("FACILITATOR_JOIN_FAILURES", 10))
    JOIN_ADDRESS_FAILURES = int(_env("FACILITATOR_JOIN_ADDRESS_FAILURES", 120))
    JOIN_WINDOW = float(_env("FACILITATOR_JOIN_WINDOW", 60))
    JOIN_MAX_WAIT = float(_env("FACILITATOR_JOIN_MAX_WAIT", 10))
    # Proxies in front of the server (a balancer, a TLS terminator) whose X-Forwarded-For,
    # -Proto and -Host are believed (werkzeug's ProxyFix); 0: the socket's peer and Host only.
    # FACILITATOR_TRUSTED_PROXIES is the earlier name of the same setting.
    PROXY_COUNT = int(_env("FACILITATOR_PROXY_COUNT", _env("FACILITATOR_TRUSTED_PROXIES", 0)))
    # Names this process in the cluster's leases and logs; run.py serve adds the port.
    PROCESS_NAME = _env("FACILITATOR_PROCESS_NAME", socket.gethostname())
    # eventlet as asked; a move to gevent or threading must be a change here, not in the code.
    ASYNC_MODE = _env("FACILITATOR_ASYNC_MODE", "eventlet")
    # Op rate per connection (token bucket): sustained ops per second and burst.
    OP_RATE = float(_env("FACILITATOR_OP_RATE", 20))
    OP_BURST = int(_env("FACILITATOR_OP_BURST", 60))
    # Op budget per key, shared by all its connections (tabs, laptops): sustained, one
    # connection's rate; a burst of two connections', so a second laptop flushing its outbox
    # is not stalled by the first's.
    KEY_OP_RATE = float(_env("FACILITATOR_KEY_OP_RATE", OP_RATE))
    KEY_OP_BURST = int(_env("FACILITATOR_KEY_OP_BURST", 2 * OP_BURST))
    # Socket.IO connections one key may hold open in one process. The plenary view key may be
    # opened on many screens in the room, so it has its own cap.
    CONNECTIONS_PER_KEY = int(_env("FACILITATOR_CONNECTIONS_PER_KEY", 10))
    CONNECTIONS_PER_VIEW_KEY = int(_env("FACILITATOR_CONNECTIONS_PER_VIEW_KEY", 500))
    # Seconds an engine.io connection may stay open without an authenticated Socket.IO connect.
    AUTH_TIMEOUT = float(_env("FACILITATOR_AUTH_TIMEOUT", 5))
    # Bytes of one Socket.IO message; larger ones are answered too_large unread, and past sixteen
    # times this the connection is closed. An op is a few kB at most.
    MAX_FRAME = int(_env("FACILITATOR_MAX_FRAME", 64 * 1024))
    # Bytes of an HTTP request body (the only one is a participant's join, under 1 kB).
    MAX_CONTENT_LENGTH = int(_env("FACILITATOR_MAX_CONTENT_LENGTH", 64 * 1024))
    # Nesting of JSON in frames and bodies; ops are 3 levels deep.
    MAX_JSON_DEPTH = int(_env("FACILITATOR_MAX_JSON_DEPTH", 20))
    # The analysis engine: auto (semantic where it installs, else lexical), semantic or lexical.
    SYNTHESIS_ENGINE = _env("FACILITATOR_SYNTHESIS_ENGINE", "auto")
    SYNTHESIS_DEBOUNCE = float(_env("FACILITATOR_SYNTHESIS_DEBOUNCE", 1.0))
    # run.py serve: seconds between freezes of what the cyclic collector has seen survive, and
    # between the full collections that free cycles among it (web/collector.py); 0: Python's
    # own collector policy
    GC_FREEZE_EVERY = float(_env("FACILITATOR_GC_FREEZE_EVERY", 10))
    GC_FULL_EVERY = float(_env("FACILITATOR_GC_FULL_EVERY", 900))
    # Machine drafts of translations (docs/operations.md): a LibreTranslate-compatible endpoint,
    # its api_key if it asks for one, seconds per network operation, drafts waiting at most
    # (more are dropped, never waited for), and requests in flight at once.
    TRANSLATE_URL = _env("FACILITATOR_TRANSLATE_URL")
    TRANSLATE_API_KEY = _env("FACILITATOR_TRANSLATE_API_KEY")
    TRANSLATE_TIMEOUT = float(_env("FACILITATOR_TRANSLATE_TIMEOUT", 10))
    TRANSLATE_QUEUE = int(_env("FACILITATOR_TRANSLATE_QUEUE", 200))
    TRANSLATE_WORKERS = int(_env("FACILITATOR_TRANSLATE_WORKERS", 2))
    LANGUAGES = ["ar", "en", "fr", "es"]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations"
    )
