"""Ballots the chair opens, closes and reveals, and the participants' votes."""

from __future__ import annotations

from .. import roles, voting
from ..errors import OpError
from ..state import MeetingState
from .common import MAX_TITLE, choice, clean_text, field, op


MAX_BALLOT_ITEMS = 50
MAX_DOTS = 100


def _ids(message: dict, name: str) -> list[str]:
    ids = field(message, name, list, required=False) or []
    if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        raise OpError("invalid", f"{name} must be distinct strings.")
    return ids


def contribution_item(state: MeetingState, cid: str) -> dict:
    c = state.contributions.get(cid)
    if c is None or c["deleted"]:
        raise OpError("not_found", f"No such contribution: {cid[:40]}.")
    # The phones see the practice as it was typed, with its group: a snapshot for the ballot.
    return {"contribution_id": cid, "text": c["text"], "lang": c["lang"],
            "group_id": c["group_id"], "kind": c["kind"]}


def point_item(state: MeetingState, point_id: str) -> dict:
    """A converging point a person made (state.curation["points"]) as the phones see it: its
    titles, worded otherwise by its earliest live member, and the groups that raised it."""
    point = (state.curation.get("points") or {}).get(point_id)
    if point is None:
        raise OpError("not_found", f"No such point: {point_id[:40]}. Confirm a suggested point first.")
    members = [state.contributions[cid] for cid in point.get("members") or ()
               if cid in state.contributions and not state.contributions[cid]["deleted"]]
    if not members:
        raise OpError("invalid", "This point has no contribution left in it.")
    central = members[0]
    return {"point_id": point_id, "question_id": point.get("question_id"),
            "title": point.get("title"), "titles": dict(point.get("titles") or {}),
            "members": [c["id"] for c in members],
            "group_ids": list(dict.fromkeys(c["group_id"] for c in members)),
            "central": central["id"], "text": central["text"], "lang": central["lang"]}


def ballot_prompt(state: MeetingState, message: dict, mode: str):
    """The question put to the vote: a text, or {lang: text} in the meeting's languages; without
    one, on a yes/no ballot, the agenda's default prompt (``ballot_prompt``) when it has one (a dots
    ballot asks no yes/no question: each phone says how to spend the dots)."""
    prompt = message.get("prompt")
    if prompt in (None, "", {}):
        default = state.meeting.get("ballot_prompt") if mode == "yes_no" else None
        return dict(default) if default else None
    if not isinstance(prompt, dict):
        return clean_text(prompt, "prompt", MAX_TITLE * 2)
    languages = state.meeting.get("languages", [])
    if any(lang not in languages for lang in prompt):
        raise OpError("invalid", f"prompt's languages must be the meeting's: {', '.join(languages)}.")
    return {lang: clean_text(text, f"prompt.{lang}", MAX_TITLE * 2) for lang, text in prompt.items()}


@op("ballot.open", roles.CHAIR)
def open_ballot(state, actor, message, now):
    contribution_ids = _ids(message, "contribution_ids")
    point_ids = _ids(message, "point_ids")
    ids = point_ids + contribution_ids
    if not ids or len(ids) > MAX_BALLOT_ITEMS or len(set(ids)) != len(ids):
        raise OpError("invalid", f"A ballot holds 1 to {MAX_BALLOT_ITEMS} distinct practices or points.")
    items = [point_item(state, pid) for pid in point_ids]
    items += [contribution_item(state, cid) for cid in contribution_ids]
    mode = choice(message, "mode", voting.MODES, required=False) or "yes_no"
    dots = None
    if mode == "dots":
        dots = field(message, "dots", int, required=False)
        if dots is None:  # absent: the default; 0 is a value, and out of range
            dots = 5
        if not 1 <= dots <= MAX_DOTS:
            raise OpError("invalid", f"dots must be between 1 and {MAX_DOTS}.")
    ballot_id = "b" + str(len(state.ballots) + 1)
    ballot = {"id": ballot_id, "mode": mode, "contribution_ids": contribution_ids, "items": items,
              "prompt": ballot_prompt(state, message, mode), "dots": dots, "status": "open", "revealed": False,
              "opened_at": now}
    if point_ids:  # older ballots have neither key: their items are their contribution_ids
        ballot.update(point_ids=point_ids, item_ids=ids)
    return {"type": "ballot.opened", "ballot": ballot}


def mark_ballot_texts(state: MeetingState, event: dict) -> None:
    """A translation (or a point's title) of a text the phones show on an open ballot names those
    ballots (``ballot_ids``), so that it reaches the participants, in the log and on replay alike."""
    if event["type"] not in ("translation.set", "cluster.titled"):
        return
    shown = voting.open_ballots_showing(state, contribution_id=event.get("contribution_id"),
                                        point_id=event.get("cluster_id"))
    if shown:
        event["ballot_ids"] = shown


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
    key = "point_id" if message.get("point_id") is not None else "contribution_id"
    contribution_id = field(message, key, str)
    if contribution_id in voting.item_ids(ballot) and voting.item_key(ballot, contribution_id) != key:
        raise OpError("not_found", "This practice is not on the ballot.")
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
    return {"type": "vote.cast", "ballot_id": ballot["id"], key: contribution_id,
            "value": value, "participant_id": actor.participant_id}
