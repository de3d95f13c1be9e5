"""One process against two (or more) behind nginx, on several meetings at once. Prints figures.

    .venv/bin/python bench/bench_cluster.py [--procs 1,2] [--meetings 4] [--writers 3]
        [--phones 20] [--seconds 10]

For each process count: starts that many `run.py serve --redis` processes on one prefix, the
nginx configuration `run.py balancer-config` prints in front of them (routing by meeting), creates
`--meetings` GRCP7 meetings and connects, through nginx, for each meeting: one plenary screen,
`--phones` joined participants (idle sockets) and `--writers` rapporteurs of session-2 groups
(with `--split`, the rapporteurs connect straight to the processes in turn instead: what a
meeting served by its non-owners costs).
For `--seconds` every rapporteur adds contributions in a loop, waiting for each ack. Prints acked
ops per second, op -> plenary latency (op sent to its event on the meeting's plenary screen),
the CPU the server processes used per acked op, how the meetings spread over the processes
(their lease owners), and the machine's load average, since the clients share its cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests  # noqa: E402
from common import (  # noqa: E402
    REDIS_URL, ROOT, S2_GROUPS, S2_QUESTIONS, TEXT, BenchServer, Recorder, key_of, machine,
    percentile,
)
from tests.support import free_port, stop_process, wait_until  # noqa: E402

NGINX = "/usr/sbin/nginx"
WARMUP_S = 1.0


def start_nginx(workdir: str, upstreams: list[BenchServer]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    argv = [sys.executable, os.path.join(ROOT, "run.py"), "balancer-config", "nginx", "--listen", f"127.0.0.1:{port}"]
    for server in upstreams:
        argv += ["--upstream", f"127.0.0.1:{server.port}"]
    config = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    path = os.path.join(workdir, "nginx.conf")
    with open(path, "w") as handle:
        handle.write(config)
    proc = subprocess.Popen([NGINX, "-p", workdir, "-c", path, "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(url + "/healthz", timeout=2).ok
        except requests.RequestException:
            return False

    wait_until(up, "nginx")
    return proc, url


class Writer(threading.Thread):
    def __init__(self, client: Recorder, index: int, start_at: float, stop_at: float):
        super().__init__(daemon=True)
        self.client, self.index = client, index
        self.start_at, self.stop_at = start_at, stop_at
        self.sent: dict[int, float] = {}  # seq -> when its op was sent (counted window only)
        self.acked = 0
        self.errors = 0

    def run(self) -> None:
        n = 0
        while time.perf_counter() < self.stop_at:
            n += 1
            message = {"op_id": uuid.uuid4().hex, "type": "contribution.add",
                       "question_id": S2_QUESTIONS[self.index % len(S2_QUESTIONS)],
                       "text": TEXT.format(n=n), "kind": "recommendation", "agreement": "consensus", "lang": "ar"}
            t0 = time.perf_counter()
            try:
                ack = self.client.sio.call("op", message, timeout=30)
            except Exception:
                self.errors += 1
                continue
            t1 = time.perf_counter()
            if isinstance(ack, dict) and ack.get("ok"):
                if self.start_at <= t0 and t1 <= self.stop_at:
                    self.acked += 1
                    self.sent[ack["seq"]] = t0
            else:
                self.errors += 1


def run(procs: int, meetings: int, writers: int, phones: int, seconds: float, split: bool = False) -> dict:
    prefix = f"bench-cl-{uuid.uuid4().hex[:8]}"
    workdir = tempfile.mkdtemp(prefix="facbench-nginx-")
    servers = []
    clients: list[Recorder] = []
    nginx = None
    try:
        for _ in range(procs):
            server = BenchServer("redis", env={"FACILITATOR_PROXY_COUNT": "1",
                                               "FACILITATOR_SYNTHESIS_ENGINE": "lexical"})
            server.prefix = prefix
            servers.append(server.start())
        nginx, url = start_nginx(workdir, servers)
        plan = []
        for _ in range(meetings):
            links = servers[0].create_meeting()
            mid = links["meeting_id"]
            via = f"{url}/?meeting={mid}"
            plenary = Recorder(via, mid, key_of(links["plenary_url"]))
            clients.append(plenary)
            for _ in range(phones):
                joined = requests.post(f"{url}/api/m/{mid}/participants", json={"code": links["join_code"]}, timeout=30)
                clients.append(Recorder(via, mid, joined.json()["key"]))
            urls = {g["id"]: g["rapporteur_url"] for g in links["groups"]}
            # --split: each meeting's rapporteurs go straight to the processes in turn, as behind
            # a balancer that does not route by meeting: the non-owners serve them.
            rapporteurs = [Recorder(servers[i % procs].url if split else via, mid,
                                    key_of(urls[S2_GROUPS[i % len(S2_GROUPS)]]), name=f"R{i}")
                           for i in range(writers)]
            clients += rapporteurs
            plan.append((mid, plenary, rapporteurs))
        loads_before = os.getloadavg()
        start_at = time.perf_counter() + WARMUP_S
        stop_at = start_at + seconds
        threads = [(plenary, Writer(r, i, start_at, stop_at)) for _, plenary, rs in plan for i, r in enumerate(rs)]
        for _, thread in threads:
            thread.start()
        time.sleep(max(0.0, start_at - time.perf_counter()))
        cpu0 = sum(s.cpu_seconds() for s in servers)
        time.sleep(max(0.0, stop_at - time.perf_counter()))
        cpu1 = sum(s.cpu_seconds() for s in servers)
        for _, thread in threads:
            thread.join(60)
        time.sleep(1.0)  # the last events reach the screens
        latencies = []
        missing = 0
        for plenary, thread in threads:
            for seq, sent in thread.sent.items():
                arrived = plenary.arrivals.get(seq)
                if arrived is None:
                    missing += 1
                else:
                    latencies.append((arrived - sent) * 1000)
        latencies.sort()
        acked = sum(t.acked for _, t in threads)
        import redis

        raw = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        owners = [raw.get(f"{prefix}:m:{mid}:owner") for mid, _, _ in plan]
        spread = {}
        for owner in owners:
            port = owner.split(":")[1] if owner else "none"
            spread[port] = spread.get(port, 0) + 1
        return {
            "procs": procs, "acked": acked, "ops_s": acked / seconds,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "cpu_ms_op": 1000 * (cpu1 - cpu0) / max(acked, 1), "cpu_s": cpu1 - cpu0,
            "errors": sum(t.errors for _, t in threads), "missing": missing,
            "spread": sorted(spread.values(), reverse=True), "load": (loads_before, os.getloadavg()),
        }
    finally:
        for client in clients:
            client.close()
        if nginx:
            stop_process(nginx)
        for server in servers:
            server.close()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--procs", default="1,2")
    parser.add_argument("--meetings", type=int, default=4)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--split", action="store_true",
                        help="rapporteurs bypass nginx, one meeting's spread over all processes")
    args = parser.parse_args()
    print(f"# {machine()}")
    print(f"# {args.meetings} meetings x (1 plenary, {args.phones} phones, {args.writers} rapporteurs), "
          f"{args.seconds:.0f} s, Redis {REDIS_URL}, behind nginx, clients in this process"
          + (", rapporteurs split over the processes" if args.split else ""))
    print(f"{'procs':>5}  {'acked':>6}  {'ops/s':>7}  {'p50 ms':>7}  {'p99 ms':>7}  {'CPU ms/op':>9}  "
          f"{'errors':>6}  {'missing':>7}  {'meetings/proc':>13}  load 1-min before -> after")
    for procs in [int(p) for p in args.procs.split(",")]:
        r = run(procs, args.meetings, args.writers, args.phones, args.seconds, args.split)
        print(f"{r['procs']:>5}  {r['acked']:>6}  {r['ops_s']:7.1f}  {r['p50']:7.1f}  {r['p99']:7.1f}  "
              f"{r['cpu_ms_op']:9.2f}  {r['errors']:>6}  {r['missing']:>7}  {str(r['spread']):>13}  "
              f"{r['load'][0][0]:.2f} -> {r['load'][1][0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
