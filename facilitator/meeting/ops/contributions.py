"""Ops on a group's board: add, edit, move, delete and restore a contribution."""

from __future__ import annotations

import secrets

from .. import roles
from ..errors import OpError
from ..ids import order_key
from ..state import AGREEMENTS, KINDS
from .common import (ID_PATTERN, board_index, changed_event, check_board, check_question_for_group,
                     choice, clean_text, field, lang_of, on_board, op)


@op("contribution.add", roles.RAPPORTEUR, roles.CHAIR)
def add_contribution(state, actor, message, now):
    question_id = message.get("question_id")
    if actor.role == roles.CHAIR:
        group_id = field(message, "group_id", str, required=False)
        if group_id is None:
            question = state.questions.get(question_id) if isinstance(question_id, str) else None
            group_id = "plenary" if question and state.sessions[question["session_id"]]["plenary"] else None
            if group_id is None:
                raise OpError("invalid", "The chair must name the group_id of the board.")
    else:
        group_id = actor.group_id
    check_board(state, actor, group_id)
    question = check_question_for_group(state, question_id, group_id)
    text = clean_text(message.get("text"))
    kind = choice(message, "kind", KINDS)
    agreement = choice(message, "agreement", AGREEMENTS)
    lang = lang_of(message, text, state.meeting.get("default_language", "en"))
    cid = field(message, "id", str, required=False)
    if cid is None:
        cid = secrets.token_urlsafe(12)
    elif not ID_PATTERN.match(cid):
        raise OpError("invalid", "id must be 8 to 40 letters, digits, - or _.")
    elif cid in state.contributions:
        raise OpError("invalid", "A contribution with this id already exists.")
    key = order_key(group_id, question_id)
    order = list(state.order.get(key, []))
    order.insert(board_index(message, len(order)), cid)
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
    return changed_event(contribution, "contribution.added", order, now)


@op("contribution.edit", roles.RAPPORTEUR, roles.CHAIR)
def edit_contribution(state, actor, message, now):
    current = on_board(state, actor, message, version_required=True)
    changes = {}
    if "text" in message:
        changes["text"] = clean_text(message["text"])
    if "kind" in message:
        changes["kind"] = choice(message, "kind", KINDS)
    if "agreement" in message:
        changes["agreement"] = choice(message, "agreement", AGREEMENTS)
    if "lang" in message:
        changes["lang"] = lang_of(message, changes.get("text", current["text"]), current["lang"])
    if not changes:
        raise OpError("invalid", "Nothing to change: give text, kind, agreement or lang.")
    contribution = dict(current, **changes, version=current["version"] + 1)
    contribution["edited_by"] = actor.as_author()
    contribution["changed_by"] = actor.as_author()
    order = state.order.get(order_key(current["group_id"], current["question_id"]), [])
    return changed_event(contribution, "contribution.edited", list(order), now)


@op("contribution.move", roles.RAPPORTEUR, roles.CHAIR)
def move_contribution(state, actor, message, now):
    current = on_board(state, actor, message)
    group_id = current["group_id"]
    target_q = message.get("question_id", current["question_id"])
    question = check_question_for_group(state, target_q, group_id)
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
    order.insert(board_index(message, len(order)), current["id"])
    contribution = dict(
        current,
        question_id=target_q,
        session_id=question["session_id"],
        version=current["version"] + 1,
        changed_by=actor.as_author(),
    )
    return changed_event(contribution, "contribution.moved", order, now, **extra)


@op("contribution.delete", roles.RAPPORTEUR, roles.CHAIR)
def delete_contribution(state, actor, message, now):
    current = on_board(state, actor, message, refusal="This contribution is already deleted.")
    key = order_key(current["group_id"], current["question_id"])
    old_order = state.order.get(key, [])
    order = [cid for cid in old_order if cid != current["id"]]
    index = old_order.index(current["id"]) if current["id"] in old_order else len(order)
    # Remember where it stood so that undo puts it back in the same place.
    contribution = dict(current, deleted=True, version=current["version"] + 1, deleted_index=index,
                        changed_by=actor.as_author())
    return changed_event(contribution, "contribution.deleted", order, now)


@op("contribution.restore", roles.RAPPORTEUR, roles.CHAIR)
def restore_contribution(state, actor, message, now):
    current = on_board(state, actor, message, deleted=True,
                        refusal="This contribution is not deleted.")
    key = order_key(current["group_id"], current["question_id"])
    order = list(state.order.get(key, []))
    order.insert(min(current.get("deleted_index", len(order)), len(order)), current["id"])
    contribution = dict(current, deleted=False, version=current["version"] + 1,
                        changed_by=actor.as_author())
    contribution.pop("deleted_index", None)
    return changed_event(contribution, "contribution.restored", order, now)
