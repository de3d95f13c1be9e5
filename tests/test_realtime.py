"""End to end over a real server process and real python-socketio clients: what only sockets,
HTTP and processes show (fan-out to real clients, keys refused at connect, cookies, rate limits,
kill -9, two processes on one Redis). The rules of the ops themselves are tested in process in
test_ops.py."""

from __future__ import annotations

import threading

import pytest
import requests
import socketio

from support import Client, ServerProcess, key_of

Q = "s2-q1"  # a Session 2 sub-group question


def add(client: Client, text: str, question_id: str = Q, **kw) -> dict:
    fields = {"question_id": question_id, "text": text, "kind": "good_practice", "agreement": "consensus"}
    fields.update(kw)
    return client.op("contribution.add", **fields)


def group(links: dict, gid: str) -> dict:
    return next(g for g in links["groups"] if g["id"] == gid)


@pytest.fixture
def meeting(live_server):
    return live_server.create_meeting()


def test_two_rapporteurs_and_plenary_see_each_others_ops(live_server, meeting, connect):
    mid = meeting["meeting_id"]
    africa = key_of(group(meeting, "africa")["rapporteur_url"])
    one = connect(live_server.url, mid, africa, name="Amina")
    two = connect(live_server.url, mid, africa, name="Kofi")
    plenary = connect(live_server.url, mid, key_of(meeting["plenary_url"]))
    europe = connect(live_server.url, mid, key_of(group(meeting, "europe-central-asia")["rapporteur_url"]))

    ack = add(one, "Bilateral labour agreements with portable social security", lang="en")
    assert ack["ok"] is True and ack["seq"] >= 2
    # The event's shape is test_ops.py's; here, that each socket gets it.
    for client in (one, two, plenary):
        event = client.wait_for(lambda e: e["type"] == "contribution.added")
        assert event["seq"] == ack["seq"] and event["contribution"]["group_id"] == "africa"
        assert event["contribution"]["text"] == "Bilateral labour agreements with portable social security"
    # A rapporteur of another group does not receive Africa's board. Europe's own next event is
    # sent after Africa's on the same socket; once it and the answer to a later sync are in, an
    # event of Africa's sent to Europe would have been received (instead of sleeping on it).
    fence = add(europe, "Europe's own item")
    europe.wait_for(lambda e: e.get("seq") == fence["seq"])
    synced = europe.sync(0)["events"]
    assert [e["seq"] for e in synced if e["type"].startswith("contribution.")] == [fence["seq"]]
    assert [e["seq"] for e in europe.events if e["type"].startswith("contribution.")] == [fence["seq"]]

    # Edits by the second rapporteur reach the first.
    cid = one.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]
    ack2 = two.op("contribution.edit", contribution_id=cid, version=1, text="تبادل الممارسات الجيدة")
    assert ack2["ok"], ack2
    edited = one.wait_for(lambda e: e["type"] == "contribution.edited")
    assert edited["contribution"]["text"] == "تبادل الممارسات الجيدة"
    assert edited["contribution"]["version"] == 2
    assert edited["contribution"]["author"]["name"] == "Amina"  # the author stays who typed it

    # Presence: each sees who is connected to the board.
    presence = one.wait_for(lambda e: e["type"] == "presence" and len(e["clients"]) == 2)
    assert sorted(c["name"] for c in presence["clients"]) == ["Amina", "Kofi"]

    # The state endpoint has the same contribution shape, plus its translations (issue 12).
    state = requests.get(f"{live_server.url}/api/m/{mid}/state", params={"key": key_of(meeting["plenary_url"])}).json()
    (c,) = [c for c in state["contributions"] if c["id"] == cid]
    assert c == dict(edited["contribution"], translations={})


def test_bad_keys_are_refused_at_connect_and_over_http(live_server, meeting):
    mid = meeting["meeting_id"]
    # Wrong or missing keys: the connection is refused.
    for auth in ({"meeting": mid, "key": "wrong"}, {"meeting": mid}, {"meeting": "nope", "key": "x"}, None):
        sio = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            sio.connect(live_server.url, auth=auth, transports=["websocket"], wait_timeout=5)
    # ...and the HTTP state with a wrong key.
    r = requests.get(f"{live_server.url}/api/m/{mid}/state", params={"key": "wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_malformed_messages_get_stable_codes_over_the_socket(live_server, meeting, connect):
    """What the socket handler passes to the hub, whatever arrives; the codes themselves are
    test_ops.py's."""
    mid = meeting["meeting_id"]
    rap = connect(live_server.url, mid, key_of(group(meeting, "americas")["rapporteur_url"]))
    before = rap.sync(0)["seq"]
    for message in ["just a string", 42, None, [1, 2], {"type": "contribution.add"},
                    {"op_id": 5, "type": "contribution.add"}, {"op_id": "x", "type": 7},
                    {"op_id": "y", "type": "contribution.add", "question_id": Q, "text": "a" * 2001,
                     "kind": "gap", "agreement": "majority"}]:
        ack = rap.raw_op(message)
        assert ack["ok"] is False and ack["error"]["code"] in ("invalid", "too_long"), (message, ack)
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    for sync in ("x", None, {"after": -1}, {"after": "3"}):
        ack = rap.sio.call("sync", sync, timeout=10)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", (sync, ack)
    assert rap.sync(0)["seq"] == before  # nothing was appended
    assert add(rap, "still works")["ok"]


def test_rate_limited_per_connection(tmp_path, connect):
    server = ServerProcess(str(tmp_path), env={"FACILITATOR_OP_RATE": "2", "FACILITATOR_OP_BURST": "5"}).start()
    try:
        links = server.create_meeting()
        mid = links["meeting_id"]
        key = key_of(group(links, "africa")["rapporteur_url"])
        flood = connect(server.url, mid, key)
        calm = connect(server.url, mid, key)
        codes = [add(flood, f"item {i}").get("error", {}).get("code") for i in range(12)]
        assert "rate_limited" in codes
        assert codes[:5] == [None] * 5
        # Another connection of the same group (same key, same IP) is not slowed.
        assert add(calm, "from the other laptop")["ok"]
    finally:
        server.stop()


def test_key_link_moves_into_cookie(live_server, meeting):
    s = requests.Session()
    r = s.get(meeting["chair_url"] + "&lang=fr", allow_redirects=False)
    assert r.status_code == 303
    assert "key=" not in r.headers["Location"] and "lang=fr" in r.headers["Location"]
    assert "HttpOnly" in r.headers["Set-Cookie"]
    assert r.headers["Referrer-Policy"] == "no-referrer"
    page = s.get(live_server.url + r.headers["Location"])
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    # A rapporteur key does not open the chair console.
    rap_key = key_of(group(meeting, "africa")["rapporteur_url"])
    assert requests.get(f"{live_server.url}/m/{meeting['meeting_id']}/chair?key={rap_key}", allow_redirects=False).status_code == 403


def _burst_then_kill(server: ServerProcess, links: dict) -> tuple[list[str], list[str]]:
    """Add contributions as fast as acks come back; kill -9 the server mid-burst."""
    mid = links["meeting_id"]
    client = Client(server.url, mid, key_of(group(links, "africa")["rapporteur_url"]))
    acked: list[str] = []
    sent: list[str] = []
    killer = threading.Timer(1.0, server.kill)
    killer.start()
    try:
        for i in range(100000):
            text = f"contribution {i}"
            sent.append(text)
            try:
                ack = add(client, text, op_id=f"burst-{i}", timeout=3)
            except Exception:
                break
            assert ack.get("ok"), ack
            acked.append(text)
    finally:
        killer.join()
        client.close()
    return acked, sent


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_acked_ops_survive_kill_9(tmp_path, backend, request):
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else None
    fast = {"FACILITATOR_OP_RATE": "100000", "FACILITATOR_OP_BURST": "100000"}
    server = ServerProcess(str(tmp_path), redis_url=redis_url, env=fast).start()
    try:
        links = server.create_meeting()
        acked, sent = _burst_then_kill(server, links)
        assert len(acked) > 20, "the burst was too short to mean anything"
        server.start()
        mid = links["meeting_id"]
        # Retrying the unacknowledged tail, as a client's outbox does, applies each op once.
        client = Client(server.url, mid, key_of(group(links, "africa")["rapporteur_url"]))
        try:
            for i in range(len(acked), len(sent)):
                assert add(client, sent[i], op_id=f"burst-{i}")["ok"]
            state = requests.get(f"{server.url}/api/m/{mid}/state", params={"key": key_of(links["chair_url"])}).json()
        finally:
            client.close()
        texts = [c["text"] for c in state["contributions"]]
        assert len(texts) == len(set(texts)) == len(sent)
        for text in acked:
            assert texts.count(text) == 1
    finally:
        server.stop()
        server.cleanup_redis()


def test_two_processes_on_one_redis_serve_one_meeting(tmp_path, redis_url, connect):
    one = ServerProcess(str(tmp_path / "a"), redis_url=redis_url)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    two = ServerProcess(str(tmp_path / "b"), redis_url=redis_url, prefix=one.prefix)
    one.start()
    two.start()
    try:
        links = one.create_meeting()
        mid = links["meeting_id"]
        key = key_of(group(links, "africa")["rapporteur_url"])
        on_one = connect(one.url, mid, key)
        on_two = connect(two.url, mid, key)
        plenary_two = connect(two.url, mid, key_of(links["plenary_url"]))
        ack = add(on_one, "added through process one")
        assert ack["ok"]
        for client in (on_two, plenary_two):
            event = client.wait_for(lambda e: e["type"] == "contribution.added")
            assert event["seq"] == ack["seq"]
        # Both processes append to one log without clashing.
        acks = []
        for i in range(10):
            acks.append(add(on_one if i % 2 else on_two, f"alternating {i}"))
        assert all(a["ok"] for a in acks)
        seqs = [a["seq"] for a in acks]
        assert seqs == sorted(seqs) and len(set(seqs)) == 10
        cid = on_one.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]
        # A stale edit is detected across processes too.
        assert on_two.op("contribution.edit", contribution_id=cid, version=1, text="v2")["ok"]
        assert on_one.op("contribution.edit", contribution_id=cid, version=1, text="v2b")["error"]["code"] == "conflict"
    finally:
        one.stop()
        two.stop()
        one.cleanup_redis()


def test_only_same_origin_sockets(live_server):
    """No wildcard CORS: a page on another origin cannot open a Socket.IO session."""
    url = f"{live_server.url}/socket.io/?EIO=4&transport=polling"
    evil = requests.get(url, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 400 and "origin" in evil.text.lower()
    assert "Access-Control-Allow-Origin" not in evil.headers
    same = requests.get(url, headers={"Origin": live_server.url})
    assert same.status_code == 200
