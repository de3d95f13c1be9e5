"""Provisioning meetings: create, import, seed and link them. The store plus the domain, used by
the CLI, the demo and the benches (not by the hub, which only runs meetings that exist)."""

from __future__ import annotations

import secrets as pysecrets
import time
from urllib.parse import quote

from .meeting import ops, roles
from .meeting.agenda import text_in
from .meeting.state import fold
from .store import MeetingExists


def create_meeting(store, agenda: dict, meeting_id: str | None = None, now: float | None = None):
    """Append a meeting's first event and store its fresh keys. Returns (meeting_id, secrets)."""
    meeting_id = meeting_id or pysecrets.token_hex(6)
    group_ids = [g["id"] for g in agenda["groups"]]
    meeting_secrets = roles.new_secrets(group_ids)
    for _ in range(10):  # a join code must be unique across the store
        if store.meeting_for_join_code(meeting_secrets["join_code"]) is None:
            break
        meeting_secrets["join_code"] = roles.new_join_code()
    event = ops.meeting_created(meeting_id, agenda, time.time() if now is None else now)
    store.create_meeting(meeting_id, meeting_secrets, [event])
    return meeting_id, meeting_secrets


def import_meeting(store, meeting_id: str, events: list[dict]) -> dict:
    """Restore an archived log under its own id, with fresh keys (an archive holds no secrets)."""
    if not isinstance(events, list) or not events or events[0].get("type") != "meeting.created":
        raise ValueError("The archive's log does not start with meeting.created.")
    if store.secrets(meeting_id) is not None:
        raise MeetingExists(f"A meeting with id {meeting_id} already exists in this store.")
    cleaned = [{k: v for k, v in e.items() if k not in ("seq", "prev")} for e in events]
    state = fold(dict(e, seq=i) for i, e in enumerate(cleaned, start=1))  # refuses a broken log
    meeting_secrets = roles.new_secrets(state.group_ids)
    store.create_meeting(meeting_id, meeting_secrets, cleaned)
    return meeting_secrets


def links(base_url: str, meeting_id: str, meeting_secrets: dict, meeting: dict) -> dict:
    """The create-meeting JSON: every secret link of a meeting."""
    base = base_url.rstrip("/")
    mid = quote(meeting_id)
    lang = meeting.get("default_language", "en")
    names = {g["id"]: text_in(g["name"], "en", lang) for g in meeting["groups"]}
    result = {
        "meeting_id": meeting_id,
        "title": text_in(meeting["title"], "en", lang),
        "chair_url": f"{base}/m/{mid}/chair?key={meeting_secrets['chair']}",
        "plenary_url": f"{base}/m/{mid}/plenary?key={meeting_secrets['plenary']}",
        "join_url": f"{base}/join?code={meeting_secrets['join_code']}",
        "join_code": meeting_secrets["join_code"],
        "groups": [
            {
                "id": gid,
                "name": names.get(gid, gid),
                "rapporteur_url": f"{base}/m/{mid}/board?key={key}",
            }
            for gid, key in meeting_secrets["rapporteurs"].items()
        ],
    }
    if meeting_secrets.get("translator"):  # meetings created before the role have no key
        result["translator_url"] = f"{base}/m/{mid}/translate?key={meeting_secrets['translator']}"
    if meeting_secrets.get("curator"):  # ... nor those before the curator role
        result["curator_url"] = f"{base}/m/{mid}/synthesis?key={meeting_secrets['curator']}"
    return result


DEMO_SESSION = "s2-groups"


class _Seeder:
    """Ops applied to a stored meeting as the hub would: decided on the folded log, appended."""

    def __init__(self, store, meeting_id: str, now: float | None):
        self.store, self.meeting_id = store, meeting_id
        self.state = fold(store.read(meeting_id))
        self.clock = time.time() if now is None else now

    def apply(self, actor, message: dict, op_id: str) -> dict:
        event = ops.decide(self.state, actor, message, self.clock)
        seq, _ = self.store.append(self.meeting_id, op_id, event, self.state.seq)
        event = dict(event, seq=seq)
        self.state.apply(event)
        return event


def seed_contributions(store, meeting_id: str, contributions: list[dict], session_id: str = DEMO_SESSION,
                       now: float | None = None) -> int:
    """Put answers on the boards, as the demo meeting and the restart bench need: the session made
    current, then each answer added by its group's rapporteur through the ordinary ops
    (``{group, question, text, lang, kind, agreement}``). Returns the number added."""
    seeder = _Seeder(store, meeting_id, now)
    seeder.apply(roles.Actor(roles.CHAIR), {"type": "session.set", "session_id": session_id}, "seed-session")
    for n, item in enumerate(contributions):
        seeder.apply(roles.Actor(roles.RAPPORTEUR, group_id=item["group"]),
                     {"type": "contribution.add", "question_id": item["question"], "text": item["text"],
                      "lang": item["lang"], "kind": item["kind"], "agreement": item["agreement"]},
                     f"seed-{n:05d}")
    return len(contributions)


def seed_curation(store, meeting_id: str, decisions: list[dict], now: float | None = None) -> int:
    """A curator's decisions on seeded answers, through the ordinary ops with the curator as their
    author: ``{op, contributions: [{group, starts}], ...the op's other fields}``, a contribution
    named by its group and the start of its text. Returns the number logged."""
    seeder = _Seeder(store, meeting_id, now)
    curator = roles.Actor(roles.CURATOR, name="Rapporteur-general")
    for n, decision in enumerate(decisions):
        message = {k: v for k, v in decision.items() if k not in ("op", "contributions")}
        message["type"] = decision["op"]
        if "contributions" in decision:
            message["contribution_ids"] = [_seeded(seeder.state, **c)["id"] for c in decision["contributions"]]
        seeder.apply(curator, message, f"seed-curation-{n:03d}")
    return len(decisions)


def _seeded(state, group: str, starts: str) -> dict:
    found = [c for c in state.live_contributions() if c["group_id"] == group and c["text"].startswith(starts)]
    if len(found) != 1:
        raise ValueError(f"{len(found)} contributions of {group} start with {starts!r}")
    return found[0]
