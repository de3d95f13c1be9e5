"""The meeting as a fold of its event log.

Events are facts already decided by `ops`; applying one never fails and never looks at the
clock, so every server process that folds the same log reaches the same state.
"""

from __future__ import annotations

import copy

from . import roles
from .curation import CurationFold
from .ids import order_key, translation_key

KINDS = (
    "good_practice",
    "innovative_solution",
    "principle",
    "recommendation",
    "gap",
    "partnership",
    "commitment",
    "other",
)
AGREEMENTS = ("consensus", "majority", "divergent")


class MeetingState:
    def __init__(self) -> None:
        self.seq = 0
        self.meeting: dict | None = None  # the normalised agenda plus "id" and "created_at"
        self.session_id: str | None = None
        self.contributions: dict[str, dict] = {}  # in creation order
        self.order: dict[str, list[str]] = {}  # order_key -> ids of live contributions
        self.locks: dict[str, bool] = {"all": False}
        self.timer: dict | None = None
        self.spotlight: dict | None = None
        self.anonymous = False
        # the chair's and the curator's decisions on converging points (curation.py)
        self.curation_fold = CurationFold(self.contributions)
        self.curation: dict = self.curation_fold.view
        # versions: ref -> seq of the last outcome.wording of it (what an op's `version` is
        # checked against: two chair tabs never overwrite each other's wording unseen)
        self.outcome: dict = {"marked": {}, "wording": {}, "order": [], "versions": {}}
        self.participants: dict[str, dict] = {}
        self.ballots: dict[str, dict] = {}  # in opening order
        self.votes: dict[str, dict[str, dict]] = {}  # ballot id -> participant id -> {item id (contribution or point): value}
        self.last_seq_by_audience: dict[str, int] = {}
        # contribution id -> lang -> {"text", "source", "stale", "version", "ts", "original_version"}
        self.translations: dict[str, dict[str, dict]] = {}
        # contribution id -> (its version, the seq) when its words (text, language) last changed:
        # a translation made from an earlier version, or read before that seq, is stale
        self.words: dict[str, tuple[int, int]] = {}
        # "<contribution id>|<lang>" -> times set, clearing included: what a translator's
        # `version` is checked against, so that two translators never overwrite each other unseen
        self.translation_versions: dict[str, int] = {}
        self.sign_offs: dict[str, dict] = {}  # order_key -> {"ts", "stale"}
        self.plenary_frozen = False
        # indexes built from the agenda
        self.questions: dict[str, dict] = {}  # question id -> question plus "session_id"
        self.sessions: dict[str, dict] = {}

    # ----- lookups -----------------------------------------------------------------------------

    @property
    def group_ids(self) -> list[str]:
        return [g["id"] for g in self.meeting["groups"]] if self.meeting else []

    def group(self, group_id: str) -> dict | None:
        for g in self.meeting["groups"] if self.meeting else []:
            if g["id"] == group_id:
                return g
        return None

    def session_groups(self, session_id: str) -> list[str]:
        return self.sessions[session_id]["groups"]

    def live_contributions(self) -> list[dict]:
        return [c for c in self.contributions.values() if not c["deleted"]]

    # ----- the fold --------------------------------------------------------------------------

    def apply(self, event: dict) -> None:
        handler = getattr(self, "_on_" + event["type"].replace(".", "_"), None)
        if handler is not None:
            handler(event)
        self.seq = event["seq"]
        for audience in roles.audiences(event, self.group_ids):
            self.last_seq_by_audience[audience] = event["seq"]

    def _on_meeting_created(self, e: dict) -> None:
        self.meeting = copy.deepcopy(e["meeting"])
        for session in self.meeting["sessions"]:
            self.sessions[session["id"]] = session
            for question in session["questions"]:
                self.questions[question["id"]] = dict(question, session_id=session["id"])
        self.session_id = self.meeting["sessions"][0]["id"]

    def _set_contribution(self, e: dict) -> None:
        c = e["contribution"]
        self.contributions[c["id"]] = dict(c)
        self.order[order_key(c["group_id"], c["question_id"])] = list(e["order"])
        previous = e.get("previous_order")
        if previous:
            self.order[order_key(c["group_id"], previous["question_id"])] = list(previous["order"])

    def _contribution_changed(self, e: dict) -> None:
        before = self.contributions.get(e["contribution"]["id"])
        self._set_contribution(e)
        self._after_change(before, e)

    _on_contribution_added = _contribution_changed
    _on_contribution_edited = _contribution_changed
    _on_contribution_moved = _contribution_changed
    _on_contribution_deleted = _contribution_changed
    _on_contribution_restored = _contribution_changed

    def _after_change(self, before: dict | None, e: dict) -> None:
        """A changed answer outdates what was said about it: its translations (when its words
        changed) and its group's sign-off of the question (any change at all)."""
        c = e["contribution"]
        if before is None or (before["text"], before["lang"]) != (c["text"], c["lang"]):
            self.words[c["id"]] = (c["version"], e["seq"])
            for translation in self.translations.get(c["id"], {}).values():
                translation["stale"] = True
        keys = {order_key(c["group_id"], c["question_id"])}
        if e.get("previous_order"):
            keys.add(order_key(c["group_id"], e["previous_order"]["question_id"]))
        for key in keys:
            if key in self.sign_offs:
                self.sign_offs[key]["stale"] = True

    def _on_translation_set(self, e: dict) -> None:
        key = translation_key(e["contribution_id"], e["lang"])
        version = self.translation_versions[key] = self.translation_versions.get(key, 0) + 1
        mine = self.translations.setdefault(e["contribution_id"], {})
        if not e["text"]:
            mine.pop(e["lang"], None)
            return
        # `stale` on the event: made from words the original no longer has (an older log: fresh)
        mine[e["lang"]] = {"text": e["text"], "source": e["source"], "stale": bool(e.get("stale")),
                           "version": version, "ts": e["ts"],
                           "original_version": e.get("original_version")}

    def _on_answers_signed_off(self, e: dict) -> None:
        self.sign_offs[order_key(e["group_id"], e["question_id"])] = {"ts": e["ts"], "stale": False}

    def _on_plenary_frozen(self, e: dict) -> None:
        self.plenary_frozen = bool(e["frozen"])

    def translations_of(self, contribution_id: str) -> dict:
        return self.translations.get(contribution_id, {})

    def words_of(self, contribution_id: str) -> tuple[int, int]:
        """(version, seq) of the contribution's current words."""
        return self.words.get(contribution_id, (1, 0))

    def _on_session_changed(self, e: dict) -> None:
        # The breakout timer is the session's: "Time is up" must not carry into the next one.
        if e["session_id"] != self.session_id:
            self.timer = None
        self.session_id = e["session_id"]

    def _on_board_locked(self, e: dict) -> None:
        if e["group_id"] == "all":
            # Locking or opening everything resets the per-group switches too.
            self.locks = {"all": e["locked"]}
        else:
            self.locks[e["group_id"]] = e["locked"]

    def _on_timer_started(self, e: dict) -> None:
        self.timer = {"started_at": e["ts"], "ends_at": e["ends_at"], "seconds": e["seconds"]}

    def _on_timer_stopped(self, e: dict) -> None:
        self.timer = None

    def _on_spotlight_set(self, e: dict) -> None:
        self.spotlight = e.get("spotlight")

    def _on_meeting_anonymity(self, e: dict) -> None:
        self.anonymous = bool(e["anonymous"])

    def _on_curation(self, e: dict) -> None:
        self.curation_fold.apply(e)

    _on_cluster_titled = _on_curation
    _on_cluster_merged = _on_curation
    _on_cluster_confirmed = _on_curation
    _on_cluster_rejected = _on_curation
    _on_cluster_moved = _on_curation
    _on_cluster_detached = _on_curation
    _on_cluster_included = _on_curation
    _on_curation_undone = _on_curation

    def _on_plenary_suggestions_shown(self, e: dict) -> None:
        self.curation_fold.show_suggestions(bool(e["shown"]))

    def _on_outcome_marked(self, e: dict) -> None:
        ref = e["ref"]
        if e["marked"]:
            self.outcome["marked"][ref] = True
            if ref not in self.outcome["order"]:
                self.outcome["order"].append(ref)
        else:
            self.outcome["marked"].pop(ref, None)
            if ref in self.outcome["order"]:
                self.outcome["order"].remove(ref)

    def _on_outcome_wording(self, e: dict) -> None:
        self.outcome["versions"][e["ref"]] = e["seq"]
        if e.get("text"):
            self.outcome["wording"][e["ref"]] = {"text": e["text"], "lang": e.get("lang")}
        else:
            self.outcome["wording"].pop(e["ref"], None)

    def _on_outcome_ordered(self, e: dict) -> None:
        self.outcome["order"] = list(e["order"])

    def _on_participant_joined(self, e: dict) -> None:
        self.participants[e["participant_id"]] = {"region": e.get("region"), "lang": e.get("lang")}

    def _on_ballot_opened(self, e: dict) -> None:
        ballot = dict(e["ballot"])
        self.ballots[ballot["id"]] = ballot
        self.votes.setdefault(ballot["id"], {})

    def _on_ballot_closed(self, e: dict) -> None:
        self.ballots[e["ballot_id"]]["status"] = "closed"

    def _on_ballot_revealed(self, e: dict) -> None:
        self.ballots[e["ballot_id"]]["revealed"] = bool(e.get("revealed", True))

    def _on_vote_cast(self, e: dict) -> None:
        mine = self.votes.setdefault(e["ballot_id"], {}).setdefault(e["participant_id"], {})
        mine[e.get("point_id") or e["contribution_id"]] = e["value"]


def fold(events) -> MeetingState:
    state = MeetingState()
    for event in events:
        state.apply(event)
    return state
