"""Who may do and see what. A key grants one role in one meeting; the role decides the rest."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import quote

CHAIR = "chair"
PLENARY = "plenary"
RAPPORTEUR = "rapporteur"
PARTICIPANT = "participant"
# The secretariat's translators: read every group, write translations, nothing else.
TRANSLATOR = "translator"
# The secretariat's rapporteur-general: reads every group, decides the converging points only.
CURATOR = "curator"
# The server itself, as the author of machine drafts; no key ever grants it.
SYSTEM = "system"

# The page each role uses; also the suffix of its key cookie.
PAGE_OF_ROLE = {CHAIR: "chair", PLENARY: "plenary", RAPPORTEUR: "board", PARTICIPANT: "vote",
                TRANSLATOR: "translate", CURATOR: "synthesis"}

# The links the chair hands out and may re-issue: every role with a page but the chair's own
# (re-issued from the console, it would lock that console out) and the participants' (their keys
# are made at joining, one per phone).
REISSUABLE = tuple(r for r in PAGE_OF_ROLE if r not in (CHAIR, PARTICIPANT))

# Join codes avoid characters people confuse when reading them off a projector.
JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


@dataclass(frozen=True)
class Actor:
    role: str
    group_id: str | None = None
    participant_id: str | None = None
    name: str | None = None

    @property
    def audience(self) -> str:
        """The one audience this actor belongs to (see `audiences`)."""
        if self.role in (CHAIR, PLENARY):
            return "staff"
        if self.role == RAPPORTEUR:
            return f"group:{self.group_id}"
        if self.role == TRANSLATOR:
            return TRANSLATORS
        if self.role == CURATOR:
            return CURATORS
        return "participants"

    def as_author(self) -> dict:
        author = {"role": self.role}
        if self.group_id:
            author["group_id"] = self.group_id
        if self.name:
            author["name"] = self.name
        return author


def key_id(meeting_id: str, key: str) -> str:
    """A short stable name for a key: it scopes op ids and rate budgets without storing the key."""
    return hashlib.sha256(f"{meeting_id}\0{key}".encode()).hexdigest()[:16]


def new_key() -> str:
    return secrets.token_urlsafe(24)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(code: str) -> str:
    """People type codes in lower case, with spaces or with O for 0: be forgiving."""
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def new_secrets(group_ids: list[str], join_code: str | None = None) -> dict:
    return {
        "chair": new_key(),
        "plenary": new_key(),
        "rapporteurs": {gid: new_key() for gid in group_ids},
        "translator": new_key(),
        "curator": new_key(),
        "join_code": join_code or new_join_code(),
    }


def link_path(meeting_id: str, role: str, key: str) -> str:
    """The path of a role's secret link: /m/<id>/<the role's page>?key=K."""
    return f"/m/{quote(meeting_id)}/{PAGE_OF_ROLE[role]}?key={key}"


def secret_path(role: str, group_id: str | None = None) -> tuple[str, ...]:
    """Where a role's key sits in the meeting's secrets (EventStore.set_secret's path)."""
    return ("rapporteurs", group_id) if role == RAPPORTEUR else (role,)


def link_key(meeting_secrets: dict, role: str, group_id: str | None = None) -> str | None:
    """The key a role's link carries now, or None."""
    entry = meeting_secrets
    for name in secret_path(role, group_id):
        entry = entry.get(name) if isinstance(entry, dict) else None
    return entry if isinstance(entry, str) and entry else None


def link_keys(meeting_secrets: dict) -> list[tuple[str, str | None, str]]:
    """(role, group_id, key) of every re-issuable link whose key the secrets hold: generic over
    the roles (a meeting made before a role has no key for it), rapporteurs last, in group order."""
    single = [(name, None, key) for name, key in meeting_secrets.items()
              if name in REISSUABLE and name != RAPPORTEUR and isinstance(key, str) and key]
    groups = [(RAPPORTEUR, gid, key) for gid, key in (meeting_secrets.get("rapporteurs") or {}).items()]
    return single + groups


def staff_key_ids(meeting_id: str, meeting_secrets: dict) -> set[str]:
    """The key ids of every staff key the secrets hold now (the chair's too): a connection
    under any other staff key was opened with a key since re-issued."""
    keys = [meeting_secrets.get("chair", "")] + [key for _, _, key in link_keys(meeting_secrets)]
    return {key_id(meeting_id, key) for key in keys if key}


def actor_for_key(meeting_secrets: dict, key: str, name: str | None = None) -> Actor | None:
    """The role a staff key grants, or None. Participant keys live in the participant registry."""
    if not key or not isinstance(key, str):
        return None
    if secrets.compare_digest(key, meeting_secrets.get("chair", "")):
        return Actor(CHAIR, name=name)
    if secrets.compare_digest(key, meeting_secrets.get("plenary", "")):
        return Actor(PLENARY)
    # Meetings created before the translator role have no such key: "" never matches a key.
    if secrets.compare_digest(key, meeting_secrets.get("translator", "")):
        return Actor(TRANSLATOR, name=name)
    # ... and meetings created before the curator role have none either.
    if secrets.compare_digest(key, meeting_secrets.get("curator", "")):
        return Actor(CURATOR, name=name)
    for gid, group_key in meeting_secrets.get("rapporteurs", {}).items():
        if secrets.compare_digest(key, group_key):
            return Actor(RAPPORTEUR, group_id=gid, name=name)
    return None


# Event types seen only by the chair and the plenary screen.
STAFF_ONLY = {
    "participant.joined",
    "spotlight.set",
    "meeting.anonymity",
    "cluster.titled",
    "cluster.merged",
    "cluster.detached",
    "cluster.confirmed",
    "cluster.rejected",
    "cluster.moved",
    "cluster.included",
    "curation.undone",
    "plenary.suggestions_shown",
    "outcome.marked",
    "outcome.wording",
    "outcome.ordered",
    "plenary.frozen",
    "link.reissued",
}
# Staff-only event types the translators need as well: what the room looks at, to order the queue.
FOR_TRANSLATORS = {"spotlight.set", "cluster.titled"}
# Translators are one audience: every group's contributions, never votes or curation decisions.
TRANSLATORS = "translators"
# The curators are one audience: every group's words, the curation and what the room looks at;
# never votes, ballots, participants or the outcome.
CURATORS = "curators"
FOR_CURATORS = {"spotlight.set", "cluster.titled", "cluster.merged", "cluster.detached",
                "cluster.confirmed", "cluster.rejected", "cluster.moved", "cluster.included", "curation.undone",
                "session.changed", "meeting.created"}
# Event types the voters' phones need too.
FOR_PARTICIPANTS = {"ballot.opened", "ballot.closed", "ballot.revealed", "session.changed", "meeting.created"}
# Logged but broadcast to nobody: a vote must never reach a screen tied to its voter.
PRIVATE = {"vote.cast"}


def audiences(event: dict, group_ids: list[str]) -> list[str]:
    """Every audience entitled to an event. Each connected client belongs to exactly one."""
    etype = event["type"]
    if etype in PRIVATE:
        return []
    if etype.startswith("contribution."):
        return ["staff", TRANSLATORS, CURATORS, f"group:{event['contribution']['group_id']}"]
    if etype == "translation.set":
        # the translation of a group's text reaches whoever may read that text
        return ["staff", TRANSLATORS, CURATORS, f"group:{event['group_id']}"] + _on_phones(event)
    if etype == "answers.signed_off":
        return ["staff", f"group:{event['group_id']}"]
    if etype in STAFF_ONLY:
        return (["staff"] + ([TRANSLATORS] if etype in FOR_TRANSLATORS else [])
                + ([CURATORS] if etype in FOR_CURATORS else []) + _on_phones(event))
    result = ["staff", TRANSLATORS] + [f"group:{gid}" for gid in group_ids]
    if etype in FOR_CURATORS:
        result.append(CURATORS)
    if etype in FOR_PARTICIPANTS:
        result.append("participants")
    return result


def _on_phones(event: dict) -> list[str]:
    # a translation of a text on an open ballot (ops/ballots.py mark_ballot_texts): the phones read it
    return ["participants"] if event.get("ballot_ids") else []


def visible(event: dict, actor: Actor, group_ids: list[str]) -> bool:
    return actor.audience in audiences(event, group_ids)
