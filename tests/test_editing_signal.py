"""Who is editing what (issue 19, item 6): the `editing` signal over a real socket to a real
server, and presence keeping it, in memory and on a real Redis.

- a rapporteur's signal reaches the group's other boards and the chair in `presence`, with its
  name, and the state endpoint; never another group; a disconnect takes it away;
- it is never an event of the log (the meeting's seq does not move, `sync` returns nothing);
- it is bounded per connection (a burst beyond 6 is refused `rate_limited`, unbroadcast), and a
  signal that changes nothing pushes nothing;
- only a rapporteur, on its own group's contributions.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from support import key_of, wait_until
from facilitator.store import OutageLog
from facilitator.web.cluster import open_cluster
from facilitator.web.presence import Presence, RedisPresence

Q = "s2-q1"


def group_key(meeting, group_id):
    return key_of(next(g for g in meeting["groups"] if g["id"] == group_id)["rapporteur_url"])


def presences(client, group_id="africa"):
    return [e for e in client.events if e.get("type") == "presence" and e.get("group_id") == group_id]


def editing_of(event):
    return {c["name"]: c.get("editing") for c in event["clients"]}


@pytest.fixture
def meeting(live_server, connect):
    created = live_server.create_meeting()
    chair = connect(live_server.url, created["meeting_id"], key_of(created["chair_url"]))
    assert chair.op("session.set", session_id="s2-groups")["ok"]
    created["chair"] = chair
    return created


def test_the_group_sees_who_edits_what_and_the_log_never_does(live_server, meeting, connect):
    mid, chair = meeting["meeting_id"], meeting["chair"]
    amina = connect(live_server.url, mid, group_key(meeting, "africa"), name="Amina")
    kofi = connect(live_server.url, mid, group_key(meeting, "africa"), name="Kofi")
    americas = connect(live_server.url, mid, group_key(meeting, "americas"), name="Rosa")
    ack = amina.op("contribution.add", id="item-africa-01", question_id=Q, text="Portable pensions.",
                   kind="good_practice", agreement="consensus")
    assert ack["ok"], ack
    seq = ack["seq"]
    kofi.wait_for(lambda e: e.get("type") == "contribution.added")

    assert amina.sio.call("editing", {"contribution_id": "item-africa-01"}, timeout=10) == {"ok": True}
    for client in (kofi, chair):
        client.wait_for(lambda e: e.get("type") == "presence"
                        and editing_of(e).get("Amina") == "item-africa-01")
    seen = presences(kofi)[-1]
    assert editing_of(seen) == {"Amina": "item-africa-01", "Kofi": None}
    assert seen["live"] is True and seen["seq"] == seq
    # the state endpoint gives it to a board that loads now
    state = requests.get(f"{live_server.url}/api/m/{mid}/state",
                         params={"key": group_key(meeting, "africa")}, timeout=10).json()
    assert editing_of({"clients": state["presence"]["africa"]})["Amina"] == "item-africa-01"
    # the same signal again changes nothing and pushes nothing
    pushed = len(presences(kofi))
    assert amina.sio.call("editing", {"contribution_id": "item-africa-01"}, timeout=10) == {"ok": True}
    assert amina.sio.call("editing", {"contribution_id": None}, timeout=10) == {"ok": True}
    wait_until(lambda: len(presences(kofi)) == pushed + 1, "the presence of the closed editor")
    assert editing_of(presences(kofi)[-1]) == {"Amina": None, "Kofi": None}
    # never in the log, never to another group
    assert kofi.sync(seq)["events"] == [] and kofi.sync(seq)["seq"] == seq
    assert chair.sync(0)["seq"] == seq
    assert presences(americas) == []
    # gone with its connection
    assert amina.sio.call("editing", {"contribution_id": "item-africa-01"}, timeout=10) == {"ok": True}
    wait_until(lambda: len(presences(kofi)) == pushed + 2, "the presence of the reopened editor")
    amina.close()
    wait_until(lambda: len(presences(kofi)) == pushed + 3, "the presence without Amina")
    assert editing_of(presences(kofi)[-1]) == {"Kofi": None}


def test_only_a_rapporteur_on_its_own_board_and_within_its_rate(live_server, meeting, connect):
    mid, chair = meeting["meeting_id"], meeting["chair"]
    amina = connect(live_server.url, mid, group_key(meeting, "africa"), name="Amina")
    kofi = connect(live_server.url, mid, group_key(meeting, "africa"), name="Kofi")
    rosa = connect(live_server.url, mid, group_key(meeting, "americas"), name="Rosa")
    # the refusals go through a second connection of Amina's: each connection has its own bucket,
    # so hers is full for the burst below
    probe = connect(live_server.url, mid, group_key(meeting, "africa"), name="Amina")
    for client, cid in ((amina, "item-africa-02"), (rosa, "item-americas-02")):
        assert client.op("contribution.add", id=cid, question_id=Q, text="Text of " + cid,
                         kind="gap", agreement="majority")["ok"]

    def code(client, message):
        ack = client.sio.call("editing", message, timeout=10)
        return ack["error"]["code"] if not ack["ok"] else "ok"

    assert code(rosa, {"contribution_id": "item-africa-02"}) == "not_found"  # another group's
    assert code(probe, {"contribution_id": "no-such-item"}) == "not_found"
    assert code(probe, {"contribution_id": 7}) == "invalid"
    assert code(probe, ["item-africa-02"]) == "invalid"
    assert code(chair, {"contribution_id": "item-africa-02"}) == "forbidden"

    # a burst: the first few pass, the rest are refused and push nothing
    wait_until(lambda: any(len(p.get("clients", [])) == 3 for p in presences(kofi)), "the probe's presence")
    before = len(presences(kofi))
    answers = [code(amina, {"contribution_id": "item-africa-02" if i % 2 == 0 else None})
               for i in range(20)]
    passed = answers.count("ok")
    assert 6 <= passed <= 8, answers  # 6 saved up, and what refilled during the burst
    assert set(answers[passed:]) == {"rate_limited"}, answers
    wait_until(lambda: len(presences(kofi)) >= before + passed, "the passed signals' presence")
    # ops are not held up by editing signals: they have buckets of their own
    assert amina.op("contribution.edit", contribution_id="item-africa-02", version=1, text="Edited")["ok"]
    # the edit's event comes after anything the refused signals could have pushed
    kofi.wait_for(lambda e: e.get("type") == "contribution.edited")
    assert len(presences(kofi)) == before + passed


def test_presence_keeps_editing_in_memory_and_on_redis(redis_url):
    prefix = f"test-ed-{uuid.uuid4().hex[:10]}"
    cluster = open_cluster(redis_url, prefix, "host:9001", OutageLog())
    cluster.beat()
    try:
        for presence in (Presence(), RedisPresence(cluster.r, prefix, cluster)):
            presence.add("m1", "group:africa", "sid-of-amina-0001", "Amina")
            presence.add("m1", "group:africa", "sid-of-kofi-00001", "Kofi")
            listed = presence.editing("m1", "group:africa", "sid-of-amina-0001", "Amina", "item-1")
            assert listed == [{"id": "sid-of-a", "name": "Amina", "editing": "item-1"},
                              {"id": "sid-of-k", "name": "Kofi"}]
            assert presence.editing("m1", "group:africa", "sid-of-amina-0001", "Amina", None) \
                == [{"id": "sid-of-a", "name": "Amina"}, {"id": "sid-of-k", "name": "Kofi"}]
            # a signal racing its own disconnect never brings the entry back
            presence.remove("m1", "group:africa", "sid-of-kofi-00001")
            assert presence.editing("m1", "group:africa", "sid-of-kofi-00001", "Kofi", "item-1") \
                == [{"id": "sid-of-a", "name": "Amina"}]
        # an entry written by an older server ([process, name]) still lists
        cluster.r.hset(f"{prefix}:m:m1:presence:group:africa", "sid-old-000000", f'["{cluster.id}", "Old"]')
        assert {"id": "sid-old-", "name": "Old"} in RedisPresence(cluster.r, prefix, cluster).list("m1", "group:africa")
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
