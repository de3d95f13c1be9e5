"""Links the chair manages (issue 19 #7) through the real server: a re-issued key refused over HTTP
and over the socket, the open sockets of the old key closed within a second or two, on one process
(SQLite) and across two processes sharing the meeting through Redis."""

from __future__ import annotations

import json
import time

import pytest
import requests
import socketio

from support import (Client, RawSocket, connect_socket, key_of, processes_on_redis, rapporteur_key,
                     wait_until)

CLOSED_WITHIN = 2.5  # seconds: "within a second or two" (the heartbeat is 0.5 s)


def refused_over_http(server_url: str, meeting_id: str, key: str) -> None:
    board = requests.get(f"{server_url}/m/{meeting_id}/board?key={key}", allow_redirects=False, timeout=10)
    assert board.status_code == 403, board.status_code
    state = requests.get(f"{server_url}/api/m/{meeting_id}/state?key={key}", timeout=10)
    assert state.status_code == 401 and state.json()["error"]["code"] == "unauthorized"
    # a browser that kept the old key in its cookie is refused too
    cookie = {f"fk_{meeting_id}_board": key}
    assert requests.get(f"{server_url}/m/{meeting_id}/board", cookies=cookie, timeout=10).status_code == 403


def refused_over_socket(server_url: str, meeting_id: str, key: str) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect_socket(server_url, meeting_id, key, lambda e: None)
    raw = RawSocket(server_url)  # the refusal's reason, as a page's client reads it
    try:
        raw.ws.send("40" + json.dumps({"meeting": meeting_id, "key": key}))
        reply = raw.recv()
        assert reply.startswith("44") and json.loads(reply[2:])["message"] == "unauthorized", reply
    finally:
        raw.close()


def closed_soon(client: Client, what: str) -> float:
    start = time.monotonic()
    wait_until(lambda: not client.sio.connected, what, timeout=CLOSED_WITHIN)
    return time.monotonic() - start


def test_reissue_on_one_process(live_server, connect):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    old = rapporteur_key(links, "africa")
    chair = connect(live_server.url, mid, key_of(links["chair_url"]))
    board = connect(live_server.url, mid, old, name="Amina")
    other = connect(live_server.url, mid, rapporteur_key(links, "americas"))
    plenary = connect(live_server.url, mid, key_of(links["plenary_url"]))
    assert board.op("contribution.add", question_id="s2-q1", text="Before", kind="gap",
                    agreement="consensus")["ok"]

    ack = chair.op("link.reissue", role="rapporteur", group_id="africa")
    assert ack["ok"], ack
    new = key_of(ack["url"])
    assert ack["url"] == f"{live_server.url}/m/{mid}/board?key={new}" and new != old
    closed_soon(board, "the old key's socket to be closed")
    assert other.sio.connected and plenary.sio.connected and chair.sio.connected
    event = plenary.wait_for(lambda e: e["type"] == "link.reissued")
    assert event["role"] == "rapporteur" and event["group_id"] == "africa" and old not in str(event)
    refused_over_http(live_server.url, mid, old)
    refused_over_socket(live_server.url, mid, old)

    # the new link works: page, cookie, socket
    page = requests.get(ack["url"], timeout=10)
    assert page.status_code == 200 and page.history[0].status_code == 303
    fresh = connect(live_server.url, mid, new)
    assert fresh.op("contribution.add", question_id="s2-q1", text="After", kind="gap",
                    agreement="consensus")["ok"]

    # the chair's list of links holds the new one, with its QR code; only the chair reads it
    listed = requests.get(f"{live_server.url}/api/m/{mid}/links?key={key_of(links['chair_url'])}", timeout=10)
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    rows = listed.json()["links"]
    africa = next(r for r in rows if r["group_id"] == "africa")
    assert africa["url"] == ack["url"] and africa["qr"].startswith("data:image/svg+xml")
    assert [r["role"] for r in rows[:3]] == ["plenary", "translator", "curator"]
    assert rows[2]["url"] == links["curator_url"] and "/synthesis?key=" in rows[2]["url"]
    assert {r["group_id"] for r in rows if r["role"] == "rapporteur"} == {g["id"] for g in links["groups"]}
    assert old not in listed.text
    for key in (key_of(links["plenary_url"]), new):
        assert requests.get(f"{live_server.url}/api/m/{mid}/links?key={key}", timeout=10).status_code == 403


def test_reissuing_the_plenary_link_closes_every_screen_of_it(live_server, connect):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    chair = connect(live_server.url, mid, key_of(links["chair_url"]))
    screens = [connect(live_server.url, mid, key_of(links["plenary_url"])) for _ in range(3)]
    ack = chair.op("link.reissue", role="plenary")
    assert ack["ok"] and "/plenary?key=" in ack["url"], ack
    for screen in screens:
        closed_soon(screen, "every plenary screen of the old key to be closed")
    assert chair.sio.connected
    refused_over_socket(live_server.url, mid, key_of(links["plenary_url"]))
    assert connect(live_server.url, mid, key_of(ack["url"])).sio.connected


@pytest.fixture
def two_processes(tmp_path, redis_url):
    with processes_on_redis(tmp_path, redis_url, {"FACILITATOR_SYNTHESIS_ENGINE": "lexical"}) as servers:
        yield servers


def test_reissue_closes_the_old_key_on_another_process_through_redis(two_processes, connect):
    a, b = two_processes
    links = a.create_meeting()
    mid = links["meeting_id"]
    old_board, old_translator = rapporteur_key(links, "mena"), key_of(links["translator_url"])
    old_curator = key_of(links["curator_url"])
    chair = connect(a.url, mid, key_of(links["chair_url"]))
    # the old keys' sockets are on the other process, which did not handle the op
    on_b = [connect(b.url, mid, old_board, name="Layla"), connect(b.url, mid, old_translator),
            connect(b.url, mid, old_curator)]
    on_a = connect(a.url, mid, old_board)
    stays = connect(b.url, mid, rapporteur_key(links, "africa"))
    assert on_b[0].op("contribution.add", question_id="s2-q1", text="قبل", kind="gap",
                      agreement="consensus", lang="ar")["ok"]

    board_ack = chair.op("link.reissue", role="rapporteur", group_id="mena")
    translator_ack = chair.op("link.reissue", role="translator")
    curator_ack = chair.op("link.reissue", role="curator")
    assert board_ack["ok"] and translator_ack["ok"] and curator_ack["ok"], (board_ack, translator_ack, curator_ack)
    assert curator_ack["url"].startswith(f"{a.url}/m/{mid}/synthesis?key=")
    closed_soon(on_a, "the old key's socket on the process that re-issued it to be closed")
    for client in on_b:
        closed_soon(client, "the old key's socket on the other process to be closed")
    assert stays.sio.connected and chair.sio.connected
    for server in (a, b):
        refused_over_http(server.url, mid, old_board)
        refused_over_socket(server.url, mid, old_board)
        refused_over_socket(server.url, mid, old_translator)
        refused_over_socket(server.url, mid, old_curator)
        assert requests.get(f"{server.url}/api/m/{mid}/state?key={old_curator}", timeout=10).status_code == 401
    fresh = connect(b.url, mid, key_of(board_ack["url"]))
    assert fresh.op("contribution.add", question_id="s2-q1", text="بعد", kind="gap",
                    agreement="consensus", lang="ar")["ok"]
