"""Socket.IO: connect, op, sync. Translates between the wire and the hub, nothing more."""

from __future__ import annotations

import logging

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, join_room
from socketio import PubSubManager

from .. import socketio
from ..meeting import roles, usertext
from ..meeting.errors import OpError
from ..meeting.limits import TokenBucket
from ..store import StoreUnavailable
from .hub import room
from .keys import PAGES, cookie_name

NAME_LIMIT = 60
log = logging.getLogger("facilitator.wire")


def _hub():
    return current_app.extensions["facilitator"]


def _budgets():
    return current_app.extensions["facilitator.budgets"]


def _connection_cap(actor) -> int:
    if actor.role == roles.PLENARY:
        return current_app.config["CONNECTIONS_PER_VIEW_KEY"]
    return current_app.config["CONNECTIONS_PER_KEY"]


def _display_name(value) -> str | None:
    return usertext.clean_name(value, NAME_LIMIT)


def emit_to_room(room_name: str, payload: dict) -> None:
    """The hub's emit. Without a message queue every room is this process's own, and an emit to
    a room nobody is in is skipped before python-socketio encodes it: a meeting without
    translators has an empty translators room, a third of each contribution's emits. With Redis
    the other processes' members are unknown here, so every emit goes to the queue."""
    manager = socketio.server.manager
    if not isinstance(manager, PubSubManager) and not manager.rooms.get("/", {}).get(room_name):
        return
    socketio.emit("event", payload, to=room_name)


@socketio.on("connect")
def on_connect(auth=None):
    auth = auth if isinstance(auth, dict) else {}
    meeting_id = auth.get("meeting")
    key = auth.get("key")
    page = auth.get("page")
    if not key and isinstance(meeting_id, str) and page in PAGES:
        key = request.cookies.get(cookie_name(meeting_id, page))
    try:
        actor = _hub().authenticate(meeting_id, key, _display_name(auth.get("name")))
    except StoreUnavailable:
        raise ConnectionRefusedError("unavailable")
    if actor is None:
        raise ConnectionRefusedError("unauthorized")
    key_id = roles.key_id(meeting_id, key)
    if not _budgets().open(key_id, _connection_cap(actor)):
        log.warning("refused a connection of key %s: too_many_connections", key_id)
        raise ConnectionRefusedError("too_many_connections")
    # The Socket.IO session belongs to this connection only; HTTP routes never see it.
    session["meeting_id"] = meeting_id
    session["actor"] = actor
    session["key_id"] = key_id
    session["bucket"] = TokenBucket(current_app.config["OP_RATE"], current_app.config["OP_BURST"])
    join_room(room(meeting_id, actor.audience))
    # Some live views differ between the chair and the projector (unrevealed vote results).
    join_room(room(meeting_id, f"role:{actor.role}"))
    if actor.role == roles.RAPPORTEUR:
        _presence("add", meeting_id, actor, request.sid, actor.name or "")


def _presence(change: str, meeting_id: str, actor, *args) -> None:
    hub = _hub()
    try:
        clients = getattr(hub.presence, change)(meeting_id, actor.audience, *args)
        hub.presence_changed(meeting_id, actor.audience, clients)
    except StoreUnavailable:
        pass  # who is at the board is a courtesy; an outage (logged once) must not refuse anyone


@socketio.on("disconnect")
def on_disconnect(*_reason):
    actor = session.get("actor")
    if actor is None:
        return
    _budgets().close(session["key_id"])
    if actor.role == roles.RAPPORTEUR:
        _presence("remove", session["meeting_id"], actor, request.sid)


@socketio.on("op")
def on_op(message=None):
    actor = session.get("actor")
    if actor is None:
        return OpError("unauthorized", "Not connected to a meeting.").as_ack()
    # The connection's bucket and its key's, shared by all the key's connections (never per
    # IP: a whole venue sits behind one NAT).
    if not _budgets().take(session["key_id"], session["bucket"]):
        return OpError("rate_limited", "Too many ops; slow down and retry.").as_ack()
    return _hub().submit(session["meeting_id"], actor, message, session["key_id"])


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
