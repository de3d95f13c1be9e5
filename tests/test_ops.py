"""Ops, the fold and who may do what, in process: the hub on a real SQLite store, a clock moved by
hand, clients that do what a socket connection does with the hub (tests/support.py's HubClient).
What only a server shows (sockets, keys in cookies, rate limits, kill -9, two processes) stays in
test_realtime.py."""

from __future__ import annotations

import random
import uuid

import pytest

from facilitator.meeting.errors import CODES
from facilitator.meeting.ops import HANDLERS
from facilitator.meeting.state import fold
from support import Refused

Q = "s2-q1"  # a Session 2 sub-group question


def add(client, text: str, question_id: str = Q, **kw) -> dict:
    fields = {"question_id": question_id, "text": text, "kind": "good_practice", "agreement": "consensus"}
    fields.update(kw)
    return client.op("contribution.add", **fields)


def rapporteur(meeting, group_id: str, name: str | None = None):
    return meeting.connect(meeting.rapporteur_key(group_id), name=name)


def test_each_audience_gets_what_it_is_entitled_to(meeting):
    one = rapporteur(meeting, "africa", name="Amina")
    two = rapporteur(meeting, "africa", name="Kofi")
    plenary = meeting.connect(meeting.plenary_key)
    europe = rapporteur(meeting, "europe-central-asia")

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
    assert not [e for e in europe.events if e["type"].startswith("contribution.")]

    # Edits by the second rapporteur reach the first; the author stays who typed it.
    cid = one.events[-1]["contribution"]["id"]
    assert two.op("contribution.edit", contribution_id=cid, version=1, text="تبادل الممارسات الجيدة")["ok"]
    edited = one.wait_for(lambda e: e["type"] == "contribution.edited")
    assert edited["contribution"]["text"] == "تبادل الممارسات الجيدة"
    assert edited["contribution"]["version"] == 2
    assert edited["contribution"]["author"]["name"] == "Amina"
    assert edited["contribution"]["edited_by"]["name"] == "Kofi"

    # What a page loads has the same contribution shape as the event, plus its translations.
    (c,) = [c for c in plenary.view()["contributions"] if c["id"] == cid]
    assert c == dict(edited["contribution"], translations={})
    assert [c["id"] for c in europe.view()["contributions"]] == []


def test_retried_op_is_applied_once(meeting):
    rap = rapporteur(meeting, "mena")
    op_id = str(uuid.uuid4())
    first = add(rap, "Regional data sharing", op_id=op_id)
    again = add(rap, "Regional data sharing", op_id=op_id)
    assert first["ok"] and again["ok"]
    assert again == first  # the first ack, exactly
    added = [e for e in rap.sync(0)["events"] if e["type"] == "contribution.added"]
    assert len(added) == 1
    assert len([e for e in rap.events if e["type"] == "contribution.added"]) == 1  # emitted once
    # The same op id from another key is another op, never taken for a retry.
    other = add(rapporteur(meeting, "africa"), "Regional data sharing", op_id=op_id)
    assert other["ok"] and other["seq"] == first["seq"] + 1


def test_stale_edit_gets_conflict_with_current_text(meeting):
    one, two = rapporteur(meeting, "africa"), rapporteur(meeting, "africa")
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


def test_other_groups_board_is_refused_and_roles_come_from_the_key(meeting):
    africa = rapporteur(meeting, "africa")
    europe = rapporteur(meeting, "europe-central-asia")
    add(africa, "Africa's item")
    cid = africa.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]
    for type_, fields in [
        ("contribution.edit", {"contribution_id": cid, "version": 1, "text": "hijack"}),
        ("contribution.delete", {"contribution_id": cid}),
        ("contribution.move", {"contribution_id": cid, "index": 0}),
        ("contribution.restore", {"contribution_id": cid}),
    ]:
        ack = europe.op(type_, **fields)
        assert ack == {"ok": False, "error": {"code": "forbidden", "message": ack["error"]["message"]}}
    # The payload cannot claim another group, nor another author: both come from the key.
    ack = add(europe, "sneaky", group_id="africa", author={"role": "chair"}, by={"role": "chair"})
    assert ack["ok"]
    sneaky = europe.wait_for(lambda e: e["type"] == "contribution.added")
    assert sneaky["contribution"]["group_id"] == "europe-central-asia"
    assert sneaky["contribution"]["author"] == {"role": "rapporteur", "group_id": "europe-central-asia"}
    assert sneaky["by"] == {"role": "rapporteur", "group_id": "europe-central-asia"}
    # A rapporteur cannot send chair ops.
    assert africa.op("session.set", session_id="s3-followup")["error"]["code"] == "forbidden"
    assert africa.op("board.lock", group_id="all", locked=True)["error"]["code"] == "forbidden"
    # A plenary screen cannot write, nor vote.
    plenary = meeting.connect(meeting.plenary_key)
    assert add(plenary, "x")["error"]["code"] == "forbidden"
    assert plenary.op("session.set", session_id="s2-groups")["error"]["code"] == "forbidden"
    # Wrong or missing keys, or another meeting: no actor, so the connection is refused.
    for key in ("wrong", "", None, meeting.secrets["join_code"]):
        with pytest.raises(Refused):
            meeting.connect(key)
    assert meeting.hub.authenticate("nope", meeting.chair_key) is None
    assert meeting.hub.authenticate(None, meeting.chair_key) is None


def test_bad_input_gets_stable_codes_and_changes_nothing(meeting):
    rap = rapporteur(meeting, "americas")
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
    for message in ["just a string", 42, None, [1, 2], {"type": "contribution.add"},
                    {"op_id": 5, "type": "contribution.add"}, {"op_id": "", "type": "contribution.add"},
                    {"op_id": "x" * 101, "type": "contribution.add"}]:
        ack = rap.raw_op(message)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", (message, ack)
    assert rap.sync(0)["seq"] == before  # nothing was appended
    assert rap.events == []  # nor sent to anyone
    # The hub still works.
    assert add(rap, "still works")["ok"]
    # A locked board, then one locked with all the others.
    chair = meeting.connect(meeting.chair_key)
    assert chair.op("board.lock", group_id="americas", locked=True)["ok"]
    assert add(rap, "too late")["error"]["code"] == "locked"
    assert chair.op("board.lock", group_id="americas", locked=False)["ok"]
    assert add(rap, "open again")["ok"]
    assert chair.op("board.lock", group_id="all", locked=True)["ok"]
    assert add(rap, "all locked")["error"]["code"] == "locked"
    assert chair.op("board.lock", group_id="nowhere", locked=True)["error"]["code"] == "not_found"


def test_move_delete_restore_keep_order(meeting):
    rap = rapporteur(meeting, "asia-pacific")
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
    # The fold of the stored log is the hub's state: the order a reload shows.
    folded = fold(meeting.hub.store.read(meeting.id))
    assert folded.order == meeting.hub.state(meeting.id).order
    assert folded.order["asia-pacific|s2-q1"] == [ids[2], ids[0]]
    assert folded.order["asia-pacific|s2-q3"] == [ids[1]]


def test_chair_moves_session_and_everyone_hears(meeting):
    chair = meeting.connect(meeting.chair_key)
    rap = rapporteur(meeting, "africa")
    plenary = meeting.connect(meeting.plenary_key)
    assert chair.op("session.set", session_id="nope")["error"]["code"] == "not_found"
    ack = chair.op("session.set", session_id="s2-groups")
    assert ack["ok"]
    for client in (chair, rap, plenary):
        assert client.wait_for(lambda e: e["type"] == "session.changed")["session_id"] == "s2-groups"
    state = rap.view()
    assert state["session_id"] == "s2-groups" and state["role"] == "rapporteur" and state["group_id"] == "africa"
    # The chair fills the plenary board of a plenary session.
    ack = chair.op("contribution.add", question_id="s2p-q4", text="Recurring: data", kind="other", agreement="consensus")
    assert ack["ok"], ack
    assert plenary.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["group_id"] == "plenary"
    # ...but must name the board of a group session.
    ack = chair.op("contribution.add", question_id=Q, text="Whose?", kind="other", agreement="consensus")
    assert ack["error"]["code"] == "invalid"


def test_prev_lets_a_client_notice_a_gap(meeting):
    africa = rapporteur(meeting, "africa")
    mena = rapporteur(meeting, "mena")
    first = add(africa, "a1")
    add(mena, "m1")  # invisible to Africa
    second = add(africa, "a2")
    e1 = africa.wait_for(lambda e: e["seq"] == first["seq"])
    e2 = africa.wait_for(lambda e: e["seq"] == second["seq"])
    assert e2["prev"] == e1["seq"]  # Africa missed nothing it was entitled to
    sync = africa.sync(0)
    assert all(e["type"] != "contribution.added" or e["contribution"]["group_id"] == "africa" for e in sync["events"])
    assert sync["seq"] == second["seq"]
    for bad in (-1, "3", True, 1.5, 2**63):
        assert africa.sync(bad)["error"]["code"] == "invalid"


def test_times_come_from_the_hubs_clock(meeting, clock):
    chair = meeting.connect(meeting.chair_key)
    rap = rapporteur(meeting, "africa")
    start = clock()
    assert chair.op("timer.start", seconds=300)["ok"]
    started = chair.wait_for(lambda e: e["type"] == "timer.started")
    assert started["ts"] == start and started["ends_at"] == start + 300
    clock.advance(42)
    view = rap.view()
    assert view["server_time"] == start + 42 and view["timer"]["ends_at"] == start + 300
    assert add(rap, "later")["ok"]
    added = rap.wait_for(lambda e: e["type"] == "contribution.added")
    assert added["ts"] == start + 42 and added["contribution"]["created_at"] == start + 42
    for seconds in (0, 6 * 3600 + 1, "300", True):
        assert chair.op("timer.start", seconds=seconds)["error"]["code"] == "invalid"
    assert chair.op("timer.stop")["ok"]
    assert rap.view()["timer"] is None


def test_random_garbage_never_breaks_the_hub(meeting):
    """Every malformed op gets a documented error code, never an exception; the log still folds."""
    rng = random.Random(2026)
    clients = [rapporteur(meeting, "africa"), meeting.connect(meeting.chair_key)]
    add(clients[0], "a real one")
    real_id = clients[0].wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]

    types = list(HANDLERS) + ["", "contribution", "x" * 500]
    values = [None, True, False, 0, -1, 2**63, 1.5, "", " ", "x" * 3000, "s2-q1", real_id, "all",
              "c-" + real_id, [], [real_id], {}, {"a": 1}, "\u0000\u202e", "<script>", "yes"]
    fields = ["question_id", "text", "kind", "agreement", "lang", "index", "contribution_id",
              "version", "session_id", "group_id", "locked", "seconds", "cluster_id", "into",
              "title", "marked", "order", "contribution_ids", "mode", "dots", "ballot_id",
              "choice", "prompt", "anonymous", "revealed", "id"]
    # Every message reaches the hub (no rate limit in between), so many more than over a socket.
    for i in range(3000):
        message = {"op_id": f"fuzz-{i}", "type": rng.choice(types)}
        for name in rng.sample(fields, rng.randint(0, 6)):
            message[name] = rng.choice(values)
        ack = rng.choice(clients).raw_op(message)
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (message, ack)
        if not ack["ok"]:
            assert ack["error"]["code"] in CODES, (message, ack)
    folded = fold(meeting.hub.store.read(meeting.id))
    assert folded.seq == meeting.hub.state(meeting.id).seq
    assert clients[1].op("board.lock", group_id="all", locked=False)["ok"]
    ack = add(clients[0], "still fine")
    assert ack["ok"], ack
