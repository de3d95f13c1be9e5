"""Events that come from no socket op: a meeting's creation and a participant's joining."""

from __future__ import annotations

from .. import joining, roles
from ..errors import OpError
from ..ids import is_lang_code
from ..state import MeetingState


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
