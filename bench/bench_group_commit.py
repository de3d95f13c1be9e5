"""The hub and its SQLite store without sockets, under eventlet as the server runs them: how many
acked ops per second the op path's domain and store part sustains, with and without group commit.

    .venv/bin/python bench/bench_group_commit.py [--writers 40] [--meetings 1] [--seconds 5] [--runs 3]

Modes, each on a fresh SQLite file (WAL, synchronous=FULL) in a temporary directory:
- ``one-per-commit``: one op, one transaction, its commit (fsync) on the event loop: the server
  before group commit;
- ``group``: the server now: each meeting's ops that arrive while its last batch is being
  committed are committed together, the commit in eventlet's thread pool.
Writers are green threads each adding contributions in a loop (each waits for its ack), spread
over the meetings; emits are counted, not sent. Prints ops/s, CPU per op, ops per commit and the
ack latency; figures only, no assertion.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from eventlet import tpool  # noqa: E402

from facilitator import provisioning  # noqa: E402
from facilitator.meeting import roles  # noqa: E402
from facilitator.meeting.agenda import load_agenda  # noqa: E402
from facilitator.store import guarded  # noqa: E402
from facilitator.store.sqlite import SQLiteStore  # noqa: E402
from facilitator.web.hub import Hub  # noqa: E402

GROUPS = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena"]
TEXT = "تعزيز التعاون الإقليمي في مجال الهجرة الآمنة والمنظمة والنظامية — regional cooperation #{n}"


class Counted(SQLiteStore):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.batches: list[int] = []

    def append_many(self, meeting_id, items, expected_seq):
        self.batches.append(len(items))
        return super().append_many(meeting_id, items, expected_seq)

    def append(self, meeting_id, op_id, event, expected_seq):
        self.batches.append(1)
        return super().append(meeting_id, op_id, event, expected_seq)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


def run(mode: str, writers: int, meetings: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        group = mode == "group"
        raw = Counted(os.path.join(tmp, "f.sqlite3"), offload=tpool.execute if group else None)
        store = guarded(raw)
        emits = [0]
        hub = Hub(store, emit=lambda room, payload: emits.__setitem__(0, emits[0] + 1),
                  group_commit=group)
        ids = [provisioning.create_meeting(store, load_agenda("grcp7"))[0] for _ in range(meetings)]
        for meeting_id in ids:
            hub.state(meeting_id)
        raw.batches.clear()
        latencies: list[float] = []
        stop = time.perf_counter() + seconds

        def writer(w: int) -> None:
            meeting_id = ids[w % meetings]
            actor = roles.Actor(roles.RAPPORTEUR, group_id=GROUPS[w % len(GROUPS)])
            n = 0
            while time.perf_counter() < stop:
                n += 1
                message = {"op_id": f"w{w}-{n}", "type": "contribution.add", "question_id": "s2-q1",
                           "text": TEXT.format(n=n), "kind": "good_practice",
                           "agreement": "consensus", "lang": "ar"}
                t0 = time.perf_counter()
                ack = hub.submit(meeting_id, actor, message, f"k{w}")
                latencies.append(time.perf_counter() - t0)
                assert ack["ok"], ack

        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        pool = eventlet.GreenPool(writers)
        for w in range(writers):
            pool.spawn(writer, w)
        pool.waitall()
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        ops = len(latencies)
        batches = raw.batches
        store.close()
        return {"ops/s": ops / wall, "cpu_ms": 1000 * cpu / ops, "commits": len(batches),
                "per_commit": ops / max(1, len(batches)), "max_batch": max(batches or [0]),
                "p50": 1000 * percentile(latencies, 50), "p99": 1000 * percentile(latencies, 99)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--writers", type=int, default=40)
    ap.add_argument("--meetings", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"# {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {args.writers} writers over "
          f"{args.meetings} meeting(s), {args.seconds:g} s per run; interleaved runs")
    print(f"{'mode':<16}{'ops/s':>9}{'CPU/op ms':>11}{'ops/commit':>12}{'max batch':>11}"
          f"{'ack p50 ms':>12}{'p99 ms':>9}{'load':>7}")
    for _ in range(args.runs):
        for mode in ("one-per-commit", "group"):
            r = run(mode, args.writers, args.meetings, args.seconds)
            load = os.getloadavg()[0]
            print(f"{mode:<16}{r['ops/s']:>9.0f}{r['cpu_ms']:>11.2f}{r['per_commit']:>12.1f}"
                  f"{r['max_batch']:>11}{r['p50']:>12.1f}{r['p99']:>9.1f}{load:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
