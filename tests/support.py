"""The helpers tests and benches share: real things to talk to, and the hub in process.

- Over the wire: a server process (`python run.py serve` on a free port), Socket.IO clients that
  record what they receive, a raw websocket for frames no client sends, a TCP proxy to cut.
- In process: the hub on a real SQLite store with a clock the test moves by hand, and a client
  that does what a socket connection does (authenticate once, submit under the key's id, receive
  what is emitted to its audience) without the socket, for the rules of the domain.

Benches import this file too (they put the repository's root on sys.path); tests/conftest.py
only turns these into fixtures.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import requests
import socketio

# The domain's public names, imported here only: a rename there is a one-line change here.
from facilitator import provisioning
from facilitator.meeting import roles
from facilitator.meeting.agenda import load_agenda
from facilitator.store import open_store
from facilitator.store.sqlite import SQLiteStore
from facilitator.web.hub import Hub, room
from facilitator.meeting.voting import ballot_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDIS_URL = os.environ.get("FACILITATOR_TEST_REDIS", "redis://127.0.0.1:6379/0")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


def open_page(browser, url, ready, lang="en", width=1366, height=768, context=None, extra="",
              timeout=20_000):
    """A page of ours in Chromium, its script errors collected in ``page.errors``, returned once
    ``ready`` (the page's aria-busy=false marker) is there."""
    context = context or browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(url + ("&" if "?" in url else "?") + "lang=" + lang + extra)
    page.wait_for_selector(ready, timeout=timeout)
    return page


def cancel_what_is_asked(page, expect, says: str, screenshot: str | None = None):
    """The dialog a destructive curation opens first (static/js/curation.js confirmFirst): it says
    `says`; Escape cancels it. Returns the dialog's locator."""
    dialog = page.locator("dialog.cur-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(says)
    if screenshot:
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.screenshot(path=os.path.join(ARTIFACTS, screenshot + ".png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    return dialog


def assert_page_sound(page, server_url: str) -> None:
    """What every page owes a person, checked in Chromium: no horizontal overflow, every form
    control labelled, no serious or critical axe-core violation, no script error."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"horizontal overflow of {overflow}px"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('textarea, select, input')]
              .filter(el => !el.labels || el.labels.length === 0).map(el => el.id)""")
    assert unlabelled == []
    page.add_script_tag(url=server_url + "/vendor/axe-core/axe.min.js")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert not page.errors, page.errors


def wait_until(predicate, what: str = "condition", timeout: float = 30):
    """Poll a process we do not share an event with (a server, its log, a balancer) until the
    predicate holds; a deadline, not a measurement. Returns the predicate's value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def synthesis_at(server_url: str, meeting_id: str, key: str, seq: int, question: str | None = None,
                 timeout: float = 120) -> dict:
    """GET /synthesis until it reflects the log up to ``seq`` (an op's ack): the server answers
    from the last synthesis computed, and computes on its own schedule (docs/protocol.md)."""
    params = {"key": key, **({"question": question} if question else {})}

    def reflected():
        result = requests.get(f"{server_url}/api/m/{meeting_id}/synthesis", params=params, timeout=30)
        assert result.ok, result.text
        result = result.json()
        return result if not result.get("pending") and result["seq"] >= seq else None

    return wait_until(reflected, f"a synthesis reflecting seq {seq}", timeout=timeout)


def stop_process(proc) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class ServerProcess:
    """`python run.py serve` in a child process; kill -9 and restart on the same data."""

    def __init__(self, data_dir: str, redis_url: str | None = None, prefix: str | None = None,
                 port: int | None = None, env: dict | None = None):
        self.data_dir = data_dir
        self.redis_url = redis_url
        self.prefix = prefix or f"test-{uuid.uuid4().hex[:10]}"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.log_path = os.path.join(data_dir, f"server-{self.port}.log")

    def env(self) -> dict:
        env = dict(os.environ)
        env["FACILITATOR_REDIS_PREFIX"] = self.prefix
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.extra_env)
        return env

    def store_args(self) -> list[str]:
        args = ["--data", self.data_dir]
        if self.redis_url:
            args += ["--redis", self.redis_url]
        return args

    def command(self) -> list[str]:
        return [sys.executable, os.path.join(ROOT, "run.py"), "serve", "--port", str(self.port),
                *self.store_args()]

    def start(self, timeout: float = 30) -> "ServerProcess":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log()}")

    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()[-4000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """kill -9: no chance to flush or clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        stop_process(self.proc)

    def restart(self) -> "ServerProcess":
        self.kill()
        return self.start()

    def create_meeting(self, agenda: str = "grcp7") -> dict:
        """The JSON `run.py create-meeting --json` prints, made as the command makes it but from
        this process: another process writing the server's store, without starting one (the
        command itself is tests/test_cli.py's)."""
        store = open_store(self.data_dir, self.redis_url, self.prefix)
        try:
            agenda_doc = load_agenda(agenda)
            meeting_id, meeting_secrets = provisioning.create_meeting(store, agenda_doc)
            return wire(provisioning.links(self.url, meeting_id, meeting_secrets, agenda_doc))
        finally:
            store.close()

    def cleanup_redis(self) -> None:
        if not self.redis_url:
            return
        import redis

        client = redis.Redis.from_url(self.redis_url)
        keys = list(client.scan_iter(match=f"{self.prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


@contextlib.contextmanager
def processes_on_redis(tmp_path, redis_url: str, env: dict, names=("a", "b")):
    """Server processes sharing one Redis prefix (each its own data directory), started in
    turn, stopped and their keys deleted at the end."""
    prefix = f"test-procs-{uuid.uuid4().hex[:10]}"
    servers = []
    for name in names:
        (tmp_path / name).mkdir()
        servers.append(ServerProcess(str(tmp_path / name), redis_url=redis_url, prefix=prefix, env=env))
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
        servers[0].cleanup_redis()


class OwnRedis:
    """A redis-server of the test's own, on a free port: the shared one on 6379 is never stopped."""

    def __init__(self, directory: str):
        self.dir = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> "OwnRedis":
        import shutil

        import redis

        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), what="redis-server")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def key_of(url: str) -> str:
    return url.split("key=", 1)[1]


def connect_socket(server_url: str, meeting_id: str, key: str, on_event, name: str | None = None,
                   wait_timeout: float = 10) -> socketio.Client:
    """A python-socketio client on the websocket transport, authenticated as a page does."""
    sio = socketio.Client(reconnection=False)
    sio.on("event", on_event)
    auth = {"meeting": meeting_id, "key": key}
    if name:
        auth["name"] = name
    sio.connect(server_url, auth=auth, transports=["websocket"], wait_timeout=wait_timeout)
    return sio


class Client:
    """A real python-socketio client that records every event it receives."""

    def __init__(self, server_url: str, meeting_id: str, key: str, name: str | None = None):
        self.events: list[dict] = []
        self.cond = threading.Condition()
        self.sio = connect_socket(server_url, meeting_id, key, self._on_event, name=name)

    def _on_event(self, event):
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def op(self, type_: str, op_id: str | None = None, timeout: float = 10, **fields) -> dict:
        message = {"op_id": op_id or uuid.uuid4().hex, "type": type_, **fields}
        return self.sio.call("op", message, timeout=timeout)

    def raw_op(self, message, timeout: float = 10):
        return self.sio.call("op", message, timeout=timeout)

    def sync(self, after: int = 0) -> dict:
        return self.sio.call("sync", {"after": after}, timeout=10)

    def wait_for(self, predicate, timeout: float = 10) -> dict:
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"no matching event; got {[e.get('type') for e in self.events]}")
                self.cond.wait(left)

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:
            pass


class TcpProxy:
    """A TCP proxy of the test's own between a browser and the server, to cut connections for real."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._up = threading.Event()
        self._flowing = threading.Event()  # cleared for a silent cut: nothing passes, nothing is closed
        self._flowing.set()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._up.set()
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Refuse new connections and drop every open one."""
        self._up.clear()
        if self._listener:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._conns.clear()

    def hold(self) -> None:
        """Cut silently, as a lost route does: connections stay open and new ones are accepted,
        but not a byte passes either way until release()."""
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    def _wait_while_held(self) -> None:
        self._flowing.wait()

    def _accept(self, listener):
        while self._up.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self._wait_while_held()
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src, dst):
        try:
            while True:
                self._wait_while_held()
                data = src.recv(65536)
                if not data:
                    break
                self._wait_while_held()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


BROWSER_WAIT = 20_000  # ms: long enough for a Socket.IO reconnect with back-off


class RawSocket:
    """Socket.IO spoken by hand over a real websocket, for frames a well-behaved client never
    sends: oversize, deeply nested, reserved event names, ops followed at once by a disconnect."""

    def __init__(self, server_url: str, auth: dict | None = None, timeout: float = 10):
        import websocket

        url = server_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=timeout)
        opened = self.ws.recv()
        assert opened.startswith("0{"), opened
        self.next_id = 0
        self.connect_reply = None
        if auth is not None:
            self.ws.send("40" + json.dumps(auth))
            # events the connect handler emits (presence) may come before the reply
            self.connect_reply = self.recv()
            while not self.connect_reply.startswith(("40", "44")):
                self.connect_reply = self.recv()
            assert self.connect_reply.startswith("40{"), self.connect_reply

    def recv(self) -> str:
        """The next Socket.IO packet, answering engine.io pings on the way."""
        while True:
            message = self.ws.recv()
            if message == "2":
                self.ws.send("3")
                continue
            return message

    def send_event(self, body: str) -> int:
        """Send `42<id><body>` (body: the JSON array, as text) and return the ack id."""
        self.next_id += 1
        self.ws.send(f"42{self.next_id}{body}")
        return self.next_id

    def ack(self, ack_id: int):
        head = f"43{ack_id}"
        while True:
            message = self.recv()
            if message.startswith(head + "["):
                return json.loads(message[len(head):])[0]

    def call(self, body: str):
        return self.ack(self.send_event(body))

    def closed_by_server(self) -> bool:
        """Read until the server closes the connection: True then; a timeout raises."""
        import websocket

        while True:
            try:
                if self.recv() == "":  # the close frame
                    return True
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                # reset, or a broken pipe when answering the server's close frame after it left
                return True

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


def meeting_in_session(server, connect, session_id: str = "s2-groups") -> tuple[dict, str, "Client"]:
    """A GRCP7 meeting on the server, its chair connected and the session made current:
    (the create-meeting JSON, the meeting id, the chair's Client)."""
    links = server.create_meeting()
    mid = links["meeting_id"]
    chair = connect(server.url, mid, key_of(links["chair_url"]))
    assert chair.op("session.set", session_id=session_id)["ok"]
    return links, mid, chair


def rapporteur_key(links: dict, group_id: str) -> str:
    """The key in a group's rapporteur link of the create-meeting JSON."""
    return key_of(next(g for g in links["groups"] if g["id"] == group_id)["rapporteur_url"])


class CastVotes:
    """Yes/no/unsure votes as cast (each voter's last choice), to hold a ballot's results to."""

    CHOICES = ("yes", "no", "unsure")

    def __init__(self, contribution_ids: list[str]):
        self._lock = threading.Lock()  # voters may vote from several threads
        self.counts = {cid: dict.fromkeys(self.CHOICES, 0) for cid in contribution_ids}
        self.by_region: dict[tuple[str, str], dict] = {}

    def final(self, contribution_id: str, region: str | None, choice: str) -> None:
        with self._lock:
            self.counts[contribution_id][choice] += 1
            if region:
                cell = self.by_region.setdefault((contribution_id, region), dict.fromkeys(self.CHOICES, 0))
                cell[choice] += 1

    def check(self, results: dict, turnout: int) -> None:
        """Every count of the results, overall and of each region shown, is what was cast."""
        for row in results["results"]:
            assert row["counts"] == self.counts[row["contribution_id"]]
            assert row["turnout"] == turnout
            for region, cell in row["by_region"].items():
                if cell is not None:
                    want = self.by_region[(row["contribution_id"], region)]
                    assert {k: cell[k] for k in self.CHOICES} == want


# ----- the hub in process ------------------------------------------------------------------------


def wire(value):
    """What the other end of a socket gets: the JSON of it, never an object the state still holds."""
    return json.loads(json.dumps(value))


class FakeClock:
    """The hub's clock, moved by hand: the same ops give the same events."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class Emitted:
    """The hub's emit: each (room, payload) in the order the hub emitted them, as sent."""

    def __init__(self):
        self.items: list[tuple[str, dict]] = []

    def append(self, room_name: str, payload: dict) -> None:
        self.items.append((room_name, wire(payload)))

    def to(self, room_name: str, since: int = 0) -> list[dict]:
        return [payload for name, payload in self.items[since:] if name == room_name]


class Refused(Exception):
    """The hub did not authenticate the key: a socket connect would be refused."""


class HubClient:
    """What a Socket.IO connection does with the hub (web/realtime.py), without the socket:
    authenticate once; send ops under the key's id; receive what is emitted to its audience
    from the moment it connected. Same methods as `Client`, so a test reads the same."""

    def __init__(self, meeting: "HubMeeting", key: str, name: str | None = None):
        self.hub, self.meeting_id = meeting.hub, meeting.id
        self.actor = self.hub.authenticate(meeting.id, key, name)
        if self.actor is None:
            raise Refused(key)
        self.key_id = roles.key_id(meeting.id, key)
        self.room = room(meeting.id, self.actor.audience)
        self._emitted = meeting.emitted
        self._since = len(meeting.emitted.items)

    @property
    def events(self) -> list[dict]:
        return self._emitted.to(self.room, self._since)

    def op(self, type_: str, op_id: str | None = None, **fields) -> dict:
        return self.raw_op({"op_id": op_id or uuid.uuid4().hex, "type": type_, **fields})

    def raw_op(self, message) -> dict:
        return wire(self.hub.submit(self.meeting_id, self.actor, message, self.key_id))

    def sync(self, after=0) -> dict:
        return wire(self.hub.sync(self.meeting_id, self.actor, after))

    def view(self) -> dict:
        """What GET /api/m/<id>/state answers this key."""
        return wire(self.hub.view(self.meeting_id, self.actor))

    def wait_for(self, predicate) -> dict:
        """The first event received that matches: the hub emits before it acks, so no waiting."""
        for event in self.events:
            if predicate(event):
                return event
        raise AssertionError(f"no matching event; got {[e.get('type') for e in self.events]}")


class HubMeeting:
    """A GRCP7 meeting on a hub in process, with its keys (the create-meeting JSON's, unlinked)."""

    def __init__(self, hub: Hub, emitted: Emitted, agenda: str = "grcp7"):
        self.hub, self.emitted = hub, emitted
        self.id, self.secrets = provisioning.create_meeting(hub.store, load_agenda(agenda), now=hub.clock())
        self.chair_key = self.secrets["chair"]
        self.plenary_key = self.secrets["plenary"]

    def rapporteur_key(self, group_id: str) -> str:
        return self.secrets["rapporteurs"][group_id]

    def connect(self, key: str, name: str | None = None) -> HubClient:
        return HubClient(self, key, name)

    def join(self, region: str | None = None, lang: str = "en") -> str:
        """A participant's key, as the join endpoint gives it: for tests of what voters do, not of
        joining (that goes through the server: tests/test_joining.py)."""
        return self.hub.join(self.id, self.secrets["join_code"], region, lang)

    def ballot_results(self, ballot_id: str) -> dict:
        """What GET /api/m/<id>/ballots/<ballot> answers the chair."""
        return wire(ballot_results(self.hub.state(self.id), ballot_id))
