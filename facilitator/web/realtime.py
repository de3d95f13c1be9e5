"""Socket.IO: connect, op, sync. Translates between the wire and the hub, nothing more."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room
from socketio import PubSubManager

from .. import socketio
from ..meeting import roles, usertext
from ..meeting.errors import OpError
from ..meeting.limits import TokenBucket
from ..meeting.roles import Actor
from ..store import StoreUnavailable
from . import wire
from .hub import room
from .keys import PAGES, cookie_name

NAME_LIMIT = 60
# The editing signal (docs/protocol.md, "editing"): a board sends one when an editor opens or
# closes; a connection gets 2 a second, 6 in a burst, beyond which it is refused unbroadcast.
EDITING_RATE = 2.0
EDITING_BURST = 6
log = logging.getLogger("facilitator.wire")


def handler_failed() -> dict:
    return {"ok": False, "error": {"code": "invalid",
                                   "message": "The server could not handle this message."}}


@dataclass
class Connection:
    """What a connection authenticated as, kept by sid from connect to disconnect."""

    meeting_id: str
    actor: Actor
    key_id: str
    bucket: TokenBucket
    origin: str = ""  # the origin it came in by: a re-issued link in an ack is made on it
    editing_bucket: TokenBucket | None = None  # rapporteurs only
    editing: str | None = None  # the contribution this connection has open in an editor
    sid: str = ""  # its presence entry's id


def _connections() -> dict:
    return current_app.extensions["facilitator.connections"]


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
    the other processes' members are unknown here, so every emit goes to the queue (which
    carries the payload as JSON of its own: it is not encoded here)."""
    manager = socketio.server.manager
    if isinstance(manager, PubSubManager):
        socketio.emit("event", payload, to=room_name)
        return
    if not manager.rooms.get("/", {}).get(room_name):
        return
    try:
        encoded = _event_json.encode(room_name, payload)
    except TypeError:  # not plain JSON (bytes): python-socketio sends it with attachments
        encoded = payload
    socketio.emit("event", encoded, to=room_name)


class EventJSON:
    """An event's JSON encoded once for all the audiences it goes to.

    The hub emits each event to up to three audiences (staff, translators, the group), each as
    `dict(event, prev=p)`: the same values, then the audience's previous seq as the last key.
    The JSON without `prev` is kept for the next emit of the same event (same meeting, same
    seq, the very same value objects) and each audience's `prev` spliced in: the same bytes as
    encoding each payload whole. Anything else is encoded whole.
    """

    def __init__(self) -> None:
        self._last: tuple | None = None  # (meeting id, payload, its JSON up to the closing brace)

    def encode(self, room_name: str, payload: dict) -> wire.Encoded:
        prev = payload.get("prev")
        if type(prev) is not int or type(payload.get("seq")) is not int \
                or next(reversed(payload)) != "prev":
            return wire.Encoded(wire.dumps(payload))
        meeting_id = room_name.split(":", 2)[1]
        last = self._last  # one read: a miss at worst if another thread replaces it meanwhile
        if last is None or last[0] != meeting_id or not _same_but_prev(last[1], payload):
            head = wire.dumps({k: v for k, v in payload.items() if k != "prev"})[:-1]
            last = self._last = (meeting_id, payload, head)
        return wire.Encoded(f'{last[2]},"prev":{prev}}}')


def _same_but_prev(old: dict, new: dict) -> bool:
    """The same keys in the same order, and the same objects but for `prev`."""
    if len(old) != len(new) or old["seq"] != new["seq"]:
        return False
    return all(k == k2 and (v is v2 or k == "prev")
               for (k, v), (k2, v2) in zip(old.items(), new.items()))


_event_json = EventJSON()


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
    # This connection's own: HTTP routes and other connections never see it.
    bucket = TokenBucket(current_app.config["OP_RATE"], current_app.config["OP_BURST"])
    editing_bucket = TokenBucket(EDITING_RATE, EDITING_BURST) if actor.role == roles.RAPPORTEUR else None
    _connections()[request.sid] = Connection(meeting_id, actor, key_id, bucket,
                                             origin=request.host_url.rstrip("/"),
                                             editing_bucket=editing_bucket, sid=request.sid)
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
    connection = _connections().pop(request.sid, None)
    if connection is None:
        return
    _budgets().close(connection.key_id)
    health = current_app.extensions.get("facilitator.health")
    if health is not None and health.unreachable():
        # Redis is lost (the socket is being handed to another process): a presence call would
        # hold this close for the store's timeout. Other processes clear this one's entries
        # once its heartbeat lapses.
        return
    if connection.actor.role == roles.RAPPORTEUR:
        _presence("remove", connection.meeting_id, connection.actor, request.sid)


# ----- op and sync: on python-socketio itself ------------------------------------------------------
# Flask-SocketIO pushes a Flask request context for every event it dispatches (URL matching, a
# request object, the cookie session opened, teardown): ~15% of an op's CPU for nothing these
# two handlers use. They are python-socketio handlers given the app, without any Flask context:
# nothing under Hub.submit and Hub.sync (the domain, the store, the live views) reads one.


def install(app, server) -> None:
    """Register op and sync on `server`, after Flask-SocketIO has registered its own handlers."""
    connections = app.extensions["facilitator.connections"] = {}
    server.on("op", _handler(app, connections, _op))
    server.on("sync", _handler(app, connections, _sync))
    server.on("editing", _handler(app, connections, _editing))


def _handler(app, connections: dict, handle):
    def on_event(sid, *args):
        try:
            connection = connections.get(sid)
            if connection is None:
                return OpError("unauthorized", "Not connected to a meeting.").as_ack()
            return handle(app, connection, *args)
        except Exception as error:  # what on_error_default answers for the other events
            app.logger.exception("socket handler failed: %s", error)
            return handler_failed()
    return on_event


def _op(app, connection: Connection, message=None):
    # The connection's bucket and its key's, shared by all the key's connections (never per
    # IP: a whole venue sits behind one NAT).
    if not app.extensions["facilitator.budgets"].take(connection.key_id, connection.bucket):
        return OpError("rate_limited", "Too many ops; slow down and retry.").as_ack()
    ack = app.extensions["facilitator"].submit(connection.meeting_id, connection.actor, message,
                                                connection.key_id)
    if "url" in ack:  # link.reissue's: the new link, whole, to the chair alone
        ack = dict(ack, url=connection.origin + ack["url"])
    return ack


def _sync(app, connection: Connection, message=None):
    if not isinstance(message, dict):
        return OpError("invalid", "sync takes {\"after\": n}.").as_ack()
    return app.extensions["facilitator"].sync(connection.meeting_id, connection.actor,
                                               message.get("after", 0), connection.key_id)


def _editing(app, connection: Connection, message=None):
    """A rapporteur opened (or closed: null) an editor on one of its group's contributions. Kept
    in presence and pushed with it; never an op, never in the log."""
    if connection.editing_bucket is None:
        return OpError("forbidden", "Only a board's rapporteurs say what they edit.").as_ack()
    if not isinstance(message, dict):
        return OpError("invalid", "editing takes {\"contribution_id\": id or null}.").as_ack()
    if not connection.editing_bucket.take():
        return OpError("rate_limited", "Too many editing signals; slow down.").as_ack()
    contribution_id = message.get("contribution_id")
    hub = app.extensions["facilitator"]
    try:
        if contribution_id is not None:
            _check_editable(hub, connection, contribution_id)
        if contribution_id != connection.editing:
            connection.editing = contribution_id
            actor = connection.actor
            clients = hub.presence.editing(connection.meeting_id, actor.audience, connection.sid,
                                           actor.name or "", contribution_id)
            hub.presence_changed(connection.meeting_id, actor.audience, clients)
    except OpError as error:
        return error.as_ack()
    except StoreUnavailable:
        return OpError("unavailable", "Presence is not answering; try again.").as_ack()
    return {"ok": True}


def _check_editable(hub, connection: Connection, contribution_id) -> None:
    if not isinstance(contribution_id, str):
        raise OpError("invalid", "contribution_id must be a string or null.")
    contribution = hub.state(connection.meeting_id).contributions.get(contribution_id)
    if contribution is None or contribution["group_id"] != connection.actor.group_id:
        raise OpError("not_found", "No such contribution on this board.")


@socketio.on_error_default
def on_error(error):
    current_app.logger.exception("socket handler failed: %s", error)
    return handler_failed()
