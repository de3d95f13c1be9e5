"""Re-run the freezes of issue 10 and print the worst /healthz latency during each attack.

    python bench/bench_freezes.py [--runs 3] [--backend sqlite|redis]

Attacks, each against a fresh server process (tests/support.py's ServerProcess, default limits):

- marks:   a rapporteur sends `contribution.add` with 150,000 alternating combining marks
           (a 0.3 MB frame, as a browser encodes it), ten times in a row; then thirty plain
           900 kB texts. Goal: worst /healthz <= 0.2 s.
- idle:    2,000 websockets complete the engine.io handshake and never authenticate, and sit
           open for 5 s (the server's authentication timeout is raised to 60 s for this run so
           that they all stay open; with the default 5 s they are closed). Goal: <= 0.2 s while
           they sit open; the worst while they are being opened is printed apart.
- flood:   one rapporteur key opens 40 connections and each sends ops as fast as acks come
           back for 15 s. Goal: <= 0.5 s.

A prober thread GETs /healthz on its own keep-alive connection every 20 ms during each attack;
a request that does not answer counts as the time it waited.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import requests  # noqa: E402
from common import BenchServer  # noqa: E402
from tests.support import REDIS_URL, RawSocket, ServerProcess, key_of  # noqa: E402

GOALS = {"marks": 0.2, "idle": 0.2, "flood": 0.5}


class Prober:
    """GET /healthz every `interval` seconds; keeps every latency."""

    def __init__(self, url: str, interval: float = 0.02, timeout: float = 30):
        self.url = url + "/healthz"
        self.interval = interval
        self.timeout = timeout
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        session = requests.Session()
        while not self._stop.is_set():
            t0 = time.perf_counter()
            try:
                session.get(self.url, timeout=self.timeout)
            except requests.RequestException:
                session = requests.Session()
            self.latencies.append(time.perf_counter() - t0)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def worst(self) -> float:
        return max(self.latencies) if self.latencies else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


def rapporteur_key(links: dict) -> str:
    return key_of(links["groups"][0]["rapporteur_url"])


def add(text: str) -> str:
    op = {"op_id": uuid.uuid4().hex, "type": "contribution.add", "question_id": "s2-q1",
          "text": text, "kind": "good_practice", "agreement": "consensus"}
    return '["op",' + json.dumps(op, ensure_ascii=False) + "]"


def attack_marks(server: ServerProcess, links: dict) -> dict:
    raw = RawSocket(server.url, {"meeting": links["meeting_id"], "key": rapporteur_key(links)},
                    timeout=120)
    codes = []
    try:
        with Prober(server.url) as probe:
            marks = "a" + "\u0301\u0316" * 75_000
            for _ in range(10):
                codes.append(raw.call(add(marks)).get("error", {}).get("code"))
            plain = "x" * 900_000
            for _ in range(30):
                codes.append(raw.call(add(plain)).get("error", {}).get("code"))
    finally:
        raw.close()
    return {"worst": probe.worst, "median": probe.median, "probes": len(probe.latencies),
            "answers": {c: codes.count(c) for c in set(codes)}}


def attack_idle(server: ServerProcess, links: dict, count: int = 2000, hold: float = 5) -> dict:
    sockets: list = []
    lock = threading.Lock()
    failures = []

    def opener(n):
        for _ in range(n):
            try:
                raw = RawSocket(server.url, timeout=30)
            except Exception as error:  # noqa: BLE001 - counted and reported
                failures.append(type(error).__name__)
                continue
            with lock:
                sockets.append(raw)

    # Two phases, measured apart: opening the sockets (2,000 handshakes cost the server CPU)
    # and then holding them all open (the goal: idle sockets must not lock anyone out).
    with Prober(server.url) as opening:
        threads = [threading.Thread(target=opener, args=(count // 20,)) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    with Prober(server.url) as probe:
        time.sleep(hold)
    for raw in sockets:
        raw.close()
    return {"worst": probe.worst, "median": probe.median, "probes": len(probe.latencies),
            "open": len(sockets), "failed": len(failures),
            "while_opening": {"worst": round(opening.worst, 3), "median": round(opening.median, 4),
                              "seconds": round(sum(opening.latencies) + 0.02 * len(opening.latencies), 1)}}


def attack_flood(server: ServerProcess, links: dict, connections: int = 40, seconds: float = 15) -> dict:
    key = rapporteur_key(links)
    mid = links["meeting_id"]
    before = requests.get(f"{server.url}/api/m/{mid}/state", params={"key": key_of(links["chair_url"])}).json()["seq"]
    sockets, refused = [], 0
    for _ in range(connections):
        try:
            sockets.append(RawSocket(server.url, {"meeting": mid, "key": key}, timeout=30))
        except AssertionError:
            refused += 1  # over the per-key connection cap
    counts = {"ok": 0, "rate_limited": 0, "other": 0}
    lock = threading.Lock()
    deadline = time.time() + seconds

    def flood(raw):
        while time.time() < deadline:
            ack = raw.call(add("flood"))
            code = "ok" if ack.get("ok") else ack["error"]["code"]
            with lock:
                counts[code if code in counts else "other"] += 1

    with Prober(server.url) as probe:
        threads = [threading.Thread(target=flood, args=(raw,)) for raw in sockets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for raw in sockets:
        raw.close()
    after = requests.get(f"{server.url}/api/m/{mid}/state", params={"key": key_of(links["chair_url"])}).json()["seq"]
    return {"worst": probe.worst, "median": probe.median, "probes": len(probe.latencies),
            "connected": len(sockets), "refused": refused, "acks": counts, "log_growth": after - before}


def run_attack(name: str, backend: str) -> dict:
    # Default limits (BenchServer's unlimited op rate is for throughput benches, not this one).
    env = {"FACILITATOR_OP_RATE": "20", "FACILITATOR_OP_BURST": "60"}
    if name == "idle":
        env["FACILITATOR_AUTH_TIMEOUT"] = "60"
    server = BenchServer(backend, env=env)
    try:
        server.start()
        links = server.create_meeting()
        attack = {"marks": attack_marks, "idle": attack_idle, "flood": attack_flood}[name]
        return attack(server, links)
    finally:
        server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--attacks", default="marks,idle,flood")
    args = parser.parse_args()
    print(f"# {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"store {args.backend}{' ' + REDIS_URL if args.backend == 'redis' else ''}")
    print(f"# load average before: {os.getloadavg()}")
    worst: dict[str, list[float]] = {}
    for run in range(1, args.runs + 1):
        for name in args.attacks.split(","):
            result = run_attack(name, args.backend)
            worst.setdefault(name, []).append(result["worst"])
            detail = {k: v for k, v in result.items() if k not in ("worst", "median")}
            print(f"run {run} {name:6s} worst /healthz {result['worst']:.3f} s, median "
                  f"{result['median'] * 1000:.1f} ms  {json.dumps(detail)}", flush=True)
    print(f"# load average after: {os.getloadavg()}")
    for name, values in worst.items():
        verdict = "ok" if max(values) <= GOALS[name] else "OVER GOAL"
        print(f"{name:6s} worst /healthz over {len(values)} runs: {min(values):.3f}-{max(values):.3f} s "
              f"(goal <= {GOALS[name]} s) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
