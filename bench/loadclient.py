"""A cheap load-generating client: Socket.IO v5 over Engine.IO v4 over WebSocket, on asyncio.

The python-socketio client the other benches use costs a thread per connection and a thread
start per incoming message; on two cores the bench saturated a core before the server did. Here
one event loop holds thousands of connections, each an `asyncio.Protocol` that frames WebSocket
by hand and reads Socket.IO packets by their first bytes: no thread, and no JSON parse except
of acks (a few bytes) and of the events a caller asks to see.

What a connection does, as the app's clients do (static/js/client.js, tests/support.py):

- `GET /socket.io/?EIO=4&transport=websocket&meeting=<id>` upgraded to a WebSocket (the meeting in
  the query is what the balancer routes on);
- on the Engine.IO open packet `0{...}`, the namespace connect `40{"meeting", "key"[, "name"]}`,
  then waits for `40{...}` (or `44{...}`: refused);
- answers Engine.IO pings `2` with `3`;
- `call(event, data)` sends `42<id>[event, data]` and returns the payload of `43<id>[...]`;
- every `42["event", ...]` is handed, as text with its arrival time, to the connection's
  `on_event` (default: nothing), so a listener pays only for what it looks at.

Arrival times are `time.monotonic()` (CLOCK_MONOTONIC, shared by all processes of the machine)
taken when the bytes are read, so times from several client processes compare.

`Workers` spreads a scenario over several client processes (`--client-procs`), each with its own
loop, optionally pinned to cores (`--pin`): with `taskset`, the server on some cores and the
clients on the others, the server's own ceiling can be read.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing as mp
import os
import resource
import struct
import time

# ----- one connection ------------------------------------------------------------------------------


class Refused(Exception):
    """The server answered the namespace connect with 44 (or closed before connecting)."""


class Conn(asyncio.Protocol):
    """One Socket.IO client connection over one WebSocket."""

    def __init__(self, host: str, port: int, meeting: str, auth: dict, on_event=None):
        self.request = (f"GET /socket.io/?EIO=4&transport=websocket&meeting={meeting} HTTP/1.1\r\n"
                        f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode()
        self.auth = json.dumps(auth, separators=(",", ":"))
        self.on_event = on_event
        self.loop = asyncio.get_running_loop()
        self.connected: asyncio.Future = self.loop.create_future()
        self.closed: asyncio.Future = self.loop.create_future()
        self.transport = None
        self.upgraded = False
        self.buffer = bytearray()
        self.fragments: list[bytes] = []
        self.next_id = 0
        self.pending: dict[int, asyncio.Future] = {}
        # A fixed mask per connection: the server must unmask any key, and one XOR of ints is cheap.
        self.mask = os.urandom(4)
        self.events = 0

    # -- asyncio.Protocol

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        error = exc or ConnectionError("closed by the server")
        if not self.connected.done():
            self.connected.set_exception(Refused(str(error)))
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError(str(error)))
        self.pending.clear()
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:self.buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self.connected.set_exception(Refused(status.decode(errors="replace")))
                self.transport.close()
                return
            self.upgraded = True
            del self.buffer[:end + 4]
        self._frames(now)

    # -- WebSocket framing (server frames are never masked)

    def _frames(self, now: float) -> None:
        buf = self.buffer
        pos = 0
        while len(buf) - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if len(buf) - pos < 4:
                    break
                length = struct.unpack_from("!H", buf, pos + 2)[0]
                head = 4
            elif length == 127:
                if len(buf) - pos < 10:
                    break
                length = struct.unpack_from("!Q", buf, pos + 2)[0]
                head = 10
            if len(buf) - pos < head + length:
                break
            payload = bytes(buf[pos + head:pos + head + length])
            pos += head + length
            self._frame(b0 & 0x80, b0 & 0x0F, payload, now)
        if pos:
            del buf[:pos]

    def _frame(self, fin: int, opcode: int, payload: bytes, now: float) -> None:
        if opcode == 0x8:  # close
            self.transport.close()
            return
        if opcode == 0x9:  # ping
            self._send(payload, 0xA)
            return
        if opcode == 0xA:
            return
        if opcode in (0x1, 0x2):
            self.fragments = [payload]
        else:  # continuation
            self.fragments.append(payload)
        if fin:
            message = b"".join(self.fragments).decode()
            self.fragments = []
            self._packet(message, now)

    def _send(self, payload: bytes, opcode: int = 0x1) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0xFE, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0xFF, n)
        mask = (self.mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "little") ^ int.from_bytes(mask, "little")).to_bytes(n, "little")
        self.transport.write(head + self.mask + masked)

    def send_text(self, text: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._send(text.encode())

    # -- Engine.IO / Socket.IO packets

    def _packet(self, message: str, now: float) -> None:
        kind = message[:2]
        if kind == "42":
            self.events += 1
            if self.on_event is not None:
                self.on_event(message, now)
        elif kind == "43":
            i = 2
            while message[i].isdigit():
                i += 1
            future = self.pending.pop(int(message[2:i]), None)
            if future is not None and not future.done():
                future.set_result((json.loads(message[i:])[0], now))
        elif message == "2":
            self.send_text("3")
        elif kind == "40":
            if not self.connected.done():
                self.connected.set_result(now)
        elif kind == "44":
            if not self.connected.done():
                self.connected.set_exception(Refused(message[2:]))
        elif message[:1] == "0":
            self.send_text("40" + self.auth)
        elif message[:1] == "1":
            self.transport.close()

    def send(self, event: str, data) -> tuple[int, asyncio.Future]:
        """Send `42<id>[event, data]`; the future resolves to (ack payload, arrival time)."""
        self.next_id += 1
        future = self.loop.create_future()
        self.pending[self.next_id] = future
        body = json.dumps([event, data], separators=(",", ":"), ensure_ascii=False)
        self.send_text(f"42{self.next_id}{body}")
        return self.next_id, future

    async def call(self, event: str, data, timeout: float = 30) -> tuple[dict, float]:
        """Send and wait for the ack: (payload, arrival time)."""
        ack_id, future = self.send(event, data)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(ack_id, None)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._send(b"\x03\xe8", 0x8)  # close frame, 1000
            self.transport.close()


async def connect(host: str, port: int, meeting: str, key: str, on_event=None, name: str | None = None,
                  timeout: float = 30) -> Conn:
    """A connection authenticated as the app's clients do ({meeting, key[, name]})."""
    auth = {"meeting": meeting, "key": key}
    if name:
        auth["name"] = name
    loop = asyncio.get_running_loop()
    _, conn = await asyncio.wait_for(
        loop.create_connection(lambda: Conn(host, port, meeting, auth, on_event), host, port), timeout)
    try:
        await asyncio.wait_for(conn.connected, timeout)
    except BaseException:
        conn.close()
        raise
    return conn


async def connect_many(host: str, port: int, specs: list[tuple], parallel: int = 50,
                       timeout: float = 60) -> list[Conn]:
    """Connect each (meeting, key[, on_event[, name]]) with at most `parallel` handshakes in flight
    (the server's listen backlog is small; more would be dropped SYNs and 1 s retries)."""
    gate = asyncio.Semaphore(parallel)

    async def one(spec):
        async with gate:
            return await connect(host, port, *spec, timeout=timeout)

    return list(await asyncio.gather(*(one(spec) for spec in specs)))


# ----- cheap looks at an event's text --------------------------------------------------------------


def seq_of(text: str) -> int | None:
    """The seq of a logged event, None for a live one. The hub writes "seq" and "prev" last in
    an event, and a string inside can only hold the quotes escaped, so the last `"seq":` is
    the event's own."""
    if '"live":true' in text:
        return None
    i = text.rfind('"seq":')
    if i < 0:
        return None
    i += 6
    j = i
    while text[j].isdigit():
        j += 1
    return int(text[i:j])


def event_of(text: str) -> dict:
    """The whole event, parsed: for the few a bench must read (vote results)."""
    return json.loads(text[2:])[1]


class SeqRecorder:
    """on_event that records when each logged event's seq first arrived."""

    def __init__(self):
        self.arrivals: dict[int, float] = {}

    def __call__(self, text: str, now: float) -> None:
        seq = seq_of(text)
        if seq is not None and seq not in self.arrivals:
            self.arrivals[seq] = now


# ----- processes and cores -------------------------------------------------------------------------


def raise_nofile() -> int:
    """Soft open-file limit up to the hard one (each connection is a descriptor); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def split_cores(pin: bool) -> tuple[str | None, set[int] | None]:
    """With pin: the server's cores (a taskset list) and the clients' (a set); the first half of
    the machine's cores serve, the rest load. Without: (None, None), everyone everywhere."""
    if not pin:
        return None, None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        raise SystemExit("--pin needs at least two cores")
    half = len(cores) // 2
    return ",".join(map(str, cores[:half])), set(cores[half:])


def taskset(command: list[str], cores: str | None) -> list[str]:
    """The command run on `cores` (all its threads, present and future), or as it is."""
    return ["taskset", "-c", cores, *command] if cores else command


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Control:
    """A worker's side of its pipe to the parent: report, then wait for the next word."""

    def __init__(self, pipe, index: int):
        self.pipe, self.index = pipe, index

    async def report(self, info=None):
        """Send `info` to the parent and wait (without blocking the loop) for its answer."""
        self.pipe.send(("report", info))
        return await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)


def _worker(scenario, share, pipe, index, cores):
    if cores:
        os.sched_setaffinity(0, cores)
    raise_nofile()
    t0 = os.times()
    try:
        result = asyncio.run(scenario(share, Control(pipe, index)))
    except BaseException:
        import traceback

        pipe.send(("error", traceback.format_exc()))
        raise
    t1 = os.times()
    pipe.send(("result", result, (t1.user - t0.user) + (t1.system - t0.system)))
    pipe.close()


class Workers:
    """`scenario(share, control)` (an async function) run in one client process per share."""

    def __init__(self, scenario, shares: list, cores: set[int] | None = None):
        ctx = mp.get_context("fork")
        self.pipes, self.procs = [], []
        for index, share in enumerate(shares):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(scenario, share, child, index, cores), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
        self.client_cpu = 0.0

    def gather(self, timeout: float = 600) -> list:
        """Each worker's next report, in order."""
        infos = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError("a client process did not report")
            message = pipe.recv()
            if message[0] != "report":
                raise RuntimeError(f"a client process ended early: {message!r}"[-3000:])
            infos.append(message[1])
        return infos

    def tell(self, message) -> None:
        for pipe in self.pipes:
            pipe.send(message)

    def results(self, timeout: float = 600) -> list:
        out = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError("a client process did not finish")
            message = pipe.recv()
            if message[0] != "result":
                raise RuntimeError(f"a client process failed: {message!r}"[-3000:])
            out.append(message[1])
            self.client_cpu += message[2]
        return out

    def close(self) -> None:
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
