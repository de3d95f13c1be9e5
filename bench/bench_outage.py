"""Issue 20, point 5: a process that loses Redis while the other keeps it. Prints figures.

    .venv/bin/python bench/bench_outage.py [--mode reset|silent|both] [--runs 2] [--cut 10]

Two `run.py serve` processes behind nginx (the configuration `run.py balancer-config` prints) on a
redis-server of the bench's own (never the shared one): `a` reaches it through a TCP link the bench
cuts, `b` directly. A meeting routed to `a`; a writer through nginx adds a contribution every
0.1 s as a page does (each op resent with its op_id until acked, on a new connection through
nginx when its socket is closed or an ack does not come within 2 s). For `--cut` seconds `a`'s
link is cut: `reset` closes its connections and refuses new ones (Redis restarting, a process
killed on the way), `silent` lets nothing through and closes nothing (a lost route).

Per run: how long after the cut `a`'s /healthz said 503, and after the link came back 200;
each op first sent during the cut: how long until acked (p50 / p95 / max), and how many; how
long after the link came back `a`'s Socket.IO listener was subscribed again (a new
subscribed client in Redis's CLIENT LIST, polled); the machine's load. BENCH_DEBUG=1 also prints the writer's
retries and the end of `a`'s log.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import redis  # noqa: E402
import requests  # noqa: E402
import socketio  # noqa: E402

from bench_cluster import start_nginx  # noqa: E402
from common import machine, percentile  # noqa: E402
from tests.support import OwnRedis, ServerProcess, TcpProxy, key_of, stop_process, wait_until  # noqa: E402

ACK_WAIT = 2.0  # seconds before an op without an ack is resent on a new connection
EVERY = 0.1  # seconds between two ops of the writer


def status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return None


class Writer(threading.Thread):
    """A page's outbox through nginx: one op at a time, resent until acked."""

    def __init__(self, url: str, meeting_id: str, key: str):
        super().__init__(daemon=True)
        self.url, self.meeting_id, self.key = url, meeting_id, key
        self.client = None
        self.done: list[tuple[float, float, str]] = []  # (first sent, acked, text)
        self.stop_at = None
        self.reconnects = 0

    def _client(self):
        if self.client is None:
            client = socketio.Client(reconnection=False)
            client.connect(f"{self.url}/?meeting={self.meeting_id}", transports=["websocket"], wait_timeout=5,
                           auth={"meeting": self.meeting_id, "key": self.key, "name": "Writer"})
            self.client = client
            self.reconnects += 1
        return self.client

    def _drop(self):
        if self.client is not None:
            try:
                self.client.disconnect()
            except Exception:
                pass
        self.client = None

    def run(self):
        n = 0
        while self.stop_at is None or time.time() < self.stop_at:
            n += 1
            text, op_id, first = f"outage op {n}", uuid.uuid4().hex, time.time()
            op = {"op_id": op_id, "type": "contribution.add", "question_id": "s2-q1", "text": text,
                  "kind": "good_practice", "agreement": "consensus"}
            while True:
                try:
                    ack = self._client().call("op", op, timeout=ACK_WAIT)
                except Exception as error:
                    if os.environ.get("BENCH_DEBUG"):
                        print(f"{time.time():.2f} {type(error).__name__} {error}", flush=True)
                    self._drop()
                    if os.environ.get("BENCH_DEBUG"):
                        print(f"{time.time():.2f} dropped", flush=True)
                    time.sleep(0.05)
                    continue
                if ack.get("ok"):
                    self.done.append((first, time.time(), text))
                    break
                time.sleep(0.05)  # unavailable: resend, as client.js does
            time.sleep(max(0.0, first + EVERY - time.time()))
        self._drop()


def meeting_on(nginx_url: str, creator: ServerProcess, owner: ServerProcess, own_url: str) -> dict:
    client = redis.Redis.from_url(own_url, decode_responses=True)
    for _ in range(40):
        links = creator.create_meeting()
        mid = links["meeting_id"]
        requests.get(f"{nginx_url}/api/m/{mid}/state?key={key_of(links['chair_url'])}", timeout=10).raise_for_status()
        lease = client.get(f"{creator.prefix}:m:{mid}:owner")
        if lease and int(lease.split(":")[1]) == owner.port:
            return links
    raise RuntimeError("no meeting routed to a")


def run_once(mode: str, cut: float) -> dict:
    work = tempfile.mkdtemp(prefix="facoutage-")
    own = OwnRedis(work).start()
    link = TcpProxy(own.port)
    prefix = f"bench-cut-{uuid.uuid4().hex[:8]}"
    env = {"FACILITATOR_PROXY_COUNT": "1", "FACILITATOR_SYNTHESIS_ENGINE": "lexical",
           "FACILITATOR_OP_RATE": "1000", "FACILITATOR_OP_BURST": "1000"}
    for name in ("a", "b"):
        os.makedirs(os.path.join(work, name))
    a = ServerProcess(os.path.join(work, "a"), redis_url=f"redis://127.0.0.1:{link.port}/0", prefix=prefix, env=env)
    b = ServerProcess(os.path.join(work, "b"), redis_url=own.url, prefix=prefix, env=env)
    nginx = None
    try:
        a.start()
        b.start()
        os.makedirs(os.path.join(work, "nginx"))
        nginx, url = start_nginx(os.path.join(work, "nginx"), [a, b])
        links = meeting_on(url, b, a, own.url)
        writer = Writer(url, links["meeting_id"], key_of(links["groups"][0]["rapporteur_url"]))
        writer.start()
        probes: list[tuple[float, int | None]] = []  # (when asked, status) of a's /healthz
        probing = threading.Event()

        def probe():
            while not probing.is_set():
                asked = time.time()
                probes.append((asked, status(a.url + "/healthz")))
                time.sleep(max(0.0, asked + 0.2 - time.time()))

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        time.sleep(2.0)  # ops flowing on `a`
        cut_at = time.time()
        link.down() if mode == "reset" else link.hold()
        time.sleep(cut)
        subscribers = redis.Redis.from_url(own.url)
        before = {c["id"] for c in subscribers.client_list(_type="pubsub")}
        back_at = time.time()
        link.up() if mode == "reset" else link.release()
        # a's listener is back when Redis has a new subscribed client (b's never left)
        resubscribed = wait_until(lambda: any(c["id"] not in before and int(c.get("sub", 0)) > 0
                                              for c in subscribers.client_list(_type="pubsub")) and time.time(),
                                  "a's listener to subscribe again", timeout=120) - back_at
        wait_until(lambda: any(t > back_at and s == 200 for t, s in probes), "a's /healthz 200", timeout=60)
        writer.stop_at = time.time() + 2.0
        writer.join(60)
        probing.set()
        prober.join(10)
        during_cut = [s for t, s in probes if cut_at <= t < back_at]
        unhealthy = next((t for t, s in probes if t >= cut_at and s == 503), None)
        healthy = next(t for t, s in probes if t > back_at and s == 200)
        during = sorted(acked - first for first, acked, _ in writer.done if cut_at <= first < back_at)
        texts = [t for _, _, t in writer.done]
        log = requests.get(f"{url}/api/m/{links['meeting_id']}/state?key={key_of(links['chair_url'])}", timeout=10).json()
        stored = [c["text"] for c in log["contributions"] if c["text"].startswith("outage op")]
        if os.environ.get("BENCH_DEBUG"):
            print(f"cut {cut_at:.2f} back {back_at:.2f}")
            print(a.log()[-3000:])
        return {"detected": None if unhealthy is None else unhealthy - cut_at, "healthy": healthy - back_at,
                "ok_during": during_cut.count(200), "probes": len(during_cut), "ops": len(during),
                "wait": during, "listening": resubscribed, "reconnects": writer.reconnects,
                "lost": len(set(texts) - set(stored)), "doubled": len(stored) - len(set(stored)),
                "acked": len(texts)}
    finally:
        if nginx:
            stop_process(nginx)
        a.stop()
        b.stop()
        link.down()
        own.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("reset", "silent", "both"), default="both")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cut", type=float, default=10.0)
    args = parser.parse_args()
    print(machine())
    modes = ("reset", "silent") if args.mode == "both" else (args.mode,)
    for mode in modes:
        for n in range(args.runs):
            r = run_once(mode, args.cut)
            w = r["wait"]
            waits = (f"p50 {percentile(w, 50):.2f} / p95 {percentile(w, 95):.2f} / max {w[-1]:.2f} s"
                     if w else "none")
            listening = f"{r['listening']:.2f} s"
            detected = "never 503" if r["detected"] is None else f"503 {r['detected']:.2f} s after the cut"
            print(f"{mode} run {n + 1}: a's /healthz {detected} ({r['ok_during']} of {r['probes']} probes during the "
                  f"cut said 200), 200 {r['healthy']:.2f} s after the link came back; {r['ops']} ops first sent during the {args.cut:.0f} s cut, acked in "
                  f"{waits}; listener subscribed {listening} after the link came back; writer connections "
                  f"{r['reconnects']}; {r['acked']} acked, {r['lost']} lost, {r['doubled']} doubled; "
                  f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
