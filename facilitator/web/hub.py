"""Per meeting: load, apply an op, append, broadcast.

The one place that touches both the store and the sockets. One op is applied at a time per
meeting in this process; between processes the store's expected-seq check serialises appends.
"""

from __future__ import annotations

import secrets as pysecrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from ..meeting import desk, ops, roles, voting
from ..meeting.errors import OpError
from ..meeting.ids import order_key_group
from ..meeting.roles import Actor
from ..meeting.state import MeetingState
from ..store import DuplicateOps, SeqConflict, StoreUnavailable, UnknownMeeting
from .presence import Presence

SYNC_PAGE = 1000
APPEND_RETRIES = 20
MAX_SEQ = 2**63 - 1  # SQLite's INTEGER; no log gets near it
# The op ids this process committed last, per meeting, with their seqs: a second tab's copy of an
# op that lands just after the first one's commit is answered from here, never decided again. The
# window that needs it is the store's check of the copy (milliseconds); older copies are found
# by that check.
RECENT_OPS = 2_000
# What the plenary screen's state carries of the curation (plenary.js, model.js: the titles).
PLENARY_CURATION = ("titles", "titles_by_lang", "show_suggestions")
# The roles that send translation.set, whose reads are recorded (Hub.note_read)
READERS = (roles.TRANSLATOR, roles.CHAIR)


def unavailable() -> OpError:
    return OpError("unavailable", "The meeting's store is not answering; the op will be resent.")


def room(meeting_id: str, audience: str) -> str:
    return f"m:{meeting_id}:{audience}"


@dataclass
class Pending:
    """One op waiting for its batch: what to decide, then its ack or its error."""
    op_id: str | None
    decide: object  # decide(state, now) -> event, or raises OpError
    done: bool = False
    ack: dict | None = None
    error: Exception | None = None

    def answer(self, ack: dict | None = None, error: Exception | None = None) -> None:
        self.done, self.ack, self.error = True, ack, error


@dataclass
class Runtime:
    state: MeetingState
    # Held while a batch is decided, committed and emitted: readers of the state take it too,
    # so that they never see events that are not durable yet.
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: list = field(default_factory=list)  # Pending ops for the next batch
    waiting: dict = field(default_factory=dict)  # op_id -> Pending, queued or being committed
    recent: OrderedDict = field(default_factory=OrderedDict)  # op_id -> seq, committed here
    guard: threading.Lock = field(default_factory=threading.Lock)  # for queue and waiting


class Hub:
    def __init__(self, store, emit, presence: Presence | None = None, clock=time.time,
                 owns=None, group_commit: bool | None = None) -> None:
        self.store = store
        self.emit = emit  # emit(room_name, payload)
        self.presence = presence or Presence()
        self.clock = clock
        # Called as fn(meeting_id, state, event) for every event of a meeting this process owns
        # (cluster.py): its own appends and those of other processes, once each, in log order.
        self.listeners: list = []
        # Called as fn(meeting_id) once a key of the meeting was re-issued here (web/links.py
        # closes the connections opened with the old key).
        self.on_keys_changed: list = []
        self.owns = owns or (lambda meeting_id: True)
        # Group commit: the ops that arrive while a meeting's batch is being committed are
        # decided in order on the state and committed together, one fsync for all of them.
        if group_commit is None:
            group_commit = bool(getattr(store, "GROUP_COMMIT", False))
        self.group_commit = group_commit
        self._runtimes: dict[str, Runtime] = {}
        self._runtimes_lock = threading.Lock()
        self._notified: dict[str, int] = {}  # meeting -> last seq the listeners were given
        self._noted: dict[tuple, int] = {}  # (meeting, reader) -> the read mark this process wrote

    # ----- meetings ----------------------------------------------------------------------------

    def exists(self, meeting_id: str) -> bool:
        return self.store.secrets(meeting_id) is not None

    def runtime(self, meeting_id: str) -> Runtime:
        with self._runtimes_lock:
            rt = self._runtimes.get(meeting_id)
            if rt is None:
                if self.store.secrets(meeting_id) is None:
                    raise OpError("not_found", "No such meeting.")
                rt = self._runtimes[meeting_id] = Runtime(MeetingState())
        return rt

    def _catch_up(self, meeting_id: str, state: MeetingState) -> None:
        """Fold in what other processes appended since this one last looked (their own sockets
        have had the events; the owner's live views still need them)."""
        while True:
            events = self.store.read(meeting_id, after=state.seq, limit=SYNC_PAGE)
            listeners = self.listeners if events and self.owns(meeting_id) else ()
            for event in events:
                state.apply(event)
                self._notify(meeting_id, state, event, listeners)
            if len(events) < SYNC_PAGE:
                return

    def _caught_up_more(self, meeting_id: str, state: MeetingState) -> bool:
        """Fold in the log; whether that moved the state."""
        before = state.seq
        self._catch_up(meeting_id, state)
        return state.seq != before

    def state(self, meeting_id: str) -> MeetingState:
        rt = self.runtime(meeting_id)
        with rt.lock:
            self._catch_up(meeting_id, rt.state)
        return rt.state

    # ----- keys --------------------------------------------------------------------------------

    def authenticate(self, meeting_id: str, key, name: str | None = None) -> Actor | None:
        if not isinstance(meeting_id, str) or not isinstance(key, str) or not key:
            return None
        meeting_secrets = self.store.secrets(meeting_id)
        if meeting_secrets is None:
            return None
        actor = roles.actor_for_key(meeting_secrets, key, name=name)
        if actor is not None:
            return actor
        record = self.store.participant(meeting_id, key)
        if record is not None:
            return Actor(roles.PARTICIPANT, participant_id=record["participant_id"])
        return None

    def join(self, meeting_id: str, code, region, lang, known_key=None,
             limit: int = 5000) -> str:
        """Register a participant and return its key. Their region and language go in the log.

        ``known_key``, the key this browser already holds for the meeting, is returned as it is:
        joining twice must not make a second voter.
        """
        meeting_secrets = self.store.secrets(meeting_id)
        if meeting_secrets is None:
            raise OpError("not_found", "No such meeting.")
        if not isinstance(code, str) or roles.normalise_join_code(code) != meeting_secrets["join_code"]:
            raise OpError("unauthorized", "Wrong join code.")
        if isinstance(known_key, str) and known_key and self.store.participant(meeting_id, known_key):
            return known_key
        state = self.state(meeting_id)
        region, lang = ops.check_joining(state, region, lang, limit)  # before a key is stored
        key = roles.new_key()
        participant_id = pysecrets.token_hex(8)
        self.store.add_participant(meeting_id, key, {"participant_id": participant_id})

        def decide(state, now):
            return ops.participant_joined(state, participant_id, region, lang, limit, now)

        self._append(meeting_id, None, decide)
        return key

    # ----- ops ---------------------------------------------------------------------------------

    def submit(self, meeting_id: str, actor: Actor, message, key_id: str | None = None) -> dict:
        """Apply one op and return its ack. Never raises for bad input.

        Op ids are scoped by the sender's key (`key_id`): the same id from another key is
        another op, never mistaken for a retry of this one.
        """
        try:
            op_id = ops.check_op_id(message)
            if key_id is not None:
                op_id = f"{key_id}:{op_id}"
            if message.get("type") == "link.reissue":
                return self._reissue(meeting_id, actor, message, op_id)
            seq = self.store.seq_of_op(meeting_id, op_id)
            if seq is not None:
                return {"ok": True, "seq": seq}
            message = self._with_last_read(meeting_id, actor, message, key_id)
            return self._append(
                meeting_id, op_id, lambda state, now: ops.decide(state, actor, message, now)
            )
        except OpError as error:
            return error.as_ack()
        except StoreUnavailable:
            return unavailable().as_ack()

    # ----- what a translator last read (translation.set without original_version) --------------

    @staticmethod
    def reader(actor: Actor, key_id: str | None) -> str:
        """Who reads, for the read marks: the key and the name given with it."""
        return f"{key_id or '-'}|{actor.role}|{actor.name or ''}"

    def note_read(self, meeting_id: str, actor: Actor, key_id: str | None, seq: int) -> None:
        """A translator (or the chair) has read the meeting up to `seq`: its translations sent
        without original_version are taken as made from the words current then. In the store,
        so that every process behind a balancer knows it."""
        if actor.role not in READERS:
            return
        reader = (meeting_id, self.reader(actor, key_id))
        if self._noted.get(reader, -1) >= seq:
            return  # the store has this already (it keeps the highest): no write, no fsync
        try:
            self.store.note_read(meeting_id, reader[1], seq)
        except StoreUnavailable:
            return  # a full disk must not refuse the read: the older mark only makes more stale
        self._noted[reader] = seq

    def _with_last_read(self, meeting_id: str, actor: Actor, message, key_id: str | None):
        if isinstance(message, dict) and ops.desk.LAST_READ in message:
            message = {k: v for k, v in message.items() if k != ops.desk.LAST_READ}
        if (isinstance(message, dict) and message.get("type") == "translation.set"
                and message.get("original_version") is None and actor.role in READERS):
            last = self.store.last_read(meeting_id, self.reader(actor, key_id))
            message = dict(message, **{ops.desk.LAST_READ: last})
        return message

    def _reissue(self, meeting_id: str, actor: Actor, message: dict, op_id: str) -> dict:
        """link.reissue: a new key for the link, stored before its event is appended (an append
        that fails leaves the old key refused, never a logged re-issue whose old key still
        works). The ack carries the new link's path (`url`); the event holds no key. A resent
        op is answered the link's current path."""
        seq = self.store.seq_of_op(meeting_id, op_id)
        if seq is not None:
            ack = {"ok": True, "seq": seq}
        else:
            def decide(state, now):
                event = ops.decide(state, actor, message, now)
                path = roles.secret_path(event["role"], event["group_id"])
                self.store.set_secret(meeting_id, path, roles.new_key())
                return event

            ack = self._append(meeting_id, op_id, decide)
            for listener in self.on_keys_changed:
                listener(meeting_id)
        key = roles.link_key(self.store.secrets(meeting_id), message["role"], message.get("group_id"))
        return dict(ack, url=roles.link_path(meeting_id, message["role"], key))

    def _append(self, meeting_id: str, op_id: str | None, decide) -> dict:
        """Queue the op and wait for its batch. Whoever takes the meeting's lock first commits
        everything queued so far; the others find their op answered when they get the lock."""
        rt = self.runtime(meeting_id)
        with rt.guard:
            mine = rt.waiting.get(op_id) if op_id is not None else None
            if mine is None and op_id in rt.recent:  # committed since the sender's check
                return {"ok": True, "seq": rt.recent[op_id]}
            if mine is None:  # else: a retransmission of an op already queued gets that answer
                mine = Pending(op_id, decide)
                rt.queue.append(mine)
                if op_id is not None:
                    rt.waiting[op_id] = mine
        with rt.lock:
            if not mine.done:
                with rt.guard:
                    batch, rt.queue = rt.queue, []
                try:
                    self._commit(meeting_id, rt, batch)
                finally:
                    with rt.guard:  # an op leaves `waiting` for `recent` with no gap between
                        for pending in batch:
                            if pending.op_id is not None and pending.ack is not None:
                                rt.recent[pending.op_id] = pending.ack["seq"]
                            rt.waiting.pop(pending.op_id, None)
                        while len(rt.recent) > RECENT_OPS:
                            rt.recent.popitem(last=False)
                    for pending in batch:
                        if not pending.done:  # an unexpected error: no op is left hanging
                            pending.answer(error=unavailable())
        if mine.error is not None:
            raise mine.error
        return mine.ack

    def _commit(self, meeting_id: str, rt: Runtime, batch: list[Pending]) -> None:
        # A process that does not own the meeting shares it with its owner: appends clash there,
        # and a clash costs a batch a reading of the whole log. One op per append instead.
        if self.group_commit and self.owns(meeting_id):
            self._commit_batch(meeting_id, rt, batch)
            return
        for pending in batch:
            try:
                pending.answer(self._append_one(meeting_id, rt.state, pending))
            except Exception as error:  # each op's sender gets its own error, bug or refusal
                pending.answer(error=error)

    def _commit_batch(self, meeting_id: str, rt: Runtime, batch: list[Pending]) -> None:
        """Decide the batch's ops in order, each on the state the ones before it made, commit
        them in one append, then emit and answer. The state holds events that are not durable
        yet only while the meeting's lock is held; if the commit fails it is read again from
        the log."""
        current = rt.state.seq == 0  # a meeting not loaded yet is read before deciding
        todo = batch
        for _ in range(APPEND_RETRIES):
            if current:
                self._catch_up(meeting_id, rt.state)
            outcomes, rest = self._decide_batch(rt.state, todo, current)
            decided = [(p, e) for p, e, _ in outcomes if e is not None]
            try:
                if decided:
                    self.store.append_many(meeting_id, [(p.op_id, e) for p, e in decided],
                                           decided[0][1]["seq"] - 1)
            except SeqConflict as conflict:
                # Another process appended, or recorded some of these ops (a second tab's copy
                # through another process): those are answered from their seqs and leave the
                # batch; the others are decided again on the log.
                todo = [o[0] for o in outcomes] + rest
                if isinstance(conflict, DuplicateOps):
                    for pending in todo:
                        if pending.op_id in conflict.seqs:
                            pending.answer({"ok": True, "seq": conflict.seqs[pending.op_id]})
                    todo = [p for p in todo if not p.done]
                rt.state, current = MeetingState(), True  # it holds events never written
                if not todo:
                    return
                continue
            except Exception as error:
                rt.state = MeetingState()  # it holds events that were never written
                self._fail(outcomes, rest, error)
                return
            self._publish(meeting_id, rt.state, [(e, prevs) for _, e, prevs in outcomes if e])
            for pending, event, refusal in outcomes:
                if event is None:
                    pending.answer(error=refusal)
                else:
                    pending.answer({"ok": True, "seq": event["seq"]})
            if not rest:
                return
            # A refusal on a state that may be stale: decide it (and what followed) on the log.
            current, todo = True, rest
        for pending in todo:
            pending.answer(error=OpError("rate_limited", "The meeting is too busy; retry."))

    def _decide_batch(self, state: MeetingState, todo: list[Pending], current: bool):
        """([(pending, event or None, its audiences' prevs or its refusal)] in order, the ops left for a
        fresher state). Stops at the first refusal that a fresher state could turn into a yes.
        Each event is folded into the state as it is decided, for the next op to see."""
        outcomes = []
        for i, pending in enumerate(todo):
            try:
                event = pending.decide(state, self.clock())
            except OpError as error:
                if not current:
                    return outcomes, todo[i:]
                outcomes.append((pending, None, error))
                continue
            except Exception as error:  # a bug in one op must not fail the others
                outcomes.append((pending, None, error))
                continue
            event["seq"] = state.seq + 1
            outcomes.append((pending, event, self._prevs(state, event)))
        return outcomes, []

    @staticmethod
    def _fail(outcomes, rest, error: Exception) -> None:
        if isinstance(error, UnknownMeeting):
            error = OpError("not_found", "No such meeting.")
        elif isinstance(error, StoreUnavailable):
            error = unavailable()
        for pending, _, _ in outcomes:
            pending.answer(error=error)
        for pending in rest:
            pending.answer(error=error)

    def _append_one(self, meeting_id: str, state: MeetingState, pending: Pending) -> dict:
        """One op, one append: for stores without group commit, and for a meeting this process
        does not own. Called with the meeting's lock held."""
        # Optimistic: decide on what this process holds, without reading the log first. The
        # store's expected-seq check refuses a stale decision (SeqConflict), and a refusal
        # may come from a stale state too: either way, fold in the log and decide again.
        current = state.seq == 0  # a meeting not loaded yet is read before deciding
        for _ in range(APPEND_RETRIES):
            if current:
                self._catch_up(meeting_id, state)
            try:
                event = pending.decide(state, self.clock())
            except OpError:
                if current or not self._caught_up_more(meeting_id, state):
                    raise
                continue
            current = True
            try:
                seq, duplicate = self.store.append(meeting_id, pending.op_id, event, state.seq)
            except SeqConflict:
                continue  # another process appended first: fold it in and decide again
            except UnknownMeeting:
                raise OpError("not_found", "No such meeting.")
            if duplicate:
                return {"ok": True, "seq": seq}
            event["seq"] = seq
            self._publish(meeting_id, state, [(event, self._prevs(state, event))])
            return {"ok": True, "seq": seq}
        raise OpError("rate_limited", "The meeting is too busy; retry.")

    def _prevs(self, state: MeetingState, event: dict) -> dict:
        """Each audience's previous seq, taken before the event is folded in."""
        prevs = {a: state.last_seq_by_audience.get(a, 0)
                 for a in roles.audiences(event, state.group_ids)}
        state.apply(event)
        return prevs

    def _publish(self, meeting_id: str, state: MeetingState, events: list) -> None:
        # Emitting under the lock keeps each audience's events in log order.
        for event, prevs in events:
            for audience, prev in prevs.items():
                self.emit(room(meeting_id, audience), dict(event, prev=prev))
        if self.owns(meeting_id):
            for event, _ in events:
                self._notify(meeting_id, state, event, self.listeners)

    def _notify(self, meeting_id: str, state: MeetingState, event: dict, listeners) -> None:
        # Once per event: a state read again from the log (after a failed commit) does not
        # replay what the listeners have had.
        if listeners and event["seq"] > self._notified.get(meeting_id, 0):
            self._notified[meeting_id] = event["seq"]
            for listener in listeners:
                listener(meeting_id, state, event)

    def sync(self, meeting_id: str, actor: Actor, after, key_id: str | None = None) -> dict:
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_SEQ:
            return OpError("invalid", f"after must be an integer from 0 to {MAX_SEQ}.").as_ack()
        try:
            ack = self._sync(meeting_id, actor, after)
            self.note_read(meeting_id, actor, key_id, ack["seq"])
            return ack
        except StoreUnavailable:
            return unavailable().as_ack()

    def _sync(self, meeting_id: str, actor: Actor, after: int) -> dict:
        state = self.state(meeting_id)
        group_ids = state.group_ids
        events: list[dict] = []
        cursor = after
        more = False
        while True:
            page = self.store.read(meeting_id, after=cursor, limit=SYNC_PAGE)
            for event in page:
                if roles.visible(event, actor, group_ids):
                    events.append(event)
            if len(page) < SYNC_PAGE:
                break
            cursor = page[-1]["seq"]
            if len(events) >= SYNC_PAGE:
                more = True
                break
        latest = cursor if more else max(state.seq, self.store.last_seq(meeting_id))
        ack = {"ok": True, "seq": latest, "events": events}
        if more:
            ack["more"] = True
        return ack

    # ----- live events ---------------------------------------------------------------------------

    def emit_live(self, meeting_id: str, audiences: list[str], payload: dict) -> None:
        state = self.runtime(meeting_id).state
        payload = dict(payload, live=True, seq=state.seq, ts=self.clock())
        for audience in audiences:
            self.emit(room(meeting_id, audience), payload)

    def presence_changed(self, meeting_id: str, audience: str, clients: list[dict]) -> None:
        if not audience.startswith("group:"):
            return
        group_id = audience.split(":", 1)[1]
        self.emit_live(
            meeting_id,
            ["staff", audience],
            {"type": "presence", "group_id": group_id, "clients": clients},
        )

    # ----- what a role sees ----------------------------------------------------------------------

    def view(self, meeting_id: str, actor: Actor, key_id: str | None = None) -> dict:
        state = self.state(meeting_id)
        view = {
            "meeting": state.meeting,
            "seq": state.seq,
            "role": actor.role,
            "session_id": state.session_id,
            "locks": dict(state.locks),
            "timer": state.timer,
            "server_time": self.clock(),
        }
        if actor.role == roles.PARTICIPANT:
            # A phone needs names, not the whole agenda: keep its first load small.
            meeting = state.meeting
            view["meeting"] = {k: meeting[k] for k in ("id", "title", "languages", "default_language", "groups", "regions") if k in meeting}
            view["participant"] = state.participants.get(actor.participant_id, {})
            # a phone has no contributions: each item carries its translations, to be read in
            # the phone's language
            view["ballots"] = [voting.ballot_view(state, b, translations=True) for b in state.ballots.values()]
            view["my_votes"] = {
                bid: votes.get(actor.participant_id, {}) for bid, votes in state.votes.items()
            }
            return view
        if actor.role == roles.RAPPORTEUR:
            view["group_id"] = actor.group_id
            groups = [actor.group_id]
            view["sign_offs"] = desk.sign_off_view(state, groups)
        elif actor.role == roles.CURATOR:
            # every group's words, the curation and the spotlight; no votes, ballots or outcome
            groups = state.group_ids
            view.update(spotlight=state.spotlight, curation=_curation_for_staff(state))
        elif actor.role == roles.TRANSLATOR:
            # every group's words and what the room looks at; no votes, no curation decisions
            groups = state.group_ids
            view.update(spotlight=state.spotlight,
                        curation=dict({k: state.curation[k] for k in ("titles", "titles_by_lang")},
                                      point_members=_titled_point_members(state)),
                        on_phones=voting.texts_on_phones(state))
        else:
            groups = state.group_ids
            view.update(
                spotlight=state.spotlight,
                anonymous=state.anonymous,
                # the plenary screen reads the points from the synthesis and only the titles
                # here: no cannot-link sets, history or memberships on each screen's every load
                curation=(_curation_for_staff(state) if actor.role == roles.CHAIR else
                          {k: state.curation[k] for k in PLENARY_CURATION}),
                outcome=state.outcome,
                ballots=[voting.ballot_view(state, b) for b in state.ballots.values()],
                turnout={bid: voting.voters(b, state.votes.get(bid, {}))
                         for bid, b in state.ballots.items() if b["status"] == "open"},
                participants=len(state.participants),
                sign_offs=desk.sign_off_view(state, groups),
                plenary_frozen=state.plenary_frozen,
            )
        view["contributions"] = desk.with_translations(state, [
            c for c in state.contributions.values() if c["group_id"] in groups
        ])
        view["order"] = {
            key: ids for key, ids in state.order.items() if order_key_group(key) in groups
        }
        view["presence"] = {
            gid: self.presence.list(meeting_id, f"group:{gid}") for gid in groups
        }
        self.note_read(meeting_id, actor, key_id, view["seq"])  # the words this view showed
        return view


def _curation_for_staff(state) -> dict:
    """The curation as the chair and the curators get it: with each title's version
    (`title_versions`), for the conflict offer of two pages titling one point."""
    return dict(state.curation, title_versions=state.curation_fold.title_versions)


def _titled_point_members(state) -> dict:
    """The members of each person-made point the chair or the desk has titled: the translators
    put their texts up the queue (a point's id is its own, not its first member's)."""
    titled = set(state.curation.get("titles", {})) | set(state.curation.get("titles_by_lang", {}))
    return {pid: list(p["members"]) for pid, p in state.curation.get("points", {}).items()
            if pid in titled and p.get("members")}
