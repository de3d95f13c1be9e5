"""How fresh the synthesis is, and what it costs the room, on a real server (issue 20, item 2).

    .venv/bin/python bench/bench_synthesis_fresh.py [--sizes 1000x200,3000x200,300x2000] [--adds 6]

For each size (contributions x characters): a `run.py serve` on SQLite with the semantic engine,
one GRCP7 meeting seeded with that many contributions over five groups and three questions,
their vectors already in the store (embedded once into bench/.cache by synthesis_texts.py), so
that the run starts as a restart does. Then, while a second rapporteur moves a contribution
on its board every 0.25 s (each a synthesis run, no new text) and a reader GETs /synthesis every
0.3 s (both in a process of their own, so that the chair's parsing of each pushed synthesis
in this one does not stretch their times), one rapporteur adds ``--adds`` contributions a random 1-3 s apart and the chair's socket
waits for the first `synthesis.updated` whose seq covers each one. Prints:

- first synthesis after the start (the warm-up reading the vectors back);
- op ack -> a synthesis reflecting it (pushed), p50 / max;
- GET /synthesis, whole meeting, p50 / p99 / max;
- op ack latency of the two rapporteurs while the worker embeds and clusters, p50 / p99 / max;
- CPU seconds of the server process and of its analysis worker.

``--cold SECONDS``: nothing stored, so the worker embeds every text from the start; only the acks
and the GETs are measured, for that long. ``--in-process``: the analysis in an OS thread of the
server (FACILITATOR_ANALYSIS_WORKER=0), for the comparison.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import requests  # noqa: E402

from bench.common import BenchServer, machine  # noqa: E402
from bench.synthesis_texts import cached_vectors, meeting_texts  # noqa: E402
from facilitator import provisioning  # noqa: E402
from facilitator.store import open_store  # noqa: E402
from support import Client, key_of  # noqa: E402


class TimedClient(Client):
    """Each event stamped with its arrival (perf_counter)."""

    def _on_event(self, event):
        event["_t"] = time.perf_counter()
        super()._on_event(event)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def ms(values) -> str:
    return (f"{1000 * pct(values, 0.5):.0f} / {1000 * pct(values, 0.99):.0f} / "
            f"{1000 * max(values):.0f} ms (n={len(values)})") if values else "none"


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(server_pid: int) -> int | None:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmd = handle.read()
        except OSError:
            continue
        if ppid == server_pid and b"analysis_worker" in cmd:
            return int(entry)
    return None


def job_times(log_path: str) -> list[tuple[int, float]]:
    """(texts embedded, seconds) of each synthesis the worker logged (FACILITATOR_ANALYSIS_LOG)."""
    found = []
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            m = re.search(r"synthesis of \S+: \d+ contributions, (\d+) embedded, ([\d.]+) s", line)
            if m:
                found.append((int(m.group(1)), float(m.group(2))))
    return found[1:]  # the first reads every vector back: it is the start-up figure


def room_at_work(server_url, mid, typing_key, reading_key, mine, cold, stop, results):
    """In a process of its own: a rapporteur moving contributions on its board every 0.25 s (each
    a synthesis run, no new text) and a reader GETting the whole synthesis every 0.3 s. Puts
    ("ok", op ack times, GET times) on ``results`` once ``stop`` is set."""
    acks: list[float] = []
    gets: list[float] = []
    failed: list[str] = []
    other = Client(server_url, mid, typing_key)

    def typing():
        rnd = random.Random(2)
        while not stop.is_set():
            t = time.perf_counter()
            ack = other.op("contribution.move", contribution_id=rnd.choice(mine), index=rnd.randint(0, 5),
                           timeout=30)
            acks.append(time.perf_counter() - t)
            if not ack["ok"]:
                failed.append(f"move: {ack}")
            stop.wait(0.25)

    def reading():
        session = requests.Session()
        url = f"{server_url}/api/m/{mid}/synthesis"
        while not stop.is_set():
            t = time.perf_counter()
            r = session.get(url, params={"key": reading_key}, timeout=60)
            gets.append(time.perf_counter() - t)
            if not (r.ok and (cold or not r.json().get("pending"))):
                failed.append(f"GET: {r.status_code}")
            stop.wait(0.3)

    threads = [threading.Thread(target=typing), threading.Thread(target=reading)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    results.put(("ok" if not failed else "; ".join(failed[:3]), acks, gets))


def group_key(links, gid):
    return key_of(next(g for g in links["groups"] if g["id"] == gid)["rapporteur_url"])


def run_size(n: int, length: int, adds: int, in_process: bool = False, cold: float = 0.0) -> None:
    texts = meeting_texts(n + adds, length)
    seeded, extra = texts[:n], texts[n:]
    fingerprint, vectors = cached_vectors(seeded)
    env = {"FACILITATOR_SYNTHESIS_ENGINE": "semantic", "FACILITATOR_ANALYSIS_LOG": "1"}
    if in_process:  # the analysis in an OS thread of the server, as before issue 20
        env["FACILITATOR_ANALYSIS_WORKER"] = "0"
    server = BenchServer("sqlite", env=env)
    clients = []
    try:
        links = server.create_meeting()
        mid, chair_key = links["meeting_id"], key_of(links["chair_url"])
        store = open_store(server.data_dir, None)
        provisioning.seed_contributions(store, mid, seeded)
        if not cold:  # cold: nothing stored, the worker embeds every text from the start
            store.save_vectors(fingerprint, vectors)
        store.close()
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        server.start(timeout=120)
        url = f"{server.url}/api/m/{mid}/synthesis"
        while not cold and requests.get(url, params={"key": chair_key}, timeout=60).json().get("pending"):
            time.sleep(0.2)
        first = time.perf_counter() - t0
        worker = worker_pid(server.proc.pid) or server.proc.pid  # in process: the server itself
        cpu0 = (cpu_seconds(server.proc.pid), cpu_seconds(worker))

        chair = TimedClient(server.url, mid, chair_key)
        rap = TimedClient(server.url, mid, group_key(links, "africa"))
        clients += [chair, rap]
        acks: list[float] = []
        mine = [c["id"] for c in requests.get(f"{server.url}/api/m/{mid}/state", timeout=60,
                                              params={"key": group_key(links, "mena")}).json()["contributions"]
                if not c["deleted"]]
        # The room at work and the reader in a process of their own: this one parses every
        # synthesis the chair is pushed (megabytes of JSON), and its GIL would stretch their times.
        ctx = multiprocessing.get_context("spawn")
        stop, results = ctx.Event(), ctx.Queue()
        room = ctx.Process(target=room_at_work, args=(server.url, mid, group_key(links, "mena"), chair_key,
                                                      mine, bool(cold), stop, results))
        room.start()
        fresh: list[float] = []
        rnd = random.Random(n)
        if cold:  # only the acks and the GETs while the worker embeds
            time.sleep(cold)
        for item in ([] if cold else extra[:adds]):
            time.sleep(rnd.uniform(1.0, 3.0))
            t = time.perf_counter()
            ack = rap.op("contribution.add", question_id=item["question"], text=item["text"],
                         lang=item["lang"], kind="recommendation", agreement="consensus", timeout=30)
            acked = time.perf_counter()
            acks.append(acked - t)
            push = chair.wait_for(lambda e: e["type"] == "synthesis.updated"
                                  and e["synthesis"]["seq"] >= ack["seq"], timeout=120)
            fresh.append(push["_t"] - acked)
        stop.set()
        outcome, room_acks, gets = results.get(timeout=120)
        room.join(30)
        assert outcome == "ok", outcome
        acks += room_acks
        cpu1 = (cpu_seconds(server.proc.pid), cpu_seconds(worker))
        size = len(requests.get(url, params={"key": chair_key}, timeout=60).content)
        print(f"{n} contributions of {length} characters{' (analysis in process)' if in_process else ''} (load average {load:.1f} -> "
              f"{os.getloadavg()[0]:.1f}); worker pid {worker}")
        if cold:
            print(f"  cold: no vector stored, {cold:.0f} s measured while the worker embeds "
                  f"(still pending at the end: {requests.get(url, params={'key': chair_key}, timeout=60).json().get('pending', False)})")
        else:
            print(f"  first synthesis after the start (vectors read back): {first:.1f} s")
            print(f"  op ack -> synthesis pushed that reflects it: p50 {pct(fresh, 0.5):.2f} s, "
                  f"max {max(fresh):.2f} s (n={len(fresh)}): {', '.join(f'{x:.2f}' for x in fresh)}")
        print(f"  GET /synthesis (whole meeting, {size / 1e6:.2f} MB): {ms(gets)}")
        print(f"  op ack while the worker embeds and clusters: {ms(acks)}")
        print(f"  CPU over the run: server {cpu1[0] - cpu0[0]:.1f} s, worker {cpu1[1] - cpu0[1]:.1f} s")
        runs = job_times(server.log_path)
        if runs:
            print(f"  worker runs: {len(runs)}, p50 {pct([r[1] for r in runs], 0.5):.2f} s, max "
                  f"{max(r[1] for r in runs):.2f} s, texts embedded per run p50 "
                  f"{pct([r[0] for r in runs], 0.5)}, max {max(r[0] for r in runs)}")
    finally:
        for c in clients:
            c.close()
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000x200,3000x200,300x2000")
    parser.add_argument("--adds", type=int, default=6)
    parser.add_argument("--cold", type=float, default=0.0, metavar="SECONDS",
                        help="no vectors stored: measure acks and GETs for SECONDS while the worker embeds")
    parser.add_argument("--in-process", action="store_true",
                        help="no worker process: the analysis in an OS thread of the server")
    args = parser.parse_args()
    print(machine())
    for size in args.sizes.split(","):
        n, length = (int(x) for x in size.split("x"))
        run_size(n, length, args.adds, args.in_process, args.cold)


if __name__ == "__main__":
    main()
