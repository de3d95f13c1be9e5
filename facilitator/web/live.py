"""Live views derived from the log: the synthesis and the vote tallies.

Both are recomputed off the hot path: an event only marks a meeting dirty; one background task
per meeting recomputes at most once per interval and pushes the result as a live event.
Requests are answered from the last result. The clustering (and the embedding behind it) runs in
the analysis worker process under run.py serve (web/analysis_worker.py), or through `offload`
(an OS thread) in process. The rules (tallies, which splits are diverging points) are the
domain's: meeting/voting.py and meeting/synthesis.py.
"""

from __future__ import annotations

import copy
import gzip
import json
import logging
import threading
import time

from ..meeting import roles, voting
from ..meeting.state import MeetingState
from ..store import StoreUnavailable
from . import wire
from .analysis import Analysis, json_body

BALLOT_RESULTS_INTERVAL = 0.25  # seconds: a burst of votes becomes a few updates a second
# At most this share of the time goes to recomputing one meeting's synthesis: on a meeting so
# large that a run takes longer than a quarter of the debounce, the runs space out, and the ops
# keep the core (the analysis is not the op path).
SYNTHESIS_SHARE = 0.25
# In a worker process the analysis holds no op, and at nice 19 the server's process comes first
# whenever it wants a core: the debounce only bounds how often runs start, and a run as long as
# the debounce is its own wait, so that a contribution waits at most the run in progress, what
# is left of the debounce and its own run.
WORKER_SHARE = 1.0

# The events that change what the synthesis reads (contributions, curation, votes): the others
# (timer, locks, spotlight, translations, joins) leave the last result as fresh as it was.
SYNTHESIS_EVENTS = ("contribution.", "cluster.", "ballot.", "meeting.created", "curation.undone",
                    "plenary.suggestions_shown")


class Coalescer:
    """Marks per meeting, worked off by one background task per meeting.

    ``mark`` only records (meeting, item) and starts the meeting's task if none runs; the task
    hands everything marked so far to ``work(meeting_id, items)``, then sleeps ``interval``
    seconds (longer after a long run, if ``share`` bounds the time its runs may take; with
    ``from_start``, for work done in another process, ``interval`` from the run's start), until
    nothing is left. ``wait_first`` sleeps before the first run too, so that a
    burst of events becomes one run. While the store is down the items stay marked and are
    retried on the next tick (the store logs its outage once).
    """

    def __init__(self, socketio, work, interval: float, wait_first: bool, name: str,
                 share: float = 1.0, clock=time.perf_counter, from_start: bool = False) -> None:
        self.socketio = socketio
        self.work = work
        self.interval = interval
        # the pause after a run is at least (1 - share) / share times the run's own length
        self.share = share
        self.from_start = from_start
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
                if self.from_start:
                    self.socketio.sleep(max(0.0, self.interval - took))
                else:
                    self.socketio.sleep(max(self.interval, took * (1 - self.share) / self.share))
        except Exception:  # a failed recomputation must not take the meeting down
            logging.getLogger(__name__).exception("%s failed for %s", self.name, meeting_id)
            with self._lock:
                self._running.discard(meeting_id)


class InProcessAnalysis:
    """``analysis.Analysis`` in this process, each call through ``offload`` (an OS thread under
    eventlet): what tests use, and a server started without its worker (ANALYSIS_WORKER off)."""

    def __init__(self, analysis, offload) -> None:
        self.analysis = analysis
        self.offload = offload

    def describe(self) -> dict:
        return self.offload(self.analysis.describe)

    def publish(self, *args) -> dict:
        return self.offload(self.analysis.publish, *args)

    def suggestions(self, *args) -> list:
        return self.offload(self.analysis.suggestions, *args)


def pending_synthesis() -> dict:
    """What a request gets before the first synthesis of a meeting is computed: nothing yet,
    reflecting no event of the log (``seq`` 0); the computation is on its way."""
    return {"pending": True, "seq": 0, "engine": None, "method": {}, "questions": [], "sessions": []}


class Published:
    """One synthesis result as this process keeps it, with the log ``seq`` it reflects.

    From a server's run (``encode``) it holds only the encodings the analysis made: the GET
    body, gzipped, and the push's JSON. Bytes and strings are not scanned by the garbage
    collector, whereas the result as objects (a hundred thousand of them at 3,000
    contributions) made every full collection of this process longer (docs/performance.md).
    The result as a dict is decoded on the first request that needs one (the report, one
    question's GET) and kept with it. In process (tests), it holds the dict."""

    __slots__ = ("seq", "wire", "_result", "_body", "_gzip")

    def __init__(self, out: dict) -> None:
        self._result = out.get("result")
        self.seq = out["seq"] if "seq" in out else self._result["seq"]
        self._body, self._gzip = out.get("json"), out.get("gzip")
        self.wire = wire.RawJSON(out["wire"]) if out.get("wire") is not None else None

    def result(self, offload) -> dict:
        if self._result is None:
            self._result = offload(json.loads, self._body)
        return self._result

    def body(self, offload, gzipped: bool) -> bytes:
        # through offload: an OS thread, so that the loop keeps its turns while megabytes are
        # written and compressed
        if self._body is None:
            self._body = offload(json_body, self._result)
        if not gzipped:
            return self._body
        if self._gzip is None:
            self._gzip = offload(gzip.compress, self._body, 6)
        return self._gzip


class LiveViews:
    """The synthesis and the ballot results of the meetings this process owns.

    The synthesis is computed by ``analysis`` (a worker process under run.py serve, this
    process's thread in tests) on the Coalescer's schedule only: a request is answered from the
    last result, with the log ``seq`` it reflects, and never waits for a model. Only the first
    request for a meeting with nothing computed yet schedules a computation (and gets
    ``pending_synthesis``); the report waits for a synthesis that reflects the log."""

    def __init__(self, hub, socketio, synthesizer_factory, offload=None, debounce: float = 1.0,
                 analysis=None, share: float = SYNTHESIS_SHARE, encode: bool = False):
        self.hub = hub
        self.socketio = socketio
        self.offload = offload or (lambda fn, *a: fn(*a))
        self.analysis = analysis or InProcessAnalysis(Analysis(synthesizer_factory, hub.store), self.offload)
        self.debounce = debounce
        self.encode = encode  # a server: each result comes with GET's and the push's JSON
        # One analysis call at a time (the in-process caches are not thread-safe; the worker
        # takes one job at a time). Taken on the caller's side of the offload: under eventlet
        # it is a green lock, and a green lock taken inside an OS thread can deadlock it.
        self._compute_lock = threading.Lock()
        self._synthesis: dict[str, Published] = {}  # meeting -> the last result
        # meeting -> seq of the last event that changes its synthesis, as this process saw it
        self._changed: dict[str, int] = {}
        self._synthesis_runs = Coalescer(socketio, self._push_synthesis, debounce, wait_first=True,
                                         name="synthesis", share=share,
                                         # no share to bound: the runs hold nothing here
                                         from_start=share >= WORKER_SHARE)
        self._ballot_runs = Coalescer(socketio, self._push_ballots, BALLOT_RESULTS_INTERVAL,
                                      wait_first=False, name="ballot results")
        hub.listeners.append(self.on_event)

    # ----- events ------------------------------------------------------------------------------

    def on_event(self, meeting_id: str, state: MeetingState, event: dict) -> None:
        etype = event["type"]
        if etype.startswith(SYNTHESIS_EVENTS) or etype == "vote.cast":
            self._changed[meeting_id] = event["seq"]
            self._synthesis_runs.mark(meeting_id)
        if etype == "vote.cast":
            self._ballot_runs.mark(meeting_id, event["ballot_id"])
        elif etype in ("ballot.opened", "ballot.closed", "ballot.revealed"):
            ballot_id = event["ballot"]["id"] if etype == "ballot.opened" else event["ballot_id"]
            self._ballot_runs.mark(meeting_id, ballot_id)

    # ----- synthesis -----------------------------------------------------------------------------

    def _push_synthesis(self, meeting_id: str, _items) -> None:
        published = self._run(meeting_id)
        # a result from the worker goes out as the JSON it came with, spliced in (wire.RawJSON)
        self._push(meeting_id, ["staff", roles.CURATORS],
                   {"type": "synthesis.updated", "synthesis": published.wire or published.result(self.offload)})

    def _push(self, meeting_id: str, audiences: list[str], payload: dict) -> None:
        """A live view goes out from the meeting's owner only, its lease checked just before:
        a process stopped (SIGSTOP) past its lease, then resumed, finds its runs still marked
        and must not push its older state beside the new owner's (issue 20, point 8)."""
        if self.hub.owns(meeting_id):
            self.hub.emit_live(meeting_id, audiences, payload)

    def _inputs(self, state: MeetingState) -> tuple:
        # A snapshot taken on the event loop: the analysis never sees the state mutate.
        contributions = [copy.copy(c) for c in state.live_contributions()]
        sessions = copy.deepcopy(state.meeting["sessions"])
        groups = {s["id"]: list(s["groups"]) for s in sessions}
        return contributions, sessions, groups, _curation_copy(state)

    def compute(self, meeting_id: str) -> dict:
        """One run of the analysis on the state as it is now; its result."""
        return self._run(meeting_id).result(self.offload)

    def _run(self, meeting_id: str) -> "Published":
        """One run of the analysis (the Coalescer's work), kept as the meeting's last result."""
        with self._compute_lock:
            state = self.hub.state(meeting_id)
            splits = [(b, copy.copy(c), d) for b, c, d in voting.regions_split(state)]
            out = self.analysis.publish(meeting_id, *self._inputs(state), splits, state.seq, self.encode)
            published = self._synthesis[meeting_id] = Published(out)
        return published

    def warm_up(self, meeting_ids: list[str] = ()) -> None:
        """At start-up: load the models (in the worker), then schedule the synthesis of the
        given meetings (their vectors come back from the store), so that the first request
        after a restart is answered from a result."""
        with self._compute_lock:
            self.analysis.describe()
        for meeting_id in meeting_ids:
            self._synthesis_runs.mark(meeting_id)

    def synthesis(self, meeting_id: str) -> dict:
        """The last synthesis computed, at once. A meeting with none gets ``pending_synthesis``
        and a computation scheduled; so does a meeting whose log moved on in another process
        (this one does not own it: no event reaches its listeners)."""
        published = self._last(meeting_id)
        return published.result(self.offload) if published is not None else pending_synthesis()

    def _last(self, meeting_id: str) -> "Published | None":
        state = self.hub.state(meeting_id)
        published = self._synthesis.get(meeting_id)
        if published is None or (state.seq > published.seq and not self.hub.owns(meeting_id)):
            self._synthesis_runs.mark(meeting_id)
        return published

    def synthesis_body(self, meeting_id: str, gzipped: bool) -> bytes:
        """``synthesis`` as JSON bytes, gzipped if asked: encoded once per result, by the run
        that computed it (``encode``: in the worker), else by the first request that asks."""
        published = self._last(meeting_id)
        if published is None:
            body = json_body(pending_synthesis())
            return gzip.compress(body, 6) if gzipped else body
        return published.body(self.offload, gzipped)

    def is_fresh(self, meeting_id: str) -> bool:
        """Whether the last result reflects every event that changes the synthesis: those this
        process was told of as the meeting's owner (a restart starts from the log as it is);
        elsewhere, every event of the log."""
        published = self._synthesis.get(meeting_id)
        if published is None:
            return False
        if not self.hub.owns(meeting_id):
            return published.seq >= self.hub.state(meeting_id).seq
        return published.seq >= self._changed.get(meeting_id, 0)

    def fresh_synthesis(self, meeting_id: str, timeout: float = 120.0, step: float = 0.1) -> dict:
        """For the outcome report and the archive: a synthesis that reflects the log, waited for
        (the computation stays the worker's, on its schedule; only this request waits). After
        ``timeout`` seconds, the last one with its seq."""
        waited = 0.0
        while not self.is_fresh(meeting_id) and waited < timeout:
            self.synthesis(meeting_id)  # schedules the first computation, if none was made
            self.socketio.sleep(step)
            waited += step
        return self.synthesis(meeting_id)

    # ----- suggestions ---------------------------------------------------------------------------

    def suggestions(self, meeting_id: str, question_id: str, limit: int) -> dict:
        """The pairs of one question worth a decision next. The curation is the state's at the
        time of the request, so every decision acknowledged before it counts; the scores are
        kept (by the analysis) while the question's texts stay the same."""
        state = self.hub.state(meeting_id)
        seq = state.seq
        contributions = [copy.copy(c) for c in state.live_contributions() if c["question_id"] == question_id]
        curation = _curation_copy(state)
        with self._compute_lock:
            pairs = self.analysis.suggestions(meeting_id, question_id, contributions, curation, limit)
        return {"question_id": question_id, "seq": seq, "pairs": pairs}

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
