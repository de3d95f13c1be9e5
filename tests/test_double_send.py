"""Two tabs of one page, two sockets of one key sending the same op ids, through the real server
on real Redis (issue 20, 4), while honest voters vote. Every copy of an op is answered the seq the
op got, the log holds each op once, and no honest op is refused. The interleavings that make a copy
land just after its op's commit are pinned in process (tests/test_group_commit.py); here the
real server meets them as they come."""

from __future__ import annotations

import random
import threading
import time
import uuid

import requests

from support import Client, key_of, rapporteur_key

OPS = 30
VOTERS = 12


def test_two_sockets_sending_the_same_ops_cost_the_honest_voters_nothing(redis_server):
    links = redis_server.create_meeting()
    mid = links["meeting_id"]
    url = redis_server.url
    chair = Client(url, mid, key_of(links["chair_url"]))
    tabs = [Client(url, mid, rapporteur_key(links, "africa")) for _ in range(2)]
    others = [Client(url, mid, rapporteur_key(links, g)) for g in ("mena", "europe-central-asia")]
    clients = [chair, *tabs, *others]
    try:
        ids = []
        for rap in others:
            ack = rap.op("contribution.add", question_id="s2-q1", text="A practice to vote on",
                         kind="good_practice", agreement="consensus")
            assert ack["ok"], ack
            ids.append(rap.wait_for(lambda e, s=ack["seq"]: e.get("seq") == s)["contribution"]["id"])
        opened = chair.op("ballot.open", contribution_ids=ids, mode="yes_no")
        assert opened["ok"], opened
        ballot_id = chair.wait_for(lambda e: e.get("type") == "ballot.opened")["ballot"]["id"]
        voters = []
        for i in range(VOTERS):
            r = requests.post(f"{url}/api/m/{mid}/participants", timeout=30,
                              json={"code": links["join_code"], "region": None, "lang": "en"})
            r.raise_for_status()
            voters.append(Client(url, mid, r.json()["key"]))
        clients += voters

        honest: list[dict] = []
        stop = threading.Event()

        def vote(voter, n):
            while not stop.is_set():
                honest.append(voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0],
                                       choice=("yes", "no", "unsure")[n % 3], timeout=30))
                n += 1

        threads = [threading.Thread(target=vote, args=(v, i)) for i, v in enumerate(voters)]
        for t in threads:
            t.start()
        rng = random.Random(20)
        pairs = []
        for n in range(OPS):
            message = {"op_id": uuid.uuid4().hex, "type": "contribution.add", "question_id": "s2-q1",
                       "text": f"Sent from two tabs {n}", "kind": "good_practice",
                       "agreement": "consensus"}
            got = [None, None]

            def send(i, delay, message=message, got=got):
                time.sleep(delay)
                got[i] = tabs[i].raw_op(dict(message), timeout=30)

            both = [threading.Thread(target=send, args=(0, 0.0)),
                    threading.Thread(target=send, args=(1, rng.random() * 0.015))]
            for t in both:
                t.start()
            for t in both:
                t.join()
            pairs.append(got)
        stop.set()
        for t in threads:
            t.join(60)

        for first, second in pairs:
            assert first["ok"] and first == second, (first, second)
        assert len({first["seq"] for first, _ in pairs}) == OPS
        log, after = [], 0
        while True:  # the chair's view of the log, page by page
            page = chair.sync(after)
            log += page["events"]
            after = page["seq"]
            if not page.get("more"):
                break
        texts = [e["contribution"]["text"] for e in log if e["type"] == "contribution.added"
                 and e["contribution"]["text"].startswith("Sent from two tabs")]
        assert sorted(texts) == sorted(f"Sent from two tabs {n}" for n in range(OPS))
        assert honest and all(a["ok"] for a in honest), [a for a in honest if not a["ok"]][:3]
    finally:
        for client in clients:
            client.close()
