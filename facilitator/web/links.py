"""The meeting's links, for the chair: listed with a QR code each, and re-issued.

A re-issued key is refused from then on: every HTTP request and socket connect reads the keys
from the store. Connections opened with the old key are closed here: at once in the process that
re-issued it (Hub.on_keys_changed), and by every process sharing the meeting through Redis at its
next heartbeat (cluster.py, every 0.5 s), since each process holds only its own connections.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request

from ..meeting import roles
from ..meeting.errors import OpError
from ..store import StoreUnavailable
from .api import authorised, op_error
from .pages import qr_data_uri

bp = Blueprint("links", __name__, url_prefix="/api")
bp.register_error_handler(OpError, op_error)  # refusals answered as every /api route answers them
log = logging.getLogger("facilitator.links")


def origin() -> str:
    """The origin the request came in by (the public one behind trusted proxies, see proxy.py)."""
    return request.host_url.rstrip("/")


@bp.route("/m/<meeting_id>/links")
def links(meeting_id):
    """Every link the chair hands out and may re-issue, with its QR code."""
    actor = authorised(meeting_id)
    if actor.role != roles.CHAIR:
        raise OpError("forbidden", "Only the chair sees the meeting's links.")
    meeting_secrets = current_app.extensions["facilitator"].store.secrets(meeting_id) or {}
    base = origin()
    listed = []
    for role, group_id, key in roles.link_keys(meeting_secrets):
        url = base + roles.link_path(meeting_id, role, key)
        listed.append({"role": role, "group_id": group_id, "url": url, "qr": qr_data_uri(url)})
    response = jsonify({"links": listed})
    response.headers["Cache-Control"] = "no-store"
    return response


def close_revoked(server, connections: dict, store, meeting_ids=None) -> int:
    """Close this process's connections whose staff key is no longer in their meeting's secrets
    (of `meeting_ids`, or of every meeting); returns how many. Participants' keys are never
    re-issued: their connections are not looked at."""
    by_meeting: dict[str, list] = {}
    for sid, connection in list(connections.items()):
        if connection.actor.role == roles.PARTICIPANT:
            continue
        if meeting_ids is None or connection.meeting_id in meeting_ids:
            by_meeting.setdefault(connection.meeting_id, []).append((sid, connection))
    closed = 0
    for meeting_id, held in by_meeting.items():
        try:
            meeting_secrets = store.secrets(meeting_id)
        except StoreUnavailable:
            continue  # the next beat looks again
        valid = roles.staff_key_ids(meeting_id, meeting_secrets or {})
        for sid, connection in held:
            if connection.key_id not in valid:
                close(server, sid)
                closed += 1
                log.info("closed a connection of meeting %s: its %s key was re-issued",
                         meeting_id, connection.actor.role)
    return closed


def close(server, sid: str) -> None:
    """Close the transport itself, not only the Socket.IO session: the page's client then tries
    to reconnect, is refused, and says its link is no longer valid."""
    eio_sid = server.manager.eio_sid_from_sid(sid, "/")
    if eio_sid is not None:
        server.eio.disconnect(eio_sid)


def attach(app, hub, cluster, socketio) -> None:
    """Close old keys' connections after a re-issue here, and on each heartbeat with Redis."""
    connections = app.extensions["facilitator.connections"]

    def sweep(meeting_ids=None) -> None:
        close_revoked(socketio.server, connections, hub.store, meeting_ids)

    hub.on_keys_changed.append(lambda meeting_id: sweep({meeting_id}))
    if cluster:
        cluster.on_beat.append(lambda _owned: sweep())
