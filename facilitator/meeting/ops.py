"""Ops: check a command against the state and the sender's role, decide the one event it yields.

Each handler takes (state, actor, op, now) and returns the event (without `seq`), or raises
OpError. Handlers never change the state: the caller appends the event and folds it in.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from . import joining
from . import roles
from . import usertext
from . import voting
from .errors import OpError
from .ids import LANG_PATTERN  # noqa: F401  (archive.py checks imported logs against it)
from .ids import QUESTION_CLUSTER, cluster_anchor, is_lang_code, order_key
from .state import AGREEMENTS, KINDS, MeetingState
from .text import is_arabic_script

MAX_TEXT = 2000  # characters of one contribution, after trimming
MAX_TITLE = 200
MAX_TIMER = 6 * 3600
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
OP_ID_MAX = 100
# NFC can compose two characters into one (e + combining accent), so the length cap before any
# work allows twice the limit; past it nothing is read at all.
RAW_FACTOR = 2
# Unicode's Stream-Safe Text Format (UAX #15) bounds runs of combining marks at 30: longer runs
# make NFC's canonical reordering quadratic (150,000 marks froze the loop for 15 s).
MAX_COMBINING_RUN = 30

HANDLERS: dict = {}


def op(name: str, *allowed_roles: str):
    def register(fn):
        HANDLERS[name] = (fn, set(allowed_roles))
        return fn

    return register


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


# ----- field helpers --------------------------------------------------------------------------


def _field(message: dict, name: str, kind, required: bool = True):
    value = message.get(name)
    if value is None:
        if required:
            raise OpError("invalid", f"Missing field: {name}.")
        return None
    # bool is an int in Python; a flag is never a number and a number never a flag
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise OpError("invalid", f"{name} must be an integer.")
    if kind is not int and not isinstance(value, kind):
        raise OpError("invalid", f"{name} must be of type {kind.__name__}.")
    return value


def clean_text(value, name: str = "text", limit: int = MAX_TEXT) -> str:
    """Trim, normalise to NFC and drop control characters other than line breaks and tabs."""
    if not isinstance(value, str):
        raise OpError("invalid", f"{name} must be a string.")
    # Sizes first: no normalisation of a text that cannot be accepted.
    if len(value) > limit * RAW_FACTOR:
        raise OpError("too_long", f"{name} is {len(value)} characters; the limit is {limit}.")
    _check_combining_runs(value, name)
    value = unicodedata.normalize("NFC", value)
    value = "".join(
        ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if not value:
        raise OpError("invalid", f"{name} must not be empty.")
    if not usertext.has_visible(value):
        # Zero-width spaces or marks alone: a blank item nobody can read or click.
        raise OpError("invalid", f"{name} has no visible character.")
    if len(value) > limit:
        raise OpError("too_long", f"{name} is {len(value)} characters; the limit is {limit}.")
    return value


def _check_combining_runs(value: str, name: str) -> None:
    run = 0
    for ch in value:
        run = run + 1 if unicodedata.combining(ch) else 0
        if run > MAX_COMBINING_RUN:
            raise OpError(
                "invalid", f"{name} has more than {MAX_COMBINING_RUN} combining marks in a row."
            )


def _choice(message: dict, name: str, allowed, required: bool = True):
    value = _field(message, name, str, required)
    if value is not None and value not in allowed:
        raise OpError("invalid", f"{name} must be one of: {', '.join(allowed)}.")
    return value


def _lang(message: dict, text: str, actor_default: str) -> str:
    value = _field(message, "lang", str, required=False)
    if value is None:
        return guess_lang(text, actor_default)
    if not is_lang_code(value):
        raise OpError("invalid", "lang must be a language code such as ar, en, fr or es.")
    return value


def guess_lang(text: str, default: str) -> str:
    if is_arabic_script(text):
        return "ar"
    return default if default != "ar" else "en"


def _contribution(state: MeetingState, message: dict) -> dict:
    cid = _field(message, "contribution_id", str)
    contribution = state.contributions.get(cid)
    if contribution is None:
        raise OpError("not_found", "No such contribution.")
    return contribution


def _check_board(state: MeetingState, actor: roles.Actor, group_id: str) -> None:
    """A rapporteur writes on its own group's board only, and only while it is open."""
    if actor.role == roles.CHAIR:
        return
    if actor.group_id != group_id:
        raise OpError("forbidden", "This is another group's board.")
    if state.locks.get("all") or state.locks.get(group_id):
        raise OpError("locked", "The board is locked by the chair.")


def _check_question_for_group(state: MeetingState, question_id, group_id: str) -> dict:
    if not isinstance(question_id, str):
        raise OpError("invalid", "question_id must be a string.")
    question = state.questions.get(question_id)
    if question is None:
        raise OpError("not_found", "No such question.")
    if group_id not in state.session_groups(question["session_id"]):
        raise OpError("forbidden", "This group does not take part in that question's session.")
    return question


def _index(message: dict, length: int) -> int:
    index = _field(message, "index", int, required=False)
    if index is None:
        return length
    if index < 0:
        raise OpError("invalid", "index must not be negative.")
    return min(index, length)


def _check_version(message: dict, contribution: dict, required: bool) -> None:
    version = _field(message, "version", int, required=required)
    if version is not None and version != contribution["version"]:
        raise OpError(
            "conflict",
            "This contribution was changed by someone else.",
            current=dict(contribution),
        )


def _on_board(state: MeetingState, actor: roles.Actor, message: dict, version_required: bool = False,
              deleted: bool = False, refusal: str = "This contribution was deleted.") -> dict:
    """The contribution an op names: on a board the sender may write, at the version the sender
    saw (when the op gives one), deleted or not as the op needs (else ``refusal``)."""
    current = _contribution(state, message)
    _check_board(state, actor, current["group_id"])
    _check_version(message, current, required=version_required)
    if bool(current["deleted"]) != deleted:
        raise OpError("conflict", refusal, current=dict(current))
    return current


def _changed(contribution: dict, event_type: str, order: list[str], now: float, **extra) -> dict:
    event = {"type": event_type, "contribution": contribution, "order": order}
    event.update(extra)
    contribution["updated_at"] = now
    return event


# ----- contributions --------------------------------------------------------------------------


@op("contribution.add", roles.RAPPORTEUR, roles.CHAIR)
def add_contribution(state, actor, message, now):
    question_id = message.get("question_id")
    if actor.role == roles.CHAIR:
        group_id = _field(message, "group_id", str, required=False)
        if group_id is None:
            question = state.questions.get(question_id) if isinstance(question_id, str) else None
            group_id = "plenary" if question and state.sessions[question["session_id"]]["plenary"] else None
            if group_id is None:
                raise OpError("invalid", "The chair must name the group_id of the board.")
    else:
        group_id = actor.group_id
    _check_board(state, actor, group_id)
    question = _check_question_for_group(state, question_id, group_id)
    text = clean_text(message.get("text"))
    kind = _choice(message, "kind", KINDS)
    agreement = _choice(message, "agreement", AGREEMENTS)
    lang = _lang(message, text, state.meeting.get("default_language", "en"))
    cid = _field(message, "id", str, required=False)
    if cid is None:
        cid = secrets.token_urlsafe(12)
    elif not ID_PATTERN.match(cid):
        raise OpError("invalid", "id must be 8 to 40 letters, digits, - or _.")
    elif cid in state.contributions:
        raise OpError("invalid", "A contribution with this id already exists.")
    key = order_key(group_id, question_id)
    order = list(state.order.get(key, []))
    order.insert(_index(message, len(order)), cid)
    contribution = {
        "id": cid,
        "group_id": group_id,
        "question_id": question_id,
        "session_id": question["session_id"],
        "kind": kind,
        "agreement": agreement,
        "text": text,
        "lang": lang,
        "version": 1,
        "deleted": False,
        "author": actor.as_author(),
        "created_at": now,
    }
    return _changed(contribution, "contribution.added", order, now)


@op("contribution.edit", roles.RAPPORTEUR, roles.CHAIR)
def edit_contribution(state, actor, message, now):
    current = _on_board(state, actor, message, version_required=True)
    changes = {}
    if "text" in message:
        changes["text"] = clean_text(message["text"])
    if "kind" in message:
        changes["kind"] = _choice(message, "kind", KINDS)
    if "agreement" in message:
        changes["agreement"] = _choice(message, "agreement", AGREEMENTS)
    if "lang" in message:
        changes["lang"] = _lang(message, changes.get("text", current["text"]), current["lang"])
    if not changes:
        raise OpError("invalid", "Nothing to change: give text, kind, agreement or lang.")
    contribution = dict(current, **changes, version=current["version"] + 1)
    contribution["edited_by"] = actor.as_author()
    order = state.order.get(order_key(current["group_id"], current["question_id"]), [])
    return _changed(contribution, "contribution.edited", list(order), now)


@op("contribution.move", roles.RAPPORTEUR, roles.CHAIR)
def move_contribution(state, actor, message, now):
    current = _on_board(state, actor, message)
    group_id = current["group_id"]
    target_q = message.get("question_id", current["question_id"])
    question = _check_question_for_group(state, target_q, group_id)
    extra = {}
    old_key = order_key(group_id, current["question_id"])
    old_order = [cid for cid in state.order.get(old_key, []) if cid != current["id"]]
    if target_q == current["question_id"]:
        order = old_order
    else:
        order = [cid for cid in state.order.get(order_key(group_id, target_q), []) if cid != current["id"]]
        extra["previous_order"] = {"question_id": current["question_id"], "order": old_order}
    if "index" not in message:
        raise OpError("invalid", "Missing field: index.")
    order.insert(_index(message, len(order)), current["id"])
    contribution = dict(
        current,
        question_id=target_q,
        session_id=question["session_id"],
        version=current["version"] + 1,
    )
    return _changed(contribution, "contribution.moved", order, now, **extra)


@op("contribution.delete", roles.RAPPORTEUR, roles.CHAIR)
def delete_contribution(state, actor, message, now):
    current = _on_board(state, actor, message, refusal="This contribution is already deleted.")
    key = order_key(current["group_id"], current["question_id"])
    old_order = state.order.get(key, [])
    order = [cid for cid in old_order if cid != current["id"]]
    index = old_order.index(current["id"]) if current["id"] in old_order else len(order)
    # Remember where it stood so that undo puts it back in the same place.
    contribution = dict(current, deleted=True, version=current["version"] + 1, deleted_index=index)
    return _changed(contribution, "contribution.deleted", order, now)


@op("contribution.restore", roles.RAPPORTEUR, roles.CHAIR)
def restore_contribution(state, actor, message, now):
    current = _on_board(state, actor, message, deleted=True,
                        refusal="This contribution is not deleted.")
    key = order_key(current["group_id"], current["question_id"])
    order = list(state.order.get(key, []))
    order.insert(min(current.get("deleted_index", len(order)), len(order)), current["id"])
    contribution = dict(current, deleted=False, version=current["version"] + 1)
    contribution.pop("deleted_index", None)
    return _changed(contribution, "contribution.restored", order, now)


# ----- the chair's controls ---------------------------------------------------------------------


@op("session.set", roles.CHAIR)
def set_session(state, actor, message, now):
    session_id = _field(message, "session_id", str)
    if session_id not in state.sessions:
        raise OpError("not_found", "No such session.")
    return {"type": "session.changed", "session_id": session_id}


@op("board.lock", roles.CHAIR)
def lock_board(state, actor, message, now):
    group_id = _field(message, "group_id", str)
    locked = _field(message, "locked", bool)
    if group_id != "all" and group_id not in state.group_ids:
        raise OpError("not_found", "No such group.")
    return {"type": "board.locked", "group_id": group_id, "locked": locked}


@op("timer.start", roles.CHAIR)
def start_timer(state, actor, message, now):
    seconds = _field(message, "seconds", int)
    if not 1 <= seconds <= MAX_TIMER:
        raise OpError("invalid", f"seconds must be between 1 and {MAX_TIMER}.")
    # Counted from the server clock: every screen shows the same end time.
    return {"type": "timer.started", "seconds": seconds, "ends_at": now + seconds}


@op("timer.stop", roles.CHAIR)
def stop_timer(state, actor, message, now):
    return {"type": "timer.stopped"}


@op("spotlight.set", roles.CHAIR)
def set_spotlight(state, actor, message, now):
    contribution_id = _field(message, "contribution_id", str, required=False)
    cluster_id = _field(message, "cluster_id", str, required=False)
    if contribution_id and cluster_id:
        raise OpError("invalid", "Spotlight one contribution or one cluster, not both.")
    if contribution_id:
        if contribution_id not in state.contributions:
            raise OpError("not_found", "No such contribution.")
        return {"type": "spotlight.set", "spotlight": {"contribution_id": contribution_id}}
    if cluster_id:
        if len(cluster_id) > 60:
            raise OpError("invalid", "cluster_id is too long.")
        return {"type": "spotlight.set", "spotlight": {"cluster_id": cluster_id}}
    return {"type": "spotlight.set", "spotlight": None}


@op("meeting.set_anonymous", roles.CHAIR)
def set_anonymous(state, actor, message, now):
    return {"type": "meeting.anonymity", "anonymous": _field(message, "anonymous", bool)}



# ----- curation: the chair's decisions override the clustering --------------------------------

def _cluster_anchor(state: MeetingState, cluster_id, name: str = "cluster_id") -> str:
    anchor = cluster_anchor(cluster_id, prefixes=(QUESTION_CLUSTER,))
    if anchor is None:
        raise OpError("invalid", f"{name} must be a cluster id such as c-<contribution id>.")
    if anchor not in state.contributions:
        raise OpError("not_found", "No such cluster.")
    return anchor


@op("cluster.merge", roles.CHAIR)
def merge_clusters(state, actor, message, now):
    a = _cluster_anchor(state, message.get("cluster_id"))
    b = _cluster_anchor(state, message.get("into"), "into")
    if a == b:
        raise OpError("invalid", "A cluster cannot be merged into itself.")
    return {"type": "cluster.merged", "cluster_id": message["cluster_id"], "into": message["into"],
            "contribution_a": a, "contribution_b": b}


@op("cluster.detach", roles.CHAIR)
def detach_contribution(state, actor, message, now):
    contribution = _contribution(state, message)
    return {"type": "cluster.detached", "contribution_id": contribution["id"]}


@op("cluster.title", roles.CHAIR)
def title_cluster(state, actor, message, now):
    _cluster_anchor(state, message.get("cluster_id"))
    title = message.get("title")
    if title not in (None, ""):
        title = clean_text(title, "title", MAX_TITLE)
    event = {"type": "cluster.titled", "cluster_id": message["cluster_id"], "title": title or None}
    # With a lang, the title in that language (issue 12); without, the title as before.
    lang = desk.meeting_language(state, message, required=False)
    if lang is not None:
        event["lang"] = lang
    return event


MAX_POINT_MEMBERS = 200


def _point_members(state: MeetingState, message: dict) -> list[str]:
    """The contributions the chair saw in a converging point: live, distinct, from two groups."""
    ids = _field(message, "contribution_ids", list)
    if not 2 <= len(ids) <= MAX_POINT_MEMBERS:
        raise OpError("invalid", f"A converging point holds 2 to {MAX_POINT_MEMBERS} contributions.")
    if not all(isinstance(cid, str) for cid in ids) or len(set(ids)) != len(ids):
        raise OpError("invalid", "contribution_ids must be distinct strings.")
    for cid in ids:
        c = state.contributions.get(cid)
        if c is None or c["deleted"]:
            raise OpError("not_found", f"No such contribution: {cid[:40]}.")
    return ids


@op("cluster.confirm", roles.CHAIR)
def confirm_cluster(state, actor, message, now):
    """The chair agrees these contributions make one point: they stay together (a must-link)."""
    _cluster_anchor(state, message.get("cluster_id"))
    ids = _point_members(state, message)
    return {"type": "cluster.confirmed", "cluster_id": message["cluster_id"], "contribution_ids": ids}


@op("cluster.reject", roles.CHAIR)
def reject_cluster(state, actor, message, now):
    """The chair says these are not one point: no two of them are grouped again (cannot-links),
    unless the chair merges or confirms them later."""
    _cluster_anchor(state, message.get("cluster_id"))
    ids = _point_members(state, message)
    return {"type": "cluster.rejected", "cluster_id": message["cluster_id"], "contribution_ids": ids}


@op("plenary.show_suggestions", roles.CHAIR)
def show_suggestions(state, actor, message, now):
    return {"type": "plenary.suggestions_shown", "shown": _field(message, "shown", bool)}


# ----- the outcome: what goes to the co-facilitators -------------------------------------------


def _outcome_ref(state: MeetingState, message: dict) -> str:
    contribution_id = message.get("contribution_id")
    cluster_id = message.get("cluster_id")
    if (contribution_id is None) == (cluster_id is None):
        raise OpError("invalid", "Name one contribution_id or one cluster_id.")
    if cluster_id is not None:
        _cluster_anchor(state, cluster_id)
        return f"cluster:{cluster_id}"
    _contribution(state, message)
    return f"contribution:{contribution_id}"


@op("outcome.mark", roles.CHAIR)
def mark_outcome(state, actor, message, now):
    ref = _outcome_ref(state, message)
    marked = _field(message, "marked", bool, required=False)
    return {"type": "outcome.marked", "ref": ref, "marked": True if marked is None else marked}


@op("outcome.wording", roles.CHAIR)
def word_outcome(state, actor, message, now):
    ref = _outcome_ref(state, message)
    text = message.get("text")
    if text not in (None, ""):
        text = clean_text(text)
    lang = _field(message, "lang", str, required=False)
    if lang is not None and not is_lang_code(lang):
        raise OpError("invalid", "lang must be a language code.")
    if text and lang is None:
        lang = guess_lang(text, state.meeting.get("default_language", "en"))
    return {"type": "outcome.wording", "ref": ref, "text": text or None, "lang": lang}


@op("outcome.order", roles.CHAIR)
def order_outcome(state, actor, message, now):
    order = _field(message, "order", list)
    if not all(isinstance(item, str) for item in order):
        raise OpError("invalid", "order must be a list of item ids (strings).")
    marked = state.outcome["order"]
    if sorted(order) != sorted(marked) or len(set(order)) != len(order):
        raise OpError("invalid", "order must list every forwarded item exactly once.")
    return {"type": "outcome.ordered", "order": list(order)}


# ----- ballots and votes ------------------------------------------------------------------------

MAX_BALLOT_ITEMS = 50
MAX_DOTS = 100


@op("ballot.open", roles.CHAIR)
def open_ballot(state, actor, message, now):
    ids = _field(message, "contribution_ids", list)
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
    mode = _choice(message, "mode", voting.MODES, required=False) or "yes_no"
    dots = None
    if mode == "dots":
        dots = _field(message, "dots", int, required=False)
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


def _ballot(state: MeetingState, message: dict) -> dict:
    ballot = state.ballots.get(_field(message, "ballot_id", str))
    if ballot is None:
        raise OpError("not_found", "No such ballot.")
    return ballot


@op("ballot.close", roles.CHAIR)
def close_ballot(state, actor, message, now):
    ballot = _ballot(state, message)
    if ballot["status"] == "closed":
        raise OpError("closed", "This ballot is already closed.")
    return {"type": "ballot.closed", "ballot_id": ballot["id"]}


@op("ballot.reveal", roles.CHAIR)
def reveal_ballot(state, actor, message, now):
    ballot = _ballot(state, message)
    revealed = _field(message, "revealed", bool, required=False)
    return {"type": "ballot.revealed", "ballot_id": ballot["id"],
            "revealed": True if revealed is None else revealed}


@op("vote.cast", roles.PARTICIPANT)
def cast_vote(state, actor, message, now):
    ballot = _ballot(state, message)
    contribution_id = _field(message, "contribution_id", str)
    if ballot["mode"] == "dots":
        value = message.get("dots")
        if "dots" not in message:
            raise OpError("invalid", "Missing field: dots.")
    else:
        value = _field(message, "choice", str)
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


# ----- meetings ---------------------------------------------------------------------------------


def meeting_created(meeting_id: str, agenda: dict, now: float) -> dict:
    """The first event of every meeting: the agenda it runs on, so the log alone is the meeting."""
    meeting = dict(agenda, id=meeting_id, created_at=now)
    return {"type": "meeting.created", "ts": now, "meeting": meeting, "by": {"role": "system"}}


# ----- joining ----------------------------------------------------------------------------------


def check_joining(state: MeetingState, region, lang, limit: int) -> tuple[str | None, str | None]:
    """A newcomer's region and language, checked before any key is stored for them."""
    joining.check_room(state, limit)
    region_ids = [r["id"] for r in state.meeting.get("regions", [])]
    if region in ("", None):
        region = None
    elif not isinstance(region, str) or region not in region_ids:
        raise OpError("invalid", "Unknown region.")
    if lang is not None and not is_lang_code(lang):
        raise OpError("invalid", "lang must be a language code.")
    return region, lang


def participant_joined(state: MeetingState, participant_id: str, region: str | None,
                       lang: str | None, limit: int, now: float) -> dict:
    """A participant's entry in the log: no name, only the region and language they chose.

    Not sent over a socket (joining is an HTTP request with the public code), so it has no op
    id: the room is checked again here, under the meeting's lock, as two may race for the last
    seat.
    """
    joining.check_room(state, limit)
    return {"type": "participant.joined", "participant_id": participant_id, "region": region,
            "lang": lang, "by": {"role": roles.PARTICIPANT}, "ts": now}


# The translation desk, sign-off and freeze register their ops here (a module of their own).
from . import desk  # noqa: E402
