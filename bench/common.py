"""Shared by bench_latency.py and bench_throughput.py: a real server process, recording clients,
percentiles, and a check of TCP_NODELAY on the server's accepted sockets.

The server is tests/support.py's ServerProcess (a real `python run.py serve` child process on a
free port of 127.0.0.1), the clients connect as its Client does. Redis runs use a throw-away FACILITATOR_REDIS_PREFIX whose keys are
deleted afterwards; SQLite runs use a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import ctypes
import os
import queue
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.support import (  # noqa: E402, F401 - key_of: for the bench scripts
    REDIS_URL, ServerProcess, connect_socket, key_of, redis_available,
)

# High enough that the per-connection token bucket never answers rate_limited during a bench.
UNLIMITED = {"FACILITATOR_OP_RATE": "1000000000", "FACILITATOR_OP_BURST": "1000000000"}
# Groups that break out in session 2 of the GRCP7 agenda, and one of their questions each.
S2_GROUPS = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena"]
S2_QUESTIONS = ["s2-q1", "s2-q2", "s2-q3", "s2-q4", "s2-q5"]
TEXT = "تعزيز التعاون الإقليمي في مجال الهجرة الآمنة والمنظمة والنظامية — regional cooperation #{n}"

# Starts run.py with the listener's TCP_NODELAY dropped, to show what the option is worth.
NO_NODELAY_WRAPPER = r"""
import runpy, socket, sys, warnings
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet
_listen = eventlet.listen
def listen(*a, **kw):
    sock = _listen(*a, **kw)
    real = sock.setsockopt
    def setsockopt(level, opt, value, *rest):
        if level == socket.IPPROTO_TCP and opt == socket.TCP_NODELAY:
            return None
        return real(level, opt, value, *rest)
    sock.setsockopt = setsockopt
    return sock
eventlet.listen = listen
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


class BenchServer(ServerProcess):
    """ServerProcess with an optional wrapper (no TCP_NODELAY) and its own cleanup."""

    def __init__(self, backend: str, env: dict | None = None, nodelay: bool = True,
                 cores: str | None = None):
        self.tmp = tempfile.mkdtemp(prefix="facbench-")
        super().__init__(
            self.tmp,
            redis_url=REDIS_URL if backend == "redis" else None,
            prefix=f"bench-{uuid.uuid4().hex[:10]}",
            env=dict(UNLIMITED, **(env or {})),
        )
        self.backend = backend
        self.nodelay = nodelay
        self.cores = cores  # a taskset list: the server and all its threads run only there

    def command(self) -> list[str]:
        command = super().command()
        if not self.nodelay:
            # the same server, started through a wrapper that keeps TCP_NODELAY off the listener
            command = [sys.executable, "-c", NO_NODELAY_WRAPPER, *command[1:]]
        return ["taskset", "-c", self.cores, *command] if self.cores else command

    def close(self) -> None:
        try:
            self.stop()
        finally:
            try:
                self.cleanup_redis()
            finally:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        with open(f"/proc/{self.proc.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def join_many(url: str, meeting_id: str, code: str, n: int, regions=(None,), threads: int = 8) -> list[str]:
    """n participants joined through the real HTTP join (POST .../participants), a few at a time;
    returns their keys. Each join starts without the vote cookie, as a new phone would."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    local = threading.local()

    def one(i: int) -> str:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        session.cookies.clear()  # the vote cookie would make this a rejoin of the same participant
        r = session.post(f"{url}/api/m/{meeting_id}/participants", timeout=60,
                         json={"code": code, "region": regions[i % len(regions)], "lang": "en"})
        r.raise_for_status()
        return r.json()["key"]

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(n)))


def connect_voters(url: str, meeting_id: str, keys: list[str]) -> list:
    """One python-socketio client (websocket transport) per participant key."""
    import socketio

    clients = []
    for key in keys:
        sio = socketio.Client(reconnection=False)
        sio.connect(url, auth={"meeting": meeting_id, "key": key}, transports=["websocket"],
                    wait_timeout=30)
        clients.append(sio)
    return clients


def each_in_a_thread(clients: list, fn, result):
    """fn(client, i) for every client, each in its own thread; then the clients disconnect.
    Returns ``result`` (what the threads filled)."""
    threads = [threading.Thread(target=fn, args=(client, i)) for i, client in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for client in clients:
        client.disconnect()
    return result


def meeting_with_ballot(server, reveal: bool = False) -> tuple[dict, list[str], str]:
    """A GRCP7 meeting with a practice from each of three groups and an open yes/no ballot on
    them: (the links, the practices' ids, the ballot's id)."""
    links = server.create_meeting()
    mid = links["meeting_id"]
    ids = []
    for gid in ("africa", "europe-central-asia", "mena"):
        key = key_of(next(g for g in links["groups"] if g["id"] == gid)["rapporteur_url"])
        rap = Recorder(server.url, mid, key)
        ack = rap.sio.call("op", {"op_id": uuid.uuid4().hex, "type": "contribution.add",
                                  "question_id": "s2-q1", "text": f"Practice from {gid}",
                                  "kind": "good_practice", "agreement": "consensus"})
        ids.append(rap.wait_seq(ack["seq"])["contribution"]["id"])
        rap.close()
    chair = Recorder(server.url, mid, key_of(links["chair_url"]))
    ack = chair.sio.call("op", {"op_id": uuid.uuid4().hex, "type": "ballot.open",
                                "contribution_ids": ids, "mode": "yes_no"})
    ballot_id = chair.wait_seq(ack["seq"])["ballot"]["id"]
    if reveal:
        chair.sio.call("op", {"op_id": uuid.uuid4().hex, "type": "ballot.reveal", "ballot_id": ballot_id})
    chair.close()
    return links, ids, ballot_id


def backends(choice: str) -> list[str]:
    wanted = ["sqlite", "redis"] if choice == "both" else [choice]
    if "redis" in wanted and not redis_available():
        print(f"# Redis does not answer at {REDIS_URL}: skipping the redis backend")
        wanted.remove("redis")
    return wanted


# ----- clients -------------------------------------------------------------------------------------


class Recorder:
    """A real python-socketio client (websocket transport) that timestamps each logged event.

    The timestamp is taken first thing in the handler. python-engineio's client runs every
    incoming message's handler in a new thread, so this includes that thread start.
    """

    def __init__(self, url: str, meeting_id: str, key: str, name: str | None = None, on_seq=None):
        self.arrivals: dict[int, float] = {}
        self.events: dict[int, dict] = {}
        self.cond = threading.Condition()
        self.on_seq = on_seq
        self.sio = connect_socket(url, meeting_id, key, self._on_event, name=name, wait_timeout=15)

    def _on_event(self, event):
        now = time.perf_counter()
        if not isinstance(event, dict) or event.get("live"):
            return  # presence and other live events are not log events
        seq = event["seq"]
        with self.cond:
            self.arrivals.setdefault(seq, now)
            self.events[seq] = event
            self.cond.notify_all()
        if self.on_seq is not None:
            self.on_seq(seq)

    def wait_seq(self, seq: int, timeout: float = 10) -> dict | None:
        deadline = time.time() + timeout
        with self.cond:
            while seq not in self.events:
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.events[seq]

    def nodelay(self) -> int | None:
        try:
            return self.sio.eio.ws.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        except Exception:
            return None

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass


class Completion:
    """Counts, per seq, how many of `expected` local listeners got it; reports complete seqs."""

    def __init__(self, expected: int, report):
        self.expected = expected
        self.report = report
        self.lock = threading.Lock()
        self.counts: dict[int, int] = {}

    def __call__(self, seq: int) -> None:
        with self.lock:
            n = self.counts.get(seq, 0) + 1
            self.counts[seq] = n
        if n == self.expected:
            self.report(seq)


def listener_worker(url, meeting_id, keys, conn):
    """Child process: connect len(keys) listeners, report each seq all of them got, then the
    arrival times when the parent says stop."""
    completion = Completion(len(keys), conn.send)
    clients = [Recorder(url, meeting_id, key, name=f"listener {i}", on_seq=completion)
               for i, key in enumerate(keys)]
    conn.send(("ready", [c.nodelay() for c in clients]))
    while True:
        message = conn.recv() if conn.poll(600) else "stop"
        if message == "stop":
            break
    conn.send(("arrivals", [c.arrivals for c in clients]))
    for client in clients:
        client.close()
    conn.close()


class Listeners:
    """N listening clients: threads of this process (procs=0) or spread over `procs` processes."""

    def __init__(self, url: str, meeting_id: str, keys: list[str], procs: int = 0):
        self.procs = procs
        self.done: queue.Queue = queue.Queue()
        self.clients: list[Recorder] = []
        self.pipes = []
        self.children = []
        if procs <= 0:
            completion = Completion(len(keys), self.done.put)
            self.clients = [Recorder(url, meeting_id, key, name=f"listener {i}", on_seq=completion)
                            for i, key in enumerate(keys)]
            self.client_nodelay = [c.nodelay() for c in self.clients]
            return
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        shares = [keys[i::procs] for i in range(procs)]
        for share in shares:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=listener_worker, args=(url, meeting_id, share, child), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.children.append(proc)
        self.client_nodelay = []
        for pipe in self.pipes:
            while True:
                message = pipe.recv()
                if isinstance(message, tuple) and message[0] == "ready":
                    self.client_nodelay += message[1]
                    break
        self._latest = [0] * procs

    def wait_all(self, seq: int, timeout: float = 10) -> bool:
        """Block until every listener got `seq`."""
        deadline = time.time() + timeout
        if not self.clients and not self.pipes:
            return True
        if self.procs <= 0:
            while True:
                try:
                    got = self.done.get(timeout=max(0.0, deadline - time.time()))
                except queue.Empty:
                    return False
                if got >= seq:
                    return True
        for i, pipe in enumerate(self.pipes):
            while self._latest[i] < seq:
                if not pipe.poll(max(0.0, deadline - time.time())):
                    return False
                got = pipe.recv()
                if isinstance(got, int):
                    self._latest[i] = max(self._latest[i], got)
        return True

    def arrivals(self) -> list[dict[int, float]]:
        if self.procs <= 0:
            return [c.arrivals for c in self.clients]
        result = []
        for pipe in self.pipes:
            pipe.send("stop")
            while True:
                message = pipe.recv()
                if isinstance(message, tuple) and message[0] == "arrivals":
                    result += message[1]
                    break
        return result

    def close(self) -> None:
        for client in self.clients:
            client.close()
        for pipe in self.pipes:
            try:
                pipe.send("stop")
            except Exception:
                pass
        for proc in self.children:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


# ----- figures -------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def summary(values_s: list[float]) -> dict:
    ms = sorted(v * 1000 for v in values_s)
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": ms[-1] if ms else float("nan"),
        "over35": sum(1 for v in ms if v >= 35),
    }


def row(label: str, s: dict) -> str:
    return (f"{label:<34} {s['n']:>6}  {s['p50']:7.2f}  {s['p95']:7.2f}  {s['p99']:7.2f}  "
            f"{s['max']:7.2f}  {s['over35']:>6}")


HEADER = f"{'':<34} {'n':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  {'max ms':>7}  {'>=35ms':>6}"


# ----- TCP_NODELAY on the server's accepted sockets ------------------------------------------------

_SYS_PIDFD_GETFD = 438  # same number on every Linux architecture but alpha


def server_socket_nodelay(pid: int, port: int) -> list[int] | str:
    """TCP_NODELAY of each socket the server process accepted on `port` (its established
    connections), read with pidfd_getfd(2) from this, its parent, process."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pidfd = os.pidfd_open(pid)
    except (OSError, AttributeError) as error:
        return f"unavailable ({error})"
    values = []
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                    continue
            except OSError:
                continue
            fd = libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                return f"unavailable (pidfd_getfd: errno {ctypes.get_errno()})"
            try:
                sock = socket.socket(fileno=fd)
                try:
                    if sock.type != socket.SOCK_STREAM or sock.family != socket.AF_INET:
                        continue
                    local = sock.getsockname()
                    try:
                        sock.getpeername()
                    except OSError:
                        continue  # the listening socket itself
                    if local[1] != port:
                        continue  # e.g. the server's own Redis connections
                    values.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                finally:
                    sock.detach()
            finally:
                os.close(fd)
    finally:
        os.close(pidfd)
    return values


def describe_nodelay(values) -> str:
    if isinstance(values, str):
        return values
    on = sum(1 for v in values if v)
    return f"{on}/{len(values)} accepted sockets have TCP_NODELAY"


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({model or 'unknown'}), Linux {os.uname().release}, "
            f"Python {sys.version.split()[0]}")
