"""Ops: check a command against the state and the sender's role, decide the one event it yields.

One module per area registers its handlers into `HANDLERS` (common.py); this package decides.
Each handler takes (state, actor, op, now) and returns the event (without `seq`), or raises
OpError. Handlers never change the state: the caller appends the event and folds it in.
"""

from __future__ import annotations

from .. import roles
from ..errors import OpError
from ..ids import LANG_PATTERN  # noqa: F401  (archive.py checks imported logs against it)
from ..state import MeetingState
# Importing each area registers its ops.
from . import ballots, contributions, curation, desk, links, outcome, session  # noqa: F401
from .common import (HANDLERS, MAX_TEXT, MAX_TIMER, MAX_TITLE, OP_ID_MAX,  # noqa: F401
                     clean_text, guess_lang, meeting_language, op)
from .meetings import check_joining, meeting_created, participant_joined  # noqa: F401


def decide(state: MeetingState, actor: roles.Actor, message, now: float) -> dict:
    """Validate one op and return the event it produces."""
    if not isinstance(message, dict):
        raise OpError("invalid", "An op must be a JSON object.")
    op_type = message.get("type")
    if not isinstance(op_type, str) or op_type not in HANDLERS:
        raise OpError("invalid", f"Unknown op type: {str(op_type)[:60]!r}.")
    handler, allowed = HANDLERS[op_type]
    if actor.role not in allowed:
        raise OpError("forbidden", f"The {actor.role} role may not send {op_type}.")
    event = handler(state, actor, message, now)
    ballots.mark_ballot_texts(state, event)
    event.setdefault("ts", now)
    event["by"] = actor.as_author()
    return event


def check_op_id(message) -> str:
    if not isinstance(message, dict):
        raise OpError("invalid", "An op must be a JSON object.")
    op_id = message.get("op_id")
    if not isinstance(op_id, str) or not 1 <= len(op_id) <= OP_ID_MAX:
        raise OpError("invalid", f"op_id must be a string of 1 to {OP_ID_MAX} characters.")
    return op_id
