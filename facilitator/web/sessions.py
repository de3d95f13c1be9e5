"""Flask's cookie sessions, with the signing serializer built once per set of keys.

Flask-SocketIO pushes a request context for every Socket.IO event, and Flask opens the cookie
session on each push; building the serializer each time (itsdangerous test-dumps `{}` through
it) was about 5% of an op's time on the loop. The keys are compared on each call, so a changed
SECRET_KEY or SECRET_KEY_FALLBACKS still takes effect.
"""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class SessionCookies(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._built: tuple = (None, None)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        built_for, serializer = self._built
        if built_for != keys:
            serializer = super().get_signing_serializer(app)
            self._built = (keys, serializer)
        return serializer
