"""What a late copy of an op costs the ops batched with it (issue 20, 4). Prints figures only.

    .venv/bin/python bench/bench_late_copy.py [--events 3000] [--rounds 10] [--backend redis|sqlite]
        [--other-process]

The interleaving that bench_double_send.py meets by chance, made every time, in process: the hub
on a real store (Redis by default) holding a meeting of `--events` logged events (contributions on the 25 boards of session 2). The second tab's
copy of an op passes the store's check before the first tab's copy is committed and reaches the
hub after it; meanwhile another op's commit is in progress, so the copy is batched with an honest
op that arrives then (the gate holds that commit, as a slow write would). With `--other-process`
the first copy goes through another process's hub (one that does not own the meeting) on the same
store, as when the two tabs' sockets reach two servers. Printed per round: the
honest op's answer and the time from the gate's opening to it, the copy's answer, and how many
times the hub read the log from its start.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

from facilitator import provisioning  # noqa: E402
from facilitator.meeting import roles  # noqa: E402
from facilitator.meeting.agenda import load_agenda  # noqa: E402
from facilitator.store.redis import RedisStore  # noqa: E402
from facilitator.store.sqlite import SQLiteStore  # noqa: E402
from facilitator.web.hub import Hub  # noqa: E402

from common import REDIS_URL, S2_GROUPS, S2_QUESTIONS, machine, percentile  # noqa: E402

RAPPORTEUR = roles.Actor(roles.RAPPORTEUR, group_id="africa")


class Staged:
    """The real store, with a lookup held on demand, append_many held at a gate, and the reads
    of the log from its start counted."""

    def stage(self):
        self.hold_op, self.held, self.late = None, threading.Event(), threading.Event()
        self.gate, self.at_gate = threading.Event(), threading.Event()
        self.gate.set()
        self.full_reads = 0

    def seq_of_op(self, meeting_id, op_id):
        seq = super().seq_of_op(meeting_id, op_id)
        if op_id == self.hold_op:
            self.hold_op = None
            self.held.set()
            self.late.wait(60)
        return seq

    def append_many(self, meeting_id, items, expected_seq):
        self.at_gate.set()
        self.gate.wait(60)
        return super().append_many(meeting_id, items, expected_seq)

    def read(self, meeting_id, after=0, limit=None):
        if after == 0:
            self.full_reads += 1
        return super().read(meeting_id, after, limit)


class StagedRedis(Staged, RedisStore):
    pass


class StagedSQLite(Staged, SQLiteStore):
    pass


def add(text: str, op_id: str | None = None) -> dict:
    return {"op_id": op_id or uuid.uuid4().hex, "type": "contribution.add", "question_id": "s2-q1",
            "text": text, "kind": "good_practice", "agreement": "consensus"}


def in_thread(fn):
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("value", fn()))
    thread.start()
    return thread, box


def one_round(hub, store, meeting_id, n: int, other=None) -> dict:
    rt = hub.runtime(meeting_id)
    same = f"same-{n}-{uuid.uuid4().hex[:6]}"
    store.held.clear()
    store.late.clear()
    store.hold_op = f"k1:{same}"
    second, second_box = in_thread(lambda: hub.submit(meeting_id, RAPPORTEUR, add(f"copy {n}", same), "k1"))
    store.held.wait(60)
    first = (other or hub).submit(meeting_id, RAPPORTEUR, add(f"copy {n}", same), "k1")
    store.gate.clear()
    store.at_gate.clear()
    filler, _ = in_thread(lambda: hub.submit(meeting_id, RAPPORTEUR, add(f"filler {n}"), "k2"))
    store.at_gate.wait(60)
    reads = store.full_reads
    store.late.set()
    honest_box = {}

    def honest():
        honest_box["ack"] = hub.submit(meeting_id, RAPPORTEUR, add(f"honest {n}"), "k3")
        honest_box["at"] = time.perf_counter()

    honest_thread = threading.Thread(target=honest)
    honest_thread.start()
    deadline = time.time() + 30
    while len(rt.queue) < 1 and time.time() < deadline:  # the honest op (and the copy) queued
        time.sleep(0.0005)
    time.sleep(0.01)  # the copy reaches the queue too, where the hub lets it
    opened = time.perf_counter()
    store.gate.set()
    for thread in (second, filler, honest_thread):
        thread.join(120)
    return {"honest": honest_box["ack"], "ms": (honest_box["at"] - opened) * 1000,
            "copy_same": second_box.get("value") == first, "copy": second_box.get("value"),
            "full_reads": store.full_reads - reads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="redis", choices=["redis", "sqlite"])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--other-process", action="store_true")
    args = parser.parse_args()
    print(machine())
    tmp = None
    if args.backend == "redis":
        prefix = f"bench-late-{uuid.uuid4().hex[:8]}"
        store = StagedRedis(REDIS_URL, prefix=prefix)
    else:
        import tempfile
        tmp = tempfile.mkdtemp(prefix="facbench-")
        store = StagedSQLite(os.path.join(tmp, "facilitator.sqlite3"))
    store.stage()
    try:
        meeting_id, _ = provisioning.create_meeting(store, load_agenda("grcp7"))
        hub = Hub(store, emit=lambda room, payload: None)
        chair = roles.Actor(roles.CHAIR)
        for i in range(args.events):  # 25 boards of the session, as a room fills them
            hub.submit(meeting_id, chair, dict(add(f"earlier practice {i}"), group_id=S2_GROUPS[i % 5],
                                               question_id=S2_QUESTIONS[(i // 5) % 5]), "k0")
        other = Hub(store, emit=lambda room, payload: None, owns=lambda _m: False) if args.other_process else None
        print(f"\n## {args.backend}: a meeting of {hub.state(meeting_id).seq} events, {args.rounds} rounds"
              + (", the first copy through another process" if other else ""))
        results = [one_round(hub, store, meeting_id, n, other) for n in range(args.rounds)]
        codes: dict[str, int] = {}
        for r in results:
            code = "ok" if r["honest"].get("ok") else r["honest"]["error"]["code"]
            codes[code] = codes.get(code, 0) + 1
        times = sorted(r["ms"] for r in results)
        print(f"honest op batched with the late copy: {codes}; answered {percentile(times, 50):.1f} ms "
              f"(p50), {times[-1]:.1f} ms (max) after the commit ahead of it")
        print(f"the copy answered the first copy's seq: {sum(r['copy_same'] for r in results)}/{len(results)}; "
              f"readings of the whole log per round: {sorted(r['full_reads'] for r in results)}")
    finally:
        store.gate.set()
        store.late.set()
        if args.backend == "redis":
            keys = list(store.r.scan_iter(match=f"{prefix}:*"))
            if keys:
                store.r.delete(*keys)
        store.close()
        if tmp:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
