"""The outcome: what the chair forwards to the co-facilitators, its wording and order."""

from __future__ import annotations

from .. import roles
from ..errors import OpError
from ..ids import is_lang_code
from ..state import MeetingState
from .common import check_seen, clean_text, field, find_contribution, guess_lang, op
from .curation import check_cluster, shown_cluster, shown_contribution


def outcome_ref(state: MeetingState, message: dict, live: bool = False) -> str:
    """The item an outcome op names. ``live``: forwarding it, or wording it, must mean something
    (no deleted contribution, no point left empty); unmarking or clearing may name anything."""
    contribution_id = message.get("contribution_id")
    cluster_id = message.get("cluster_id")
    if (contribution_id is None) == (cluster_id is None):
        raise OpError("invalid", "Name one contribution_id or one cluster_id.")
    if cluster_id is not None:
        (shown_cluster if live else check_cluster)(state, cluster_id)
        return f"cluster:{cluster_id}"
    (shown_contribution if live else find_contribution)(state, message)
    return f"contribution:{contribution_id}"


@op("outcome.mark", roles.CHAIR)
def mark_outcome(state, actor, message, now):
    marked = field(message, "marked", bool, required=False)
    marked = True if marked is None else marked
    ref = outcome_ref(state, message, live=marked)
    return {"type": "outcome.marked", "ref": ref, "marked": marked}


@op("outcome.wording", roles.CHAIR)
def word_outcome(state, actor, message, now):
    text = message.get("text")
    ref = outcome_ref(state, message, live=text not in (None, ""))
    if text not in (None, ""):
        text = clean_text(text)
    lang = field(message, "lang", str, required=False)
    if lang is not None and not is_lang_code(lang):
        raise OpError("invalid", "lang must be a language code.")
    if text and lang is None:
        lang = guess_lang(text, state.meeting.get("default_language", "en"))
    check_seen(message, state.outcome["versions"].get(ref, 0), "This wording was changed by someone else.",
               dict(state.outcome["wording"].get(ref) or {"text": None, "lang": None}))
    return {"type": "outcome.wording", "ref": ref, "text": text or None, "lang": lang}


@op("outcome.order", roles.CHAIR)
def order_outcome(state, actor, message, now):
    order = field(message, "order", list)
    if not all(isinstance(item, str) for item in order):
        raise OpError("invalid", "order must be a list of item ids (strings).")
    marked = state.outcome["order"]
    if sorted(order) != sorted(marked) or len(set(order)) != len(order):
        raise OpError("invalid", "order must list every forwarded item exactly once.")
    return {"type": "outcome.ordered", "order": list(order)}
