"""Op -> ack and op -> event latency, one rapporteur to N listening clients. Prints figures only.

    .venv/bin/python bench/bench_latency.py [--backend sqlite|redis|both] [--listeners 20]
        [--ops 500] [--listener-procs 0] [--gap-ms 0] [--no-nodelay]

For each backend: starts a real `run.py serve` process on a free port of 127.0.0.1 (rate limit
lifted through FACILITATOR_OP_RATE/BURST), creates a GRCP7 meeting, connects one sending
rapporteur (group "africa") and N listeners: other rapporteurs of the same group, plenary and
chair clients, in turn. Then it sends `--ops` ops one at a time (contribution.add, then
contribution.edit of it, alternately), each after every listener got the previous one, and
measures:

- op -> ack at the sender (the ack comes back on the sender's socket);
- op -> event at the sender (it also gets the event, on the same socket);
- op -> event at every listener, and op -> the last listener of each op (fan-out complete).

All clients are python-socketio clients over the websocket transport. By default the listeners
are threads of this process (`--listener-procs 0`); with K > 0 they are spread over K processes,
so that one Python process's GIL does not queue their arrival timestamps. Times come from
time.perf_counter (CLOCK_MONOTONIC, one clock for all processes of the machine).

`--no-nodelay` starts the server with the TCP_NODELAY of run.py's listening socket dropped, to
show the stall that option prevents. The script also reads TCP_NODELAY on the server's accepted
sockets (pidfd_getfd) and on the clients' sockets.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    HEADER, S2_QUESTIONS, TEXT, BenchServer, Listeners, Recorder, backends, describe_nodelay,
    key_of, machine, row, server_socket_nodelay, summary,
)

WARMUP = 20


def listener_keys(links: dict, n: int) -> tuple[str, list[str], list[str]]:
    """The sender's key and n listener keys: same-group rapporteur, plenary, chair, in turn."""
    rapporteur = key_of(links["groups"][0]["rapporteur_url"])
    cycle = [("rapporteur", rapporteur), ("plenary", key_of(links["plenary_url"])),
             ("chair", key_of(links["chair_url"]))]
    picked = [cycle[i % 3] for i in range(n)]
    return rapporteur, [k for _, k in picked], [r for r, _ in picked]


def run(backend: str, args) -> None:
    server = BenchServer(backend, nodelay=not args.no_nodelay).start()
    sender = None
    listeners = None
    try:
        links = server.create_meeting()
        meeting_id = links["meeting_id"]
        sender_key, keys, kinds = listener_keys(links, args.listeners)
        sender = Recorder(server.url, meeting_id, sender_key, name="sender")
        listeners = Listeners(server.url, meeting_id, keys, procs=args.listener_procs)
        mix = {k: kinds.count(k) for k in ("rapporteur", "plenary", "chair")}

        send_at: dict[int, float] = {}
        ack_lat: list[float] = []
        contribution = None  # (id, version) of the last added contribution
        timeouts = 0
        errors: dict[str, int] = {}
        total = WARMUP + args.ops
        for i in range(total):
            if contribution is None:
                message = {"op_id": uuid.uuid4().hex, "type": "contribution.add",
                           "question_id": S2_QUESTIONS[i % len(S2_QUESTIONS)],
                           "text": TEXT.format(n=i), "kind": "good_practice",
                           "agreement": "consensus", "lang": "ar"}
            else:
                message = {"op_id": uuid.uuid4().hex, "type": "contribution.edit",
                           "contribution_id": contribution[0], "version": contribution[1],
                           "text": TEXT.format(n=i) + " (edited)", "agreement": "majority"}
            t0 = time.perf_counter()
            ack = sender.sio.call("op", message, timeout=10)
            t1 = time.perf_counter()
            if not ack.get("ok"):
                code = ack.get("error", {}).get("code", "?")
                errors[code] = errors.get(code, 0) + 1
                contribution = None
                continue
            seq = ack["seq"]
            if message["type"] == "contribution.add":
                event = sender.wait_seq(seq)
                contribution = (event["contribution"]["id"], event["contribution"]["version"]) if event else None
            else:
                contribution = None
            if i >= WARMUP:
                send_at[seq] = t0
                ack_lat.append(t1 - t0)
            if not listeners.wait_all(seq):
                timeouts += 1
            if args.gap_ms:
                time.sleep(args.gap_ms / 1000)

        server_nodelay = server_socket_nodelay(server.proc.pid, server.port)
        sender_event = [sender.arrivals[s] - t for s, t in send_at.items() if s in sender.arrivals]
        per_listener = listeners.arrivals()
        listener_event = []
        last_listener = []
        missing = 0
        for seq, t0 in send_at.items():
            times = [arr[seq] for arr in per_listener if seq in arr]
            missing += len(per_listener) - len(times)
            listener_event += [t - t0 for t in times]
            if times:
                last_listener.append(max(times) - t0)

        where = (f"threads of the bench process" if args.listener_procs <= 0
                 else f"{args.listener_procs} processes")
        print(f"\n## {backend}: 1 sender + {args.listeners} listeners "
              f"({mix['rapporteur']} same-group rapporteurs, {mix['plenary']} plenary, "
              f"{mix['chair']} chair; listeners in {where}), {len(send_at)} ops "
              f"(add/edit alternately, {WARMUP} warm-up ops not counted)"
              + (", SERVER WITHOUT TCP_NODELAY" if args.no_nodelay else ""))
        print(f"server: {describe_nodelay(server_nodelay)}; client sockets with TCP_NODELAY: "
              f"{sum(1 for v in [sender.nodelay(), *listeners.client_nodelay] if v)}/"
              f"{1 + len(listeners.client_nodelay)}")
        print(HEADER)
        print(row("op -> ack (sender)", summary(ack_lat)))
        print(row("op -> event (sender, same socket)", summary(sender_event)))
        print(row("op -> event (each listener)", summary(listener_event)))
        print(row("op -> event (last listener)", summary(last_listener)))
        if missing or timeouts or errors:
            print(f"missing events: {missing}; waits timed out: {timeouts}; error acks: {errors}")
    finally:
        if listeners is not None:
            listeners.close()
        if sender is not None:
            sender.close()
        server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "redis", "both"], default="both")
    ap.add_argument("--listeners", type=int, default=20)
    ap.add_argument("--ops", type=int, default=500)
    ap.add_argument("--listener-procs", type=int, default=0,
                    help="spread listeners over K processes (0: threads of this process)")
    ap.add_argument("--gap-ms", type=float, default=0, help="pause between ops")
    ap.add_argument("--no-nodelay", action="store_true",
                    help="start the server without TCP_NODELAY on its listening socket")
    args = ap.parse_args()
    print(f"# {machine()}")
    for backend in backends(args.backend):
        run(backend, args)


if __name__ == "__main__":
    main()
