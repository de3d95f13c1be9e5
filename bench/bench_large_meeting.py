"""One large meeting: 2,000 phones connected, 40 rapporteurs typing, a 2,000-vote burst. Prints figures.

    .venv/bin/python bench/bench_large_meeting.py [--phones 2000] [--rapporteurs 40] [--seconds 10]
        [--client-procs 1] [--pin] [--engine lexical|auto] [--backend sqlite|redis]

A real `run.py serve` process (SQLite by default, the op rate limit lifted), one GRCP7 meeting.
`--phones` participants join through the real HTTP join (POST /api/m/<id>/participants, regions
spread over the five session-2 regions and "prefer not to say") and connect over WebSocket with
bench/loadclient.py (asyncio, `--client-procs` processes); one plenary screen, the chair, and
`--rapporteurs` rapporteurs of the five session-2 groups (8 connections per group key at 40).

1. Connect: the time from the first phone's connect to the last phone's namespace ack.
2. Typing, `--seconds`: every rapporteur adds contributions in a loop, each after the previous
   ack. Acked ops/s, ack p50/p99, op -> plenary p50/p99, server CPU.
3. The chair opens a yes/no ballot on three practices and reveals it (so the plenary sees the live
   results): op -> `ballot.opened` on the phones.
4. Every phone votes on the first practice at once, the rapporteurs still typing. Vote ack
   p50/p99; the time from the last vote's ack (and from the last vote sent) to the first
   `ballot.results` on the plenary counting every vote (issue 13's target: <= 0.5 s after the
   last ack); the rapporteurs' acks during the burst; server CPU.

Times are CLOCK_MONOTONIC, shared by all processes of the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loadclient  # noqa: E402
from common import (  # noqa: E402
    S2_GROUPS, S2_QUESTIONS, TEXT, BenchServer, join_many, key_of, machine, percentile,
)

REGIONS = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena", None]
OPENED = '42["event",{"type":"ballot.opened"'
RESULTS = '42["event",{"type":"ballot.results"'


def ms(values: list[float]) -> list[float]:
    return sorted(v * 1000 for v in values)


class Plenary:
    """The plenary screen's on_event: when each logged seq arrived, and every results event's
    count of votes on the watched practice (the only events parsed in full)."""

    def __init__(self):
        self.seqs = loadclient.SeqRecorder()
        self.watch: str | None = None
        self.results: list[tuple[float, int]] = []
        self.complete = asyncio.Event()
        self.expected = 0

    def __call__(self, text: str, now: float) -> None:
        if text.startswith(RESULTS):
            if self.watch is None:
                return
            results = loadclient.event_of(text)["results"]["results"]
            counts = next((r["counts"] for r in results if r.get("contribution_id") == self.watch),
                          results[0]["counts"])
            n = sum(counts.values())
            self.results.append((now, n))
            if n >= self.expected:
                self.complete.set()
        else:
            self.seqs(text, now)


async def seed_practices(host, port, mid, key) -> list[str]:
    """Three practices for the ballot, added by one rapporteur; their ids from its own events."""
    added: list[dict] = []
    conn = await loadclient.connect(host, port, mid, key, lambda text, now: added.append(loadclient.event_of(text)))
    for gid in ("africa", "europe-central-asia", "mena"):
        ack, _ = await conn.call("op", {"op_id": uuid.uuid4().hex, "type": "contribution.add",
                                        "question_id": "s2-q1", "text": f"Practice from {gid}",
                                        "kind": "good_practice", "agreement": "consensus"})
        assert ack.get("ok"), ack
    while len([e for e in added if e.get("type") == "contribution.added"]) < 3:
        await asyncio.sleep(0.01)
    conn.close()
    return [e["contribution"]["id"] for e in added if e.get("type") == "contribution.added"][:3]


async def type_loop(conn, index, state, log):
    """One rapporteur adding contributions, each after the previous ack, until state['stop']."""
    n = 0
    while not state["stop"]:
        n += 1
        t0 = time.monotonic()
        try:
            ack, t1 = await conn.call("op", {
                "op_id": uuid.uuid4().hex, "type": "contribution.add",
                "question_id": S2_QUESTIONS[index % len(S2_QUESTIONS)], "text": TEXT.format(n=n),
                "kind": "recommendation", "agreement": "consensus", "lang": "ar"}, timeout=60)
        except Exception:
            state["errors"] += 1
            continue
        if ack.get("ok"):
            log.append((t0, t1, ack["seq"]))
        else:
            state["errors"] += 1


async def connect_phones(share, opened: list, pushes: list):
    """The phones; each records when ballot.opened reached it, and the k-th ballot.results."""

    def on_event(text, now):
        if text.startswith(RESULTS):
            pushes.append(now)
        elif text.startswith(OPENED):
            opened.append(now)

    t0 = time.monotonic()
    phones = await loadclient.connect_many(share["host"], share["port"],
                                           [(share["mid"], key, on_event) for key in share["phones"]])
    return phones, (t0, time.monotonic())


async def vote_burst(phones, ballot_id, cid, at):
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    sent = []
    for i, conn in enumerate(phones):
        _, future = conn.send("op", {"op_id": uuid.uuid4().hex, "type": "vote.cast", "ballot_id": ballot_id,
                                     "contribution_id": cid, "choice": ("yes", "no", "unsure")[i % 3]})
        sent.append((time.monotonic(), future))
    votes, errors = [], {}
    for t0, future in sent:
        try:
            ack, t1 = await asyncio.wait_for(future, 60)
        except Exception as error:
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            continue
        if ack.get("ok"):
            votes.append((t0, t1))
        else:
            code = ack.get("error", {}).get("code", "?")
            errors[code] = errors.get(code, 0) + 1
    return votes, errors


async def main_scenario(share: dict, control) -> dict:
    """Client process 0: phones, plus the plenary, the chair and the rapporteurs."""
    host, port, mid = share["host"], share["port"], share["mid"]
    opened: list[float] = []
    pushes: list[float] = []
    phones, connected = await connect_phones(share, opened, pushes)
    plenary = Plenary()
    plenary.expected = share["voters"]
    screen = await loadclient.connect(host, port, mid, share["plenary"], plenary)
    ballots: list[str] = []
    chair = await loadclient.connect(host, port, mid, share["chair"], lambda text, now: text.startswith(OPENED)
                                     and ballots.append(loadclient.event_of(text)["ballot"]["id"]))
    ids = await seed_practices(host, port, mid, share["rapporteurs"][0])
    raps = [await loadclient.connect(host, port, mid, key, name=f"R{i}")
            for i, key in enumerate(share["rapporteurs"])]
    start_at, stop_at = await control.report({"connected": connected, "n": len(phones)})
    state, log = {"stop": False, "errors": 0}, []
    typing = [asyncio.ensure_future(type_loop(c, i, state, log)) for i, c in enumerate(raps)]
    await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
    plenary.watch = ids[0]  # from the start, so that its k-th results event is the phones' k-th
    t_open = time.monotonic()
    ack, _ = await chair.call("op", {"op_id": uuid.uuid4().hex, "type": "ballot.open",
                                     "contribution_ids": ids, "mode": "yes_no"})
    assert ack.get("ok"), ack
    while not ballots:
        await asyncio.sleep(0.005)
    ballot_id = ballots[0]
    ack, _ = await chair.call("op", {"op_id": uuid.uuid4().hex, "type": "ballot.reveal", "ballot_id": ballot_id})
    assert ack.get("ok"), ack
    burst = await control.report({"ballot_id": ballot_id, "cid": ids[0], "t_open": t_open})
    votes, errors = await vote_burst(phones, burst["ballot_id"], burst["cid"], burst["at"])
    try:
        await asyncio.wait_for(plenary.complete.wait(), 30)
    except asyncio.TimeoutError:
        pass
    state["stop"] = True
    await asyncio.gather(*typing, return_exceptions=True)
    await asyncio.sleep(1.0)  # the final results reach the last phones
    result = {"connected": connected, "opened": opened, "votes": votes, "errors": errors, "pushes": pushes,
              "typing": log, "typing_errors": state["errors"], "plenary_seqs": plenary.seqs.arrivals,
              "results": plenary.results, "t_open": t_open}
    await control.report(result)
    for conn in phones + raps + [screen, chair]:
        conn.close()
    return None


async def phone_scenario(share: dict, control) -> dict:
    """Client processes 1..n-1: phones only."""
    opened: list[float] = []
    pushes: list[float] = []
    phones, connected = await connect_phones(share, opened, pushes)
    await control.report({"connected": connected, "n": len(phones)})  # -> the typing window
    burst = await control.report(None)
    votes, errors = await vote_burst(phones, burst["ballot_id"], burst["cid"], burst["at"])
    await asyncio.sleep(1.0)  # the final results reach the last phones
    await control.report({"connected": connected, "opened": opened, "votes": votes, "errors": errors,
                          "pushes": pushes})
    for conn in phones:
        conn.close()
    return None


async def scenario(share: dict, control):
    return await (main_scenario if share["main"] else phone_scenario)(share, control)


# ----- the parent: server, joins, phases, figures --------------------------------------------------


def run(args) -> None:
    server_cores, client_cores = loadclient.split_cores(args.pin)
    env = {"FACILITATOR_SYNTHESIS_ENGINE": args.engine}
    server = BenchServer(args.backend, env=env, cores=server_cores).start()
    workers = None
    try:
        links = server.create_meeting()
        mid = links["meeting_id"]
        t0 = time.monotonic()
        keys = join_many(server.url, mid, links["join_code"], args.phones, REGIONS)
        joined_s = time.monotonic() - t0
        rapporteurs = [key_of(next(g for g in links["groups"] if g["id"] == S2_GROUPS[i % len(S2_GROUPS)])
                              ["rapporteur_url"]) for i in range(args.rapporteurs)]
        n = max(1, args.client_procs)
        shares = [{"main": i == 0, "host": "127.0.0.1", "port": server.port, "mid": mid, "phones": keys[i::n],
                   "plenary": key_of(links["plenary_url"]), "chair": key_of(links["chair_url"]),
                   "rapporteurs": rapporteurs, "voters": args.phones} for i in range(n)]
        load_start = os.getloadavg()[0]
        workers = loadclient.Workers(scenario, shares, client_cores)
        connected = workers.gather()
        # typing
        start_at = time.monotonic() + 1.0
        stop_at = start_at + args.seconds
        workers.tell((start_at, stop_at))
        time.sleep(max(0.0, start_at - time.monotonic()))
        cpu0 = server.cpu_seconds()
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu1 = server.cpu_seconds()
        load_typing = os.getloadavg()[0]
        ballot = next(info for info in workers.gather() if info)
        # the burst
        at = time.monotonic() + 0.5
        workers.tell(dict(ballot, at=at))
        time.sleep(max(0.0, at - time.monotonic()))
        cpu2 = server.cpu_seconds()
        results = workers.gather(timeout=300)
        cpu3 = server.cpu_seconds()
        load_end = os.getloadavg()[0]
        workers.tell("bye")
        workers.results()
        report(args, joined_s, connected, results, (start_at, stop_at, at), (cpu0, cpu1, cpu2, cpu3),
               (load_start, load_typing, load_end), workers.client_cpu)
    finally:
        if workers:
            workers.close()
        server.close()


def report(args, joined_s, connected, results, times, cpus, loads, client_cpu) -> None:
    start_at, stop_at, at = times
    main = results[0]  # the process with the plenary, the chair and the rapporteurs
    first = min(c["connected"][0] for c in connected)
    last = max(c["connected"][1] for c in connected)
    phones = sum(c["n"] for c in connected)
    print(f"joins over HTTP: {args.phones} in {joined_s:.1f} s ({args.phones / joined_s:.0f}/s)")
    print(f"connect: {phones} phones in {last - first:.2f} s ({phones / (last - first):.0f}/s)")
    window = [(t0, t1, seq) for t0, t1, seq in main["typing"] if start_at <= t0 and t1 <= stop_at]
    acks = ms([t1 - t0 for t0, t1, _ in window])
    seqs = main["plenary_seqs"]
    to_plenary = ms([seqs[seq] - t0 for t0, _, seq in window if seq in seqs])
    missing = sum(1 for *_, seq in window if seq not in seqs)
    print(f"typing ({args.rapporteurs} rapporteurs, {args.seconds:.0f} s): {len(window) / args.seconds:.1f} acked ops/s, "
          f"ack p50 {percentile(acks, 50):.1f} / p99 {percentile(acks, 99):.1f} ms, op -> plenary p50 "
          f"{percentile(to_plenary, 50):.1f} / p99 {percentile(to_plenary, 99):.1f} ms, errors "
          f"{main['typing_errors']}, missing on the plenary {missing}; server CPU {cpus[1] - cpus[0]:.1f} s "
          f"({(cpus[1] - cpus[0]) / args.seconds:.2f} core, {1000 * (cpus[1] - cpus[0]) / max(len(window), 1):.2f} ms/op)")
    report_vote(args, connected, results, at, cpus, loads, client_cpu)


def report_vote(args, connected, results, at, cpus, loads, client_cpu) -> None:
    main = results[0]
    opened = sorted(t for r in results for t in r["opened"])
    if opened:
        print(f"ballot.open sent -> ballot.opened on the phones: {len(opened)} got it, p50 "
              f"{(percentile(opened, 50) - main['t_open']) * 1000:.0f} ms, last {(opened[-1] - main['t_open']) * 1000:.0f} ms")
    votes = [v for r in results for v in r["votes"]]
    errors: dict = {}
    for r in results:
        for code, count in r["errors"].items():
            errors[code] = errors.get(code, 0) + count
    vote_acks = ms([t1 - t0 for t0, t1 in votes])
    last_sent = max(t0 for t0, _ in votes)
    last_ack = max(t1 for _, t1 in votes)
    print(f"votes: {len(votes)} acked ok of {args.phones} {errors or ''}; ack p50 {percentile(vote_acks, 50):.0f} / "
          f"p99 {percentile(vote_acks, 99):.0f} ms; first sent -> last ack {(last_ack - min(t0 for t0, _ in votes)) * 1000:.0f} ms")
    complete = [t for t, n in main["results"] if n >= args.phones]
    counts = [n for _, n in main["results"]]
    print(f"ballot.results on the plenary during the burst: {len(main['results'])} (vote counts {counts[:12]}"
          f"{'...' if len(counts) > 12 else ''})")
    if complete:
        print(f"last vote ack -> plenary results counting all {args.phones}: {(complete[0] - last_ack) * 1000:.0f} ms "
              f"(from the last vote sent: {(complete[0] - last_sent) * 1000:.0f} ms; target <= 500 ms after the last ack)")
    else:
        print(f"no results event counted all {args.phones} votes within 30 s (most: {max(counts or [0])})")
    # the k-th results event on the plenary against the phones' k-th: each socket is written by its own task
    pushes = sorted(t for r in results for t in r["pushes"])
    n_phones = sum(c["n"] for c in connected)
    fanout = []
    for k, (t, n) in enumerate(main["results"]):
        got = pushes[k * n_phones:(k + 1) * n_phones]
        if len(got) == n_phones:
            fanout.append(f"{n} votes: plenary +0, phones p50 {(percentile(got, 50) - t) * 1000:+.0f} / "
                          f"last {(got[-1] - t) * 1000:+.0f} ms")
    print("each results push, its arrival on the phones against the plenary's: " + "; ".join(fanout))
    during = ms([t1 - t0 for t0, t1, _ in main["typing"] if t0 >= at])
    print(f"rapporteurs during the burst: {len(during)} acked, ack p50 {percentile(during, 50):.0f} / "
          f"p99 {percentile(during, 99):.0f} ms; server CPU from the burst's start to the final results "
          f"seen by all clients: {cpus[3] - cpus[2]:.1f} s")
    print(f"client CPU (all client processes, whole run): {client_cpu:.1f} s; load average (1 min): "
          f"start {loads[0]:.2f}, after typing {loads[1]:.2f}, end {loads[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=2000)
    parser.add_argument("--rapporteurs", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument("--pin", action="store_true",
                        help="the server on the first half of the cores, the clients on the rest")
    parser.add_argument("--engine", choices=["auto", "semantic", "lexical"], default="lexical",
                        help="synthesis engine (lexical: no embedding of each new text)")
    parser.add_argument("--backend", choices=["sqlite", "redis"], default="sqlite")
    args = parser.parse_args()
    nofile = loadclient.raise_nofile()
    server_cores, client_cores = loadclient.split_cores(args.pin)
    print(f"# {machine()}; open-file limit {nofile}")
    print(f"# one meeting, {args.backend}, engine {args.engine}: {args.phones} phones, {args.rapporteurs} rapporteurs, "
          f"1 plenary, 1 chair; {args.client_procs} asyncio client process(es)"
          + (f"; server on cores {server_cores}, clients on {sorted(client_cores)}" if args.pin else "; unpinned"))
    if nofile < args.phones + 200:
        raise SystemExit(f"open-file limit {nofile} is below {args.phones + 200}: raise the hard limit")
    run(args)


if __name__ == "__main__":
    main()
