"""End to end over a real server process and real python-socketio clients."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import socketio

from conftest import Client, ServerProcess, key_of

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
    for client in (one, two, plenary):
        event = client.wait_for(lambda e: e["type"] == "contribution.added")
        assert event["seq"] == ack["seq"]
        c = event["contribution"]
        assert c["group_id"] == "africa" and c["question_id"] == Q and c["version"] == 1
        assert c["text"] == "Bilateral labour agreements with portable social security"
        assert set(c) >= {"id", "group_id", "question_id", "kind", "agreement", "text", "lang", "version"}
        assert event["order"] == [c["id"]]
    # A rapporteur of another group does not receive Africa's board.
    time.sleep(0.3)
    assert not [e for e in europe.events if e["type"].startswith("contribution.")]

    # Edits by the second rapporteur reach the first.
    cid = ack and one.events[-1]["contribution"]["id"]
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


def test_retried_op_is_applied_once(live_server, meeting, connect):
    mid = meeting["meeting_id"]
    rap = connect(live_server.url, mid, key_of(group(meeting, "mena")["rapporteur_url"]))
    op_id = str(uuid.uuid4())
    first = add(rap, "Regional data sharing", op_id=op_id)
    again = add(rap, "Regional data sharing", op_id=op_id)
    assert first["ok"] and again["ok"]
    assert again == first  # the first ack, exactly
    sync = rap.sync(0)
    added = [e for e in sync["events"] if e["type"] == "contribution.added"]
    assert len(added) == 1


def test_stale_edit_gets_conflict_with_current_text(live_server, meeting, connect):
    mid = meeting["meeting_id"]
    key = key_of(group(meeting, "africa")["rapporteur_url"])
    one, two = connect(live_server.url, mid, key), connect(live_server.url, mid, key)
    ack = add(one, "Original wording")
    cid = one.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]
    assert one.op("contribution.edit", contribution_id=cid, version=1, text="First edit")["ok"]
    late = two.op("contribution.edit", contribution_id=cid, version=1, text="Second edit from a stale copy")
    assert late["ok"] is False
    assert late["error"]["code"] == "conflict"
    assert late["error"]["current"]["text"] == "First edit"
    assert late["error"]["current"]["version"] == 2
    state = two.sync(ack["seq"])
    assert [e["contribution"]["text"] for e in state["events"]] == ["First edit"]


def test_other_groups_board_and_bad_keys_are_refused(live_server, meeting, connect):
    mid = meeting["meeting_id"]
    africa = connect(live_server.url, mid, key_of(group(meeting, "africa")["rapporteur_url"]))
    europe = connect(live_server.url, mid, key_of(group(meeting, "europe-central-asia")["rapporteur_url"]))
    add(africa, "Africa's item")
    cid = africa.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]
    for type_, fields in [
        ("contribution.edit", {"contribution_id": cid, "version": 1, "text": "hijack"}),
        ("contribution.delete", {"contribution_id": cid}),
        ("contribution.move", {"contribution_id": cid, "index": 0}),
    ]:
        ack = europe.op(type_, **fields)
        assert ack == {"ok": False, "error": {"code": "forbidden", "message": ack["error"]["message"]}}
    # The payload cannot claim another group: the group comes from the key.
    ack = add(europe, "sneaky", group_id="africa")
    assert ack["ok"]
    assert europe.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["group_id"] == "europe-central-asia"
    # A rapporteur cannot send chair ops.
    assert africa.op("session.set", session_id="s3-followup")["error"]["code"] == "forbidden"
    # A plenary screen cannot write.
    plenary = connect(live_server.url, mid, key_of(meeting["plenary_url"]))
    assert add(plenary, "x")["error"]["code"] == "forbidden"
    # Wrong or missing keys: the connection is refused.
    for auth in ({"meeting": mid, "key": "wrong"}, {"meeting": mid}, {"meeting": "nope", "key": "x"}, None):
        sio = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            sio.connect(live_server.url, auth=auth, transports=["websocket"], wait_timeout=5)
    # ...and the HTTP state with a wrong key.
    r = requests.get(f"{live_server.url}/api/m/{mid}/state", params={"key": "wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_bad_input_gets_stable_codes_and_changes_nothing(live_server, meeting, connect):
    mid = meeting["meeting_id"]
    rap = connect(live_server.url, mid, key_of(group(meeting, "americas")["rapporteur_url"]))
    before = rap.sync(0)["seq"]
    ok = {"question_id": Q, "text": "x", "kind": "gap", "agreement": "majority"}
    cases = [
        ({"type": "contribution.add", **dict(ok, text="a" * 2001)}, "too_long"),
        ({"type": "contribution.add", **dict(ok, text=123)}, "invalid"),
        ({"type": "contribution.add", **dict(ok, text="   ")}, "invalid"),
        ({"type": "contribution.add", **dict(ok, kind="opinion")}, "invalid"),
        ({"type": "contribution.add", **dict(ok, agreement=True)}, "invalid"),
        ({"type": "contribution.add", **{k: v for k, v in ok.items() if k != "kind"}}, "invalid"),
        ({"type": "contribution.add", **dict(ok, question_id="nope")}, "not_found"),
        ({"type": "contribution.add", **dict(ok, question_id="s3p-q1")}, "forbidden"),  # partners' session
        ({"type": "contribution.add", **dict(ok, index="first")}, "invalid"),
        ({"type": "contribution.launch"}, "invalid"),
        ({"type": 7}, "invalid"),
        ({"type": "contribution.edit", "contribution_id": "missing0", "version": 1, "text": "y"}, "not_found"),
    ]
    for fields, code in cases:
        ack = rap.raw_op({"op_id": uuid.uuid4().hex, **fields})
        assert ack["ok"] is False and ack["error"]["code"] == code, (fields, ack)
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    for message in ["just a string", 42, None, [1, 2], {"type": "contribution.add"}, {"op_id": 5, "type": "contribution.add"}]:
        ack = rap.raw_op(message)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", (message, ack)
    assert rap.sync(0)["seq"] == before  # nothing was appended
    # The server is still up and still works.
    assert add(rap, "still works")["ok"]
    # A locked board.
    chair = connect(live_server.url, mid, key_of(meeting["chair_url"]))
    assert chair.op("board.lock", group_id="americas", locked=True)["ok"]
    assert add(rap, "too late")["error"]["code"] == "locked"
    assert chair.op("board.lock", group_id="americas", locked=False)["ok"]
    assert add(rap, "open again")["ok"]


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


def test_move_delete_restore_keep_order(live_server, meeting, connect):
    mid = meeting["meeting_id"]
    rap = connect(live_server.url, mid, key_of(group(meeting, "asia-pacific")["rapporteur_url"]))
    ids = []
    for text in ("one", "two", "three"):
        ack = add(rap, text)
        ids.append(rap.wait_for(lambda e, s=ack["seq"]: e["seq"] == s)["contribution"]["id"])
    assert rap.op("contribution.move", contribution_id=ids[2], index=0)["ok"]
    assert rap.wait_for(lambda e: e["type"] == "contribution.moved")["order"] == [ids[2], ids[0], ids[1]]
    assert rap.op("contribution.delete", contribution_id=ids[0])["ok"]
    assert rap.wait_for(lambda e: e["type"] == "contribution.deleted")["order"] == [ids[2], ids[1]]
    assert rap.op("contribution.restore", contribution_id=ids[0])["ok"]
    restored = rap.wait_for(lambda e: e["type"] == "contribution.restored")
    assert restored["order"] == [ids[2], ids[0], ids[1]] and restored["contribution"]["deleted"] is False
    # Move to another question of the same session.
    assert rap.op("contribution.move", contribution_id=ids[1], index=0, question_id="s2-q3")["ok"]
    moved = rap.wait_for(lambda e: e["type"] == "contribution.moved" and e["contribution"]["question_id"] == "s2-q3")
    assert moved["order"] == [ids[1]] and moved["previous_order"]["order"] == [ids[2], ids[0]]


def test_chair_moves_session_and_everyone_hears(live_server, meeting, connect):
    mid = meeting["meeting_id"]
    chair = connect(live_server.url, mid, key_of(meeting["chair_url"]))
    rap = connect(live_server.url, mid, key_of(group(meeting, "africa")["rapporteur_url"]))
    plenary = connect(live_server.url, mid, key_of(meeting["plenary_url"]))
    assert chair.op("session.set", session_id="nope")["error"]["code"] == "not_found"
    ack = chair.op("session.set", session_id="s2-groups")
    assert ack["ok"]
    for client in (chair, rap, plenary):
        assert client.wait_for(lambda e: e["type"] == "session.changed")["session_id"] == "s2-groups"
    state = requests.get(f"{live_server.url}/api/m/{mid}/state", params={"key": key_of(group(meeting, "africa")["rapporteur_url"])}).json()
    assert state["session_id"] == "s2-groups" and state["role"] == "rapporteur" and state["group_id"] == "africa"
    # The chair fills the plenary board of a plenary session.
    ack = chair.op("contribution.add", question_id="s2p-q4", text="Recurring: data", kind="other", agreement="consensus")
    assert ack["ok"], ack
    assert plenary.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["group_id"] == "plenary"


def test_prev_lets_a_client_notice_a_gap(live_server, meeting, connect):
    mid = meeting["meeting_id"]
    africa = connect(live_server.url, mid, key_of(group(meeting, "africa")["rapporteur_url"]))
    mena = connect(live_server.url, mid, key_of(group(meeting, "mena")["rapporteur_url"]))
    first = add(africa, "a1")
    add(mena, "m1")  # invisible to Africa
    second = add(africa, "a2")
    e1 = africa.wait_for(lambda e: e["seq"] == first["seq"])
    e2 = africa.wait_for(lambda e: e["seq"] == second["seq"])
    assert e2["prev"] == e1["seq"]  # Africa missed nothing it was entitled to
    sync = africa.sync(0)
    assert all(e["type"] != "contribution.added" or e["contribution"]["group_id"] == "africa" for e in sync["events"])
    assert sync["seq"] == second["seq"]


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


def test_random_garbage_never_breaks_the_server(live_server, meeting, connect):
    """Every malformed op gets a documented error code; the server stays up."""
    import random

    from facilitator.meeting.errors import CODES

    rng = random.Random(2026)
    mid = meeting["meeting_id"]
    clients = [
        connect(live_server.url, mid, key_of(group(meeting, "africa")["rapporteur_url"])),
        connect(live_server.url, mid, key_of(meeting["chair_url"])),
    ]
    add(clients[0], "a real one")
    real_id = clients[0].wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]
    from facilitator.meeting.ops import HANDLERS

    types = list(HANDLERS) + ["", "contribution", "x" * 500]
    values = [None, True, False, 0, -1, 2**63, 1.5, "", " ", "x" * 3000, "s2-q1", real_id, "all",
              "c-" + real_id, [], [real_id], {}, {"a": 1}, "\u0000\u202e", "<script>", "yes"]
    fields = ["question_id", "text", "kind", "agreement", "lang", "index", "contribution_id",
              "version", "session_id", "group_id", "locked", "seconds", "cluster_id", "into",
              "title", "marked", "order", "contribution_ids", "mode", "dots", "ballot_id",
              "choice", "prompt", "anonymous", "revealed", "id"]
    for i in range(300):
        message = {"op_id": f"fuzz-{i}", "type": rng.choice(types)}
        for name in rng.sample(fields, rng.randint(0, 6)):
            message[name] = rng.choice(values)
        ack = rng.choice(clients).raw_op(message)
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (message, ack)
        if not ack["ok"]:
            assert ack["error"]["code"] in CODES, (message, ack)
    assert requests.get(live_server.url + "/healthz").json() == {"ok": True}
    time.sleep(3)  # let the connection's rate limit refill
    assert clients[1].op("board.lock", group_id="all", locked=False)["ok"]
    ack = add(clients[0], "still fine")
    assert ack["ok"], ack
