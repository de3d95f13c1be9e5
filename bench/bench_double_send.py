"""Honest voters' ack latency while two tabs of one board page send the same ops (issue 20, 4).
Prints figures only.

    .venv/bin/python bench/bench_double_send.py [--backend redis|sqlite] [--voters 200]
        [--seconds 15] [--ops 40] [--runs 1] [--modes alone,one,two]

A real `run.py serve` process (rate limit lifted), a GRCP7 meeting with three practices and an open
yes/no ballot. `--voters` participants join over HTTP, connect over WebSocket (two worker
processes) and each casts a vote about every 0.5 s (a changed mind: the choice turns) for
`--seconds`. Meanwhile, in mode `two`, a rapporteur's key holds two sockets, the two tabs: each
of `--ops` contribution.add ops goes out on the first socket, then with the same op_id on the
second one 0 to `--jitter-ms` (3) ms later (the second tab reacting to the outbox's storage event;
a copy that lands just after its op's commit is the case that cost the batch its ops). Mode `one` sends
the same ops on one socket only (what the outbox lease leaves: a contribution costs the server its
analysis whoever sends it), mode `alone` none. Printed: the voters' ack p50/p90/p99/max and their
refusals, the rapporteur's acks (both sockets must get the same seq; the later of the two copies'
ack times) and how many of its ops the log holds.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests  # noqa: E402

from common import (BenchServer, Recorder, backends, connect_voters, each_in_a_thread,  # noqa: E402
                    key_of, machine, meeting_with_ballot, percentile)

REGIONS = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena", None]


def voter_worker(url, meeting_id, keys, ballot_id, contribution_id, seconds, ready, go, out):
    clients = connect_voters(url, meeting_id, keys)
    ready.put(len(clients))
    go.wait()
    acks: list[tuple[float, str]] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def voter(sio, i):
        rng = random.Random(i)
        time.sleep(rng.random() * 0.5)
        n = i
        while time.monotonic() < end:
            sent = time.monotonic()
            ack = sio.call("op", {"op_id": uuid.uuid4().hex, "type": "vote.cast", "ballot_id": ballot_id,
                                  "contribution_id": contribution_id,
                                  "choice": ("yes", "no", "unsure")[n % 3]}, timeout=60)
            took = time.monotonic() - sent
            with lock:
                acks.append((took, "" if ack.get("ok") else ack.get("error", {}).get("code", "?")))
            n += 1
            time.sleep(max(0.0, 0.5 - took) * (0.8 + 0.4 * rng.random()))

    out.put(each_in_a_thread(clients, voter, acks))


def double_sender(url, meeting_id, key, ops, seconds, result, copies=2, jitter=0.003):
    """Two sockets of one key; every op on both, the second 0 to `jitter` s after the first
    (`copies` 1: one socket)."""
    tabs = [Recorder(url, meeting_id, key, name=f"tab {i}") for i in range(1, copies + 1)]
    rng = random.Random(7)
    answers = []
    gap = seconds / max(1, ops)
    for n in range(ops):
        op = {"op_id": uuid.uuid4().hex, "type": "contribution.add", "question_id": "s2-q1",
              "text": f"A practice sent from two tabs #{n}", "kind": "good_practice",
              "agreement": "consensus"}
        got = [None] * copies
        started = time.monotonic()

        def send(i, delay):
            time.sleep(delay)
            got[i] = tabs[i].sio.call("op", dict(op), timeout=60)

        threads = [threading.Thread(target=send, args=(i, rng.random() * jitter if i else 0.0))
                   for i in range(copies)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        answers.append((time.monotonic() - started, got[0], got[-1]))
        time.sleep(max(0.0, gap - 0.02))
    for tab in tabs:
        tab.close()
    result.extend(answers)


def run(backend: str, voters: int, seconds: float, ops: int, mode: str, jitter: float = 0.003) -> dict:
    server = BenchServer(backend).start()
    try:
        links, ids, ballot_id = meeting_with_ballot(server)
        mid = links["meeting_id"]
        rap_key = key_of(next(g for g in links["groups"] if g["id"] == "africa")["rapporteur_url"])
        keys = []
        for i in range(voters):
            r = requests.post(f"{server.url}/api/m/{mid}/participants",
                              json={"code": links["join_code"], "region": REGIONS[i % len(REGIONS)], "lang": "en"})
            keys.append(r.json()["key"])
        procs = 2
        ctx = mp.get_context("fork")
        ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        workers = [ctx.Process(target=voter_worker,
                               args=(server.url, mid, keys[p::procs], ballot_id, ids[0], seconds,
                                     ready, go, out))
                   for p in range(procs)]
        for w in workers:
            w.start()
        sum(ready.get(timeout=300) for _ in workers)
        answers: list = []
        double = mode != "alone"
        sender = threading.Thread(target=double_sender, args=(server.url, mid, rap_key, ops, seconds,
                                                              answers, 2 if mode == "two" else 1, jitter))
        go.set()
        if double:
            sender.start()
        acks = []
        for _ in workers:
            acks += out.get(timeout=600)
        for w in workers:
            w.join(30)
        if double:
            sender.join(120)
        times = sorted(t * 1000 for t, _ in acks)
        errors: dict[str, int] = {}
        for _, code in acks:
            if code:
                errors[code] = errors.get(code, 0) + 1
        figures = {"n": len(times), "p50": percentile(times, 50), "p90": percentile(times, 90),
                   "p99": percentile(times, 99), "max": times[-1], "errors": errors}
        if double:
            both_ok = sum(1 for _, a, b in answers if a and b and a.get("ok") and b.get("ok"))
            same = sum(1 for _, a, b in answers if a and b and a.get("ok") and a.get("seq") == b.get("seq"))
            refused = [((a or {}).get("error") or {}).get("code") for _, a, b in answers
                       if not (a and a.get("ok"))] + \
                      [((b or {}).get("error") or {}).get("code") for _, a, b in answers
                       if not (b and b.get("ok"))]
            from facilitator.store import open_store
            store = open_store(server.data_dir, server.redis_url, prefix=server.prefix)
            texts = [e["contribution"]["text"] for e in store.read(mid)
                     if e["type"] == "contribution.added" and "two tabs" in e["contribution"]["text"]]
            store.close()
            took = sorted(t * 1000 for t, _, _ in answers)
            figures["double"] = {"ops": len(answers), "both_ok": both_ok, "same_seq": same,
                                 "p50": percentile(took, 50), "p99": percentile(took, 99),
                                 "refused": refused, "in_log": len(texts), "distinct": len(set(texts))}
        return figures
    finally:
        server.close()


def show(label: str, f: dict) -> None:
    print(f"{label:<28} votes {f['n']:>5}  p50 {f['p50']:7.1f}  p90 {f['p90']:7.1f}  "
          f"p99 {f['p99']:7.1f}  max {f['max']:7.1f} ms  refused {f['errors'] or 0}")
    if "double" in f:
        d = f["double"]
        print(f"{'':<28} rapporteur: {d['ops']} ops, ack p50 {d['p50']:.1f} p99 {d['p99']:.1f} ms, "
              f"all copies ok {d['both_ok']}, same seq {d['same_seq']}, refused {d['refused'] or 0}; "
              f"in the log {d['in_log']} ({d['distinct']} distinct)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="redis", choices=["sqlite", "redis", "both"])
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--ops", type=int, default=40)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--modes", default="alone,one,two")
    parser.add_argument("--jitter-ms", type=float, default=3.0)
    args = parser.parse_args()
    print(machine())
    for backend in backends(args.backend):
        print(f"\n## {backend}: {args.voters} voters, a vote each ~0.5 s for {args.seconds:.0f} s")
        labels = {"alone": "voters alone", "one": "with one tab", "two": "with two tabs"}
        for run_no in range(args.runs):
            for mode in args.modes.split(","):
                show(f"run {run_no + 1} {labels[mode]}",
                     run(backend, args.voters, args.seconds, args.ops, mode, args.jitter_ms / 1000))


if __name__ == "__main__":
    main()
