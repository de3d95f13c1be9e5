"""The cluster's heartbeat, leases and presence on a real Redis, without servers (cluster.py,
presence.py); tests/test_balancer.py runs the same through real processes and nginx."""

from __future__ import annotations

import uuid

import pytest

from support import wait_until
from facilitator.store import OutageLog
from facilitator.web.cluster import open_cluster
from facilitator.web.presence import RedisPresence


@pytest.fixture
def prefix(redis_url):
    import redis

    name = f"test-cl-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{name}:*", count=1000))
    if keys:
        client.delete(*keys)


def process(redis_url, prefix, name):
    cluster = open_cluster(redis_url, prefix, name, OutageLog())
    return cluster, RedisPresence(cluster.r, prefix, cluster)


def test_one_owner_a_dead_owner_replaced_and_its_presence_cleared(redis_url, prefix):
    one, one_presence = process(redis_url, prefix, "host:8001")
    two, two_presence = process(redis_url, prefix, "host:8002")
    three, _ = process(redis_url, prefix, "host:8003")
    buried = {two.id: [], three.id: []}
    two.on_dead.append(buried[two.id].append)
    three.on_dead.append(buried[three.id].append)
    for cluster, presence in ((two, two_presence), (three, RedisPresence(three.r, prefix, three))):
        cluster.on_dead.append(presence.clear_process)  # as cluster.attach does
    for cluster in (one, two, three):
        cluster.beat()

    assert one.owns("m1") and one.owns("m1")
    assert not two.owns("m1") and not three.owns("m1")
    assert two.owner("m1") == one.id and one.id.startswith("host:8001:")
    assert two.owns("m2") and not one.owns("m2")

    one_presence.add("m1", "group:africa", "sid-of-amina", "Amina")
    two_presence.add("m1", "group:africa", "sid-of-kofi", "Kofi")
    assert [c["name"] for c in two_presence.list("m1", "group:africa")] == ["Amina", "Kofi"]

    # `one` stops beating, as after kill -9. Its entry stops being listed once its heartbeat
    # lapses; then a live process takes its meeting and only one of them clears up after it.
    def listed():
        two.beat()
        three.beat()
        return [c["name"] for c in two_presence.list("m1", "group:africa")] == ["Kofi"]

    wait_until(listed, "the dead process's presence to stop being listed", timeout=10)

    def moved():
        two.beat()
        three.beat()
        return two.owner("m1") in (two.id, three.id)

    wait_until(moved, "the meeting to move", timeout=10)
    assert one.id in buried[two.id] + buried[three.id]
    assert (buried[two.id] + buried[three.id]).count(one.id) == 1
    import redis

    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    assert list(raw.hgetall(f"{prefix}:m:m1:presence:group:africa")) == ["sid-of-kofi"]
    assert not raw.sismember(f"{prefix}:procs", one.id)
    assert two.owns("m2")  # the living keep their own


def test_presence_clear_names_the_boards_to_tell(redis_url, prefix):
    one, one_presence = process(redis_url, prefix, "host:8001")
    one.beat()
    one_presence.add("m1", "group:africa", "a", "Amina")
    one_presence.add("m2", "group:mena", "b", "Badr")
    assert sorted(one_presence.clear_process(one.id)) == [("m1", "group:africa"), ("m2", "group:mena")]
    assert one_presence.list("m1", "group:africa") == []


def test_only_the_owner_hears_each_event_once_whoever_appended_it(tmp_path):
    """Two hubs on one store stand for two processes: the non-owner appends and emits its own
    events but its live views hear nothing; the owner's hear every event once, in log order,
    its own as it appends them and the other's as it catches up."""
    from facilitator import provisioning
    from facilitator.meeting import roles
    from facilitator.meeting.agenda import load_agenda
    from facilitator.store.sqlite import SQLiteStore
    from facilitator.web.hub import Hub

    store = SQLiteStore(str(tmp_path / "facilitator.sqlite3"))
    try:
        meeting_id, _ = provisioning.create_meeting(store, load_agenda("grcp7"))
        emitted = {"owner": [], "other": []}
        heard = {"owner": [], "other": []}
        hubs = {}
        for name, owns in (("owner", True), ("other", False)):
            hubs[name] = Hub(store, emit=lambda room, payload, n=name: emitted[n].append(payload["seq"]),
                             owns=lambda m, o=owns: o)
            hubs[name].listeners.append(lambda m, state, event, n=name: heard[n].append(event["seq"]))
        start = hubs["owner"].state(meeting_id).seq
        heard["owner"].clear()
        rapporteur = roles.Actor(roles.RAPPORTEUR, group_id="africa")
        seqs = []
        for n, name in enumerate(["owner", "other", "other", "owner", "other"]):
            ack = hubs[name].submit(meeting_id, rapporteur, {
                "op_id": f"op-{n}", "type": "contribution.add", "question_id": "s2-q1",
                "text": f"text {n}", "kind": "good_practice", "agreement": "consensus"})
            assert ack["ok"], ack
            seqs.append(ack["seq"])
        hubs["owner"].state(meeting_id)  # what the owner's heartbeat does every beat
        assert seqs == list(range(start + 1, start + 6))
        assert heard["owner"] == seqs
        assert heard["other"] == []
        # Each process emits what it appended, once: nobody emits an event twice.
        assert sorted(set(emitted["owner"]) & set(emitted["other"])) == []
        assert sorted(set(emitted["owner"]) | set(emitted["other"])) == seqs
    finally:
        store.close()
