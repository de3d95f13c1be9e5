"""Live views derived from the log: the synthesis and the vote tallies.

Both are recomputed off the hot path: an event only marks a meeting dirty; one background task
per meeting recomputes at most once per interval and pushes the result as a live event.
The clustering (and the embedding behind it) runs through `offload` so it never blocks the event
loop; run.py sets it to eventlet's thread pool. The rules (tallies, which splits are diverging
points) are the domain's: meeting/voting.py and meeting/synthesis.py.
"""

from __future__ import annotations

import copy
import logging
import threading
import time

from ..meeting import roles, voting
from ..meeting.state import MeetingState
from ..meeting.synthesis import add_vote_divergence
from ..store import StoreUnavailable

BALLOT_RESULTS_INTERVAL = 0.25  # seconds: a burst of votes becomes a few updates a second
# At most this share of the time goes to recomputing one meeting's synthesis: on a meeting so
# large that a run takes longer than a quarter of the debounce, the runs space out, and the ops
# keep the core (the analysis is not the op path).
SYNTHESIS_SHARE = 0.25

SYNTHESIS_EVENTS = ("contribution.", "cluster.", "ballot.", "meeting.created")


class Coalescer:
    """Marks per meeting, worked off by one background task per meeting.

    ``mark`` only records (meeting, item) and starts the meeting's task if none runs; the task
    hands everything marked so far to ``work(meeting_id, items)``, then sleeps ``interval``
    seconds (longer after a long run, if ``share`` bounds the time its runs may take), until
    nothing is left. ``wait_first`` sleeps before the first run too, so that a
    burst of events becomes one run. While the store is down the items stay marked and are
    retried on the next tick (the store logs its outage once).
    """

    def __init__(self, socketio, work, interval: float, wait_first: bool, name: str,
                 share: float = 1.0, clock=time.perf_counter) -> None:
        self.socketio = socketio
        self.work = work
        self.interval = interval
        # the pause after a run is at least (1 - share) / share times the run's own length
        self.share = share
        self.clock = clock
        self.wait_first = wait_first
        self.name = name
        self._lock = threading.Lock()
        self._marked: dict[str, set] = {}
        self._running: set[str] = set()

    def mark(self, meeting_id: str, item=None) -> None:
        with self._lock:
            self._marked.setdefault(meeting_id, set()).add(item)
            if meeting_id in self._running:
                return
            self._running.add(meeting_id)
        self.socketio.start_background_task(self._run, meeting_id)

    def _take(self, meeting_id: str) -> set:
        with self._lock:
            items = self._marked.pop(meeting_id, set())
            if not items:
                self._running.discard(meeting_id)
            return items

    def _run(self, meeting_id: str) -> None:
        try:
            if self.wait_first:
                self.socketio.sleep(self.interval)
            while True:
                items = self._take(meeting_id)
                if not items:
                    return
                started = self.clock()
                try:
                    self.work(meeting_id, items)
                except StoreUnavailable:
                    with self._lock:
                        self._marked.setdefault(meeting_id, set()).update(items)
                took = self.clock() - started
                self.socketio.sleep(max(self.interval, took * (1 - self.share) / self.share))
        except Exception:  # a failed recomputation must not take the meeting down
            logging.getLogger(__name__).exception("%s failed for %s", self.name, meeting_id)
            with self._lock:
                self._running.discard(meeting_id)


class LiveViews:
    def __init__(self, hub, socketio, synthesizer_factory, offload=None, debounce: float = 1.0):
        self.hub = hub
        self.socketio = socketio
        self._synthesizer_factory = synthesizer_factory
        self._synthesizer = None
        self.offload = offload or (lambda fn, *a: fn(*a))
        self.debounce = debounce
        self._compute_lock = threading.Lock()
        self._synthesis: dict[str, tuple[int, dict]] = {}  # meeting -> (seq it reflects, result)
        # (meeting, question) -> (the texts they were computed on, the suggestions' scores)
        self._pair_scores: dict[tuple[str, str], tuple[tuple, dict]] = {}
        self._synthesis_runs = Coalescer(socketio, self._push_synthesis, debounce, wait_first=True,
                                         name="synthesis", share=SYNTHESIS_SHARE)
        self._ballot_runs = Coalescer(socketio, self._push_ballots, BALLOT_RESULTS_INTERVAL,
                                      wait_first=False, name="ballot results")
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
            self._synthesis_runs.mark(meeting_id)
        if etype == "vote.cast":
            self._ballot_runs.mark(meeting_id, event["ballot_id"])
        elif etype in ("ballot.opened", "ballot.closed", "ballot.revealed"):
            ballot_id = event["ballot"]["id"] if etype == "ballot.opened" else event["ballot_id"]
            self._ballot_runs.mark(meeting_id, ballot_id)

    # ----- synthesis -----------------------------------------------------------------------------

    def _push_synthesis(self, meeting_id: str, _items) -> None:
        result = self.synthesis(meeting_id, fresh=True)
        self._push(meeting_id, ["staff", roles.CURATORS], {"type": "synthesis.updated", "synthesis": result})

    def _push(self, meeting_id: str, audiences: list[str], payload: dict) -> None:
        """A live view goes out from the meeting's owner only, its lease checked just before:
        a process stopped (SIGSTOP) past its lease, then resumed, finds its runs still marked
        and must not push its older state beside the new owner's (issue 20, point 8)."""
        if self.hub.owns(meeting_id):
            self.hub.emit_live(meeting_id, audiences, payload)

    def _inputs(self, state: MeetingState) -> tuple:
        # A snapshot taken on the event loop: the worker thread never sees the state mutate.
        contributions = [copy.copy(c) for c in state.live_contributions()]
        sessions = copy.deepcopy(state.meeting["sessions"])
        groups = {s["id"]: list(s["groups"]) for s in sessions}
        return contributions, sessions, groups, _curation_copy(state)

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
            add_vote_divergence(result, voting.regions_split(state))
            result["seq"] = seq
            self._synthesis[meeting_id] = (seq, result)
        return result

    # ----- suggestions ---------------------------------------------------------------------------

    def suggestions(self, meeting_id: str, question_id: str, limit: int) -> dict:
        """The pairs of one question worth a decision next. The curation is the state's at the
        time of the request, so every decision acknowledged before it counts; the scores are
        kept while the question's texts stay the same."""
        state = self.hub.state(meeting_id)
        seq = state.seq
        contributions = [copy.copy(c) for c in state.live_contributions() if c["question_id"] == question_id]
        curation = _curation_copy(state)
        texts = tuple((c["id"], c["group_id"], c.get("lang"), c["text"]) for c in contributions)
        with self._compute_lock:  # the synthesizer's caches are not thread-safe (see synthesis)
            cached = self._pair_scores.get((meeting_id, question_id))
            if cached is not None and cached[0] == texts:
                scored = cached[1]
            else:
                stored = self._stored_vectors(contributions)
                scored = self.offload(self._scores, contributions, stored)
                self._keep_vectors()
                self._pair_scores[(meeting_id, question_id)] = (texts, scored)
            pairs = self.offload(self.synthesizer.suggestions, contributions, curation, limit, scored)
        return {"question_id": question_id, "seq": seq, "pairs": pairs}

    def _scores(self, contributions, stored=None) -> dict:
        if stored:
            self.synthesizer.add_vectors(stored)
        return self.synthesizer.pair_scores(contributions)

    # ----- ballots -------------------------------------------------------------------------------

    def _push_ballots(self, meeting_id: str, ballot_ids: set) -> None:
        state = self.hub.state(meeting_id)
        for ballot_id in sorted(ballot_ids):
            self.push_ballot(meeting_id, state, ballot_id)

    def push_ballot(self, meeting_id: str, state: MeetingState, ballot_id: str) -> None:
        results = voting.ballot_results(state, ballot_id)
        payload = {"type": "ballot.results", "ballot_id": ballot_id, "results": results}
        audiences = ["role:chair"]
        if results["revealed"]:
            audiences += ["role:plenary", "participants"]
        self._push(meeting_id, audiences, payload)
        if results["status"] == "open":
            # how many have voted, for the room to see while results stay hidden; as often as
            # the results (this task's interval: a few a second at most)
            self._push(meeting_id, ["role:chair", "role:plenary"],
                       {"type": "ballot.turnout", "ballot_id": ballot_id, "voters": results["participants"]})


def _curation_copy(state: MeetingState) -> dict:
    """The curation the analysis reads, copied on the event loop (the history it does not read)."""
    return copy.deepcopy({k: v for k, v in state.curation.items() if k != "history"})
