"""Participants join and vote over real clients; the results match exactly what was cast.

What a vote may be and who may cast it are tested in process in test_ballots.py."""

from __future__ import annotations

import random
import threading
import uuid

import requests

from support import CastVotes, Client, ServerProcess, key_of, synthesis_at


def group_key(links, gid):
    return key_of(next(g for g in links["groups"] if g["id"] == gid)["rapporteur_url"])


def join(server_url, links, region=None, lang="en"):
    mid = links["meeting_id"]
    r = requests.post(f"{server_url}/api/m/{mid}/participants",
                      json={"code": links["join_code"].lower(), "region": region, "lang": lang})
    assert r.status_code == 200, r.text
    return r.json()["key"]


def practices(server_url, links, connect, n=3):
    mid = links["meeting_id"]
    ids = []
    for i, gid in enumerate(["africa", "europe-central-asia", "mena"][:n]):
        rap = connect(server_url, mid, group_key(links, gid))
        ack = rap.op("contribution.add", question_id="s2-q1", text=f"Practice {i} from {gid}",
                     kind="good_practice", agreement="consensus")
        assert ack["ok"], ack
        ids.append(rap.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"])
    return ids


def test_join_code_and_errors(live_server, connect):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    found = requests.get(f"{live_server.url}/api/join/{links['join_code'].lower()}").json()
    assert found["meeting_id"] == mid and {r["id"] for r in found["regions"]} >= {"africa", "mena"}
    assert requests.get(f"{live_server.url}/api/join/ZZZZZZ").status_code == 404
    bad = requests.post(f"{live_server.url}/api/m/{mid}/participants", json={"code": "WRONG1"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    bad = requests.post(f"{live_server.url}/api/m/{mid}/participants", json={"code": links["join_code"], "region": "mars"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    key = join(live_server.url, links, region=None)
    voter = connect(live_server.url, mid, key)
    # A participant key cannot send chair or rapporteur ops.
    assert voter.op("ballot.open", contribution_ids=["x"])["error"]["code"] == "forbidden"
    assert voter.op("contribution.add", question_id="s2-q1", text="x", kind="gap", agreement="consensus")["error"]["code"] == "forbidden"
    assert voter.op("vote.cast", ballot_id="b9", contribution_id="x", choice="yes")["error"]["code"] == "not_found"


def test_two_hundred_participants_vote_in_a_burst(tmp_path, connect):
    server = ServerProcess(str(tmp_path)).start()
    try:
        links = server.create_meeting()
        mid = links["meeting_id"]
        ids = practices(server.url, links, connect)
        chair = connect(server.url, mid, key_of(links["chair_url"]))
        plenary = connect(server.url, mid, key_of(links["plenary_url"]))
        ack = chair.op("ballot.open", contribution_ids=ids, mode="yes_no", prompt="Could this work in your region?")
        assert ack["ok"], ack
        ballot = chair.wait_for(lambda e: e["type"] == "ballot.opened")["ballot"]
        regions = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena", None]
        rng = random.Random(7)
        voters = []
        for i in range(200):
            region = regions[i % len(regions)]
            voters.append((region, join(server.url, links, region=region)))
        cast = CastVotes(ids)
        errors = []

        def vote(batch):
            for region, key in batch:
                client = Client(server.url, mid, key)
                try:
                    for cid in ids:
                        first = rng.choice(["yes", "no", "unsure"])
                        final = rng.choice(["yes", "no", "unsure"])
                        for choice in (first, final):  # a re-vote replaces, never adds
                            a = client.op("vote.cast", ballot_id=ballot["id"], contribution_id=cid, choice=choice)
                            if not a.get("ok"):
                                errors.append(a)
                        cast.final(cid, region, final)
                finally:
                    client.close()

        threads = [threading.Thread(target=vote, args=(voters[i::8],)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        url = f"{server.url}/api/m/{mid}/ballots/{ballot['id']}"
        results = requests.get(url, params={"key": key_of(links["chair_url"])}).json()
        assert results["ballot_id"] == ballot["id"] and results["status"] == "open"
        cast.check(results, turnout=200)
        # Results reach the chair live, coalesced, and not the plenary before the reveal.
        last = chair.wait_for(lambda e: e["type"] == "ballot.results" and sum(e["results"]["results"][0]["counts"].values()) == 200)
        assert last["live"] is True
        pushed = [e for e in chair.events if e["type"] == "ballot.results"]
        assert len(pushed) < 200
        assert not [e for e in plenary.events if e["type"] == "ballot.results"]
        assert requests.get(url, params={"key": key_of(links["plenary_url"])}).status_code == 403
        assert chair.op("ballot.reveal", ballot_id=ballot["id"])["ok"]
        plenary.wait_for(lambda e: e["type"] == "ballot.results")
        assert requests.get(url, params={"key": key_of(links["plenary_url"])}).status_code == 200
        # No vote event ever reaches a screen, and nothing links a vote to a voter.
        for client in (chair, plenary):
            assert not [e for e in client.events if e["type"] == "vote.cast"]
        assert "participant" not in str(results).replace("participants", "")
        # A closed ballot refuses votes.
        assert chair.op("ballot.close", ballot_id=ballot["id"])["ok"]
        late = Client(server.url, mid, voters[0][1])
        try:
            assert late.op("vote.cast", ballot_id=ballot["id"], contribution_id=ids[0], choice="yes")["error"]["code"] == "closed"
        finally:
            late.close()
    finally:
        server.stop()


def test_simultaneous_votes_on_redis_all_count(tmp_path, redis_url, connect):
    """More voters at the same instant than redis-py's default pool has connections (100)."""
    server = ServerProcess(str(tmp_path), redis_url=redis_url,
                           env={"FACILITATOR_OP_RATE": "1000", "FACILITATOR_OP_BURST": "1000"}).start()
    clients = []
    try:
        links = server.create_meeting()
        mid = links["meeting_id"]
        ids = practices(server.url, links, connect, n=1)
        chair = connect(server.url, mid, key_of(links["chair_url"]))
        assert chair.op("ballot.open", contribution_ids=ids)["ok"]
        ballot_id = chair.wait_for(lambda e: e["type"] == "ballot.opened")["ballot"]["id"]
        clients = [Client(server.url, mid, join(server.url, links, region="africa")) for _ in range(150)]
        start = threading.Barrier(len(clients))
        acks = []

        def vote(client):
            start.wait()
            acks.append(client.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0], choice="yes", timeout=60))

        threads = [threading.Thread(target=vote, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [a for a in acks if not a["ok"]] == []
        results = requests.get(f"{server.url}/api/m/{mid}/ballots/{ballot_id}", params={"key": key_of(links["chair_url"])}).json()
        assert results["results"][0]["counts"] == {"yes": 150, "no": 0, "unsure": 0}
    finally:
        for client in clients:
            client.close()
        server.stop()
        server.cleanup_redis()


def test_regions_that_split_feed_the_diverging_points(live_server, connect):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    ids = practices(live_server.url, links, connect, n=2)
    chair = connect(live_server.url, mid, key_of(links["chair_url"]))
    assert chair.op("ballot.open", contribution_ids=ids)["ok"]
    ballot_id = chair.wait_for(lambda e: e["type"] == "ballot.opened")["ballot"]["id"]
    # Africa says yes to the first practice, MENA says no; everybody says no to the second.
    for region, choice in (("africa", "yes"), ("mena", "no")):
        for _ in range(3):
            voter = connect(live_server.url, mid, join(live_server.url, links, region=region))
            assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0], choice=choice)["ok"]
            last = voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[1], choice="no")
            assert last["ok"]
    results = requests.get(f"{live_server.url}/api/m/{mid}/ballots/{ballot_id}", params={"key": key_of(links["chair_url"])}).json()
    split, all_no = results["results"]
    assert split["divergence"] > 0.9 and all_no["divergence"] == 0
    assert split["by_region"]["africa"]["yes"] == 3 and split["by_region"]["mena"]["no"] == 3
    synthesis = synthesis_at(live_server.url, mid, key_of(links["chair_url"]), last["seq"], question="s2-q1")
    diverging = synthesis["questions"][0]["diverging"]
    split_points = [d for d in diverging if d["reason"] == "regions_split"]
    assert [d["contributions"] for d in split_points] == [[ids[0]]]
