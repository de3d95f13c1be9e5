"""Socket.IO: connect, op, sync. Translates between the wire and the hub, nothing more."""

from __future__ import annotations

import time

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, join_room

from .. import socketio
from ..meeting import roles, usertext
from ..meeting.errors import OpError
from .hub import room
from .keys import PAGES, cookie_name

NAME_LIMIT = 60


def _hub():
    return current_app.extensions["facilitator"]


def _display_name(value) -> str | None:
    return usertext.clean_name(value, NAME_LIMIT)


@socketio.on("connect")
def on_connect(auth=None):
    auth = auth if isinstance(auth, dict) else {}
    meeting_id = auth.get("meeting")
    key = auth.get("key")
    page = auth.get("page")
    if not key and isinstance(meeting_id, str) and page in PAGES:
        key = request.cookies.get(cookie_name(meeting_id, page))
    actor = _hub().authenticate(meeting_id, key, _display_name(auth.get("name")))
    if actor is None:
        raise ConnectionRefusedError("unauthorized")
    # The Socket.IO session belongs to this connection only; HTTP routes never see it.
    session["meeting_id"] = meeting_id
    session["actor"] = actor
    session["bucket"] = [float(current_app.config["OP_BURST"]), time.monotonic()]
    join_room(room(meeting_id, actor.audience))
    # Some live views differ between the chair and the projector (unrevealed vote results).
    join_room(room(meeting_id, f"role:{actor.role}"))
    if actor.role == roles.RAPPORTEUR:
        hub = _hub()
        clients = hub.presence.add(meeting_id, actor.audience, request.sid, actor.name or "")
        hub.presence_changed(meeting_id, actor.audience, clients)


@socketio.on("disconnect")
def on_disconnect(*_reason):
    actor = session.get("actor")
    if actor is not None and actor.role == roles.RAPPORTEUR:
        hub = _hub()
        meeting_id = session["meeting_id"]
        clients = hub.presence.remove(meeting_id, actor.audience, request.sid)
        hub.presence_changed(meeting_id, actor.audience, clients)


def _take_token() -> bool:
    """Token bucket per connection (never per IP: a whole venue sits behind one NAT)."""
    rate = current_app.config["OP_RATE"]
    burst = current_app.config["OP_BURST"]
    tokens, last = session["bucket"]
    now = time.monotonic()
    tokens = min(burst, tokens + (now - last) * rate)
    if tokens < 1:
        session["bucket"] = [tokens, now]
        return False
    session["bucket"] = [tokens - 1, now]
    return True


@socketio.on("op")
def on_op(message=None):
    actor = session.get("actor")
    if actor is None:
        return OpError("unauthorized", "Not connected to a meeting.").as_ack()
    if not _take_token():
        return OpError("rate_limited", "Too many ops; slow down and retry.").as_ack()
    return _hub().submit(session["meeting_id"], actor, message)


@socketio.on("sync")
def on_sync(message=None):
    actor = session.get("actor")
    if actor is None:
        return OpError("unauthorized", "Not connected to a meeting.").as_ack()
    if not isinstance(message, dict):
        return OpError("invalid", "sync takes {\"after\": n}.").as_ack()
    return _hub().sync(session["meeting_id"], actor, message.get("after", 0))


@socketio.on_error_default
def on_error(error):
    current_app.logger.exception("socket handler failed: %s", error)
    return {"ok": False, "error": {"code": "invalid", "message": "The server could not handle this message."}}
