"""The room gauge (issue 20, item 2): op -> plenary on the real server beside the bare server, in
one run. Prints figures.

    .venv/bin/python bench/bench_room.py [--sizes 480/16,2000/40,5000/40] [--runs 3]
        [--seconds 20] [--bare sqlite,none] [--engine ENGINE]

Per round, for each size (phones/rapporteurs), back to back:

(a) `run.py serve` (SQLite, its analysis worker, the synthesis engine left at its default
    unless `--engine`), one GRCP7 meeting. The phones join through the real HTTP join (POST
    /api/m/<id>/participants) and connect over WebSocket; one plenary screen, the chair, and
    the rapporteurs, spread over the five groups of question s2-q1 (several connections per
    group key), connect by their links.
(b) bench_bare_socketio.py's bare server (python-socketio on eventlet; `sqlite`: one row committed
    with synchronous=FULL before each ack; `none`: no store), with the same connections in the
    rooms the facilitator puts them in (phones in "participants", the plenary and the chair in
    "staff", each rapporteur in its group's room), emitting each op to the rooms the hub emits a
    contribution to (staff, translators, the group).

The same op stream on both: each rapporteur sends one op, then waits a uniform 1.0-2.0 s from that
op's send before the next (about 0.67 ops/s each, never two of its own in flight, as a person
typing), its first op at a uniform 0-2 s into the window; every third op a `contribution.edit`
of its own latest contribution (the ids are the rapporteur's own: `contribution.add` takes an
`id`), the others `contribution.add` of a 90-character Arabic and English text. The schedule
comes from a seeded generator: the same times and ops for every target of a round.

Before the window the facilitator gets one contribution and the plenary its synthesis: a meeting
in progress, its analysis worker started and its models loaded (the first job of a fresh server
does both, seconds of a core at nice 5; the bare server has no such work).

Measured over the `--seconds` window: op sent -> its event's arrival on the plenary screen (by
seq), and op -> ack; the server's CPU seconds (and the analysis worker's); the client processes'
CPU seconds (the plenary and the rapporteurs share one asyncio process, the phones are in
`--client-procs` others: the client must not be the limit); /proc/loadavg before and after.
Times are CLOCK_MONOTONIC, taken in the one process that sends the ops and holds the plenary.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loadclient  # noqa: E402
from bench_bare_socketio import Bare  # noqa: E402
from common import S2_GROUPS, TEXT, BenchServer, join_many, key_of, machine, percentile  # noqa: E402

QUESTION = "s2-q1"
REGIONS = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena", None]
GAP = (1.0, 2.0)  # seconds from one op's send to the same rapporteur's next
FIRST = 2.0  # each rapporteur's first op is at a uniform 0..FIRST s into the window
EDIT_EVERY = 3  # every third op of a rapporteur edits its latest contribution
WARMUP = 2.0  # seconds of typing before the window opens


# ----- clients -------------------------------------------------------------------------------------


async def open_conn(host, port, meeting, auth, on_event=None, gate=None):
    """A loadclient connection with any auth (the bare server reads a room from it)."""
    async def one():
        loop = asyncio.get_running_loop()
        _, conn = await asyncio.wait_for(loop.create_connection(
            lambda: loadclient.Conn(host, port, meeting, auth, on_event), host, port), 60)
        await asyncio.wait_for(conn.connected, 60)
        return conn
    if gate is None:
        return await one()
    async with gate:
        return await one()


class Plenary:
    """When each logged seq reached the screen, and how many synthesis pushes it got (with the
    engine named in the first)."""

    def __init__(self):
        self.seqs = loadclient.SeqRecorder()
        self.synthesis = 0
        self.engine = None

    def __call__(self, text, now):
        if text.startswith('42["event",{"type":"synthesis.updated"'):
            self.synthesis += 1
            if self.engine is None:
                i = text.find('"engine":"')
                if i >= 0:
                    self.engine = text[i + 10:text.find('"', i + 10)]
            return
        self.seqs(text, now)


async def typist(conn, index, share, log, errors):
    rng = random.Random(share["seed"] * 1000 + index)
    start_at, stop_at = share["start_at"], share["stop_at"]
    at = start_at + rng.uniform(0, FIRST)
    n, own, version = 0, None, 0
    while True:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        if at >= stop_at:
            return
        n += 1
        if n % EDIT_EVERY == 0 and own:
            version += 1
            message = {"op_id": uuid.uuid4().hex, "type": "contribution.edit", "contribution_id": own,
                       "version": version - 1, "text": TEXT.format(n=f"{index}.{n} (edited)")}
        else:
            own, version = f"s{share['seed']:06d}r{index:03d}n{n:05d}", 1  # ids are 8 to 40 characters
            message = {"op_id": uuid.uuid4().hex, "type": "contribution.add", "id": own,
                       "question_id": QUESTION, "text": TEXT.format(n=f"{index}.{n}"),
                       "kind": "recommendation", "agreement": "consensus", "lang": "ar"}
        at += rng.uniform(*GAP)
        t0 = time.monotonic()
        try:
            ack, t1 = await conn.call("op", message, timeout=60)
        except Exception as error:
            errors.append(type(error).__name__)
            continue
        if ack.get("ok"):
            log.append((t0, t1, ack["seq"]))
        else:
            errors.append(ack.get("error", {}).get("code", "?"))


async def warm_up(conn, plenary, timeout: float = 120):
    """A meeting in progress: one contribution before the window, and its synthesis pushed to the
    plenary, so that the analysis worker has started and loaded its models (the first job of a
    fresh server does both, seconds of a core at nice 5)."""
    ack, _ = await conn.call("op", {"op_id": uuid.uuid4().hex, "type": "contribution.add",
                                    "id": "warm-up-contribution", "question_id": QUESTION,
                                    "text": TEXT.format(n="warm-up"), "kind": "recommendation",
                                    "agreement": "consensus", "lang": "ar"}, timeout=60)
    assert ack.get("ok"), ack
    deadline = time.monotonic() + timeout
    while not plenary.synthesis and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # the worker's job after the push is over


async def scenario(share, control):
    host, port, mid = share["host"], share["port"], share["mid"]
    gate = asyncio.Semaphore(50)
    phones = await asyncio.gather(*(open_conn(host, port, mid, auth, gate=gate) for auth in share["phones"]))
    if not share["main"]:
        await control.report({"phones": len(phones)})
        await control.report(None)  # the window is over
        for conn in phones:
            conn.close()
        return None
    plenary = Plenary()
    screen = await open_conn(host, port, mid, share["plenary"], plenary)
    chair = await open_conn(host, port, mid, share["chair"])
    raps = [await open_conn(host, port, mid, auth) for auth in share["rapporteurs"]]
    if share["warm"]:
        await warm_up(raps[0], plenary)
    share.update(await control.report({"phones": len(phones)}))
    log, errors = [], []
    cpu0 = os.times()
    await asyncio.gather(*(typist(conn, i, share, log, errors) for i, conn in enumerate(raps)))
    cpu1 = os.times()
    await asyncio.sleep(0.5)  # the last events reach the plenary
    await control.report({"log": log, "errors": errors, "plenary": plenary.seqs.arrivals,
                          "synthesis": plenary.synthesis, "engine": plenary.engine,
                          "client_cpu": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)})
    for conn in phones + raps + [screen, chair]:
        conn.close()
    return None


# ----- one target ----------------------------------------------------------------------------------


def children_cpu(pid: int) -> float:
    """CPU seconds of a process's direct children (the analysis worker)."""
    total = 0.0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in handle.read().split():
                    try:
                        total += loadclient.cpu_seconds(int(child))
                    except OSError:
                        pass
    except OSError:
        pass
    return total


def loadavg() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def drive(shares, pid, seconds, procs, seed) -> dict:
    """The client processes through one window; the figures."""
    n = max(1, procs)
    workers = loadclient.Workers(scenario, shares)
    try:
        workers.gather()
        start_at = time.monotonic() + 1.0
        window = (start_at + WARMUP, start_at + WARMUP + seconds)
        workers.tell({"start_at": start_at, "stop_at": window[1], "seed": seed})
        load0 = loadavg()
        time.sleep(max(0.0, window[0] - time.monotonic()))
        cpu0, side0 = loadclient.cpu_seconds(pid), children_cpu(pid)
        phone_cpu0 = sum(loadclient.cpu_seconds(p.pid) for p in workers.procs[1:])
        time.sleep(max(0.0, window[1] - time.monotonic()))
        cpu1, side1 = loadclient.cpu_seconds(pid), children_cpu(pid)
        phone_cpu1 = sum(loadclient.cpu_seconds(p.pid) for p in workers.procs[1:])
        load1 = loadavg()
        results = workers.gather()
        workers.tell("bye")
        workers.results()
    finally:
        workers.close()
    main = results[0]
    inside = [(t0, t1, s) for t0, t1, s in main["log"] if window[0] <= t0 < window[1]]
    arrivals = main["plenary"]
    to_plenary = sorted(1000 * (arrivals[s] - t0) for t0, _, s in inside if s in arrivals)
    acks = sorted(1000 * (t1 - t0) for t0, t1, _ in inside)
    return {"n": len(inside), "missing": sum(1 for *_, s in inside if s not in arrivals),
            "errors": len(main["errors"]), "plenary": to_plenary, "ack": acks,
            "cpu": cpu1 - cpu0, "side": side1 - side0, "loads": (load0, load1),
            "client_cpu": main["client_cpu"], "phone_cpu": phone_cpu1 - phone_cpu0,
            "synthesis": main["synthesis"], "engine": main["engine"], "phones": n}


def facilitator(phones, raps, args, seed) -> dict:
    env = {"FACILITATOR_SYNTHESIS_ENGINE": args.engine} if args.engine else {}
    server = BenchServer("sqlite", env=env).start()
    try:
        links = server.create_meeting()
        mid = links["meeting_id"]
        keys = join_many(server.url, mid, links["join_code"], phones, REGIONS)
        group_keys = {g["id"]: key_of(g["rapporteur_url"]) for g in links["groups"]}
        auth = lambda key, **kw: dict({"meeting": mid, "key": key}, **kw)  # noqa: E731
        shares = split(args.client_procs, [auth(k) for k in keys], auth(key_of(links["plenary_url"])),
                       auth(key_of(links["chair_url"])),
                       [auth(group_keys[S2_GROUPS[i % len(S2_GROUPS)]], name=f"R{i}") for i in range(raps)],
                       server.port, mid, warm=True)
        return drive(shares, server.proc.pid, args.seconds, args.client_procs, seed)
    finally:
        server.close()


def bare(phones, raps, store, args, seed) -> dict:
    server = Bare(store, "eventlet")
    try:
        shares = split(args.client_procs, [{"room": "participants"}] * phones, {"room": "staff"},
                       {"room": "staff"}, [{"room": f"group:{S2_GROUPS[i % len(S2_GROUPS)]}"} for i in range(raps)],
                       server.port, "m", warm=False)
        return drive(shares, server.proc.pid, args.seconds, args.client_procs, seed)
    finally:
        server.close()


def split(procs, phones, plenary, chair, rapporteurs, port, mid, warm) -> list[dict]:
    """Process 0: the plenary, the chair, the rapporteurs (and no phones if there are others);
    the phones over the others."""
    base = {"host": "127.0.0.1", "port": port, "mid": mid, "warm": warm}
    if procs <= 1:
        return [dict(base, main=True, phones=phones, plenary=plenary, chair=chair, rapporteurs=rapporteurs)]
    others = procs - 1
    return ([dict(base, main=True, phones=[], plenary=plenary, chair=chair, rapporteurs=rapporteurs)]
            + [dict(base, main=False, phones=phones[i::others]) for i in range(others)])


# ----- figures -------------------------------------------------------------------------------------


def line(label, r) -> str:
    p, a = r["plenary"], r["ack"]
    extra = f", worker {r['side']:.1f} s" if r["side"] else ""
    synth = f"; {r['synthesis']} synthesis pushes (engine {r['engine']})" if r["synthesis"] else ""
    return (f"  {label:<16} op->plenary p50 {percentile(p, 50):6.2f} p99 {percentile(p, 99):6.2f} "
            f"max {max(p or [float('nan')]):6.1f} ms | ack p50 {percentile(a, 50):5.2f} p99 {percentile(a, 99):6.2f} "
            f"| n {r['n']} missing {r['missing']} errors {r['errors']} | server CPU {r['cpu']:.1f} s{extra}; "
            f"client CPU: ops+plenary {r['client_cpu']:.1f} s, phones {r['phone_cpu']:.1f} s | "
            f"load {r['loads'][0]} -> {r['loads'][1]}{synth}")


def ratio(fac, base, key, p) -> str:
    return f"{percentile(fac[key], p) / percentile(base[key], p):.2f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="480/16,2000/40,5000/40", help="phones/rapporteurs, comma-separated")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--bare", default="sqlite,none", help="the bare server's stores: sqlite, none")
    ap.add_argument("--engine", default=None, help="FACILITATOR_SYNTHESIS_ENGINE (default: the server's own)")
    ap.add_argument("--client-procs", type=int, default=2)
    args = ap.parse_args()
    sizes = [tuple(int(x) for x in s.split("/")) for s in args.sizes.split(",")]
    stores = [s for s in args.bare.split(",") if s]
    nofile = loadclient.raise_nofile()
    print(f"# {machine()}; open-file limit {nofile}")
    print(f"# facilitator: run.py serve, SQLite, engine {args.engine or 'default (FACILITATOR_SYNTHESIS_ENGINE unset)'}; "
          f"bare: python-socketio on eventlet, stores {stores}; each rapporteur one op per uniform {GAP[0]}-{GAP[1]} s, "
          f"every {EDIT_EVERY}rd an edit; {args.seconds:g} s window after {WARMUP:g} s; "
          f"{args.client_procs} asyncio client process(es) (the first: plenary, chair, rapporteurs)", flush=True)
    for run in range(args.runs):
        for phones, raps in sizes:
            seed = 1 + run * 100 + phones + raps
            # the order alternates by round, so that neither target always runs first
            targets = ["facilitator"] + [f"bare {s}" for s in stores]
            if run % 2:
                targets = targets[1:] + targets[:1]
            results = {}
            for target in targets:
                if target == "facilitator":
                    results[target] = facilitator(phones, raps, args, seed)
                else:
                    results[target] = bare(phones, raps, target.split()[1], args, seed)
            print(f"round {run + 1}, {phones} phones + {raps} rapporteurs (order: {', '.join(targets)})")
            for target in ["facilitator"] + [f"bare {s}" for s in stores]:
                print(line(target, results[target]))
            fac = results["facilitator"]
            for s in stores:
                b = results[f"bare {s}"]
                print(f"  facilitator / bare {s}: op->plenary p50 {ratio(fac, b, 'plenary', 50)}, "
                      f"p99 {ratio(fac, b, 'plenary', 99)}; ack p50 {ratio(fac, b, 'ack', 50)}, "
                      f"p99 {ratio(fac, b, 'ack', 99)}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
