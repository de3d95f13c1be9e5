"""One Config read from the environment, with defaults that suit a developer's laptop."""

import os


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
    # Joining with the public code (docs/protocol.md, "Joining"): participants per meeting, and
    # failed code attempts per address within JOIN_WINDOW seconds before a JOIN_BACKOFF pause.
    MAX_PARTICIPANTS = int(_env("FACILITATOR_MAX_PARTICIPANTS", 5000))
    JOIN_FAILURES = int(_env("FACILITATOR_JOIN_FAILURES", 30))
    JOIN_WINDOW = float(_env("FACILITATOR_JOIN_WINDOW", 60))
    JOIN_BACKOFF = float(_env("FACILITATOR_JOIN_BACKOFF", 30))
    # Proxies in front of the server that append to X-Forwarded-For (0: use the socket's peer).
    TRUSTED_PROXIES = int(_env("FACILITATOR_TRUSTED_PROXIES", 0))
    # eventlet as asked; a move to gevent or threading must be a change here, not in the code.
    ASYNC_MODE = _env("FACILITATOR_ASYNC_MODE", "eventlet")
    # Op rate per connection (token bucket): sustained ops per second and burst.
    OP_RATE = float(_env("FACILITATOR_OP_RATE", 20))
    OP_BURST = int(_env("FACILITATOR_OP_BURST", 60))
    # The analysis engine: auto (semantic where it installs, else lexical), semantic or lexical.
    SYNTHESIS_ENGINE = _env("FACILITATOR_SYNTHESIS_ENGINE", "auto")
    SYNTHESIS_DEBOUNCE = float(_env("FACILITATOR_SYNTHESIS_DEBOUNCE", 1.0))
    LANGUAGES = ["ar", "en", "fr", "es"]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations"
    )
