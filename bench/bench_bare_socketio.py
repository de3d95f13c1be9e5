"""A bare python-socketio server doing an op's acks and emits, next to the real op path. Prints
figures only.

    .venv/bin/python bench/bench_bare_socketio.py [--store none|sqlite|both] [--clients 8]
        [--seconds 10] [--listeners 5] [--async-mode eventlet|gevent] [--runs 1]

The bare server is this file run as `--serve PORT`: python-socketio's Server in the same async
mode as run.py (eventlet by default), no Flask, no meeting. On "op" it writes nothing
(`--store none`) or one row to SQLite in WAL mode with synchronous=FULL, committed before the ack
(`--store sqlite`: what the real store's append does, one transaction, a read of the last seq
and one INSERT), emits the op with its seq to the three rooms the hub emits a contribution to
(staff, translators, the sender's group), and acks {"ok": true, "seq": n}.

The load is bench_throughput.py's with `--window 1`: `--listeners` clients that only listen (two
in the staff room, the others in groups) and `--clients` senders spread over five group rooms,
each a python-socketio client thread of this process sending an op of the same size and waiting
for its ack before the next. Compare with
`bench_throughput.py --backend sqlite` run at the same time of day on the same machine.
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

WARMUP_S = 1.0


# ----- the bare server (child process) -------------------------------------------------------------


def serve(port: int, store: str, data_dir: str, mode: str) -> None:
    if mode == "eventlet":
        import warnings

        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()
    else:
        from gevent import monkey

        monkey.patch_all()
    import socket
    import sqlite3

    import socketio

    sio = socketio.Server(async_mode=mode, cors_allowed_origins="*")
    app = socketio.WSGIApp(sio)
    db = None
    lock = threading.Lock()
    seq = [0]
    if store == "sqlite":
        db = sqlite3.connect(os.path.join(data_dir, "bare.sqlite3"), isolation_level=None,
                             check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE IF NOT EXISTS events (meeting_id TEXT NOT NULL, seq INTEGER NOT NULL,"
                   " op_id TEXT, json TEXT NOT NULL, PRIMARY KEY (meeting_id, seq)) WITHOUT ROWID")

    @sio.on("connect")
    def connect(sid, environ, auth=None):
        room = (auth or {}).get("room", "staff")
        sio.enter_room(sid, room)
        sio.save_session(sid, {"room": room})

    @sio.on("op")
    def op(sid, message=None):
        import json

        with lock:
            if db is not None:
                db.execute("BEGIN IMMEDIATE")
                last = db.execute("SELECT MAX(seq) FROM events WHERE meeting_id=?", ("m",)).fetchone()[0] or 0
                db.execute("INSERT INTO events (meeting_id, seq, op_id, json) VALUES (?,?,?,?)",
                           ("m", last + 1, message.get("op_id"), json.dumps(message, ensure_ascii=False)))
                db.execute("COMMIT")
                seq[0] = last + 1
            else:
                seq[0] += 1
            n = seq[0]
            # the audiences of a contribution event, each with its own copy (the real hub adds
            # the audience's previous seq to each)
            for audience in ("staff", "translators", sio.get_session(sid)["room"]):
                sio.emit("event", dict(message, seq=n, prev=n - 1), to=audience)
        return {"ok": True, "seq": n}

    print("ready", flush=True)
    if mode == "eventlet":
        import eventlet.wsgi

        listener = eventlet.listen(("127.0.0.1", port))
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # as run.py: a green thread per open connection, past eventlet's default pool of 1,024
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        eventlet.wsgi.server(listener, app, log_output=False, max_size=max(hard - 64, 64))
    else:
        from gevent import pywsgi

        # websockets through simple-websocket, as run.py's gevent mode does
        server = pywsgi.WSGIServer(("127.0.0.1", port), app, log=None)
        server.init_socket()
        server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server.serve_forever()


# ----- the load (this process) ----------------------------------------------------------------------


class Bare:
    def __init__(self, store: str, mode: str, cores: str | None = None):
        import common  # noqa: F401 - puts the project on sys.path
        from tests.support import free_port

        self.tmp = tempfile.mkdtemp(prefix="facbare-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, os.path.abspath(__file__), "--serve", str(self.port), "--store", store,
                   "--data", self.tmp, "--async-mode", mode]
        if cores:  # a taskset list: the server and all its threads run only there
            command = ["taskset", "-c", cores, *command]
        self.proc = subprocess.Popen(command,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if "ready" not in line:
            raise RuntimeError(f"bare server did not start: {line}{self.proc.stdout.read()}")
        import requests

        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                requests.get(self.url + "/socket.io/?EIO=4&transport=polling", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("bare server does not answer")

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


def client(url: str, room: str, on_event=None):
    import socketio

    sio = socketio.Client(reconnection=False)
    sio.on("event", on_event or (lambda _event: None))
    sio.connect(url, auth={"room": room}, transports=["websocket"], wait_timeout=15)
    return sio


def run(store: str, args) -> dict:
    from common import S2_QUESTIONS, TEXT, summary

    server = Bare(store, args.async_mode)
    clients = []
    try:
        got = [0] * args.listeners
        listeners = []
        for i in range(args.listeners):
            def on_event(_event, i=i):
                got[i] += 1
            # as bench_throughput.py: the plenary and the chair (staff), then rapporteurs
            listeners.append(client(server.url, "staff" if i < 2 else f"group:{(i - 2) % 5}", on_event))
        clients += listeners
        senders = [client(server.url, f"group:{k % 5}") for k in range(args.clients)]
        clients += senders
        now = time.perf_counter()
        start_at, stop_at = now + WARMUP_S, now + WARMUP_S + args.seconds
        acked = [0] * len(senders)
        latencies: list[float] = []
        lock = threading.Lock()

        def work(k: int) -> None:
            n = 0
            while time.perf_counter() < stop_at:
                n += 1
                message = {"op_id": uuid.uuid4().hex, "type": "contribution.add",
                           "question_id": S2_QUESTIONS[n % len(S2_QUESTIONS)], "text": TEXT.format(n=n),
                           "kind": "recommendation", "agreement": "consensus", "lang": "ar"}
                t0 = time.perf_counter()
                ack = senders[k].call("op", message, timeout=10)
                t1 = time.perf_counter()
                if ack.get("ok") and start_at <= t0 and t1 <= stop_at:
                    with lock:
                        acked[k] += 1
                        latencies.append(t1 - t0)

        threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(senders))]
        cpu0, own0, wall0 = server.cpu_seconds(), time.process_time(), time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + WARMUP_S + 30)
        wall = time.perf_counter() - wall0
        server_cpu = server.cpu_seconds() - cpu0
        own_cpu = (time.process_time() - own0) / wall
        total = sum(acked)
        s = summary(latencies)
        return {"ops": total / args.seconds, "acked": total, "server_cpu": server_cpu / wall,
                "cpu_ms_per_op": 1000 * server_cpu / max(1, total), "own_cpu": own_cpu,
                "p50": s["p50"], "p99": s["p99"], "load": os.getloadavg()[0], "got": got[:2]}
    finally:
        for c in clients:
            try:
                c.disconnect()
            except Exception:
                pass
        server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--store", choices=["none", "sqlite", "both"], default="both")
    ap.add_argument("--async-mode", choices=["eventlet", "gevent"], default="eventlet")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--listeners", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.store, args.data, args.async_mode)
        return
    from common import machine

    print(f"# {machine()}")
    stores = ["none", "sqlite"] if args.store == "both" else [args.store]
    for store in stores:
        print(f"\n## bare python-socketio ({args.async_mode}), store {store}: {args.clients} senders "
              f"(ack before next op), {args.listeners} listeners, {args.seconds:g} s after {WARMUP_S:g} s warm-up")
        for i in range(args.runs):
            r = run(store, args)
            print(f"run {i + 1}: acked ops/s {r['ops']:8.1f}  server CPU {r['server_cpu']:.2f} core, "
                  f"{r['cpu_ms_per_op']:.2f} ms/op  ack p50 {r['p50']:.2f} ms p99 {r['p99']:.2f} ms  "
                  f"bench CPU {r['own_cpu']:.2f}  load avg {r['load']:.1f}  listener events {r['got']}",
                  flush=True)


if __name__ == "__main__":
    main()
