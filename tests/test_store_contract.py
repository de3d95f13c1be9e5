"""One contract, two stores: every test runs against SQLite and Redis."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from facilitator.store import (DuplicateOps, EventStore, MeetingExists, SeqConflict, StoreError,
                               UnknownMeeting, open_store)
from facilitator.store.base import JoinCodeTaken

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDIS_URL = os.environ.get("FACILITATOR_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _redis_available() -> bool:
    try:
        import redis
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


class Backend:
    """How to open (more) store objects on one backing store, and clean up."""

    def __init__(self, kind: str, tmp_path):
        self.kind = kind
        self.data_dir = str(tmp_path / "data")
        self.prefix = f"factest-{uuid.uuid4().hex[:12]}"
        self.opened: list[EventStore] = []

    @property
    def params(self):
        if self.kind == "redis":
            return (None, REDIS_URL, self.prefix)
        return (self.data_dir, None, "fac")

    def open(self) -> EventStore:
        store = open_store(*self.params)
        self.opened.append(store)
        return store

    def cleanup(self):
        for s in self.opened:
            try:
                s.close()
            except Exception:
                pass
        if self.kind == "redis":
            import redis
            r = redis.Redis.from_url(REDIS_URL)
            keys = list(r.scan_iter(match=f"{self.prefix}:*", count=1000))
            if keys:
                r.delete(*keys)
            r.close()


@pytest.fixture(params=["sqlite", "redis"])
def backend(request, tmp_path):
    if request.param == "redis" and not _redis_available():
        pytest.skip("no Redis server at " + REDIS_URL)
    b = Backend(request.param, tmp_path)
    yield b
    b.cleanup()


@pytest.fixture
def store(backend):
    return backend.open()


def ev(type_="note", **kw):
    return {"type": type_, "ts": 1700000000.25, **kw}


# -- meetings ---------------------------------------------------------------

def test_create_read_secrets_join_code(store):
    secrets = {"chair": "c-key", "join_code": "ABC123", "groups": {"g1": "r1"}}
    assert store.create_meeting("m1", secrets, [ev("meeting.created", title="T")]) == 1
    assert store.secrets("m1") == secrets
    assert store.meeting_for_join_code("ABC123") == "m1"
    assert store.meeting_for_join_code("NOPE") is None
    assert store.read("m1") == [{"type": "meeting.created", "ts": 1700000000.25,
                                 "title": "T", "seq": 1}]
    assert store.last_seq("m1") == 1
    store.create_meeting("m2", {"chair": "x"}, [ev()])
    store.create_meeting("m0", {"chair": "y"}, [ev()])
    assert store.meeting_ids() == ["m1", "m2", "m0"]


def test_meeting_exists_writes_nothing(store):
    store.create_meeting("m1", {"chair": "a", "join_code": "C1"}, [ev(n=1)])
    with pytest.raises(MeetingExists):
        store.create_meeting("m1", {"chair": "b", "join_code": "C2"}, [ev(n=2), ev(n=3)])
    assert store.secrets("m1") == {"chair": "a", "join_code": "C1"}
    assert store.meeting_for_join_code("C2") is None
    assert [e["n"] for e in store.read("m1")] == [1]
    assert store.meeting_ids() == ["m1"]


def test_join_code_taken_writes_nothing(store):
    store.create_meeting("m1", {"join_code": "C1"}, [ev()])
    with pytest.raises(JoinCodeTaken):
        store.create_meeting("m2", {"join_code": "C1"}, [ev()])
    assert store.secrets("m2") is None
    assert store.meeting_ids() == ["m1"]
    assert store.meeting_for_join_code("C1") == "m1"
    assert store.last_seq("m2") == 0


def test_create_meeting_without_events(store):
    assert store.create_meeting("m1", {}, []) == 0
    assert store.last_seq("m1") == 0
    assert store.read("m1") == []
    assert store.append("m1", "op1", ev(), 0) == (1, False)


def test_import_500_events(store):
    events = [ev("contribution.added", i=i, op_id=(f"op-{i}" if i % 3 else None),
                 seq=999) for i in range(500)]
    assert store.create_meeting("imp", {"join_code": "IMP"}, events) == 500
    got = store.read("imp")
    assert [e["seq"] for e in got] == list(range(1, 501))
    assert [e["i"] for e in got] == list(range(500))
    assert all("op_id" not in e for e in got)
    assert store.seq_of_op("imp", "op-1") == 2
    assert store.seq_of_op("imp", "op-499") == 500
    assert store.seq_of_op("imp", "op-0") is None
    assert store.append("imp", "op-4", ev(), 0) == (5, True)
    assert store.append("imp", "new", ev(), 500) == (501, False)


# -- append -----------------------------------------------------------------

def test_append_numbering(store):
    store.create_meeting("m", {}, [ev()])
    assert store.append("m", "a", ev(n=2), 1) == (2, False)
    assert store.append("m", None, ev(n=3), 2) == (3, False)
    assert store.append("m", None, ev(n=4), 3) == (4, False)
    assert store.append("m", "b", ev(n=5), 4) == (5, False)
    assert store.last_seq("m") == 5
    assert [e["seq"] for e in store.read("m")] == [1, 2, 3, 4, 5]
    assert store.seq_of_op("m", "a") == 2
    assert store.seq_of_op("m", "b") == 5
    assert store.seq_of_op("m", "zzz") is None


def test_duplicate_op_id_returns_first_seq_and_writes_nothing(store):
    store.create_meeting("m", {}, [ev()])
    assert store.append("m", "op-1", ev(v="first"), 1) == (2, False)
    assert store.append("m", None, ev(v="other"), 2) == (3, False)
    # retried with a stale, current or absurd expected_seq: same answer, no write
    for expected in (1, 3, 0, 77):
        assert store.append("m", "op-1", ev(v="retry"), expected) == (2, True)
    assert store.last_seq("m") == 3
    assert [e["v"] for e in store.read("m", after=1)] == ["first", "other"]
    # op_ids are per meeting
    store.create_meeting("m2", {}, [])
    assert store.append("m2", "op-1", ev(), 0) == (1, False)


def test_seq_conflict(store):
    store.create_meeting("m", {}, [ev(), ev()])
    with pytest.raises(SeqConflict) as info:
        store.append("m", "x", ev(), 1)
    assert info.value.last_seq == 2
    with pytest.raises(SeqConflict) as info:
        store.append("m", None, ev(), 5)
    assert info.value.last_seq == 2
    assert store.last_seq("m") == 2
    assert store.seq_of_op("m", "x") is None   # a refused op is not recorded
    assert store.append("m", "x", ev(), 2) == (3, False)


def test_append_many_writes_consecutive_seqs_at_once(store):
    assert store.GROUP_COMMIT is True
    store.create_meeting("m", {}, [ev()])
    assert store.append_many("m", [("a", ev(n=2)), (None, ev(n=3)), ("b", ev(n=4))], 1) == 4
    assert [(e["seq"], e["n"]) for e in store.read("m", after=1)] == [(2, 2), (3, 3), (4, 4)]
    assert store.seq_of_op("m", "a") == 2 and store.seq_of_op("m", "b") == 4
    assert store.append("m", "a", ev(), 4) == (2, True)  # recorded like any append


def test_append_many_writes_nothing_on_a_stale_seq_or_a_recorded_op(store):
    store.create_meeting("m", {}, [ev()])
    store.append("m", "a", ev(), 1)
    with pytest.raises(SeqConflict) as stale:
        store.append_many("m", [("b", ev())], 1)
    assert stale.value.last_seq == 2
    # an op already recorded: the caller's view of the log is stale, nothing of the batch written
    with pytest.raises(SeqConflict) as recorded:
        store.append_many("m", [("c", ev()), ("a", ev())], 2)
    assert recorded.value.last_seq == 2
    # which ops, and where they are: the caller answers them from there, never decides them again
    assert isinstance(recorded.value, DuplicateOps) and recorded.value.seqs == {"a": 2}
    # checked before the seq: a stale caller learns of the retransmission as well
    with pytest.raises(DuplicateOps) as both:
        store.append_many("m", [("a", ev()), (None, ev()), ("b", ev())], 1)
    assert both.value.seqs == {"a": 2} and both.value.last_seq == 2
    assert store.last_seq("m") == 2
    assert store.seq_of_op("m", "b") is None and store.seq_of_op("m", "c") is None
    with pytest.raises(UnknownMeeting):
        store.append_many("nope", [("d", ev())], 0)


def test_read_after_limit(store):
    store.create_meeting("m", {}, [ev(i=i) for i in range(1, 11)])
    assert [e["seq"] for e in store.read("m", after=7)] == [8, 9, 10]
    assert [e["seq"] for e in store.read("m", after=2, limit=3)] == [3, 4, 5]
    assert [e["seq"] for e in store.read("m", limit=2)] == [1, 2]
    assert store.read("m", after=10) == []
    assert store.read("m", after=50) == []
    assert store.read("m", after=3, limit=0) == []
    assert [e["i"] for e in store.read("m", after=8, limit=100)] == [9, 10]


def test_unicode_round_trip(store):
    texts = ["تعزيز التعاون الإقليمي في مجال الهجرة الآمنة والمنظمة والنظامية",
             "مُقَرِّر ﻻ أإآ ى ة", "Migración, café, naïve — «guillemets» 🚀", "\u200f\u200e\n\t\"'<b>&"]
    secrets = {"chair": "مفتاح", "join_code": "رمز٣"}
    store.create_meeting("م-١", secrets, [ev(text=texts[0], lang="ar")])
    for i, t in enumerate(texts[1:], 1):
        store.append("م-١", f"عملية-{i}", ev(text=t, nested={"ك": [t, 1.5, None, True]}), i)
    got = store.read("م-١")
    assert [e["text"] for e in got] == texts
    assert got[1]["nested"] == {"ك": [texts[1], 1.5, None, True]}
    assert store.secrets("م-١") == secrets
    assert store.meeting_for_join_code("رمز٣") == "م-١"
    assert store.seq_of_op("م-١", "عملية-2") == 3
    assert store.meeting_ids() == ["م-١"]


def test_unknown_meeting(store):
    with pytest.raises(UnknownMeeting):
        store.append("ghost", "op", ev(), 0)
    with pytest.raises(UnknownMeeting):
        store.append("ghost", None, ev(), 0)
    with pytest.raises(UnknownMeeting):
        store.add_participant("ghost", "p", {"x": 1})
    assert store.read("ghost") == []
    assert store.last_seq("ghost") == 0
    assert store.secrets("ghost") is None
    assert store.seq_of_op("ghost", "op") is None
    assert store.participant("ghost", "p") is None
    assert store.meeting_ids() == []


def test_participants(store):
    store.create_meeting("m", {}, [ev()])
    store.create_meeting("n", {}, [ev()])
    assert store.participant("m", "p1") is None
    store.add_participant("m", "p1", {"region": "أفريقيا", "lang": "ar"})
    store.add_participant("m", "p2", {"region": "Europe"})
    assert store.participant("m", "p1") == {"region": "أفريقيا", "lang": "ar"}
    assert store.participant("n", "p1") is None
    store.add_participant("m", "p1", {"region": "Asia"})
    assert store.participant("m", "p1") == {"region": "Asia"}
    assert store.last_seq("m") == 1   # the registry is not in the log


def test_read_marks_keep_each_readers_highest_seq(backend, store):
    store.create_meeting("m", {}, [ev()])
    store.create_meeting("n", {}, [ev()])
    assert store.last_read("m", "k1|translator|Nadia") == 0
    store.note_read("m", "k1|translator|Nadia", 7)
    store.note_read("m", "k1|translator|Omar", 3)
    store.note_read("m", "k1|translator|Nadia", 5)  # an older read never moves the mark back
    assert store.last_read("m", "k1|translator|Nadia") == 7
    assert store.last_read("m", "k1|translator|Omar") == 3
    assert store.last_read("n", "k1|translator|Nadia") == 0
    store.note_read("m", "k1|translator|Nadia", 12)
    assert store.last_read("m", "k1|translator|Nadia") == 12
    assert store.last_seq("m") == 1  # not in the log
    again = backend.open()  # a second handle on the same data sees them: processes share them
    assert again.last_read("m", "k1|translator|Omar") == 3


def test_set_secret_replaces_one_entry_and_keeps_the_rest(store):
    secrets = {"chair": "c", "plenary": "p", "join_code": "J1", "rapporteurs": {"g1": "r1", "g2": "r2"}}
    store.create_meeting("m", secrets, [ev()])
    store.create_meeting("n", dict(secrets, join_code="J2"), [ev()])
    store.set_secret("m", ("plenary",), "p-new")
    store.set_secret("m", ("rapporteurs", "g2"), "r2-new")
    store.set_secret("m", ("curator",), "k-made")  # an entry older meetings lack is made
    assert store.secrets("m") == {"chair": "c", "plenary": "p-new", "join_code": "J1",
                                  "rapporteurs": {"g1": "r1", "g2": "r2-new"}, "curator": "k-made"}
    assert store.secrets("n") == dict(secrets, join_code="J2")  # another meeting's are untouched
    assert store.meeting_for_join_code("J1") == "m"
    assert store.last_seq("m") == 1  # the secrets are not in the log


def test_set_secret_refusals_write_nothing(store):
    secrets = {"chair": "c", "join_code": "J", "rapporteurs": {"g1": "r1"}}
    store.create_meeting("m", secrets, [ev()])
    with pytest.raises(UnknownMeeting):
        store.set_secret("ghost", ("plenary",), "x")
    with pytest.raises(ValueError):
        store.set_secret("m", ("join_code",), "NEW")  # indexed, set at creation only
    for path in ((), ("a", "b", "c"), ("",)):
        with pytest.raises(ValueError):
            store.set_secret("m", path, "x")
    with pytest.raises(ValueError):
        store.set_secret("m", ("plenary",), "")
    with pytest.raises(StoreError):
        store.set_secret("m", ("chair", "g1"), "x")  # "chair" is no map
    assert store.secrets("m") == secrets
    assert store.secrets("ghost") is None


def test_set_secret_from_two_store_objects_at_once_loses_no_entry(backend):
    """Read-modify-write of one JSON value: two writers of different entries both land."""
    groups = [f"g{i}" for i in range(12)]
    first = backend.open()
    first.create_meeting("m", {"chair": "c", "rapporteurs": {g: "old" for g in groups}}, [ev()])
    stores = [first, backend.open()]
    errors = []

    def worker(store, mine):
        try:
            for gid in mine:
                store.set_secret("m", ("rapporteurs", gid), f"new-{gid}")
        except Exception as error:  # reported below, not swallowed
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(s, groups[i::2])) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert first.secrets("m")["rapporteurs"] == {g: f"new-{g}" for g in groups}


def test_append_is_durable_across_reopen(backend):
    s1 = backend.open()
    s1.create_meeting("m", {"join_code": "J"}, [ev()])
    s1.append("m", "a", ev(t="x"), 1)
    s1.add_participant("m", "p", {"r": 1})
    s1.close()
    s2 = backend.open()
    assert [e["seq"] for e in s2.read("m")] == [1, 2]
    assert s2.seq_of_op("m", "a") == 2
    assert s2.secrets("m") == {"join_code": "J"}
    assert s2.participant("m", "p") == {"r": 1}


def test_vectors_round_trip_across_reopen_per_fingerprint(backend):
    import numpy as np
    vec = np.arange(896, dtype=np.float32) / 7
    s1 = backend.open()
    assert s1.load_vectors("fp1", ["en:abc"]) == {}
    s1.save_vectors("fp1", {"en:abc": vec.tobytes(), "ar:def": (vec * 2).tobytes()})
    s1.save_vectors("fp1", {})
    s1.close()
    s2 = backend.open()
    got = s2.load_vectors("fp1", ["en:abc", "ar:def", "fr:none"])
    assert set(got) == {"en:abc", "ar:def"}
    assert np.array_equal(np.frombuffer(got["en:abc"], dtype=np.float32), vec)
    assert s2.load_vectors("fp2", ["en:abc"]) == {}  # another engine's vectors are never reused
    s2.save_vectors("fp1", {"en:abc": (vec * 3).tobytes()})
    assert np.array_equal(np.frombuffer(s2.load_vectors("fp1", ["en:abc"])["en:abc"], np.float32), vec * 3)
    many = {f"es:{i:05d}": vec.tobytes() for i in range(1200)}  # more than one query's worth
    s2.save_vectors("fp1", many)
    assert len(s2.load_vectors("fp1", list(many))) == 1200


# -- concurrency ------------------------------------------------------------

def _hammer(store: EventStore, meeting_id: str, worker: str, n: int) -> list[int]:
    """Append n events with optimistic concurrency, retrying on SeqConflict;
    each op is also retried once more (a lost ack) to check idempotency."""
    seqs = []
    for i in range(n):
        op_id = f"{worker}-{i}"
        expected = store.last_seq(meeting_id)
        while True:
            try:
                seq, dup = store.append(meeting_id, op_id, {"w": worker, "i": i}, expected)
                break
            except SeqConflict as e:
                expected = e.last_seq
        assert not dup
        assert store.append(meeting_id, op_id, {"w": worker, "i": -1}, 0) == (seq, True)
        seqs.append(seq)
    return seqs


def _check_log(store: EventStore, meeting_id: str, workers: list[str], n: int,
               acked: dict[str, list[int]]):
    events = store.read(meeting_id)
    total = len(workers) * n + 1
    assert [e["seq"] for e in events] == list(range(1, total + 1))
    for w in workers:
        mine = [e for e in events if e.get("w") == w]
        assert [e["i"] for e in mine] == list(range(n))        # in order, once each
        assert [e["seq"] for e in mine] == acked[w]
        assert all(store.seq_of_op(meeting_id, f"{w}-{i}") == acked[w][i] for i in range(n))


def test_two_store_objects_from_two_threads(backend):
    a, b = backend.open(), backend.open()
    a.create_meeting("m", {}, [ev()])
    n = 150
    acked: dict[str, list[int]] = {}
    errors = []

    def run(store, name):
        try:
            acked[name] = _hammer(store, "m", name, n)
        except BaseException as e:   # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=run, args=(a, "A")),
               threading.Thread(target=run, args=(b, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    _check_log(a, "m", ["A", "B"], n, acked)
    _check_log(b, "m", ["A", "B"], n, acked)


def test_threads_sharing_one_store_object(backend):
    s = backend.open()
    s.create_meeting("m", {}, [ev()])
    n, names = 60, ["T0", "T1", "T2", "T3"]
    acked: dict[str, list[int]] = {}
    threads = [threading.Thread(target=lambda w=w: acked.__setitem__(w, _hammer(s, "m", w, n)))
               for w in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    _check_log(s, "m", names, n, acked)


def _process_worker(params, meeting_id, worker, n, queue):
    store = open_store(*params)
    try:
        queue.put((worker, _hammer(store, meeting_id, worker, n)))
    except BaseException as e:   # pragma: no cover
        queue.put((worker, repr(e)))
    finally:
        store.close()


def test_two_processes_interleave(backend):
    s = backend.open()
    s.create_meeting("m", {}, [ev()])
    n, names = 100, ["P0", "P1", "P2"]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process_worker, args=(backend.params, "m", w, n, queue))
             for w in names]
    for p in procs:
        p.start()
    acked = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    for w in names:
        assert isinstance(acked[w], list), acked[w]
    _check_log(s, "m", names, n, acked)


# -- durability against kill -9 of the writing process -----------------------

CHILD = r"""
import sys
from facilitator.store import open_store, SeqConflict
data_dir, redis_url, prefix = sys.argv[1] or None, sys.argv[2] or None, sys.argv[3]
store = open_store(data_dir, redis_url, prefix)
seq = store.last_seq("m")
i = 0
while True:
    i += 1
    seq, dup = store.append("m", f"child-{i}", {"type": "x", "i": i, "text": "نص " * 20}, seq)
    print(seq, flush=True)
"""


def test_acked_appends_survive_sigkill_of_writer(backend):
    s = backend.open()
    s.create_meeting("m", {}, [ev()])
    data_dir, redis_url, prefix = backend.params
    proc = subprocess.Popen([sys.executable, "-c", CHILD, data_dir or "", redis_url or "", prefix],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked = []
    deadline = time.time() + 60
    try:
        while len(acked) < 200 and time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked.append(int(line))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=30)
    acked += [int(x) for x in rest.split()]   # printed before the kill: acked too
    assert len(acked) >= 200, err
    assert proc.returncode == -signal.SIGKILL
    s.close()
    reopened = backend.open()
    events = reopened.read("m")
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(seqs) + 1))                  # no gap, no duplicate
    assert set(acked) <= set(seqs)                                # every acked op present
    assert acked == list(range(2, len(acked) + 2))
    assert [e["i"] for e in events[1:]] == list(range(1, len(events)))   # each op once
    for seq in acked:
        assert reopened.seq_of_op("m", f"child-{seq - 1}") == seq
