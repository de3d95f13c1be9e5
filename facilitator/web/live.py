"""Live views derived from the log: the synthesis and the vote tallies.

Both are recomputed off the hot path: an event only marks a meeting dirty; one background task
per meeting recomputes at most once per debounce interval and pushes the result as a live event.
The clustering (and the embedding behind it) runs through `offload` so it never blocks the event
loop; run.py sets it to eventlet's thread pool.
"""

from __future__ import annotations

import copy
import logging
import threading

from ..meeting import voting
from ..meeting.state import MeetingState
from ..store import StoreUnavailable

# A practice on which regions split at least this much is shown among the diverging points.
VOTE_DIVERGENCE_THRESHOLD = 0.5
BALLOT_RESULTS_INTERVAL = 0.25  # seconds: a burst of votes becomes a few updates a second

SYNTHESIS_EVENTS = ("contribution.", "cluster.", "ballot.", "meeting.created")


def ballot_results(state: MeetingState, ballot_id: str) -> dict:
    ballot = state.ballots[ballot_id]
    region_ids = [r["id"] for r in state.meeting.get("regions", [])]
    regions_of = {pid: p.get("region") for pid, p in state.participants.items()}
    origin = {}
    for cid in ballot["contribution_ids"]:
        group_id = state.contributions[cid]["group_id"]
        origin[cid] = group_id if group_id in region_ids else None
    result = voting.tally(ballot, state.votes.get(ballot_id, {}), regions_of, origin, region_ids)
    result["revealed"] = bool(ballot.get("revealed"))
    result["prompt"] = ballot.get("prompt")
    return result


class LiveViews:
    def __init__(self, hub, socketio, synthesizer_factory, offload=None, debounce: float = 1.0):
        self.hub = hub
        self.socketio = socketio
        self._synthesizer_factory = synthesizer_factory
        self._synthesizer = None
        self.offload = offload or (lambda fn, *a: fn(*a))
        self.debounce = debounce
        self._lock = threading.Lock()
        self._compute_lock = threading.Lock()
        self._synthesis: dict[str, tuple[int, dict]] = {}  # meeting -> (seq it reflects, result)
        self._dirty: set[str] = set()
        self._scheduled: set[str] = set()
        self._dirty_ballots: dict[str, set[str]] = {}
        self._ballot_task: set[str] = set()
        hub.listeners.append(self.on_event)

    @property
    def synthesizer(self):
        if self._synthesizer is None:
            self._synthesizer = self._synthesizer_factory()
        return self._synthesizer

    # ----- events ------------------------------------------------------------------------------

    def on_event(self, meeting_id: str, state: MeetingState, event: dict) -> None:
        etype = event["type"]
        if etype.startswith(SYNTHESIS_EVENTS) or etype == "vote.cast":
            self._mark_synthesis(meeting_id)
        if etype == "vote.cast":
            self._mark_ballot(meeting_id, event["ballot_id"])
        elif etype in ("ballot.opened", "ballot.closed", "ballot.revealed"):
            ballot_id = event["ballot"]["id"] if etype == "ballot.opened" else event["ballot_id"]
            self._mark_ballot(meeting_id, ballot_id)

    # ----- synthesis -----------------------------------------------------------------------------

    def _mark_synthesis(self, meeting_id: str) -> None:
        with self._lock:
            self._dirty.add(meeting_id)
            if meeting_id in self._scheduled:
                return
            self._scheduled.add(meeting_id)
        self.socketio.start_background_task(self._synthesis_task, meeting_id)

    def _synthesis_task(self, meeting_id: str) -> None:
        try:
            while True:
                self.socketio.sleep(self.debounce)
                with self._lock:
                    if meeting_id not in self._dirty:
                        self._scheduled.discard(meeting_id)
                        return
                    self._dirty.discard(meeting_id)
                try:
                    result = self.synthesis(meeting_id, fresh=True)
                except StoreUnavailable:  # the store logs its outage once; try again next tick
                    with self._lock:
                        self._dirty.add(meeting_id)
                    continue
                self.hub.emit_live(meeting_id, ["staff"], {"type": "synthesis.updated", "synthesis": result})
        except Exception:  # a failed recomputation must not take the meeting down
            logging.getLogger(__name__).exception("synthesis failed for %s", meeting_id)
            with self._lock:
                self._scheduled.discard(meeting_id)

    def _inputs(self, state: MeetingState) -> tuple:
        # A snapshot taken on the event loop: the worker thread never sees the state mutate.
        contributions = [copy.copy(c) for c in state.live_contributions()]
        sessions = copy.deepcopy(state.meeting["sessions"])
        groups = {s["id"]: list(s["groups"]) for s in sessions}
        curation = copy.deepcopy(state.curation)
        return contributions, sessions, groups, curation

    def _compute(self, contributions, sessions, groups, curation, stored=None) -> dict:
        if stored:
            self.synthesizer.add_vectors(stored)
        return self.synthesizer.analyse(contributions, sessions, groups, curation)

    def _missing_vectors(self, contributions) -> tuple[str | None, list[str]]:
        synth = self.synthesizer  # built (models loaded) in the worker thread, not on the loop
        return synth.fingerprint, synth.missing_vectors(contributions)

    def _stored_vectors(self, contributions) -> dict:
        """Vectors an earlier run of this engine left in the store: a restart need not embed."""
        fingerprint, missing = self.offload(self._missing_vectors, contributions)
        if not fingerprint or not missing:
            return {}
        try:
            return self.hub.store.load_vectors(fingerprint, missing)
        except Exception as error:  # derived data: without it the texts are embedded again
            # (a store outage is logged once by the store itself)
            logging.getLogger(__name__).debug("stored vectors not read: %s", error)
            return {}

    def _keep_vectors(self) -> None:
        synth = self.synthesizer
        fresh = synth.take_new_vectors()
        if fresh and synth.fingerprint:
            try:
                self.hub.store.save_vectors(synth.fingerprint, {k: v.tobytes() for k, v in fresh.items()})
            except Exception as error:  # still in memory; only a restart would embed them again
                logging.getLogger(__name__).debug("%d vectors not stored: %s", len(fresh), error)

    def warm_up(self, meeting_ids: list[str] = ()) -> None:
        """At start-up: load the models in a worker thread, then compute the synthesis of the
        given meetings (their vectors come back from the store), so that the first request after
        a restart is answered from the cache."""
        self.offload(lambda: self.synthesizer.describe_method())
        for meeting_id in meeting_ids:
            try:
                self.synthesis(meeting_id)
            except Exception:  # a meeting that cannot be analysed must not stop the others
                logging.getLogger(__name__).warning("warm-up of %s failed", meeting_id, exc_info=True)

    def synthesis(self, meeting_id: str, fresh: bool = False) -> dict:
        state = self.hub.state(meeting_id)
        cached = self._synthesis.get(meeting_id)
        if cached and cached[0] == state.seq and not fresh:
            return cached[1]
        # One analysis at a time (the synthesizer's caches are not thread-safe). The lock is
        # taken here, on the caller's side of the offload: under eventlet it is a green lock,
        # and a green lock taken inside a worker OS thread can deadlock that thread forever.
        with self._compute_lock:
            state = self.hub.state(meeting_id)
            cached = self._synthesis.get(meeting_id)
            if cached and cached[0] == state.seq and not fresh:
                return cached[1]  # computed by whoever held the lock before us
            seq = state.seq
            inputs = self._inputs(state)
            stored = self._stored_vectors(inputs[0])
            result = self.offload(self._compute, *inputs, stored)
            self._keep_vectors()
            self._add_vote_divergence(state, result)
            result["seq"] = seq
            self._synthesis[meeting_id] = (seq, result)
        return result

    def _add_vote_divergence(self, state: MeetingState, result: dict) -> None:
        """Practices on which regions split in a ballot join their question's diverging points."""
        by_question = {q["question_id"]: q for q in result.get("questions", [])}
        for ballot_id, ballot in state.ballots.items():
            if ballot["mode"] != "yes_no":
                continue
            tally = ballot_results(state, ballot_id)
            for row in tally["results"]:
                divergence = row.get("divergence") or 0
                c = state.contributions.get(row["contribution_id"])
                if divergence < VOTE_DIVERGENCE_THRESHOLD or c is None or c["deleted"]:
                    continue
                question = by_question.get(c["question_id"])
                if question is None:
                    question = {"question_id": c["question_id"], "converging": [], "diverging": [], "unique": []}
                    by_question[c["question_id"]] = question
                    result.setdefault("questions", []).append(question)
                question["diverging"].append({
                    "contributions": [c["id"]],
                    "reason": "regions_split",
                    "ballot_id": ballot_id,
                    "divergence": divergence,
                    "cluster_id": None,
                })

    # ----- ballots -------------------------------------------------------------------------------

    def _mark_ballot(self, meeting_id: str, ballot_id: str) -> None:
        with self._lock:
            self._dirty_ballots.setdefault(meeting_id, set()).add(ballot_id)
            if meeting_id in self._ballot_task:
                return
            self._ballot_task.add(meeting_id)
        self.socketio.start_background_task(self._ballot_loop, meeting_id)

    def _ballot_loop(self, meeting_id: str) -> None:
        try:
            while True:
                with self._lock:
                    dirty = self._dirty_ballots.pop(meeting_id, set())
                    if not dirty:
                        self._ballot_task.discard(meeting_id)
                        return
                try:
                    state = self.hub.state(meeting_id)
                except StoreUnavailable:  # logged once by the store; push when it is back
                    with self._lock:
                        self._dirty_ballots.setdefault(meeting_id, set()).update(dirty)
                    self.socketio.sleep(BALLOT_RESULTS_INTERVAL)
                    continue
                for ballot_id in sorted(dirty):
                    self.push_ballot(meeting_id, state, ballot_id)
                self.socketio.sleep(BALLOT_RESULTS_INTERVAL)
        except Exception:
            logging.getLogger(__name__).exception("ballot results failed for %s", meeting_id)
            with self._lock:
                self._ballot_task.discard(meeting_id)

    def push_ballot(self, meeting_id: str, state: MeetingState, ballot_id: str) -> None:
        results = ballot_results(state, ballot_id)
        payload = {"type": "ballot.results", "ballot_id": ballot_id, "results": results}
        audiences = ["role:chair"]
        if results["revealed"]:
            audiences += ["role:plenary", "participants"]
        self.hub.emit_live(meeting_id, audiences, payload)
