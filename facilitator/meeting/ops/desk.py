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


# What the hub tells translation.set of its sender: the seq of the meeting the sender last read
# (state or sync), for a translation sent without original_version. Set by the hub on every
# translation.set; a client's own value never reaches the handler.
LAST_READ = "_last_read_seq"


@op("translation.set", roles.TRANSLATOR, roles.CHAIR, roles.SYSTEM)
def set_translation(state, actor, message, now):
    contribution = find_contribution(state, message)
    if contribution["deleted"]:
        raise OpError("conflict", "This contribution was deleted.", current=dict(contribution))
    lang = meeting_language(state, message)
    if "text" not in message:
        raise OpError("invalid", "Missing field: text.")
    text = message["text"]
    text = "" if text == "" else clean_text(text, "text", MAX_TEXT)  # "" clears
    current = state.translations_of(contribution["id"]).get(lang)
    if base_language(lang) == base_language(contribution["lang"]) and not (text == "" and current):
        # the original's language: nothing to translate, but a translation left there when the
        # original's language was changed may be cleared
        raise OpError("invalid", "lang is the language of the original.")
    # Two translators on one text: the second, working from an older version, is told, as on
    # the board (the field is optional: without it the last one wins).
    version = field(message, "version", int, required=False)
    if version is not None and version != state.translation_versions.get(
            translation_key(contribution["id"], lang), 0):
        raise OpError("conflict", "This translation was changed by someone else.",
                      current=dict(current) if current else None)
    original_version, stale = _made_from(state, actor, message, contribution)
    if actor.role == roles.SYSTEM:
        # A draft never replaces a person's work, nor lands on words that changed meanwhile.
        if current is not None and current["source"] == HUMAN:
            raise OpError("conflict", "A human translation is already there.", current=dict(current))
        if stale:
            raise OpError("conflict", "The original changed while it was being translated.",
                          current=dict(contribution))
        if not text:
            raise OpError("invalid", "A machine draft never clears a translation.")
        source = MACHINE
    else:
        source = HUMAN
    event = {"type": "translation.set", "contribution_id": contribution["id"],
             "group_id": contribution["group_id"], "lang": lang, "text": text, "source": source}
    if text:
        event.update(original_version=original_version, stale=stale)
    return event


def _made_from(state, actor, message, contribution) -> tuple[int | None, bool]:
    """(the contribution version the translation was made from, whether the original's words
    changed since). From the op's `original_version`; without one, from the version current when
    the sender last read the meeting: never fresh by default. A person's translation of older
    words is kept, marked stale (their work is not thrown away, and the room is told); a
    machine's is refused."""
    words_version, words_seq = state.words_of(contribution["id"])
    original_version = field(message, "original_version", int, required=False)
    if original_version is not None:
        if not 1 <= original_version <= contribution["version"]:
            raise OpError("invalid", "original_version is not a version of this contribution.",
                          current=dict(contribution))
        return original_version, original_version < words_version
    if actor.role == roles.SYSTEM:
        raise OpError("invalid", "Missing field: original_version.")
    last_read = message.get(LAST_READ)
    if isinstance(last_read, int) and not isinstance(last_read, bool) and last_read >= words_seq:
        return words_version, False
    return None, True


@op("answers.sign_off", roles.RAPPORTEUR)
def sign_off_answers(state, actor, message, now):
    """The group agrees with its answers to one question as they now stand. Allowed on a locked
    board too: it changes no answer, and agreement often comes when writing has stopped."""
    question = check_question_for_group(state, message.get("question_id"), actor.group_id)
    return {"type": "answers.signed_off", "group_id": actor.group_id, "question_id": question["id"]}


@op("plenary.freeze", roles.CHAIR)
def freeze_plenary(state, actor, message, now):
    return {"type": "plenary.frozen", "frozen": field(message, "frozen", bool)}
