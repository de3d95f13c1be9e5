"""One server process's ceiling on SQLite (WAL, synchronous=FULL), against a bare python-socketio
server on the same load, with a client that is not the limit. Prints figures only.

    .venv/bin/python bench/bench_ceiling.py [--senders 16] [--windows 4,1] [--seconds 10]
        [--runs 3] [--bare sqlite,none] [--held] [--no-pin] [--client-procs 1] [--engine lexical]
        [--py-spy PREFIX]

Targets, each a fresh server process:
- `facilitator`: `run.py serve` (bench/common.py's BenchServer: SQLite in a temporary directory,
  op rate limit lifted, `FACILITATOR_SYNTHESIS_ENGINE=--engine`), one GRCP7 meeting;
- `fac held` (`--held`): the same with the synthesis held off (`FACILITATOR_SYNTHESIS_DEBOUNCE=100`,
  no recomputation within a run): a run adds thousands of contributions to one meeting, and
  recomputing the synthesis of all of them once a second grows with their number, not the op path;
- `bare sqlite` / `bare none`: bench/bench_bare_socketio.py's server (`--serve PORT`):
  python-socketio alone, on "op" one row committed to SQLite WAL FULL (or nothing), the op emitted
  with its seq to the three rooms of a contribution (staff, translators, the sender's group), ack
  {"ok": true, "seq": n}.

Load (bench/loadclient.py, asyncio, one client process unless `--client-procs`): 5 listeners
(2 staff: the plenary and the chair; 3 rapporteurs of the first three session-2 groups; on the
bare server the rooms "staff" and "group:0..2") and `--senders` rapporteurs over the five
session-2 groups, each keeping `--window` contribution.add ops in flight (a new one as each ack
comes back), the op bench_throughput.py sends. `--seconds` measured after 1 s of warm-up.

With the pin (default), the server and all its threads run on core 0 (taskset) and the client
processes on core 1, so the server's CPU share of its core says whether it is saturated, and the
client's CPU share whether the client is. Runs are interleaved: round by round, for each window,
facilitator, fac held, bare sqlite, bare none. For each run: acked ops/s, server CPU per acked op (from
/proc/PID/stat), server CPU share of its core, the busy share of each core (/proc/stat: other
work on the machine shows there), client CPU share, ack p50/p99, the events the two staff
listeners got against the acked ops (none may be missing), the 1-minute load average before and
after; and per round the ratio facilitator ÷ bare sqlite of server CPU per acked op.

`--py-spy PREFIX` records each facilitator target's process during the measured window of its
first run (`py-spy record --gil --format raw`, py-spy run on the client's core) to
PREFIX.<target>.txt, for a profile; py-spy is not in requirements.txt (`pip install py-spy`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loadclient  # noqa: E402
from bench_bare_socketio import Bare  # noqa: E402
from common import (  # noqa: E402
    S2_GROUPS, S2_QUESTIONS, TEXT, BenchServer, key_of, machine, percentile,
)

WARMUP_S = 1.0
SATURATED = 0.9  # a process at this share of its core or more is the limit of the run
STAFF = 2  # the first listeners: plenary and chair (facilitator), room "staff" (bare)


# ----- the targets (this process) ------------------------------------------------------------------


class Facilitator:
    def __init__(self, args, cores: str | None, held: bool = False):
        # held: the synthesis recomputed only after 100 s, i.e. never in a run: the op path alone
        self.label = "fac held" if held else "facilitator"
        env = {"FACILITATOR_SYNTHESIS_ENGINE": args.engine, "FACILITATOR_ASYNC_MODE": args.async_mode}
        if held:
            env["FACILITATOR_SYNTHESIS_DEBOUNCE"] = "100"
        self.server = BenchServer("sqlite", env=env, cores=cores).start()
        self.pid = self.server.proc.pid
        links = self.server.create_meeting()
        mid = links["meeting_id"]
        rapporteur = {g["id"]: key_of(g["rapporteur_url"]) for g in links["groups"]}
        listen = [key_of(links["plenary_url"]), key_of(links["chair_url"])]
        listen += [rapporteur[S2_GROUPS[i % len(S2_GROUPS)]] for i in range(args.listeners - STAFF)]
        self.plan = {
            "port": self.server.port, "meeting": mid,
            "listeners": [{"meeting": mid, "key": k, "name": f"listener {i}"} for i, k in enumerate(listen)],
            "senders": [{"meeting": mid, "key": rapporteur[S2_GROUPS[i % len(S2_GROUPS)]], "name": f"R{i}"}
                        for i in range(args.senders)],
        }

    def cpu_seconds(self) -> float:
        return self.server.cpu_seconds()

    def close(self) -> None:
        self.server.close()


class BareServer:
    def __init__(self, store: str, args, cores: str | None):
        self.label = f"bare {store}"
        self.server = Bare(store, args.async_mode, cores)
        self.pid = self.server.proc.pid
        rooms = ["staff"] * STAFF + [f"group:{i % len(S2_GROUPS)}" for i in range(args.listeners - STAFF)]
        self.plan = {
            "port": self.server.port, "meeting": "bare",
            "listeners": [{"room": room} for room in rooms],
            "senders": [{"room": f"group:{i % len(S2_GROUPS)}"} for i in range(args.senders)],
        }

    def cpu_seconds(self) -> float:
        return self.server.cpu_seconds()

    def close(self) -> None:
        self.server.close()


# ----- the load (client processes) -----------------------------------------------------------------


def add_op(index: int, n: int, contribution_id: str | None = None) -> dict:
    op = {"op_id": uuid.uuid4().hex, "type": "contribution.add",
          "question_id": S2_QUESTIONS[(index + n) % len(S2_QUESTIONS)], "text": TEXT.format(n=n),
          "kind": "recommendation", "agreement": "consensus", "lang": "ar"}
    if contribution_id:
        op["id"] = contribution_id
    return op


def edit_op(owned: list, n: int) -> dict:
    """An edit of one of the lane's own contributions ([id, version]), its text changed."""
    return {"op_id": uuid.uuid4().hex, "type": "contribution.edit", "contribution_id": owned[0],
            "version": owned[1], "text": TEXT.format(n=n)}


async def own_contributions(conn, index: int, lane_no: int, count: int) -> list:
    """--mix edit: the lane adds its share of the meeting's contributions before the window."""
    owned = []
    for k in range(count):
        cid = f"bench{index:03d}l{lane_no:03d}n{k:04d}"
        ack, _ = await conn.call("op", add_op(index, k, cid), timeout=30)
        owned.append([cid, 1])
    return owned


async def open_conn(port: int, meeting: str, auth: dict, on_event=None) -> loadclient.Conn:
    """A connection with the given namespace auth as it is (the bare server takes {"room"})."""
    loop = asyncio.get_running_loop()
    _, conn = await asyncio.wait_for(loop.create_connection(
        lambda: loadclient.Conn("127.0.0.1", port, meeting, auth, on_event), "127.0.0.1", port), 30)
    await asyncio.wait_for(conn.connected, 30)
    return conn


async def lane(conn, index: int, start_at: float, stop_at: float, stats: dict,
               owned: list | None = None) -> None:
    """One op in flight: the next is sent when the ack of the previous comes back. With `owned`
    (--mix edit) the ops edit those contributions in turn, so the meeting keeps its size."""
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        item = owned[n % len(owned)] if owned else None
        t0 = time.monotonic()
        try:
            ack, t1 = await conn.call("op", edit_op(item, n) if item else add_op(index, n), timeout=30)
        except Exception as error:
            stats["errors"][type(error).__name__] = stats["errors"].get(type(error).__name__, 0) + 1
            continue
        if isinstance(ack, dict) and ack.get("ok"):
            if item:
                item[1] += 1
            stats["seqs"].append(ack["seq"])
            if start_at <= t0 and t1 <= stop_at:
                stats["acks"].append(t1 - t0)
        else:
            code = ack.get("error", {}).get("code", "?") if isinstance(ack, dict) else str(ack)
            stats["errors"][code] = stats["errors"].get(code, 0) + 1


async def own_cpu(start_at: float, stop_at: float) -> float:
    """This client process's CPU seconds (all threads) between the two times."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    c0 = time.process_time()
    await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
    return time.process_time() - c0


async def scenario(share: dict, control) -> dict:
    port, meeting = share["port"], share["meeting"]
    staff = [loadclient.SeqRecorder() for _ in share["listeners"][:STAFF]]
    listeners = [await open_conn(port, meeting, auth, staff[i] if i < len(staff) else None)
                 for i, auth in enumerate(share["listeners"])]
    senders = [await open_conn(port, meeting, auth) for auth in share["senders"]]
    lanes = [(conn, share["first"] + i, k) for i, conn in enumerate(senders)
             for k in range(share["window"])]
    per_lane = -(-share["size"] // max(1, len(lanes))) if share["mix"] == "edit" else 0
    owned = await asyncio.gather(*(own_contributions(conn, index, k, per_lane)
                                   for conn, index, k in lanes))
    start_at, stop_at = await control.report(len(listeners) + len(senders))
    stats = {"acks": [], "seqs": [], "errors": {}}
    cpu = asyncio.ensure_future(own_cpu(start_at, stop_at))
    await asyncio.gather(*(lane(conn, index, start_at, stop_at, stats, mine or None)
                           for (conn, index, _), mine in zip(lanes, owned)))
    client_cpu = await cpu
    await asyncio.sleep(0.5)  # the last events reach the listeners
    seen = [dict(r.arrivals) for r in staff]
    for conn in listeners + senders:
        conn.close()
    return {"acks": stats["acks"], "seqs": stats["seqs"], "errors": stats["errors"],
            "client_cpu": client_cpu, "seen": seen}


# ----- one run (this process) ----------------------------------------------------------------------


def core_busy() -> dict[int, tuple[int, int]]:
    """Per core, (busy, total) jiffies so far, from /proc/stat."""
    out = {}
    with open("/proc/stat") as handle:
        for line in handle:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                values = [int(v) for v in values[:8]]
                out[int(name[3:])] = (sum(values) - values[3] - values[4], sum(values))
    return out


def shares(plan: dict, window: int, args) -> list[dict]:
    """The listeners go to the first client process, the senders (and the contributions of
    --mix edit) are dealt out to all."""
    n = max(1, args.client_procs)
    return [dict(plan, window=window, first=i, listeners=plan["listeners"] if i == 0 else [],
                 senders=plan["senders"][i::n], mix=args.mix, size=args.size // n)
            for i in range(n)]


def measure(target, window: int, args, client_cores, spy: str | None) -> dict:
    workers = loadclient.Workers(scenario, shares(target.plan, window, args), client_cores)
    try:
        workers.gather()
        load0 = os.getloadavg()[0]
        start_at = time.monotonic() + WARMUP_S
        stop_at = start_at + args.seconds
        workers.tell((start_at, stop_at))
        time.sleep(max(0.0, start_at - time.monotonic()))
        cpu0, cores0, wall0 = target.cpu_seconds(), core_busy(), time.monotonic()
        profiler = start_py_spy(spy, target.pid, args.seconds, client_cores) if spy else None
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu1, cores1, wall1 = target.cpu_seconds(), core_busy(), time.monotonic()
        load1 = os.getloadavg()[0]
        results = workers.results()
        if profiler:
            profiler.wait(60)
    finally:
        workers.close()
    wall = wall1 - wall0
    busy = {c: (cores1[c][0] - cores0[c][0]) / max(1, cores1[c][1] - cores0[c][1]) for c in cores1}
    return figures(results, cpu1 - cpu0, wall, args.seconds, busy, (load0, load1))


def figures(results: list[dict], server_cpu: float, wall: float, seconds: float, busy, loads) -> dict:
    acks = sorted(x * 1000 for r in results for x in r["acks"])
    seqs = {s for r in results for s in r["seqs"]}
    seen = results[0]["seen"]
    errors: dict = {}
    for r in results:
        for code, count in r["errors"].items():
            errors[code] = errors.get(code, 0) + count
    return {
        "ops": len(acks) / seconds, "acked": len(acks), "cpu_ms": 1000 * server_cpu / max(1, len(acks)),
        "server_share": server_cpu / wall, "client_shares": [r["client_cpu"] / seconds for r in results],
        "busy": busy, "p50": percentile(acks, 50), "p99": percentile(acks, 99),
        "logged": len(seqs), "log_last": max(seqs, default=0),
        "seen": [len(seqs & s.keys()) for s in seen], "missing": [len(seqs - s.keys()) for s in seen],
        "errors": errors, "load": loads,
    }


def start_py_spy(path: str, pid: int, seconds: float, cores) -> subprocess.Popen:
    """py-spy on the server's process during the window, itself on the client's cores."""
    spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "250",
               "--gil", "--format", "raw", "--output", path, "--nonblocking"]
    return subprocess.Popen(loadclient.taskset(command, ",".join(map(str, sorted(cores))) if cores else None),
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def line(label: str, window: int, r: dict, server_core: int | None) -> str:
    client = max(r["client_shares"])
    busy = " ".join(f"core{c} {b:.2f}" for c, b in sorted(r["busy"].items()))
    notes = []
    if client >= SATURATED:
        notes.append(f"CLIENT SATURATED ({client:.2f} of a core): ops/s is the client's limit")
    if server_core is not None and r["busy"].get(server_core, 0) - r["server_share"] > 0.15:
        notes.append(f"other work took {r['busy'][server_core] - r['server_share']:.2f} of the server's core")
    if any(r["missing"]) or r["errors"]:
        notes.append(f"MISSING {r['missing']} errors {r['errors']}")
    return (f"{label:<12} w{window:<2} {r['ops']:7.0f} {1000 / r['cpu_ms']:7.0f} {r['cpu_ms']:7.3f} {r['server_share']:6.2f} "
            f"{'/'.join(f'{c:.2f}' for c in r['client_shares']):>6} {r['p50']:7.1f} {r['p99']:7.1f}  "
            f"{r['seen']}/{r['logged']} (to seq {r['log_last']})  {r['load'][0]:.2f}->{r['load'][1]:.2f}  "
            f"[{busy}]" + ("  " + "; ".join(notes) if notes else ""))


HEADER = (f"{'target':<12} {'win':<3} {'ops/s':>7} {'1/CPU':>7} {'CPU/op':>7} {'server':>6} {'client':>6} "
          f"{'p50 ms':>7} {'p99 ms':>7}  staff got/acked (log)  load 1-min before->after  [busy share per core]")


# ----- rounds --------------------------------------------------------------------------------------


def targets(args, cores):
    yield lambda: Facilitator(args, cores)
    if args.held:
        yield lambda: Facilitator(args, cores, held=True)
    for store in args.bare:
        yield lambda store=store: BareServer(store, args, cores)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--senders", type=int, default=16)
    ap.add_argument("--listeners", type=int, default=5)
    ap.add_argument("--windows", default="4,1", help="ops in flight per sender, one set of runs each")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--runs", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--bare", default="sqlite,none", help="bare server stores, comma-separated ('' for none)")
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="server and client anywhere (default: server on core 0, client on core 1)")
    ap.add_argument("--held", action="store_true",
                    help="also the facilitator with the synthesis held off (FACILITATOR_SYNTHESIS_DEBOUNCE=100)")
    ap.add_argument("--client-procs", type=int, default=1)
    ap.add_argument("--engine", choices=["auto", "semantic", "lexical"], default="lexical")
    ap.add_argument("--mix", choices=["add", "edit"], default="add",
                    help="add: every op a new contribution (the meeting grows by thousands); "
                         "edit: each lane first adds its share of --size contributions, then "
                         "edits them in turn (a meeting of a real size, its texts changing)")
    ap.add_argument("--async-mode", choices=["eventlet", "gevent"], default="eventlet",
                    help="the servers' async mode (FACILITATOR_ASYNC_MODE; the bare server's own)")
    ap.add_argument("--size", type=int, default=400, help="contributions in the meeting (--mix edit)")
    ap.add_argument("--py-spy", help="raw py-spy profiles of each facilitator target's first run, "
                    "to PREFIX.<target>.txt")
    args = ap.parse_args()
    args.bare = [s for s in args.bare.split(",") if s]
    return args


def main() -> None:
    args = parse_args()
    loadclient.raise_nofile()
    server_cores, client_cores = loadclient.split_cores(args.pin)
    server_core = int(server_cores.split(",")[0]) if server_cores else None
    windows = [int(w) for w in args.windows.split(",")]
    print(f"# {machine()}")
    print(f"# {args.senders} senders over {len(S2_GROUPS)} groups, {args.listeners} listeners ({STAFF} staff), "
          f"{args.seconds:g} s after {WARMUP_S:g} s warm-up, engine {args.engine}, async mode {args.async_mode}, "
          f"ops {args.mix}" + (f" ({args.size} contributions)" if args.mix == "edit" else "") + f", {args.client_procs} asyncio client "
          f"process(es); " + (f"server on core {server_cores}, client on {sorted(client_cores)}" if args.pin
                              else "unpinned"))
    print("# CPU/op: server CPU ms per acked op; 1/CPU: ops/s that CPU per op would give on a whole core "
          "(an extrapolation, not measured); server, client: CPU share of one core over the window")
    ratios: dict[tuple, list] = {}
    spy, profiled = args.py_spy, set()
    for round_ in range(1, args.runs + 1):
        for window in windows:
            print(f"\n## round {round_}, window {window}\n{HEADER}", flush=True)
            per = {}
            for make in targets(args, server_cores):
                target = make()
                profile = None
                if spy and target.label not in profiled and not target.label.startswith("bare"):
                    profile = f"{spy}.{target.label.replace(' ', '-')}.txt"
                    profiled.add(target.label)
                try:
                    r = measure(target, window, args, client_cores, profile)
                finally:
                    target.close()
                per[target.label] = r
                print(line(target.label, window, r, server_core), flush=True)
            if "bare sqlite" in per:
                for label in ("facilitator", "fac held"):
                    if label in per:
                        ratio = per[label]["cpu_ms"] / per["bare sqlite"]["cpu_ms"]
                        ratios.setdefault((window, label), []).append(ratio)
                        print(f"{label} / bare sqlite, server CPU per acked op: {ratio:.2f}", flush=True)
    for (window, label), values in ratios.items():
        print(f"# window {window}: {label} / bare sqlite per round: " + " / ".join(f"{v:.2f}" for v in values))


if __name__ == "__main__":
    main()
