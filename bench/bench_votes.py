"""Time from the last vote of a burst to the results event on the plenary. Prints figures only.

    .venv/bin/python bench/bench_votes.py [--backend sqlite|redis|both] [--voters 500] [--procs 4]

For each backend: a real `run.py serve` process on 127.0.0.1 (rate limit lifted), a GRCP7 meeting
with three practices from three groups, a revealed yes/no ballot, and `--voters` participants who
join over HTTP (regions spread over the five session-2 regions and "prefer not to say") and
connect over WebSocket, spread over `--procs` processes. Once every voter is connected they all
vote at once on the first practice. A plenary client records each `ballot.results` event; the
figure is the time from the moment the last vote was sent to the first results event that
counts every vote (a results event can reach the plenary before a busy voter process reads its ack).
All processes share CLOCK_MONOTONIC.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests  # noqa: E402

from common import (BenchServer, Recorder, backends, connect_voters, each_in_a_thread,  # noqa: E402
                    key_of, machine, meeting_with_ballot)

REGIONS = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena", None]


def voter_worker(url, meeting_id, keys, ballot_id, contribution_id, ready, go, out):
    clients = connect_voters(url, meeting_id, keys)
    ready.put(len(clients))
    go.wait()
    acks: list[tuple[float, float, bool, str]] = []
    lock = threading.Lock()

    def vote(sio, i):
        sent = time.monotonic()
        ack = sio.call("op", {"op_id": uuid.uuid4().hex, "type": "vote.cast", "ballot_id": ballot_id,
                              "contribution_id": contribution_id,
                              "choice": ("yes", "no", "unsure")[i % 3]}, timeout=60)
        with lock:
            acks.append((sent, time.monotonic(), bool(ack.get("ok")),
                         "" if ack.get("ok") else ack.get("error", {}).get("code", "?")))

    out.put(each_in_a_thread(clients, vote, acks))


def run(backend: str, voters: int, procs: int) -> None:
    server = BenchServer(backend).start()
    try:
        links, ids, ballot_id = meeting_with_ballot(server, reveal=True)
        mid = links["meeting_id"]

        results: list[tuple[float, int]] = []
        plenary = Recorder(server.url, mid, key_of(links["plenary_url"]))
        plenary.sio.on("event", lambda e: e.get("type") == "ballot.results" and results.append(
            (time.monotonic(), sum(e["results"]["results"][0]["counts"].values()))))

        started = time.monotonic()
        keys = []
        for i in range(voters):
            r = requests.post(f"{server.url}/api/m/{mid}/participants",
                              json={"code": links["join_code"], "region": REGIONS[i % len(REGIONS)], "lang": "en"})
            keys.append(r.json()["key"])
        joined = time.monotonic() - started

        ctx = mp.get_context("fork")
        ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        workers = [ctx.Process(target=voter_worker,
                               args=(server.url, mid, keys[p::procs], ballot_id, ids[0], ready, go, out))
                   for p in range(procs)]
        for w in workers:
            w.start()
        connected = sum(ready.get(timeout=300) for _ in workers)
        go.set()
        acks = []
        for _ in workers:
            acks += out.get(timeout=300)
        for w in workers:
            w.join(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(n >= voters for _, n in results):
            time.sleep(0.01)
        first_send = min(a[0] for a in acks)
        last_ack = max(a[1] for a in acks)
        complete = [t for t, n in results if n >= voters]
        ok = sum(1 for a in acks if a[2])
        errors: dict[str, int] = {}
        for a in acks:
            if not a[2]:
                errors[a[3]] = errors.get(a[3], 0) + 1
        print(f"\n## {backend}: {voters} voters ({connected} connected over {procs} processes)")
        print(f"joins over HTTP: {joined:.1f} s ({voters / joined:.0f}/s)")
        print(f"votes acked ok: {ok}/{len(acks)} {errors or ''}; burst from first vote sent to last ack: "
              f"{(last_ack - first_send) * 1000:.0f} ms")
        print(f"ballot.results events on the plenary during the burst: {len(results)} "
              f"(coalesced; at most ~4 per second)")
        last_send = max(a[0] for a in acks)
        if complete:
            print(f"last vote sent → first results event counting every vote: "
                  f"{(complete[0] - last_send) * 1000:.0f} ms "
                  f"(its ack reached the voter {(last_ack - last_send) * 1000:.0f} ms after sending)")
        else:
            print("no results event counted every vote within 30 s")
        if errors:
            print("server log (tail):", server.log()[-2500:])
        plenary.close()
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="both", choices=["sqlite", "redis", "both"])
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--procs", type=int, default=4)
    args = parser.parse_args()
    print(machine())
    for backend in backends(args.backend):
        run(backend, args.voters, args.procs)


if __name__ == "__main__":
    main()
