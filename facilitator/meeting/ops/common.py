"""What every op module shares: the registry and the checks of an op's fields.

Each handler takes (state, actor, op, now) and returns the event (without `seq`), or raises
OpError. Handlers never change the state: the caller appends the event and folds it in.
"""

from __future__ import annotations

import re
import unicodedata

from .. import roles
from .. import usertext
from ..errors import OpError
from ..ids import is_lang_code
from ..state import MeetingState
from ..text import detect_lang

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


def field(message: dict, name: str, kind, required: bool = True):
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


def choice(message: dict, name: str, allowed, required: bool = True):
    value = field(message, name, str, required)
    if value is not None and value not in allowed:
        raise OpError("invalid", f"{name} must be one of: {', '.join(allowed)}.")
    return value


def lang_of(message: dict, text: str, actor_default: str) -> str:
    value = field(message, "lang", str, required=False)
    if value is None:
        return guess_lang(text, actor_default)
    if not is_lang_code(value):
        raise OpError("invalid", "lang must be a language code such as ar, en, fr or es.")
    return value


def guess_lang(text: str, default: str) -> str:
    """The language of a text sent without one: Arabic script, else the Latin language its
    words show (text.detect_lang), else ``default`` (never Arabic for a Latin-script text)."""
    return detect_lang(text, default)


def find_contribution(state: MeetingState, message: dict) -> dict:
    cid = field(message, "contribution_id", str)
    contribution = state.contributions.get(cid)
    if contribution is None:
        raise OpError("not_found", "No such contribution.")
    return contribution


def check_board(state: MeetingState, actor: roles.Actor, group_id: str) -> None:
    """A rapporteur writes on its own group's board only, and only while it is open."""
    if actor.role == roles.CHAIR:
        return
    if actor.group_id != group_id:
        raise OpError("forbidden", "This is another group's board.")
    if state.locks.get("all") or state.locks.get(group_id):
        raise OpError("locked", "The board is locked by the chair.")


def check_question_for_group(state: MeetingState, question_id, group_id: str) -> dict:
    if not isinstance(question_id, str):
        raise OpError("invalid", "question_id must be a string.")
    question = state.questions.get(question_id)
    if question is None:
        raise OpError("not_found", "No such question.")
    if group_id not in state.session_groups(question["session_id"]):
        raise OpError("forbidden", "This group does not take part in that question's session.")
    return question


def board_index(message: dict, length: int) -> int:
    index = field(message, "index", int, required=False)
    if index is None:
        return length
    if index < 0:
        raise OpError("invalid", "index must not be negative.")
    return min(index, length)


def check_version(message: dict, contribution: dict, required: bool) -> None:
    version = field(message, "version", int, required=required)
    if version is not None and version != contribution["version"]:
        raise OpError(
            "conflict",
            "This contribution was changed by someone else.",
            current=dict(contribution),
        )


def check_seen(message: dict, version: int, refusal: str, current: dict) -> None:
    """An op's optional `version`, the version of the thing it changes the sender saw (0: none
    yet): a stale one is refused `conflict` with the ``current`` thing and its version, for the
    page to offer theirs or mine. Without it the op is applied as it comes (older pages)."""
    seen = field(message, "version", int, required=False)
    if seen is not None and seen != version:
        raise OpError("conflict", refusal, current=dict(current, version=version))


def on_board(state: MeetingState, actor: roles.Actor, message: dict, version_required: bool = False,
              deleted: bool = False, refusal: str = "This contribution was deleted.") -> dict:
    """The contribution an op names: on a board the sender may write, at the version the sender
    saw (when the op gives one), deleted or not as the op needs (else ``refusal``)."""
    current = find_contribution(state, message)
    check_board(state, actor, current["group_id"])
    check_version(message, current, required=version_required)
    if bool(current["deleted"]) != deleted:
        raise OpError("conflict", refusal, current=dict(current))
    return current


def changed_event(contribution: dict, event_type: str, order: list[str], now: float, **extra) -> dict:
    event = {"type": event_type, "contribution": contribution, "order": order}
    event.update(extra)
    contribution["updated_at"] = now
    return event


def meeting_language(state: MeetingState, message: dict, name: str = "lang", required: bool = True):
    lang = field(message, name, str, required)
    if lang is not None and lang not in state.meeting.get("languages", []):
        raise OpError("invalid", f"{name} must be one of the meeting's languages: "
                                 f"{', '.join(state.meeting.get('languages', []))}.")
    return lang
