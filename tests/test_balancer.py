"""Two Redis-backed server processes behind a real nginx and a real haproxy, configured by
`run.py balancer-config`: health checks, a meeting through the balancer, routing by meeting."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid

import pytest
import requests
import socketio

from support import (ROOT, OwnRedis, ServerProcess, TcpProxy, free_port, key_of, processes_on_redis,
                     stop_process, wait_until)

NGINX = "/usr/sbin/nginx"
HAPROXY = "/usr/sbin/haproxy"


def balancer_config(kind: str, listen: str, upstreams: list[str]) -> str:
    argv = [sys.executable, os.path.join(ROOT, "run.py"), "balancer-config", kind, "--listen", listen]
    for upstream in upstreams:
        argv += ["--upstream", upstream]
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def with_tls(nginx_config: str, workdir: str, port: int) -> str:
    """The generated nginx configuration with TLS on its listener, as docs/operations.md tells an
    operator to add it, with a self-signed certificate made here."""
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    listen = f"listen 127.0.0.1:{port};"
    assert listen in nginx_config
    return nginx_config.replace(listen, f"listen 127.0.0.1:{port} ssl;\n"
                                        f"        ssl_certificate {cert};\n"
                                        f"        ssl_certificate_key {key};")


class Balancer:
    """nginx or haproxy in the foreground on a free port, with the generated configuration."""

    def __init__(self, kind: str, workdir: str, upstreams: list[ServerProcess], tls: bool = False):
        self.kind = kind
        self.dir = os.path.join(workdir, kind)
        os.makedirs(self.dir)
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.upstreams = upstreams
        self.config = balancer_config(kind, f"127.0.0.1:{self.port}",
                                      [f"127.0.0.1:{s.port}" for s in upstreams])
        if tls:
            self.config = with_tls(self.config, self.dir, self.port)
        self.config_path = os.path.join(self.dir, "nginx.conf" if kind == "nginx" else "haproxy.cfg")
        with open(self.config_path, "w", encoding="utf-8") as handle:
            handle.write(self.config)
        # nginx logs requests to access.log under its prefix; haproxy to its stdout.
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.log_path = os.path.join(self.dir, "access.log") if kind == "nginx" else self.stdout_path
        self.proc = None

    def start(self) -> "Balancer":
        if self.kind == "nginx":
            argv = [NGINX, "-p", self.dir, "-c", self.config_path, "-g", "daemon off;"]
        else:
            argv = [HAPROXY, "-db", "-f", self.config_path]
        out = open(self.stdout_path, "ab")
        self.proc = subprocess.Popen(argv, cwd=self.dir, stdout=out, stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.kind} exited: {read(self.stdout_path)}"
                                     f"{read(os.path.join(self.dir, 'error.log'))}")
            try:
                return requests.get(self.url + "/healthz", timeout=2, verify=False).ok
            except requests.RequestException:
                return False

        wait_until(up, f"{self.kind} to answer /healthz")
        return self

    def stop(self) -> None:
        stop_process(self.proc)

    def upstream_of(self, line: str) -> str | None:
        """The process that answered a logged request, as 127.0.0.1:PORT."""
        if self.kind == "nginx":
            # "A, B" when A refused the connection and B answered
            match = re.search(r" upstream=(.*) rt=", line)
            return match and match.group(1).split(", ")[-1]
        match = re.search(r" processes/p(\d+) ", line)
        return match and f"127.0.0.1:{self.upstreams[int(match.group(1)) - 1].port}"

    def routed(self, marker: str) -> list[str]:
        """Upstreams of every logged request whose line contains `marker` (in log order)."""
        return [self.upstream_of(line) for line in read(self.log_path).splitlines() if marker in line]


@pytest.fixture
def cluster(tmp_path, redis_url):
    # One balancer in front, as deploy/systemd/env.example says.
    env = {"FACILITATOR_PROXY_COUNT": "1", "FACILITATOR_SYNTHESIS_ENGINE": "lexical"}
    with processes_on_redis(tmp_path, redis_url, env) as servers:
        yield servers


def create_meeting(server: ServerProcess, base_url: str) -> dict:
    """create-meeting against the cluster's Redis, with links on the balancer's origin."""
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "run.py"), "create-meeting", "--agenda", "grcp7",
         *server.store_args(), "--base-url", base_url, "--json"],
        cwd=ROOT, env=server.env(), capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    import json

    return json.loads(out.stdout)


def check_through(balancer: Balancer, cluster: list[ServerProcess], connect) -> None:
    upstreams = {f"127.0.0.1:{s.port}" for s in cluster}
    assert requests.get(balancer.url + "/healthz", timeout=10).ok

    # Routing by meeting: each id lands on one process whichever form the request takes, and
    # the ids spread over both processes. Unknown ids are fine here: only the routing is looked at.
    ids = [uuid.uuid4().hex[:12] for _ in range(16)]
    for mid in ids:
        for path in (f"/api/m/{mid}/state", f"/m/{mid}/plenary", f"/socket.io/?EIO=4&meeting={mid}",
                     f"/api/m/{mid}/state?meeting={mid}"):
            requests.get(balancer.url + path, timeout=10)
    owners = {}
    for mid in ids:
        seen = wait_until(lambda: (lambda r: r if len(r) == 4 else None)(balancer.routed(mid)),
                          f"four logged requests of {mid}")
        assert len(set(seen)) == 1, (mid, seen)
        owners[mid] = seen[0]
    assert set(owners.values()) == upstreams, owners

    # A real meeting through the balancer: ops acked, events delivered, all on its owner.
    links = create_meeting(cluster[0], balancer.url)
    mid = links["meeting_id"]
    assert links["chair_url"].startswith(balancer.url + "/m/")
    page = requests.get(links["plenary_url"], timeout=30)
    assert page.status_code == 200
    rapporteur_key = key_of(links["groups"][0]["rapporteur_url"])
    rapporteur = connect(f"{balancer.url}/?meeting={mid}", mid, rapporteur_key, name="Amina")
    plenary = connect(f"{balancer.url}/?meeting={mid}", mid, key_of(links["plenary_url"]))
    ack = rapporteur.op("contribution.add", question_id="s2-q1", text="Shared registries",
                        kind="good_practice", agreement="consensus")
    assert ack["ok"], ack
    event = plenary.wait_for(lambda e: e["type"] == "contribution.added")
    assert event["seq"] == ack["seq"]

    # A browser's way: polling first, then the upgrade, with its Origin header. The polling
    # requests need one process (sticky), and the Origin check needs the Host with its port.
    browser = socketio.Client(reconnection=False)
    received = []
    browser.on("event", received.append)
    browser.connect(f"{balancer.url}/?meeting={mid}", headers={"Origin": balancer.url},
                    auth={"meeting": mid, "key": key_of(links["plenary_url"])}, wait_timeout=10)
    try:
        second = rapporteur.op("contribution.add", question_id="s2-q1", text="Joint training",
                               kind="good_practice", agreement="consensus")
        assert second["ok"], second
        wait_until(lambda: any(e.get("seq") == second["seq"] for e in received),
                   "the browser-like client to receive the second contribution")
    finally:
        browser.disconnect()
    assert requests.get(f"{balancer.url}/api/m/{mid}/state?key={key_of(links['chair_url'])}",
                        timeout=30).ok
    routed = wait_until(lambda: (lambda r: r if len(r) >= 5 else None)(balancer.routed(mid)),
                        "the meeting's requests in the log")
    assert len(set(routed)) == 1 and routed[0] in upstreams, routed

    # kill -9 of the meeting's process: the balancer serves the meeting from the other one, and a
    # reconnecting client's op is acked there.
    owner = next(s for s in cluster if f"127.0.0.1:{s.port}" == routed[0])
    other = next(s for s in cluster if s is not owner)
    owner.kill()
    state = requests.get(f"{balancer.url}/api/m/{mid}/state?key={key_of(links['chair_url'])}&after-kill",
                         timeout=30)
    assert state.ok, state.status_code
    again = connect(f"{balancer.url}/?meeting={mid}", mid, rapporteur_key, name="Amina")
    third = again.op("contribution.add", question_id="s2-q1", text="After the failover",
                     kind="good_practice", agreement="consensus")
    assert third["ok"] and third["seq"] > second["seq"], third
    served = wait_until(lambda: (lambda r: r if any("after-kill" in line for line in r) else None)(
        [line for line in read(balancer.log_path).splitlines() if mid in line]), "the request after the kill")
    after = next(line for line in served if "after-kill" in line)
    assert balancer.upstream_of(after) == f"127.0.0.1:{other.port}", after


def installed(kind: str, binary: str, package: str):
    reason = f"{binary} is missing (Debian package {package})"
    return pytest.param(kind, marks=pytest.mark.skipif(not os.path.exists(binary), reason=reason))


@pytest.mark.parametrize("kind", [installed("nginx", NGINX, "nginx-light"), installed("haproxy", HAPROXY, "haproxy")])
def test_two_processes_behind_a_balancer(kind, tmp_path, cluster, connect):
    balancer = Balancer(kind, str(tmp_path), cluster).start()
    try:
        check_through(balancer, cluster, connect)
    finally:
        balancer.stop()


@pytest.mark.skipif(not os.path.exists(NGINX), reason=f"{NGINX} is missing (Debian package nginx-light)")
def test_links_cookies_and_origin_behind_nginx_with_tls(tmp_path, cluster):
    """nginx terminates TLS and says so in X-Forwarded-Proto: links, QR codes, cookies and the
    Socket.IO Origin check follow the public https origin."""
    import urllib3

    from facilitator.web.pages import qr_data_uri

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    balancer = Balancer("nginx", str(tmp_path), cluster, tls=True).start()
    try:
        links = create_meeting(cluster[0], balancer.url)
        mid = links["meeting_id"]
        path = links["plenary_url"][len(balancer.url):]
        first = requests.get(balancer.url + path, allow_redirects=False, verify=False, timeout=30)
        assert first.status_code == 303
        cookie = first.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie, cookie
        name, value = cookie.split(";", 1)[0].split("=", 1)
        page = requests.get(balancer.url + path.split("?", 1)[0], cookies={name: value}, verify=False, timeout=30)
        assert page.status_code == 200
        boot = json.loads(re.search(r'id="boot">(.*?)</script>', page.text, re.S).group(1))
        assert boot["join_url"] == f"{balancer.url}/join?code={boot['join_code']}"
        assert boot["join_qr"] == qr_data_uri(boot["join_url"])
        joined = requests.post(f"{balancer.url}/api/m/{mid}/participants", json={"code": boot["join_code"]},
                               verify=False, timeout=30)
        assert joined.ok and "Secure" in joined.headers["Set-Cookie"]
        # The page's socket, from the page's https origin, is accepted; an http origin is not.
        for origin, accepted in ((balancer.url, True), (balancer.url.replace("https:", "http:"), False)):
            http = requests.Session()
            http.verify, http.trust_env = False, False  # the environment's CA bundle would win
            client = socketio.Client(reconnection=False, http_session=http)
            try:
                client.connect(f"{balancer.url}/?meeting={mid}", headers={"Origin": origin},
                               auth={"meeting": mid, "key": key_of(links["plenary_url"])},
                               transports=["polling"], wait_timeout=10)
                client.disconnect()
                assert accepted, origin
            except socketio.exceptions.ConnectionError as error:
                assert not accepted, (origin, error)
    finally:
        balancer.stop()


@pytest.mark.parametrize("kind,name", [("nginx", "nginx.conf"), ("haproxy", "haproxy.cfg")])
def test_deploy_folder_holds_the_generated_two_process_example(kind, name):
    with open(os.path.join(ROOT, "deploy", name), encoding="utf-8") as handle:
        assert handle.read() == balancer_config(kind, "127.0.0.1:8080", ["127.0.0.1:8001", "127.0.0.1:8002"])


def test_balancer_config_refuses_bad_addresses():
    argv = [sys.executable, os.path.join(ROOT, "run.py"), "balancer-config", "nginx",
            "--listen", "nowhere", "--upstream", "127.0.0.1:8001"]
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "HOST:PORT" in out.stderr and not out.stdout


def consecutive_free_ports() -> int:
    """A port P with P and P+1 both free on 127.0.0.1 (the script takes BASE_PORT…BASE_PORT+N-1)."""
    import socket

    while True:
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


@pytest.mark.skipif(not os.path.exists(NGINX), reason=f"{NGINX} is missing (Debian package nginx-light)")
def test_try_cluster_script_starts_processes_behind_nginx(redis_url):
    prefix = f"test-try-{uuid.uuid4().hex[:10]}"
    listen = f"127.0.0.1:{free_port()}"
    env = dict(os.environ, LISTEN=listen, BASE_PORT=str(consecutive_free_ports()), REDIS=redis_url,
               FACILITATOR_REDIS_PREFIX=prefix, PYTHONUNBUFFERED="1")
    script = subprocess.Popen([os.path.join(ROOT, "deploy", "try-cluster.sh"), "2"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in script.stdout:
            lines.append(line)
            if "Ctrl+C to stop" in line:
                break
        output = "".join(lines)
        assert "behind nginx on http://" + listen in output, output
        plenary = re.search(r"(http://\S+/m/\S+/plenary\?key=\S+)", output).group(1)
        assert plenary.startswith(f"http://{listen}/")
        assert requests.get(f"http://{listen}/healthz", timeout=10).ok
        assert requests.get(plenary, timeout=30).status_code == 200
    finally:
        script.terminate()
        rest = script.communicate(timeout=60)[0]
        ServerProcess("", redis_url=redis_url, prefix=prefix).cleanup_redis()
    assert "try-cluster: stopped" in rest, rest


def test_deployments_sharing_one_redis_are_isolated_by_prefix(tmp_path, redis_url, connect):
    """Two deployments on one Redis, each with its prefix, hold a meeting with the same id (one
    is the other's archive restored): neither's events reach the other's sockets, because the
    prefix names the Socket.IO channel as well as the keys."""
    import redis

    deployments = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        deployments.append(ServerProcess(str(tmp_path / name), redis_url=redis_url,
                                         prefix=f"test-iso-{name}-{uuid.uuid4().hex[:8]}"))
    one, two = deployments
    try:
        for server in deployments:
            server.start()
        links = one.create_meeting()
        mid = links["meeting_id"]
        archive = requests.get(f"{one.url}/api/m/{mid}/report.json?key={key_of(links['chair_url'])}", timeout=30)
        assert archive.ok
        path = tmp_path / "archive.json"
        path.write_bytes(archive.content)
        out = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "import-meeting", str(path),
                              *two.store_args(), "--base-url", two.url, "--json"],
                             cwd=ROOT, env=two.env(), capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        restored = json.loads(out.stdout)
        assert restored["meeting_id"] == mid
        group = links["groups"][0]["rapporteur_url"]
        watching_one = connect(one.url, mid, key_of(links["plenary_url"]))
        watching_two = connect(two.url, mid, key_of(restored["plenary_url"]))
        writer_one = connect(one.url, mid, key_of(group), name="One")
        writer_two = connect(two.url, mid, key_of(restored["groups"][0]["rapporteur_url"]), name="Two")
        # Each process listens on its own channel (subscribed once it serves a socket).
        wanted = {f"{one.prefix}-socketio", f"{two.prefix}-socketio"}
        wait_until(lambda: wanted <= {c.decode() for c in redis.Redis.from_url(redis_url).pubsub_channels("test-iso-*")},
                   "both deployments' channels")
        first = writer_one.op("contribution.add", question_id="s2-q1", text="Only in deployment one",
                              kind="good_practice", agreement="consensus")
        assert first["ok"]
        watching_one.wait_for(lambda e: e.get("text") == "Only in deployment one" or
                              e.get("contribution", {}).get("text") == "Only in deployment one")
        second = writer_two.op("contribution.add", question_id="s2-q1", text="Only in deployment two",
                               kind="good_practice", agreement="consensus")
        assert second["ok"]
        # Both writes have the same seq in their own logs: on a shared channel, deployment two's
        # socket would get one's event first (one subscriber connection delivers in order).
        assert first["seq"] == second["seq"]
        watching_two.wait_for(lambda e: e["type"] == "contribution.added" and e["seq"] == second["seq"])
        texts = [str(e) for e in watching_two.events if e["type"] == "contribution.added"]
        assert len(texts) == 1 and "Only in deployment two" in texts[0], texts
        assert not any("Only in deployment two" in str(e) for e in watching_one.events)
    finally:
        for server in deployments:
            server.stop()
            server.cleanup_redis()


# ----- one owner per meeting (issue 13, item 1) -----------------------------------------------

def lease_port(redis_url: str, server: ServerProcess, meeting_id: str) -> int | None:
    """The port of the process holding the meeting's lease (its id is host:port:pid:nonce)."""
    import redis

    owner = redis.Redis.from_url(redis_url, decode_responses=True).get(f"{server.prefix}:m:{meeting_id}:owner")
    return int(owner.split(":")[1]) if owner else None


def add(client, text: str, group_index: int, op_id: str | None = None) -> dict:
    return client.op("contribution.add", op_id=op_id, question_id="s2-q1", text=text,
                     kind="good_practice", agreement="consensus")


def in_order_once(events: list[dict]) -> list[int]:
    """The seqs of a listener's log events, checked: each names the one before as its `prev`, so
    a page would never have had to sync to fill a gap or drop a repeat."""
    logged = [e for e in events if not e.get("live")]
    for before, after in zip(logged, logged[1:]):
        assert after["prev"] == before["seq"] and after["seq"] > before["seq"], (before, after)
    return [e["seq"] for e in logged]


def meetings_on_both(balancer: Balancer, cluster: list[ServerProcess]) -> list[dict]:
    """Create meetings until two are routed to different processes; returns those two."""
    by_upstream = {}
    for _ in range(40):
        links = create_meeting(cluster[0], balancer.url)
        mid = links["meeting_id"]
        assert requests.get(f"{balancer.url}/api/m/{mid}/state?key={key_of(links['chair_url'])}", timeout=30).ok
        upstream = wait_until(lambda: (balancer.routed(mid) or [None])[-1], f"the route of {mid}")
        by_upstream.setdefault(upstream, links)
        if len(by_upstream) == 2:
            return list(by_upstream.values())
    raise AssertionError(f"40 meetings all routed to {set(by_upstream)}")


@pytest.mark.skipif(not os.path.exists(NGINX), reason=f"{NGINX} is missing (Debian package nginx-light)")
def test_each_meeting_has_one_owner_and_moves_when_it_dies(tmp_path, redis_url, cluster, connect):
    import threading

    balancer = Balancer("nginx", str(tmp_path), cluster).start()
    try:
        meetings = meetings_on_both(balancer, cluster)
        via = lambda mid: f"{balancer.url}/?meeting={mid}"  # noqa: E731
        listeners, writers = {}, {}
        for links in meetings:
            mid = links["meeting_id"]
            listeners[mid] = [connect(via(mid), mid, key_of(links["plenary_url"])),
                              connect(via(mid), mid, key_of(links["chair_url"])),
                              connect(via(mid), mid, key_of(links["groups"][0]["rapporteur_url"]))]
            writers[mid] = [connect(via(mid), mid, key_of(links["groups"][i]["rapporteur_url"]), name=name)
                            for i, name in ((0, "Amina"), (1, "Kofi"))]

        # Two rapporteurs per meeting write at once, in both meetings.
        acks = {links["meeting_id"]: [] for links in meetings}
        board_acks = {links["meeting_id"]: [] for links in meetings}  # group 0's, seen by its board

        def write(mid, index, client):
            for n in range(12):
                ack = add(client, f"{mid} writer {index} op {n}", index)
                assert ack["ok"], ack
                acks[mid].append(ack["seq"])
                if index == 0:
                    board_acks[mid].append(ack["seq"])

        threads = [threading.Thread(target=write, args=(mid, i, c)) for mid, cs in writers.items()
                   for i, c in enumerate(cs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert all(len(seqs) == 24 for seqs in acks.values()), acks

        # Each meeting is owned by the process the balancer sends it to, and they differ.
        owners = {}
        for links in meetings:
            mid = links["meeting_id"]
            routed = {u for u in balancer.routed(mid)}
            assert len(routed) == 1, routed
            owners[mid] = lease_port(redis_url, cluster[0], mid)
            assert f"127.0.0.1:{owners[mid]}" in routed, (owners[mid], routed)
        assert len(set(owners.values())) == 2, owners

        # Every listener got every event of its audience once, in order, with no gap to sync.
        for links in meetings:
            mid = links["meeting_id"]
            plenary, chair, board = listeners[mid]
            for listener, seqs in ((plenary, acks[mid]), (chair, acks[mid]), (board, board_acks[mid])):
                listener.wait_for(lambda e: e.get("seq") == max(seqs) and not e.get("live"))
                assert set(seqs) <= set(in_order_once(listener.events))

        # A rapporteur connected straight to the process that does not own meeting 0 (no
        # balancer): served correctly, and the owner's live views still see those ops.
        first = meetings[0]
        mid = first["meeting_id"]
        other = next(s for s in cluster if s.port != owners[mid])
        stray = connect(other.url, mid, key_of(first["groups"][1]["rapporteur_url"]), name="Stray")
        stray_seqs = [add(stray, f"{mid} stray op {n}", 1)["seq"] for n in range(5)]
        assert lease_port(redis_url, cluster[0], mid) == owners[mid]
        chair = listeners[mid][1]
        chair.wait_for(lambda e: e.get("type") == "synthesis.updated" and e["seq"] >= max(stray_seqs), timeout=30)
        pushed = [e["seq"] for e in chair.events if e.get("type") == "synthesis.updated"]
        assert len(pushed) == len(set(pushed)), f"synthesis pushed twice for one state: {pushed}"
        # the worker's JSON crossed the Redis queue as the synthesis itself, not as a string (its
        # seq is the log's when it was computed, which the push's own seq may be past)
        last = [e for e in chair.events if e.get("type") == "synthesis.updated"][-1]
        assert isinstance(last["synthesis"], dict) and last["synthesis"]["questions"], last
        assert 0 < last["synthesis"]["seq"] <= last["seq"], last

        # kill -9 of meeting 0's owner while a rapporteur writes through the balancer.
        owner = next(s for s in cluster if s.port == owners[mid])
        chair_key = key_of(first["chair_url"])

        def presence(group_id: str) -> list[str]:
            state = requests.get(f"{balancer.url}/api/m/{mid}/state?key={chair_key}", timeout=30).json()
            return [c["name"] for c in state["presence"][group_id]]

        assert "Amina" in presence(first["groups"][0]["id"])
        acked: dict[str, int] = {}
        killed = threading.Event()

        def write_through_failover():
            import time

            client, deadline = None, time.time() + 120
            for n in range(30):
                op_id, text = uuid.uuid4().hex, f"{mid} failover op {n}"
                while time.time() < deadline:  # as the pages do: resend the op id until acked
                    try:
                        if client is None:
                            client = connect(via(mid), mid, key_of(first["groups"][2]["rapporteur_url"]), name="Writer")
                        ack = add(client, text, 2, op_id=op_id)
                    except Exception:  # the process died under it: reconnect through the balancer
                        client = None
                        time.sleep(0.1)
                        continue
                    if ack["ok"]:
                        acked[text] = ack["seq"]
                        break
                if n == 10:
                    killed.wait(60)

        writer = threading.Thread(target=write_through_failover)
        writer.start()
        wait_until(lambda: len(acked) >= 10, "ten acked ops before the kill")
        owner.kill()
        killed.set()
        writer.join(120)
        assert len(acked) == 30
        # The meeting moved to the surviving process, and the dead one's presence is gone.
        assert wait_until(lambda: lease_port(redis_url, cluster[0], mid) == other.port,
                          "the meeting to move", timeout=10)
        wait_until(lambda: "Amina" not in presence(first["groups"][0]["id"]),
                   "the dead process's presence to vanish", timeout=10)
        # Nothing acked was lost or doubled.
        reader = connect(via(mid), mid, key_of(first["plenary_url"]))
        log = reader.sync(0)
        assert log["ok"] and not log.get("more")
        texts = [e["contribution"]["text"] for e in log["events"] if e["type"] == "contribution.added"]
        for text, seq in acked.items():
            assert texts.count(text) == 1, text
        assert len([t for t in texts if "failover op" in t]) == 30
    finally:
        balancer.stop()


# ----- a process that loses Redis (issue 20, point 5) -----------------------------------------

def status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=5).status_code
    except requests.RequestException:
        return None


class Outbox:
    """What a page's outbox does through the balancer: send an op, and resend it with the same
    op_id, on a new connection when the old one is closed or refused, until it is acked."""

    def __init__(self, connect, url: str, meeting_id: str, key: str, name: str):
        self.connect, self.url, self.meeting_id, self.key, self.name = connect, url, meeting_id, key, name
        self.client = None
        self.codes: list[str] = []  # every refusal met on the way

    def add(self, text: str, deadline: float = 60) -> dict:
        import time

        op_id, until = uuid.uuid4().hex, time.time() + deadline
        while time.time() < until:
            try:
                if self.client is None:
                    self.client = self.connect(self.url, self.meeting_id, self.key, name=self.name)
                ack = add(self.client, text, 0, op_id=op_id)
            except Exception as error:  # closed under it, or refused: a new connection
                self.codes.append(f"{type(error).__name__}: {error}")
                self.client = None
                time.sleep(0.1)
                continue
            if ack["ok"]:
                return ack
            self.codes.append(ack["error"]["code"])
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not acked; met {self.codes[-5:]}")


def meeting_routed_to(balancer: Balancer, creator: ServerProcess, upstream: ServerProcess) -> dict:
    for _ in range(40):
        links = create_meeting(creator, balancer.url)
        mid = links["meeting_id"]
        assert requests.get(f"{balancer.url}/api/m/{mid}/state?key={key_of(links['chair_url'])}", timeout=30).ok
        if wait_until(lambda: (balancer.routed(mid) or [None])[-1], f"the route of {mid}") == f"127.0.0.1:{upstream.port}":
            return links
    raise AssertionError(f"40 meetings, none routed to {upstream.port}")


@pytest.mark.parametrize("kind", [installed("nginx", NGINX, "nginx-light"), installed("haproxy", HAPROXY, "haproxy")])
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_process_that_loses_redis_hands_its_traffic_over(kind, tmp_path, connect):
    """Process `a` reaches a Redis of the test's own through a link the test cuts; `b` reaches it
    directly. While the link is cut, `a`'s /healthz answers 503, the balancer sends its meeting to
    `b`, and a page's ops are acked there; once the link is back, `a` says 200 again and its
    Socket.IO listener hears the other process's events again. Nothing acked is lost or doubled."""
    own = OwnRedis(str(tmp_path)).start()
    link = TcpProxy(own.port)
    prefix = f"test-cut-{uuid.uuid4().hex[:10]}"
    env = {"FACILITATOR_PROXY_COUNT": "1", "FACILITATOR_SYNTHESIS_ENGINE": "lexical"}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = ServerProcess(str(tmp_path / "a"), redis_url=f"redis://127.0.0.1:{link.port}/0", prefix=prefix, env=env)
    b = ServerProcess(str(tmp_path / "b"), redis_url=own.url, prefix=prefix, env=env)
    balancer = None
    try:
        a.start()
        b.start()
        balancer = Balancer(kind, str(tmp_path), [a, b]).start()
        links = meeting_routed_to(balancer, b, a)
        mid = links["meeting_id"]
        via = f"{balancer.url}/?meeting={mid}"
        outbox = Outbox(connect, via, mid, key_of(links["groups"][0]["rapporteur_url"]), "Amina")
        acked = {f"before the cut {n}": outbox.add(f"before the cut {n}")["seq"] for n in range(3)}
        assert lease_port(own.url, b, mid) == a.port

        link.down()
        wait_until(lambda: status(a.url + "/healthz") == 503, "a to say it lost Redis")
        assert "store" in requests.get(a.url + "/healthz", timeout=5).json()["unreachable"]
        assert status(b.url + "/healthz") == 200
        # Refused at once, not held: a request to `a` itself, and its Socket.IO handshake.
        r = requests.get(f"{a.url}/api/m/{mid}/state?key={key_of(links['chair_url'])}", timeout=5)
        assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
        assert status(f"{a.url}/socket.io/?EIO=4&transport=polling&meeting={mid}") == 503
        # The page's ops, through the balancer, are acked by `b` while `a` is still cut off.
        for n in range(10):
            acked[f"during the cut {n}"] = outbox.add(f"during the cut {n}")["seq"]
        assert status(a.url + "/healthz") == 503  # still cut: those acks came from `b`
        wait_until(lambda: lease_port(own.url, b, mid) == b.port, "b to take the meeting's lease", timeout=10)

        link.up()
        wait_until(lambda: status(a.url + "/healthz") == 200, "a to be healthy again")
        # `a` listens again: a socket on `a` gets what `b` appends.
        on_a = connect(a.url, mid, key_of(links["plenary_url"]))
        on_b = connect(b.url, mid, key_of(links["groups"][1]["rapporteur_url"]), name="Kofi")
        ack = add(on_b, "after the cut, written on b", 1)
        assert ack["ok"], ack
        on_a.wait_for(lambda e: e.get("type") == "contribution.added" and e["seq"] == ack["seq"])
        acked["after the cut, written on b"] = ack["seq"]
        acked["after the cut"] = outbox.add("after the cut")["seq"]

        log = on_a.sync(0)
        assert log["ok"] and not log.get("more")
        texts = [e["contribution"]["text"] for e in log["events"] if e["type"] == "contribution.added"]
        assert sorted(texts) == sorted(acked), texts  # each acked op once, nothing else
        assert "message queue: lost Redis" in a.log() and "message queue: listening again" in a.log()
        assert "Traceback" not in a.log() + b.log(), (a.log() + b.log())[-3000:]
    finally:
        if balancer:
            balancer.stop()
        a.stop()
        b.stop()
        link.down()
        own.stop()


def test_an_owner_stopped_past_its_lease_pushes_nothing_once_resumed(tmp_path, redis_url, connect):
    """SIGSTOP of a meeting's owner while its synthesis run waits, another process takes the
    meeting, SIGCONT: the old owner checks its lease just before the push and stays quiet, so the
    chair never sees an older synthesis after a newer one, nor one state twice (issue 20, point 8)."""
    import signal

    env = {"FACILITATOR_SYNTHESIS_ENGINE": "lexical"}
    with processes_on_redis(tmp_path, redis_url, env) as (a, b):
        links = a.create_meeting()
        mid = links["meeting_id"]
        chair = connect(b.url, mid, key_of(links["chair_url"]))
        on_a = connect(a.url, mid, key_of(links["groups"][0]["rapporteur_url"]), name="Amina")
        first = add(on_a, "owned by a", 0)
        assert first["ok"] and lease_port(redis_url, a, mid) == a.port
        chair.wait_for(lambda e: e["type"] == "synthesis.updated" and e["seq"] >= first["seq"], timeout=30)

        second = add(on_a, "its push waits when a stops", 0)  # a's run is now marked, debouncing
        assert second["ok"]
        a.proc.send_signal(signal.SIGSTOP)
        try:
            on_b = connect(b.url, mid, key_of(links["groups"][1]["rapporteur_url"]), name="Kofi")
            assert add(on_b, "b serves the meeting", 1)["ok"]
            wait_until(lambda: lease_port(redis_url, a, mid) == b.port, "b to take the lease", timeout=30)
            third = add(on_b, "b owns the meeting", 1)
            assert third["ok"]
            chair.wait_for(lambda e: e["type"] == "synthesis.updated" and e["seq"] >= third["seq"], timeout=30)
        finally:
            a.proc.send_signal(signal.SIGCONT)
        wait_until(lambda: f"lost the lease of meeting {mid}" in a.log(), "a to find the lease gone")
        assert add(on_a, "a serves it again, as a non-owner", 0)["ok"]
        last = add(on_b, "the last one", 1)
        assert last["ok"]
        chair.wait_for(lambda e: e["type"] == "synthesis.updated" and e["seq"] >= last["seq"], timeout=30)
        pushed = [e["seq"] for e in chair.events if e["type"] == "synthesis.updated"]
        assert pushed == sorted(set(pushed)), f"a synthesis pushed twice, or an older one after a newer: {pushed}"
