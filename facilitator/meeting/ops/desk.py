"""The translation desk, the groups' sign-off and the plenary's freeze (issue 12).

Translations are kept beside the contributions, never inside them: an edit of the original
replaces the contribution, and its translations must survive it, marked stale.
"""

from __future__ import annotations

from .. import roles
from ..desk import HUMAN, MACHINE, base_language
from ..errors import OpError
from ..ids import translation_key
from .common import (MAX_TEXT, check_question_for_group, clean_text, field, find_contribution,
                     meeting_language, op)


@op("translation.set", roles.TRANSLATOR, roles.CHAIR, roles.SYSTEM)
def set_translation(state, actor, message, now):
    contribution = find_contribution(state, message)
    if contribution["deleted"]:
        raise OpError("conflict", "This contribution was deleted.", current=dict(contribution))
    lang = meeting_language(state, message)
    if base_language(lang) == base_language(contribution["lang"]):
        raise OpError("invalid", "lang is the language of the original.")
    if "text" not in message:
        raise OpError("invalid", "Missing field: text.")
    text = message["text"]
    text = "" if text == "" else clean_text(text, "text", MAX_TEXT)  # "" clears
    current = state.translations_of(contribution["id"]).get(lang)
    # Two translators on one text: the second, working from an older version, is told, as on
    # the board (the field is optional: without it the last one wins).
    version = field(message, "version", int, required=False)
    if version is not None and version != state.translation_versions.get(
            translation_key(contribution["id"], lang), 0):
        raise OpError("conflict", "This translation was changed by someone else.",
                      current=dict(current) if current else None)
    if actor.role == roles.SYSTEM:
        # A draft never replaces a person's work, nor lands on words that changed meanwhile.
        if current is not None and current["source"] == HUMAN:
            raise OpError("conflict", "A human translation is already there.", current=dict(current))
        if message.get("original_text") != contribution["text"]:
            raise OpError("conflict", "The original changed while it was being translated.")
        if not text:
            raise OpError("invalid", "A machine draft never clears a translation.")
        source = MACHINE
    else:
        source = HUMAN
    return {"type": "translation.set", "contribution_id": contribution["id"],
            "group_id": contribution["group_id"], "lang": lang, "text": text, "source": source}


@op("answers.sign_off", roles.RAPPORTEUR)
def sign_off_answers(state, actor, message, now):
    """The group agrees with its answers to one question as they now stand. Allowed on a locked
    board too: it changes no answer, and agreement often comes when writing has stopped."""
    question = check_question_for_group(state, message.get("question_id"), actor.group_id)
    return {"type": "answers.signed_off", "group_id": actor.group_id, "question_id": question["id"]}


@op("plenary.freeze", roles.CHAIR)
def freeze_plenary(state, actor, message, now):
    return {"type": "plenary.frozen", "frozen": field(message, "frozen", bool)}
