"""JSON endpoints. Same keys, same roles, same view of the meeting as the socket protocol."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..meeting.errors import OpError
from .keys import request_actor

bp = Blueprint("api", __name__, url_prefix="/api")

HTTP_STATUS = {"unauthorized": 401, "forbidden": 403, "not_found": 404, "invalid": 400,
               "too_long": 400, "rate_limited": 429, "conflict": 409, "locked": 423, "closed": 409}


def _hub():
    return current_app.extensions["facilitator"]


def error_response(code: str, message: str):
    return jsonify({"ok": False, "error": {"code": code, "message": message}}), HTTP_STATUS.get(code, 400)


def authorised(meeting_id: str):
    if not _hub().exists(meeting_id):
        raise OpError("not_found", "No such meeting.")
    actor = request_actor(meeting_id)
    if actor is None:
        raise OpError("unauthorized", "A valid key is needed.")
    return actor


@bp.errorhandler(OpError)
def op_error(error: OpError):
    return error_response(error.code, error.message)


@bp.route("/m/<meeting_id>/state")
def state(meeting_id):
    actor = authorised(meeting_id)
    response = jsonify(_hub().view(meeting_id, actor))
    response.headers["Cache-Control"] = "no-store"
    return response
