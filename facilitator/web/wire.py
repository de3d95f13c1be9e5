"""What arrives on the wire is bounded before any work is done on it.

- JSON nested deeper than a limit is refused before parsing (Socket.IO frames and POST bodies).
- A Socket.IO frame over the size limit is answered `too_large` unread; past sixteen times
  the limit engine.io closes the connection (WebSocket close 1009, HTTP 413 when polling).
- A malformed frame, or a client event named like a reserved one (`connect`), gets an error
  ack and one log line instead of a traceback.
- An engine.io connection that has not completed an authenticated Socket.IO connect within a
  few seconds is closed: idle sockets must not pile up and hold the server's pool.
"""

from __future__ import annotations

import json
import logging
import re

from engineio import json as engineio_json
from flask.json.provider import DefaultJSONProvider
from socketio import packet as sio_packet

log = logging.getLogger("facilitator.wire")

# Strings first (they may hold brackets), then the brackets that are left.
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")
# A Socket.IO EVENT: "2", optional attachments "n-", optional namespace "/ns,", optional ack id.
_EVENT_HEAD = re.compile(r"^2(?:\d+-)?(?:(/[^,]*),)?(\d*)")


class Refused(Exception):
    """Input refused before it was looked at. Not a ValueError, so that nothing swallows it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_depth(text: str, limit: int) -> None:
    # Counting brackets runs in C; the scan is only for texts with many of them.
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                raise Refused("too_deep", f"JSON nested deeper than {limit} levels.")
        else:
            depth -= 1


class BoundedJSON:
    """The json module as python-socketio uses it, with the depth checked before parsing."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth

    @staticmethod
    def dumps(value, **kwargs):
        if kwargs == {"separators": (",", ":")}:  # what each packet asks for
            return dumps(value)
        return json.dumps(value, **kwargs)

    def loads(self, text, *args, **kwargs):
        if isinstance(text, (bytes, bytearray)):
            text = text.decode("utf-8")
        check_depth(text, self.max_depth)
        return engineio_json.loads(text, *args, **kwargs)  # keeps its cap on huge integers


# json.dumps builds a new encoder on each call given any option; python-socketio gives one
# (compact separators) for every packet it writes.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def dumps(value) -> str:
    """The JSON python-socketio writes in a packet (compact, ASCII). A ``RawJSON`` among the
    top-level values of a dict (the payload), or of a dict in a list (a packet's arguments), is
    written as its text."""
    if type(value) is dict:
        if any(type(v) is RawJSON for v in value.values()):
            return "{" + ",".join(f"{_COMPACT.encode(k)}:{_value_text(v)}" for k, v in value.items()) + "}"
    elif type(value) is list and any(type(a) is dict and any(type(v) is RawJSON for v in a.values())
                                     for a in value):
        return "[" + ",".join(dumps(a) for a in value) + "]"
    return _COMPACT.encode(value)


class RawJSON(str):
    """A value's JSON, made elsewhere (each meeting's synthesis, by the analysis worker): written
    as it is where the value would be (``dumps``, ``QueueJSON``), so that this process neither
    encodes it nor keeps it as objects its garbage collector would scan."""

    __slots__ = ()


def _value_text(value) -> str:
    return str.__str__(value) if type(value) is RawJSON else _COMPACT.encode(value)


class QueueJSON:
    """The json module of the Redis message queue: a ``RawJSON`` among the top-level values of
    an emit's payload (``data``: the emit's arguments, a list) is written as its text; the
    other processes read it back as the value it encodes. Every other message is json's."""

    @staticmethod
    def dumps(value, **kwargs) -> str:
        data = value.get("data") if type(value) is dict else None
        args = data if type(data) is list else [data]
        if not any(type(a) is dict and any(type(v) is RawJSON for v in a.values()) for a in args):
            return json.dumps(value, **kwargs)
        # the rest of the message as json writes it, the arguments as a packet's (``dumps``)
        head = json.dumps({k: v for k, v in value.items() if k != "data"}, **kwargs)
        return head[:-1] + ("," if len(head) > 2 else "") + '"data":' + dumps(data) + "}"

    @staticmethod
    def loads(text, *args, **kwargs):
        return json.loads(text, *args, **kwargs)


class Encoded:
    """A payload already encoded (`dumps`): a packet writes it as it is, unscanned for bytes."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Packet(sio_packet.Packet):
    """python-socketio's packet, with its scan for binary parts done in one loop, and payloads
    encoded beforehand (`Encoded`) written as they are.

    Every emit scans its payload for bytes before encoding it; the library's recursive scan
    (a list and a reduce per dict) cost more than the JSON encode of an event itself.
    """

    def encode(self):
        data = self.data
        if not isinstance(data, list) or not any(type(item) is Encoded for item in data):
            return super().encode()
        # What the library writes for a packet without attachments, with the parts spliced in.
        head = str(self.packet_type)
        if self.namespace is not None and self.namespace != "/":
            head += self.namespace + ","
        if self.id is not None:
            head += str(self.id)
        return head + "[" + ",".join(
            item.text if type(item) is Encoded else dumps(item) for item in data) + "]"

    @classmethod
    def data_is_binary(cls, data):
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, (bytes, bytearray)):
                return True
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
        return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with the same depth check on request bodies."""

    max_depth = 20

    def loads(self, s, **kwargs):
        if isinstance(s, (bytes, bytearray)):
            s = s.decode("utf-8")
        check_depth(s, self.max_depth)
        return super().loads(s, **kwargs)


def error_ack(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


class FrameGuard:
    """Wraps python-socketio's handlers for incoming engine.io messages and client events."""

    def __init__(self, server, max_frame: int, auth_timeout: float) -> None:
        self.server = server
        self.eio = server.eio
        self.max_frame = max_frame
        self.auth_timeout = auth_timeout
        self._on_message = self.eio.handlers["message"]
        self._on_eio_connect = self.eio.handlers["connect"]
        self._on_event = server._handle_event
        self.eio.on("message", self.on_message)
        self.eio.on("connect", self.on_eio_connect)
        server._handle_event = self.on_event

    # ----- frames ----------------------------------------------------------------------------

    def on_message(self, eio_sid, data):
        if len(data) > self.max_frame:
            return self.refuse(eio_sid, data, "too_large",
                               f"A message may be {self.max_frame} bytes at most.")
        try:
            return self._on_message(eio_sid, data)
        except Refused as error:
            self.refuse(eio_sid, data, error.code, error.message)
        except (ValueError, TypeError, KeyError, IndexError, RecursionError):
            self.refuse(eio_sid, data, "invalid", "This is not a Socket.IO packet the server reads.")

    def on_event(self, eio_sid, namespace, id, data):
        if not isinstance(data, list) or not data or not isinstance(data[0], str) \
                or data[0] in self.server.reserved_events:
            name = data[0] if isinstance(data, list) and data else None
            log.warning("refused an event from %s: invalid (event name %.40r)", eio_sid, name)
            self._ack(eio_sid, namespace, id, error_ack("invalid", "Clients send op and sync."))
            return None
        return self._on_event(eio_sid, namespace, id, data)

    def refuse(self, eio_sid, data, code: str, message: str) -> None:
        """One log line, and an error ack when the frame asked for one."""
        log.warning("refused a frame from %s: %s (%d bytes)", eio_sid, code, len(data))
        if not isinstance(data, str):
            return
        head = _EVENT_HEAD.match(data[:200])
        if head and head.group(2):
            self._ack(eio_sid, head.group(1) or "/", int(head.group(2)), error_ack(code, message))

    def _ack(self, eio_sid, namespace, id, payload) -> None:
        if id is None:
            return
        self.server._send_packet(eio_sid, self.server.packet_class(
            sio_packet.ACK, namespace=namespace or "/", id=id, data=[payload]))

    # ----- connections that never authenticate --------------------------------------------------

    def on_eio_connect(self, eio_sid, environ):
        result = self._on_eio_connect(eio_sid, environ)
        self.eio.start_background_task(self._reap, eio_sid)
        return result

    def _reap(self, eio_sid) -> None:
        self.eio.sleep(self.auth_timeout)
        if eio_sid in self.eio.sockets and self.server.manager.sid_from_eio_sid(eio_sid, "/") is None:
            self.eio.disconnect(eio_sid)
