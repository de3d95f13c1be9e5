"""eventlet's websocket errors reach the log one line each (issue 19 #8): "socket shutdown error:
[Errno 9] Bad file descriptor" ran on without line breaks. The stream is the app's own
``wsgi.errors``; the websocket here is eventlet's real one over a real socket pair, closed twice
as engine.io's writer closes it after eventlet did."""

from __future__ import annotations

import logging

import pytest
from werkzeug.test import EnvironBuilder

from facilitator.web.wsgi_errors import ErrorLines


@pytest.fixture
def app(tmp_path):
    from facilitator import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "REDIS_URL": None,
                       "ASYNC_MODE": "threading", "SYNTHESIS_ENGINE": "lexical"})


def environ_of(app) -> dict:
    """A request's environ as the app hands it on (the same dict, changed on the way in)."""
    environ = EnvironBuilder(path="/healthz").get_environ()
    environ.update(REMOTE_ADDR="192.0.2.7", REMOTE_PORT="50000")
    list(app.wsgi_app(environ, lambda *a, **k: None))
    return environ


@pytest.mark.filterwarnings(r"ignore:\s*Eventlet is deprecated")
def test_a_second_close_of_a_websocket_logs_one_quiet_line_each(app, caplog):
    from eventlet.green import socket
    from eventlet.websocket import RFC6455WebSocket

    environ = environ_of(app)
    assert isinstance(environ["wsgi.errors"], ErrorLines)
    ours, theirs = socket.socketpair()
    ws = RFC6455WebSocket(ours, environ, version=13)
    caplog.set_level(logging.DEBUG, logger="eventlet.websocket")
    ws.close()  # eventlet's own close
    for _ in range(3):
        ws.close()  # engine.io's writer, once per websocket that ended this way
    theirs.close()
    records = [r for r in caplog.records if r.name == "eventlet.websocket"]
    assert len(records) == 3
    for record in records:
        assert record.levelno == logging.DEBUG
        message = record.getMessage()
        assert message.count("socket shutdown error") == 1 and "\n" not in message
        assert "[Errno 9]" in message and "client=192.0.2.7:50000" in message


def test_other_errors_stay_warnings_one_record_a_line(caplog):
    stream = ErrorLines(logging.getLogger("eventlet.websocket"))
    caplog.set_level(logging.DEBUG, logger="eventlet.websocket")
    stream.write("server=x client=y socket shutdown error: [Errno 32] Broken pipe")
    stream.write("first line\nsecond line\n\n")
    stream.writelines(["third"])
    stream.flush()
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "server=x client=y socket shutdown error: [Errno 32] Broken pipe"),
        (logging.WARNING, "first line"), (logging.WARNING, "second line"), (logging.WARNING, "third")]
