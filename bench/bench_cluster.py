"""One process against two (or more) behind nginx, on several meetings at once. Prints figures.

    .venv/bin/python bench/bench_cluster.py [--procs 1,2] [--meetings 4] [--writers 3]
        [--phones 20] [--seconds 10] [--client async|threads] [--client-procs 1] [--pin]

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

Clients: `--client async` (the default) is bench/loadclient.py, every connection on one asyncio
loop per client process (`--client-procs`, meetings dealt out to them); `--client threads` is
the python-socketio client, one thread per connection in this process, as before. With `--pin`
the servers and nginx run on the first half of the cores (taskset) and the client processes on
the rest, so what the servers do is not bounded by the clients taking their core.
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
import asyncio  # noqa: E402

import loadclient  # noqa: E402
from common import (  # noqa: E402
    REDIS_URL, ROOT, S2_GROUPS, S2_QUESTIONS, TEXT, BenchServer, Recorder, join_many, key_of,
    machine, percentile,
)
from tests.support import free_port, stop_process, wait_until  # noqa: E402

NGINX = "/usr/sbin/nginx"
WARMUP_S = 1.0


def start_nginx(workdir: str, upstreams: list[BenchServer], cores: str | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    argv = [sys.executable, os.path.join(ROOT, "run.py"), "balancer-config", "nginx", "--listen", f"127.0.0.1:{port}"]
    for server in upstreams:
        argv += ["--upstream", f"127.0.0.1:{server.port}"]
    config = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    path = os.path.join(workdir, "nginx.conf")
    with open(path, "w") as handle:
        handle.write(config)
    proc = subprocess.Popen(loadclient.taskset([NGINX, "-p", workdir, "-c", path, "-g", "daemon off;"], cores),
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
            message = op_message(self.index, n)
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


def op_message(index: int, n: int) -> dict:
    return {"op_id": uuid.uuid4().hex, "type": "contribution.add",
            "question_id": S2_QUESTIONS[index % len(S2_QUESTIONS)],
            "text": TEXT.format(n=n), "kind": "recommendation", "agreement": "consensus", "lang": "ar"}


# ----- the asyncio client (bench/loadclient.py) ----------------------------------------------------


async def write_loop(conn, index: int, start_at: float, stop_at: float, stats: dict) -> dict:
    """One rapporteur: ops one after the other, each after the previous ack."""
    sent: dict[int, float] = {}
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        t0 = time.monotonic()
        try:
            ack, t1 = await conn.call("op", op_message(index, n), timeout=30)
        except Exception:
            stats["errors"] += 1
            continue
        if isinstance(ack, dict) and ack.get("ok"):
            if start_at <= t0 and t1 <= stop_at:
                sent[ack["seq"]] = t0
                stats["acks"].append(t1 - t0)
        else:
            stats["errors"] += 1
    return sent


async def cluster_scenario(share: dict, control) -> dict:
    """A client process: its meetings' plenaries, phones and rapporteurs; rapporteurs write
    between the times the parent sends; returns op -> plenary latencies and counts."""
    host, port = share["host"], share["port"]
    recorders, specs = {}, []
    for m in share["meetings"]:
        recorders[m["mid"]] = loadclient.SeqRecorder()
        specs.append((m["mid"], m["plenary"], recorders[m["mid"]]))
        specs += [(m["mid"], key) for key in m["phones"]]
    listeners = await loadclient.connect_many(host, port, specs)
    writers = []
    for m in share["meetings"]:
        for i, (key, wport) in enumerate(m["writers"]):
            conn = await loadclient.connect(host, wport, m["mid"], key, name=f"R{i}")
            writers.append((m["mid"], i, conn))
    start_at, stop_at = await control.report(len(listeners) + len(writers))
    stats = {"errors": 0, "acks": []}
    sents = await asyncio.gather(*(write_loop(c, i, start_at, stop_at, stats) for _, i, c in writers))
    await asyncio.sleep(1.0)  # the last events reach the screens
    latencies, missing = [], 0
    for (mid, _, _), sent in zip(writers, sents):
        arrivals = recorders[mid].arrivals
        for seq, t0 in sent.items():
            if seq in arrivals:
                latencies.append((arrivals[seq] - t0) * 1000)
            else:
                missing += 1
    for conn in listeners + [c for _, _, c in writers]:
        conn.close()
    return {"acked": sum(len(s) for s in sents), "latencies": latencies, "missing": missing,
            "errors": stats["errors"], "acks": stats["acks"]}


def drive_async(plan, servers, url, seconds, split, client_procs, client_cores) -> dict:
    host, port = url.split("//")[1].split(":")
    meetings = []
    for mid, plenary_key, phone_keys, writer_keys in plan:
        meetings.append({"mid": mid, "plenary": plenary_key, "phones": phone_keys,
                         "writers": [(key, servers[i % len(servers)].port if split else int(port))
                                     for i, key in enumerate(writer_keys)]})
    n = max(1, min(client_procs, len(meetings)))
    shares = [{"host": host, "port": int(port), "meetings": meetings[i::n]} for i in range(n)]
    workers = loadclient.Workers(cluster_scenario, shares, client_cores)
    try:
        workers.gather()
        loads_before = os.getloadavg()
        start_at = time.monotonic() + WARMUP_S
        stop_at = start_at + seconds
        workers.tell((start_at, stop_at))
        time.sleep(max(0.0, start_at - time.monotonic()))
        cpu0 = sum(s.cpu_seconds() for s in servers)
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu1 = sum(s.cpu_seconds() for s in servers)
        loads_after = os.getloadavg()
        results = workers.results()
    finally:
        workers.close()
    return {"acked": sum(r["acked"] for r in results),
            "latencies": sorted(x for r in results for x in r["latencies"]),
            "missing": sum(r["missing"] for r in results), "errors": sum(r["errors"] for r in results),
            "acks": sorted(x * 1000 for r in results for x in r["acks"]),
            "cpu_s": cpu1 - cpu0, "client_cpu_s": workers.client_cpu, "load": (loads_before, loads_after)}


# ----- the python-socketio client, one thread per connection ---------------------------------------


def drive_threads(plan, servers, url, seconds, split) -> dict:
    clients: list[Recorder] = []
    try:
        threads = []
        for mid, plenary_key, phone_keys, writer_keys in plan:
            via = f"{url}/?meeting={mid}"
            plenary = Recorder(via, mid, plenary_key)
            clients.append(plenary)
            clients += [Recorder(via, mid, key) for key in phone_keys]
            # --split: each meeting's rapporteurs go straight to the processes in turn, as behind
            # a balancer that does not route by meeting: the non-owners serve them.
            rapporteurs = [Recorder(servers[i % len(servers)].url if split else via, mid, key, name=f"R{i}")
                           for i, key in enumerate(writer_keys)]
            clients += rapporteurs
            threads += [(plenary, r, i) for i, r in enumerate(rapporteurs)]
        client_cpu0 = sum(os.times()[:2])
        loads_before = os.getloadavg()
        start_at = time.perf_counter() + WARMUP_S
        stop_at = start_at + seconds
        threads = [(plenary, Writer(r, i, start_at, stop_at)) for plenary, r, i in threads]
        for _, thread in threads:
            thread.start()
        time.sleep(max(0.0, start_at - time.perf_counter()))
        cpu0 = sum(s.cpu_seconds() for s in servers)
        time.sleep(max(0.0, stop_at - time.perf_counter()))
        cpu1 = sum(s.cpu_seconds() for s in servers)
        loads_after = os.getloadavg()
        for _, thread in threads:
            thread.join(60)
        time.sleep(1.0)  # the last events reach the screens
        client_cpu = sum(os.times()[:2]) - client_cpu0
        latencies = []
        missing = 0
        for plenary, thread in threads:
            for seq, sent in thread.sent.items():
                arrived = plenary.arrivals.get(seq)
                if arrived is None:
                    missing += 1
                else:
                    latencies.append((arrived - sent) * 1000)
        return {"acked": sum(t.acked for _, t in threads), "latencies": sorted(latencies),
                "missing": missing, "errors": sum(t.errors for _, t in threads), "acks": [],
                "cpu_s": cpu1 - cpu0, "client_cpu_s": client_cpu, "load": (loads_before, loads_after)}
    finally:
        for client in clients:
            client.close()


def owners_spread(prefix: str, plan) -> list[int]:
    """Meetings per process, from their lease owners in Redis."""
    import redis

    raw = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    spread: dict[str, int] = {}
    for mid, *_ in plan:
        owner = raw.get(f"{prefix}:m:{mid}:owner")
        port = owner.split(":")[1] if owner else "none"
        spread[port] = spread.get(port, 0) + 1
    return sorted(spread.values(), reverse=True)


def run(procs: int, meetings: int, writers: int, phones: int, seconds: float, split: bool = False,
        client: str = "async", client_procs: int = 1, pin: bool = False) -> dict:
    prefix = f"bench-cl-{uuid.uuid4().hex[:8]}"
    workdir = tempfile.mkdtemp(prefix="facbench-nginx-")
    server_cores, client_cores = loadclient.split_cores(pin)
    if client_cores and client == "threads":
        os.sched_setaffinity(0, client_cores)
    servers = []
    nginx = None
    try:
        for _ in range(procs):
            server = BenchServer("redis", env={"FACILITATOR_PROXY_COUNT": "1",
                                               "FACILITATOR_SYNTHESIS_ENGINE": "lexical"}, cores=server_cores)
            server.prefix = prefix
            servers.append(server.start())
        nginx, url = start_nginx(workdir, servers, server_cores)
        plan = []  # (meeting, plenary key, phone keys, rapporteur keys)
        for _ in range(meetings):
            links = servers[0].create_meeting()
            mid = links["meeting_id"]
            phone_keys = join_many(url, mid, links["join_code"], phones)
            urls = {g["id"]: g["rapporteur_url"] for g in links["groups"]}
            plan.append((mid, key_of(links["plenary_url"]), phone_keys,
                         [key_of(urls[S2_GROUPS[i % len(S2_GROUPS)]]) for i in range(writers)]))
        if client == "threads":
            r = drive_threads(plan, servers, url, seconds, split)
        else:
            r = drive_async(plan, servers, url, seconds, split, client_procs, client_cores)
        latencies, acked = r["latencies"], r["acked"]
        return {
            "procs": procs, "acked": acked, "ops_s": acked / seconds,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "ack_p50": percentile(r["acks"], 50), "ack_p99": percentile(r["acks"], 99),
            "cpu_ms_op": 1000 * r["cpu_s"] / max(acked, 1), "cpu_s": r["cpu_s"],
            "client_cpu_s": r["client_cpu_s"], "errors": r["errors"], "missing": r["missing"],
            "spread": owners_spread(prefix, plan), "load": r["load"],
        }
    finally:
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
    parser.add_argument("--client", choices=["async", "threads"], default="async",
                        help="async: bench/loadclient.py; threads: python-socketio, a thread per connection")
    parser.add_argument("--client-procs", type=int, default=1, help="async client processes")
    parser.add_argument("--pin", action="store_true",
                        help="servers and nginx on the first half of the cores, the clients on the rest")
    args = parser.parse_args()
    loadclient.raise_nofile()
    server_cores, client_cores = loadclient.split_cores(args.pin)
    print(f"# {machine()}")
    where = (f"{args.client_procs} asyncio client process(es)" if args.client == "async"
             else "python-socketio client threads in this process")
    pinned = f", servers+nginx on cores {server_cores}, clients on {sorted(client_cores)}" if args.pin else ", unpinned"
    print(f"# {args.meetings} meetings x (1 plenary, {args.phones} phones, {args.writers} rapporteurs), "
          f"{args.seconds:.0f} s, Redis {REDIS_URL}, behind nginx, {where}{pinned}"
          + (", rapporteurs split over the processes" if args.split else ""))
    print(f"{'procs':>5}  {'acked':>6}  {'ops/s':>7}  {'p50 ms':>7}  {'p99 ms':>7}  {'CPU ms/op':>9}  "
          f"{'errors':>6}  {'missing':>7}  {'meetings/proc':>13}  load 1-min before -> after  "
          f"| server CPU s, client CPU s, ack p50/p99 ms")
    for procs in [int(p) for p in args.procs.split(",")]:
        r = run(procs, args.meetings, args.writers, args.phones, args.seconds, args.split,
                args.client, args.client_procs, args.pin)
        print(f"{r['procs']:>5}  {r['acked']:>6}  {r['ops_s']:7.1f}  {r['p50']:7.1f}  {r['p99']:7.1f}  "
              f"{r['cpu_ms_op']:9.2f}  {r['errors']:>6}  {r['missing']:>7}  {str(r['spread']):>13}  "
              f"{r['load'][0][0]:.2f} -> {r['load'][1][0]:.2f}  "
              f"| {r['cpu_s']:.1f}, {r['client_cpu_s']:.1f}, {r['ack_p50']:.1f}/{r['ack_p99']:.1f}", flush=True)


if __name__ == "__main__":
    main()
