"""Acked ops per second one server process sustains. Prints figures only.

    .venv/bin/python bench/bench_throughput.py [--backend sqlite|redis|both] [--clients 8]
        [--seconds 10] [--window 1] [--listeners 5] [--async-mode eventlet|gevent] [--runs 1]
        [--engine auto|semantic|lexical]

For each backend: starts a real `run.py serve` process on a free port of 127.0.0.1 (rate limit
lifted), creates a GRCP7 meeting, connects `--listeners` listening clients (plenary, chair and
rapporteurs) and `--clients` rapporteur clients spread over the five session-2 groups, each a
python-socketio client in its own thread of this process. For `--seconds` every client sends ops
in a loop: with `--window 1` it waits for each ack before the next op (contribution.add, then
contribution.edit of it, alternately); with `--window W > 1` it keeps up to W adds in flight.
Prints acked ops per second, ack latency under that load, the events the staff listeners got,
and the CPU the server process and this process used (is the server the bottleneck?).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    HEADER, S2_GROUPS, S2_QUESTIONS, TEXT, BenchServer, Recorder, backends, key_of, machine, row,
    summary,
)

WARMUP_S = 1.0


class Worker(threading.Thread):
    def __init__(self, client: Recorder, index: int, window: int, start_at: float, stop_at: float):
        super().__init__(daemon=True)
        self.client = client
        self.index = index
        self.window = window
        self.start_at = start_at
        self.stop_at = stop_at
        self.acked = 0
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.lock = threading.Lock()

    def add(self, n: int) -> dict:
        return {"op_id": uuid.uuid4().hex, "type": "contribution.add",
                "question_id": S2_QUESTIONS[n % len(S2_QUESTIONS)], "text": TEXT.format(n=n),
                "kind": "recommendation", "agreement": "consensus", "lang": "ar"}

    def count(self, ack, t0: float, t1: float) -> None:
        with self.lock:
            if isinstance(ack, dict) and ack.get("ok"):
                if self.start_at <= t0 and t1 <= self.stop_at:
                    self.acked += 1
                    self.latencies.append(t1 - t0)
            else:
                code = ack.get("error", {}).get("code", "?") if isinstance(ack, dict) else str(ack)
                self.errors[code] = self.errors.get(code, 0) + 1

    def run(self) -> None:
        if self.window <= 1:
            self.run_serial()
        else:
            self.run_window()

    def run_serial(self) -> None:
        n = 0
        contribution = None
        while time.perf_counter() < self.stop_at:
            n += 1
            if contribution is None:
                message = self.add(n)
            else:
                message = {"op_id": uuid.uuid4().hex, "type": "contribution.edit",
                           "contribution_id": contribution[0], "version": contribution[1],
                           "text": TEXT.format(n=n) + " (edited)"}
            t0 = time.perf_counter()
            try:
                ack = self.client.sio.call("op", message, timeout=10)
            except Exception as error:  # a timeout: count it, go on
                ack = {"ok": False, "error": {"code": type(error).__name__}}
            self.count(ack, t0, time.perf_counter())
            contribution = None
            if message["type"] == "contribution.add" and ack.get("ok"):
                event = self.client.wait_seq(ack["seq"], timeout=5)
                if event is not None:
                    contribution = (event["contribution"]["id"], event["contribution"]["version"])

    def run_window(self) -> None:
        slots = threading.Semaphore(self.window)
        n = 0
        while time.perf_counter() < self.stop_at:
            if not slots.acquire(timeout=10):
                break
            n += 1
            t0 = time.perf_counter()

            def done(ack=None, t0=t0):
                self.count(ack, t0, time.perf_counter())
                slots.release()

            self.client.sio.emit("op", self.add(n), callback=done)
        for _ in range(self.window):  # let the ops in flight come back
            slots.acquire(timeout=10)


def run(backend: str, args) -> None:
    server = BenchServer(backend, env={"FACILITATOR_ASYNC_MODE": args.async_mode,
                                       "FACILITATOR_SYNTHESIS_ENGINE": args.engine}).start()
    clients: list[Recorder] = []
    try:
        links = server.create_meeting()
        meeting_id = links["meeting_id"]
        rapporteur = {g["id"]: key_of(g["rapporteur_url"]) for g in links["groups"]}
        listen_keys = [key_of(links["plenary_url"]), key_of(links["chair_url"])]
        listen_keys += [rapporteur[S2_GROUPS[i % len(S2_GROUPS)]] for i in range(max(0, args.listeners - 2))]
        listeners = [Recorder(server.url, meeting_id, k, name=f"listener {i}")
                     for i, k in enumerate(listen_keys[: args.listeners])]
        clients += listeners
        senders = [Recorder(server.url, meeting_id, rapporteur[S2_GROUPS[i % len(S2_GROUPS)]],
                            name=f"sender {i}") for i in range(args.clients)]
        clients += senders

        now = time.perf_counter()
        start_at, stop_at = now + WARMUP_S, now + WARMUP_S + args.seconds
        workers = [Worker(c, i, args.window, start_at, stop_at) for i, c in enumerate(senders)]
        cpu0 = server.cpu_seconds()
        own0 = time.process_time()
        wall0 = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join(args.seconds + WARMUP_S + 60)
        wall = time.perf_counter() - wall0
        server_cpu = (server.cpu_seconds() - cpu0) / wall
        own_cpu = (time.process_time() - own0) / wall
        time.sleep(0.5)  # the last events

        acked = sum(w.acked for w in workers)
        latencies = [x for w in workers for x in w.latencies]
        errors: dict[str, int] = {}
        for w in workers:
            for code, n in w.errors.items():
                errors[code] = errors.get(code, 0) + n
        staff = listeners[: min(2, len(listeners))]
        last_seq = max((max(c.events) for c in staff if c.events), default=0)
        got = [len(c.events) for c in staff]
        mode = "ack before next op, add/edit alternately" if args.window <= 1 else f"window of {args.window} adds in flight"
        print(f"\n## {backend}: {args.clients} rapporteur clients ({mode}), {len(listeners)} listeners, "
              f"{args.seconds:g} s measured after {WARMUP_S:g} s warm-up; all clients threads of the bench process")
        print(f"acked ops/s: {acked / args.seconds:8.1f}   ({acked} acked in the window)")
        print(f"CPU while running (1.0 = one core): server process {server_cpu:.2f}, bench process {own_cpu:.2f}")
        print(f"server CPU per acked op: {1000 * server_cpu * wall / max(1, acked):.2f} ms; "
              f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}; async mode {args.async_mode}, synthesis engine {args.engine}")
        print(f"events the staff listeners (plenary, chair) logged: {got} (log at seq {last_seq})")
        if errors:
            print(f"error acks or timeouts: {errors}")
        print(HEADER)
        print(row("op -> ack under load", summary(latencies)))
    finally:
        for c in clients:
            c.close()
        server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "redis", "both"], default="both")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--window", type=int, default=1, help="ops in flight per client (1: wait for each ack)")
    ap.add_argument("--listeners", type=int, default=5)
    ap.add_argument("--async-mode", choices=["eventlet", "gevent"], default="eventlet")
    ap.add_argument("--engine", choices=["auto", "semantic", "lexical"], default="auto",
                    help="synthesis engine: lexical leaves out the embedding of each new text")
    ap.add_argument("--runs", type=int, default=1, help="repeat each backend's run (the spread)")
    args = ap.parse_args()
    print(f"# {machine()}")
    for backend in backends(args.backend):
        for _ in range(args.runs):
            run(backend, args)


if __name__ == "__main__":
    main()
