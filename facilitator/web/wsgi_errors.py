"""The WSGI error stream as log records, one per message.

eventlet's websocket writes its errors to ``environ["wsgi.errors"]`` (sys.stderr by default)
without a line break: "socket shutdown error: [Errno 9] Bad file descriptor" ran on into the next
one, line after line of them in the server's log. engine.io's writer closes every websocket when
it ends, also one eventlet has already closed (a protocol error, an oversize frame, the client's
own close): shutting that socket down again is what fails, and nothing is lost by it.
"""

from __future__ import annotations

import logging
import re

# Shutting down a socket that is already closed (EBADF) or no longer connected (ENOTCONN).
BENIGN = re.compile(r"socket shutdown error: \[Errno (9|107)\]")


class ErrorLines:
    """A file-like ``wsgi.errors``: each write is one record of ``logger`` (each line of it, if
    it holds several), the benign double shutdown at DEBUG. No state: shared by every request."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def write(self, text) -> int:
        text = str(text)
        for line in text.splitlines():
            line = line.strip()
            if line:
                self.logger.log(logging.DEBUG if BENIGN.search(line) else logging.WARNING, "%s", line)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass


def init_app(app, logger_name: str = "eventlet.websocket") -> None:
    """Give every request (Socket.IO's websockets included) the stream. Call after
    socketio.init_app, which wraps wsgi_app itself."""
    stream = ErrorLines(logging.getLogger(logger_name))
    inner = app.wsgi_app

    def wsgi_app(environ, start_response):
        environ["wsgi.errors"] = stream
        return inner(environ, start_response)

    app.wsgi_app = wsgi_app
