"""What the translation desk's data looks like to a reader: languages, translations, sign-offs.

Plain views over the state, shared by the hub, the report, the archive and the machine drafts;
the desk's ops are in ops/desk.py.
"""

from __future__ import annotations

from .state import MeetingState

HUMAN = "human"
MACHINE = "machine"


def base_language(lang: str) -> str:
    """"fr-CA" and "fr" are one language to a reader: a translation between them is no use."""
    return lang.split("-", 1)[0].lower()


def sign_off_view(state: MeetingState, group_ids) -> dict:
    """`{"<group_id>|<question_id>": {"ts", "stale"}}` for the given groups."""
    return {key: dict(value) for key, value in state.sign_offs.items()
            if key.split("|", 1)[0] in group_ids}


def translations_view(state: MeetingState, contribution_id: str) -> dict:
    """`{lang: {"text", "source", "stale", "version", "ts"}}` of one contribution, copied."""
    return {lang: dict(t) for lang, t in state.translations_of(contribution_id).items()}


def with_translations(state: MeetingState, contributions: list[dict]) -> list[dict]:
    """Contributions as the state endpoint shows them: each with its `translations`."""
    return [dict(c, translations=translations_view(state, c["id"])) for c in contributions]
