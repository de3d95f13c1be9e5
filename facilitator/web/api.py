"""JSON endpoints. Same keys, same roles, same view of the meeting as the socket protocol."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from .. import socketio
from ..meeting import roles, voting
from ..meeting.errors import OpError
from ..store import StoreUnavailable
from .keys import (COOKIE_MAX_AGE, cookie_name, give_device, request_actor, request_device,
                   request_key_and_actor)
from .wire import Refused

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger("facilitator.wire")

HTTP_STATUS = {"unauthorized": 401, "forbidden": 403, "not_found": 404, "invalid": 400,
               "too_long": 400, "rate_limited": 429, "conflict": 409, "locked": 423, "closed": 409,
               "unavailable": 503, "too_large": 413, "too_deep": 400}

# Joining: a full meeting is a state of the meeting, not bad input.
HTTP_STATUS["meeting_full"] = 409


def _hub():
    return current_app.extensions["facilitator"]


def error_response(code: str, message: str):
    return jsonify({"ok": False, "error": {"code": code, "message": message}}), HTTP_STATUS.get(code, 400)


def authorised(meeting_id: str):
    return authorised_key(meeting_id)[1]


def authorised_key(meeting_id: str):
    """(the request's key, its actor), or OpError."""
    if not _hub().exists(meeting_id):
        raise OpError("not_found", "No such meeting.")
    key, actor = request_key_and_actor(meeting_id)
    if actor is None:
        raise OpError("unauthorized", "A valid key is needed.")
    return key, actor


@bp.errorhandler(OpError)
def op_error(error: OpError):
    response = jsonify(error.as_ack())
    if "retry_after" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after"])
    return response, HTTP_STATUS.get(error.code, 400)


def _address() -> str:
    """The client's address: the socket's peer, or what the trusted proxies say it was (proxy.py
    has already put that in remote_addr)."""
    return request.remote_addr or ""


@contextmanager
def _code_attempt():
    """A join-code check: slowed while this device or address is past its budget of failures
    (meeting/joining.py); a wrong code or meeting counts for both."""
    guard, address, device = current_app.extensions["facilitator.join_guard"], _address(), request_device()
    wait = guard.admit(address, device)
    if wait > 0:
        socketio.sleep(wait)  # its turn: the check waits, the green thread only
    try:
        yield
    except OpError as error:
        if error.code in ("unauthorized", "not_found"):
            guard.failed(address, device)
        raise


def register_error_handlers(app) -> None:
    """Refusals of any route: a stable code and one log line, never a traceback."""

    @app.errorhandler(Refused)
    def refused(error: Refused):
        log.warning("refused a request to %s: %s", request.path[:100], error.code)
        return error_response(error.code, error.message)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error):
        log.warning("refused a request to %s: too_large (%s bytes)", request.path[:100],
                    request.content_length)
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return error_response("too_large", f"A request body may be {limit} bytes at most.")

    @app.errorhandler(StoreUnavailable)
    def unavailable(_error):
        # the outage itself is logged once by the store guard
        return error_response("unavailable", "The meeting's store is not answering; retry.")


@bp.route("/m/<meeting_id>/state")
def state(meeting_id):
    key, actor = authorised_key(meeting_id)
    # the key's id: what this reader read is kept for its translation.set (docs/protocol.md)
    view = _hub().view(meeting_id, actor, roles.key_id(meeting_id, key))
    if actor.role in (roles.TRANSLATOR, roles.CHAIR):
        # how the machine drafts are doing, in this process (docs/protocol.md)
        view["machine_translation"] = current_app.extensions["facilitator.drafts"].status()
    response = jsonify(view)
    response.headers["Cache-Control"] = "no-store"
    return response


def _live():
    return current_app.extensions["facilitator.live"]


def _allowed(meeting_id: str, allowed: tuple, who: str):
    actor = authorised(meeting_id)
    if actor.role not in allowed:
        raise OpError("forbidden", f"Only {who} see this.")
    return actor


@bp.route("/m/<meeting_id>/synthesis")
def synthesis(meeting_id):
    _allowed(meeting_id, (roles.CHAIR, roles.PLENARY, roles.CURATOR), "the chair, the plenary and the curators")
    question = request.args.get("question")
    if question:
        result = _live().synthesis(meeting_id)
        return jsonify(dict(result, questions=[q for q in result["questions"] if q["question_id"] == question]))
    # the whole synthesis of a large meeting is megabytes: encoded (and gzipped) once per
    # result, not per request
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    response = current_app.response_class(_live().synthesis_body(meeting_id, gzipped),
                                          mimetype="application/json")
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
    return response


MAX_SUGGESTIONS = 200


@bp.route("/m/<meeting_id>/suggestions")
def suggestions(meeting_id):
    """The pairs of one question worth a person's decision next, best first (docs/protocol.md)."""
    _allowed(meeting_id, (roles.CHAIR, roles.CURATOR), "the chair and the curators")
    question_id = request.args.get("question")
    if not question_id:
        raise OpError("invalid", "Name the question: ?question=<question id>.")
    limit = request.args.get("limit", "20")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_SUGGESTIONS:
        raise OpError("invalid", f"limit must be a whole number from 1 to {MAX_SUGGESTIONS}.")
    if question_id not in _hub().state(meeting_id).questions:
        raise OpError("not_found", "No such question.")
    response = jsonify(_live().suggestions(meeting_id, question_id, int(limit)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/m/<meeting_id>/ballots/<ballot_id>")
def ballot(meeting_id, ballot_id):
    actor = authorised(meeting_id)
    state = _hub().state(meeting_id)
    found = state.ballots.get(ballot_id)
    if found is None:
        raise OpError("not_found", "No such ballot.")
    if actor.role != roles.CHAIR and not found.get("revealed"):
        raise OpError("forbidden", "The chair has not revealed these results yet.")
    if actor.role in (roles.RAPPORTEUR, roles.TRANSLATOR):
        raise OpError("forbidden", "Rapporteurs and translators do not see vote results here.")
    return jsonify(voting.ballot_results(state, ballot_id))


@bp.route("/join/<code>")
def find_meeting(code):
    """The join page turns a typed code into a meeting: its title, regions and languages."""
    hub = _hub()
    with _code_attempt():
        meeting_id = hub.store.meeting_for_join_code(roles.normalise_join_code(code))
        if meeting_id is None:
            raise OpError("not_found", "No meeting has this code. Check it on the screen.")
    meeting = hub.state(meeting_id).meeting
    response = jsonify({
        "meeting_id": meeting_id,
        "title": meeting["title"],
        "languages": meeting["languages"],
        "regions": meeting.get("regions", []),
    })
    give_device(response)
    return response


@bp.route("/m/<meeting_id>/participants", methods=["POST"])
def join(meeting_id):
    """A participant joins with the code: returns its key and sets it as the vote page cookie.

    A browser that already joined this meeting gets its own key back (its vote cookie), so
    joining twice never makes a second voter.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise OpError("invalid", "Send a JSON object: {code, region, lang}.")
    known = request.cookies.get(cookie_name(meeting_id, "vote"))
    with _code_attempt():
        key = _hub().join(meeting_id, body.get("code"), body.get("region"), body.get("lang"),
                          known_key=known, limit=current_app.config["MAX_PARTICIPANTS"])
    response = jsonify({"ok": True, "key": key, "vote_url": f"/m/{meeting_id}/vote",
                        "rejoined": key == known})
    response.set_cookie(cookie_name(meeting_id, "vote"), key, max_age=COOKIE_MAX_AGE,
                        httponly=True, samesite="Lax", path="/", secure=request.is_secure)
    give_device(response)
    return response
