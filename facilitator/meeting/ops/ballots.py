"""Ballots the chair opens, closes and reveals, and the participants' votes."""

from __future__ import annotations

from .. import roles, voting
from ..errors import OpError
from ..state import MeetingState
from .common import MAX_TITLE, choice, clean_text, field, op


MAX_BALLOT_ITEMS = 50
MAX_DOTS = 100


@op("ballot.open", roles.CHAIR)
def open_ballot(state, actor, message, now):
    ids = field(message, "contribution_ids", list)
    if not ids or len(ids) > MAX_BALLOT_ITEMS:
        raise OpError("invalid", f"A ballot holds 1 to {MAX_BALLOT_ITEMS} practices.")
    if not all(isinstance(cid, str) for cid in ids) or len(set(ids)) != len(ids):
        raise OpError("invalid", "contribution_ids must be distinct strings.")
    items = []
    for cid in ids:
        c = state.contributions.get(cid)
        if c is None or c["deleted"]:
            raise OpError("not_found", f"No such contribution: {cid[:40]}.")
        # The phones see the practice as it was typed, with its group: a snapshot for the ballot.
        items.append({"contribution_id": cid, "text": c["text"], "lang": c["lang"],
                      "group_id": c["group_id"], "kind": c["kind"]})
    mode = choice(message, "mode", voting.MODES, required=False) or "yes_no"
    dots = None
    if mode == "dots":
        dots = field(message, "dots", int, required=False)
        if dots is None:  # absent: the default; 0 is a value, and out of range
            dots = 5
        if not 1 <= dots <= MAX_DOTS:
            raise OpError("invalid", f"dots must be between 1 and {MAX_DOTS}.")
    prompt = message.get("prompt")
    if prompt not in (None, ""):
        prompt = clean_text(prompt, "prompt", MAX_TITLE * 2)
    ballot_id = "b" + str(len(state.ballots) + 1)
    ballot = {"id": ballot_id, "mode": mode, "contribution_ids": list(ids), "items": items,
              "prompt": prompt or None, "dots": dots, "status": "open", "revealed": False,
              "opened_at": now}
    return {"type": "ballot.opened", "ballot": ballot}


def find_ballot(state: MeetingState, message: dict) -> dict:
    ballot = state.ballots.get(field(message, "ballot_id", str))
    if ballot is None:
        raise OpError("not_found", "No such ballot.")
    return ballot


@op("ballot.close", roles.CHAIR)
def close_ballot(state, actor, message, now):
    ballot = find_ballot(state, message)
    if ballot["status"] == "closed":
        raise OpError("closed", "This ballot is already closed.")
    return {"type": "ballot.closed", "ballot_id": ballot["id"]}


@op("ballot.reveal", roles.CHAIR)
def reveal_ballot(state, actor, message, now):
    ballot = find_ballot(state, message)
    revealed = field(message, "revealed", bool, required=False)
    return {"type": "ballot.revealed", "ballot_id": ballot["id"],
            "revealed": True if revealed is None else revealed}


@op("vote.cast", roles.PARTICIPANT)
def cast_vote(state, actor, message, now):
    ballot = find_ballot(state, message)
    contribution_id = field(message, "contribution_id", str)
    if ballot["mode"] == "dots":
        value = message.get("dots")
        if "dots" not in message:
            raise OpError("invalid", "Missing field: dots.")
    else:
        value = field(message, "choice", str)
    mine = state.votes.get(ballot["id"], {}).get(actor.participant_id, {})
    code = voting.validate_vote(ballot, mine, contribution_id, value)
    if code is not None:
        messages = {
            "closed": "This ballot is closed.",
            "not_found": "This practice is not on the ballot.",
            "too_many_dots": f"That would spend more than your {ballot.get('dots')} dots.",
            "invalid": "Choose yes, no or unsure." if ballot["mode"] != "dots" else "dots must be a whole number.",
        }
        raise OpError(code, messages.get(code, "This vote cannot be counted."))
    # The voter's pseudonym stays in the log so that a re-vote replaces; it never leaves the server.
    return {"type": "vote.cast", "ballot_id": ballot["id"], "contribution_id": contribution_id,
            "value": value, "participant_id": actor.participant_id}
