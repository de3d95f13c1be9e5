"""The op path decides on the state the process holds and reads the log only when that state
may be stale: a conflict at append, or a refusal that a newer state could turn into a yes.
Two hubs on one SQLite file stand for two processes."""

from __future__ import annotations

import json

import pytest

from facilitator import provisioning
from facilitator.meeting import roles
from facilitator.meeting.agenda import load_agenda
from facilitator.store.sqlite import SQLiteStore
from facilitator.web.hub import Hub

RAPPORTEUR = roles.Actor(roles.RAPPORTEUR, group_id="africa")


class CountingStore:
    """The real store, with its log reads counted."""

    def __init__(self, store):
        self.store = store
        self.reads = 0

    def read(self, *args, **kwargs):
        self.reads += 1
        return self.store.read(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.store, name)


@pytest.fixture
def two(tmp_path):
    store = SQLiteStore(str(tmp_path / "facilitator.sqlite3"))
    meeting_id, _ = provisioning.create_meeting(store, load_agenda("grcp7"))
    emitted = {"a": [], "b": []}
    stores = {name: CountingStore(store) for name in "ab"}
    hubs = {name: Hub(stores[name], emit=lambda room, payload, n=name: emitted[n].append((room, payload)))
            for name in "ab"}
    for hub in hubs.values():
        hub.state(meeting_id)  # both loaded: from here on each only knows what it appends
    yield meeting_id, hubs, stores, emitted
    store.close()


def add(n: int) -> dict:
    return {"op_id": f"add-{n}", "type": "contribution.add", "question_id": "s2-q1",
            "text": f"text {n}", "kind": "good_practice", "agreement": "consensus"}


def test_an_op_on_a_current_state_reads_no_log(two):
    meeting_id, hubs, stores, _ = two
    before = stores["a"].reads
    for n in range(5):
        assert hubs["a"].submit(meeting_id, RAPPORTEUR, add(n))["ok"]
    assert stores["a"].reads == before


def test_a_stale_state_conflicts_then_catches_up_in_log_order(two):
    meeting_id, hubs, stores, emitted = two
    first = hubs["a"].submit(meeting_id, RAPPORTEUR, add(1))
    second = hubs["b"].submit(meeting_id, RAPPORTEUR, add(2))  # b has not seen add-1
    assert first["ok"] and second["ok"]
    assert second["seq"] == first["seq"] + 1
    assert hubs["b"].state(meeting_id).seq == second["seq"]
    texts = [c["text"] for c in hubs["b"].state(meeting_id).contributions.values()]
    assert texts[-2:] == ["text 1", "text 2"]
    # b emitted its own event once, after folding in a's
    assert [p["seq"] for _, p in emitted["b"]] == [second["seq"]] * len(emitted["b"])


def test_a_refusal_from_a_stale_state_is_decided_again_on_the_log(two):
    """b never saw the contribution a added: b's edit of it must not come back not_found."""
    meeting_id, hubs, _, _ = two
    ack = hubs["a"].submit(meeting_id, RAPPORTEUR, add(1))
    contribution = [c for c in hubs["a"].state(meeting_id).contributions.values() if c["text"] == "text 1"][0]
    edit = {"op_id": "edit-1", "type": "contribution.edit", "contribution_id": contribution["id"],
            "version": contribution["version"], "text": "text 1, edited"}
    edited = hubs["b"].submit(meeting_id, RAPPORTEUR, edit)
    assert edited == {"ok": True, "seq": ack["seq"] + 1}
    assert hubs["a"].state(meeting_id).contributions[contribution["id"]]["text"] == "text 1, edited"


def test_a_refusal_that_holds_on_the_log_is_answered(two):
    meeting_id, hubs, stores, _ = two
    edit = {"op_id": "edit-x", "type": "contribution.edit", "contribution_id": "no-such",
            "version": 1, "text": "x"}
    ack = hubs["b"].submit(meeting_id, RAPPORTEUR, edit)
    assert ack["ok"] is False
    missing = hubs["a"].submit(meeting_id, RAPPORTEUR, {"op_id": "bad", "type": "contribution.add"})
    assert missing["ok"] is False
    assert missing["error"]["code"] == "invalid"


def test_the_binary_scan_agrees_with_the_library():
    from socketio import packet as library

    from facilitator.web import wire

    payloads = [None, 1, "text", b"x", [], {}, [1, [2, [3, bytearray(b"y")]]],
                {"a": {"b": [{"c": "d"}]}}, {"a": {"b": [{"c": b"d"}]}}, ("tuple", b"not scanned"),
                {"seq": 3, "contribution": {"id": "c1", "text": "تعزيز", "tags": ["x", "y"]}}]
    for payload in payloads:
        assert wire.Packet.data_is_binary(payload) == library.Packet.data_is_binary(payload), payload
    assert wire.Packet(library.EVENT, data=["event", {"blob": b"\x00"}]).packet_type == library.BINARY_EVENT
    assert wire.Packet(library.EVENT, data=["event", {"seq": 1}]).packet_type == library.EVENT


def test_the_server_sends_with_this_packet(tmp_path):
    from facilitator import create_app, socketio
    from facilitator.web import wire

    create_app({"DATA_DIR": str(tmp_path), "TESTING": True})
    assert socketio.server.packet_class is wire.Packet


# ----- FACILITATOR_ASYNC_MODE=gevent: the same server, the same guarantees --------------------------


def test_gevent_mode_serves_ops_events_and_survives_kill_9(tmp_path):
    import requests
    from support import Client, ServerProcess, key_of
    from test_realtime import _burst_then_kill, add, group

    env = {"FACILITATOR_ASYNC_MODE": "gevent", "FACILITATOR_OP_RATE": "100000",
           "FACILITATOR_OP_BURST": "100000"}
    server = ServerProcess(str(tmp_path), env=env).start()
    try:
        with open(f"/proc/{server.proc.pid}/maps") as maps:  # gevent's compiled loop is loaded
            assert "/gevent/" in maps.read()
        links = server.create_meeting()
        mid = links["meeting_id"]
        plenary = Client(server.url, mid, key_of(links["plenary_url"]))
        rapporteur = Client(server.url, mid, key_of(group(links, "africa")["rapporteur_url"]))
        try:
            ack = add(rapporteur, "under gevent")
            assert ack["ok"], ack
            event = plenary.wait_for(lambda e: e.get("seq") == ack["seq"])
            assert event["contribution"]["text"] == "under gevent"
        finally:
            plenary.close()
            rapporteur.close()
        acked, sent = _burst_then_kill(server, links)
        assert len(acked) > 20, "the burst was too short to mean anything"
        server.start()
        client = Client(server.url, mid, key_of(group(links, "africa")["rapporteur_url"]))
        try:
            for i in range(len(acked), len(sent)):
                assert add(client, sent[i], op_id=f"burst-{i}")["ok"]
            state = requests.get(f"{server.url}/api/m/{mid}/state",
                                 params={"key": key_of(links["chair_url"])}).json()
        finally:
            client.close()
        texts = [c["text"] for c in state["contributions"]]
        assert len(texts) == len(set(texts)) == len(sent) + 1
        for text in acked:
            assert texts.count(text) == 1
    finally:
        server.stop()


def test_the_session_serializer_is_built_once_per_key_set(tmp_path):
    from flask import session

    from facilitator import create_app
    from facilitator.web.sessions import SessionCookies

    app = create_app({"DATA_DIR": str(tmp_path), "TESTING": True, "SECRET_KEY": "one"})
    cookies = app.session_interface
    assert isinstance(cookies, SessionCookies)
    first = cookies.get_signing_serializer(app)
    assert cookies.get_signing_serializer(app) is first
    signed = first.dumps({"k": 1})
    app.secret_key = "two"  # a new key is taken at once, the old one no longer verifies
    second = cookies.get_signing_serializer(app)
    assert second is not first
    assert second.loads(second.dumps({"k": 2})) == {"k": 2}
    app.config["SECRET_KEY_FALLBACKS"] = ["one"]
    assert cookies.get_signing_serializer(app).loads(signed) == {"k": 1}

    @app.route("/test-session-set")
    def set_value():
        session["v"] = "kept"
        return "ok"

    @app.route("/test-session-get")
    def get_value():
        return session.get("v", "lost")

    client = app.test_client()
    client.get("/test-session-set")
    assert client.get("/test-session-get").get_data(as_text=True) == "kept"


def test_an_empty_room_is_skipped_only_when_the_rooms_are_this_process_own(tmp_path, redis_url):
    """Through Flask-SocketIO's test client (the real server-side Socket.IO, an in-memory
    transport): the staff room hears the emit; the empty translators room is skipped locally,
    never behind a message queue, where other processes may have its members."""
    from facilitator import create_app, socketio
    from facilitator.web import realtime

    app = create_app({"DATA_DIR": str(tmp_path), "TESTING": True})
    manager = socketio.server.manager
    links_store = app.extensions["facilitator"].store
    meeting_id, secrets = provisioning.create_meeting(links_store, load_agenda("grcp7"))
    chair = socketio.test_client(app, auth={"meeting": meeting_id, "key": secrets["chair"]})
    assert chair.is_connected()
    skipped = []
    real_emit = socketio.emit
    try:
        socketio.emit = lambda *a, **kw: skipped.append(kw["to"]) or real_emit(*a, **kw)
        realtime.emit_to_room(f"m:{meeting_id}:staff", {"seq": 1})
        realtime.emit_to_room(f"m:{meeting_id}:translators", {"seq": 1})
    finally:
        socketio.emit = real_emit
    assert skipped == [f"m:{meeting_id}:staff"]
    assert [e["args"][0] for e in chair.get_received() if e["name"] == "event"] == [{"seq": 1}]
    chair.disconnect()
    assert not isinstance(manager, __import__("socketio").PubSubManager)

    app = create_app({"DATA_DIR": str(tmp_path / "r"), "TESTING": True, "REDIS_URL": redis_url,
                      "REDIS_PREFIX": f"test-empty-room-{tmp_path.name}"})
    sent = []
    try:
        socketio.emit = lambda *a, **kw: sent.append(kw["to"]) or real_emit(*a, **kw)
        realtime.emit_to_room("m:x:translators", {"seq": 1})
    finally:
        socketio.emit = real_emit
    assert sent == ["m:x:translators"]


# ----- op and sync on python-socketio, without Flask's request context (web/realtime.py) ------------
# Through Flask-SocketIO's test client: the real server-side Socket.IO, an in-memory transport.


@pytest.fixture
def sockets(tmp_path):
    from facilitator import create_app, socketio

    def make(**config):
        app = create_app({"DATA_DIR": str(tmp_path), "TESTING": True, **config})
        meeting_id, secrets = provisioning.create_meeting(app.extensions["facilitator"].store,
                                                          load_agenda("grcp7"))
        return app, meeting_id, secrets

    clients = []

    def connect(app, meeting_id, key):
        client = socketio.test_client(app, auth={"meeting": meeting_id, "key": key})
        assert client.is_connected()
        clients.append(client)
        return client

    yield make, connect
    for client in clients:
        if client.is_connected():
            client.disconnect()


def test_a_failing_handler_answers_invalid_and_logs_it(sockets, caplog):
    make, connect = sockets
    app, meeting_id, secrets = make()
    rapporteur = connect(app, meeting_id, secrets["rapporteurs"]["africa"])
    invalid = {"ok": False, "error": {"code": "invalid",
                                      "message": "The server could not handle this message."}}
    # One argument too many: the handler itself raises (TypeError).
    assert rapporteur.emit("op", add(1), "extra", callback=True) == invalid
    assert rapporteur.emit("sync", {"after": 0}, "extra", callback=True) == invalid
    # An error inside the hub.
    hub = app.extensions["facilitator"]

    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    hub.submit, real_submit = broken, hub.submit
    try:
        assert rapporteur.emit("op", add(2), callback=True) == invalid
    finally:
        hub.submit = real_submit
    failures = [r for r in caplog.records if r.getMessage().startswith("socket handler failed")]
    assert len(failures) == 3 and all(r.exc_info for r in failures)
    assert "broken on purpose" in failures[-1].getMessage()
    # The connection still serves.
    assert rapporteur.emit("op", add(3), callback=True)["ok"]
    assert rapporteur.emit("sync", {"after": 0}, callback=True)["ok"]


def test_a_disconnect_forgets_the_connection_and_its_budget_share(sockets):
    make, connect = sockets
    app, meeting_id, secrets = make()
    connections = app.extensions["facilitator.connections"]
    budgets = app.extensions["facilitator.budgets"]
    key = secrets["rapporteurs"]["africa"]
    key_id = roles.key_id(meeting_id, key)
    first, second = connect(app, meeting_id, key), connect(app, meeting_id, key)
    chair = connect(app, meeting_id, secrets["chair"])
    assert len(connections) == 3 and budgets.connections(key_id) == 2
    mine = [c for c in connections.values() if c.key_id == key_id]
    assert [(c.meeting_id, c.actor.role, c.actor.group_id) for c in mine] == \
        [(meeting_id, roles.RAPPORTEUR, "africa")] * 2
    assert mine[0].bucket is not mine[1].bucket  # a bucket per connection
    first.disconnect()
    assert len(connections) == 2 and budgets.connections(key_id) == 1
    assert second.emit("op", add(1), callback=True)["ok"]
    second.disconnect()
    chair.disconnect()
    assert connections == {} and budgets.connections(key_id) == 0


def test_the_budget_of_a_key_holds_across_its_connections(sockets):
    make, connect = sockets
    # Practically no refill: what is accepted is exactly what the key's bucket held.
    app, meeting_id, secrets = make(OP_RATE=1000.0, OP_BURST=1000, KEY_OP_RATE=0.001, KEY_OP_BURST=3)
    key = secrets["rapporteurs"]["africa"]
    tabs = [connect(app, meeting_id, key) for _ in range(2)]
    acks = [tabs[n % 2].emit("op", add(n), callback=True) for n in range(6)]
    assert [a["ok"] for a in acks] == [True] * 3 + [False] * 3
    assert {a["error"]["code"] for a in acks[3:]} == {"rate_limited"}
    other = connect(app, meeting_id, secrets["rapporteurs"]["mena"])
    assert other.emit("op", dict(add(9), question_id="s2-q1"), callback=True)["ok"]


def test_events_reach_the_rooms_as_the_library_would_write_them(sockets):
    """Each event is encoded once and its audiences' prev spliced in: what a client receives is
    the event the hub made, with its own audience's prev."""
    make, connect = sockets
    app, meeting_id, secrets = make()
    chair = connect(app, meeting_id, secrets["chair"])
    rapporteur = connect(app, meeting_id, secrets["rapporteurs"]["africa"])
    chair.get_received(), rapporteur.get_received()  # what connecting brought (presence)
    sent = []
    hub = app.extensions["facilitator"]
    emit = hub.emit
    hub.emit = lambda room_name, payload: sent.append((room_name, dict(payload))) or emit(room_name, payload)
    try:
        for n in range(3):
            assert rapporteur.emit("op", add(n), callback=True)["ok"]
    finally:
        hub.emit = emit
    got = {"staff": [e["args"][0] for e in chair.get_received() if e["name"] == "event"],
           "group:africa": [e["args"][0] for e in rapporteur.get_received() if e["name"] == "event"]}
    for audience, events in got.items():
        expected = [json.loads(json.dumps(p)) for r, p in sent if r.endswith(":" + audience)]
        assert events == expected and len(events) == 3
        assert all("prev" in e for e in events)


def test_an_event_encoded_once_is_byte_for_byte_the_library_packet():
    from socketio import packet as library

    from facilitator.web import realtime, wire

    contribution = {"id": "c1", "text": "تعزيز \"quoted\" \\ — x", "tags": ["a", 1, 2.5, None, True]}
    event = {"type": "contribution.added", "contribution": contribution, "ts": 1.5, "seq": 42}
    encoder = realtime.EventJSON()

    def both(room_name, payload, **packet):
        ours = wire.Packet(library.EVENT, data=["event", encoder.encode(room_name, payload)], **packet)
        theirs = library.Packet(library.EVENT, data=["event", payload], **packet)
        return ours.encode(), theirs.encode()

    for audience, prev in (("staff", 40), ("translators", 0), ("group:africa", 41)):
        ours, theirs = both(f"m:abc:{audience}", dict(event, prev=prev))
        assert ours == theirs
    assert encoder._last[1]["prev"] == 40  # encoded once, for the first audience
    # The same seq with another value, another meeting, no prev, a bool prev: encoded afresh.
    changed = dict(event, contribution=dict(contribution, text="changed"), prev=40)
    assert both("m:abc:staff", changed)[0] == both("m:abc:staff", changed)[1]
    assert "changed" in both("m:abc:staff", changed)[0]
    assert both("m:other:staff", dict(event, prev=1)) == both("m:other:staff", dict(event, prev=1))
    for payload in ({"type": "presence", "live": True, "seq": 42}, dict(event, prev=True),
                    dict(dict(event, prev=3), after=1)):
        ours, theirs = both("m:abc:staff", payload)
        assert ours == theirs
    # A namespace and an ack id are written as the library writes them.
    ours, theirs = both("m:abc:staff", dict(event, prev=2), namespace="/ns", id=7)
    assert ours == theirs
    # Acks and other packets keep the library's own encoding.
    ack = wire.Packet(library.ACK, data=[{"ok": True, "seq": 3}], id=12)
    assert ack.encode() == library.Packet(library.ACK, data=[{"ok": True, "seq": 3}], id=12).encode()
