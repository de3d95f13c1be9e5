"""Ballots and votes through the hub, in process: who may open, cast and close, what a vote may be,
and that the results count exactly what was cast. The maths of the results are test_voting.py's;
live pushes, the reveal over HTTP and votes under concurrency over sockets, test_voting_e2e.py's."""

from __future__ import annotations

import random

from support import CastVotes, wire

PRACTICE_GROUPS = ["africa", "europe-central-asia", "mena"]
REGIONS = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena", None]


def practices(meeting, n: int = 3) -> list[str]:
    ids = []
    for i, group_id in enumerate(PRACTICE_GROUPS[:n]):
        rapporteur = meeting.connect(meeting.rapporteur_key(group_id))
        ack = rapporteur.op("contribution.add", question_id="s2-q1", text=f"Practice {i} from {group_id}",
                            kind="good_practice", agreement="consensus")
        assert ack["ok"], ack
        ids.append(rapporteur.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"])
    return ids


def open_ballot(chair, ids, **fields) -> str:
    ack = chair.op("ballot.open", contribution_ids=ids, **fields)
    assert ack["ok"], ack
    return chair.wait_for(lambda e: e["type"] == "ballot.opened" and e["seq"] == ack["seq"])["ballot"]["id"]


def test_a_participant_key_votes_and_does_nothing_else(meeting):
    voter = meeting.connect(meeting.join(region=None))
    assert voter.actor.role == "participant"
    assert voter.op("ballot.open", contribution_ids=["x"])["error"]["code"] == "forbidden"
    assert voter.op("contribution.add", question_id="s2-q1", text="x", kind="gap",
                    agreement="consensus")["error"]["code"] == "forbidden"
    assert voter.op("vote.cast", ballot_id="b9", contribution_id="x", choice="yes")["error"]["code"] == "not_found"
    # ...and only the chair opens, closes and reveals a ballot.
    ids = practices(meeting, n=1)
    rapporteur = meeting.connect(meeting.rapporteur_key("africa"))
    plenary = meeting.connect(meeting.plenary_key)
    for client in (rapporteur, plenary, voter):
        assert client.op("ballot.open", contribution_ids=ids)["error"]["code"] == "forbidden"
    ballot_id = open_ballot(meeting.connect(meeting.chair_key), ids)
    for client in (rapporteur, plenary, voter):
        for type_ in ("ballot.close", "ballot.reveal"):
            assert client.op(type_, ballot_id=ballot_id)["error"]["code"] == "forbidden"
        if client is not voter:
            assert client.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0],
                             choice="yes")["error"]["code"] == "forbidden"


def test_what_a_ballot_may_hold(meeting):
    ids = practices(meeting)
    chair = meeting.connect(meeting.chair_key)
    for fields, code in [
        ({"contribution_ids": []}, "invalid"),
        ({"contribution_ids": ids[:1] * 2}, "invalid"),
        ({"contribution_ids": [ids[0], 7]}, "invalid"),
        ({"contribution_ids": ["nope-nope"]}, "not_found"),
        ({"contribution_ids": ids, "mode": "ranked"}, "invalid"),
        ({"contribution_ids": ids, "mode": "dots", "dots": -1}, "invalid"),
        ({"contribution_ids": ids, "mode": "dots", "dots": 0}, "invalid"),
        ({"contribution_ids": ids, "mode": "dots", "dots": 2.5}, "invalid"),
        ({"contribution_ids": ids, "mode": "dots", "dots": 101}, "invalid"),
        ({"contribution_ids": ids, "prompt": "\u2800"}, "invalid"),
    ]:
        assert chair.op("ballot.open", **fields)["error"]["code"] == code, fields
    rapporteur = meeting.connect(meeting.rapporteur_key("africa"))
    assert rapporteur.op("contribution.delete", contribution_id=ids[0])["ok"]
    assert chair.op("ballot.open", contribution_ids=ids)["error"]["code"] == "not_found"  # deleted
    ballot_id = open_ballot(chair, ids[1:], mode="dots")
    ballot = meeting.hub.state(meeting.id).ballots[ballot_id]
    assert ballot["dots"] == 5 and ballot["status"] == "open" and ballot["revealed"] is False
    # The phones see each practice as it was typed when the ballot opened.
    assert [item["text"] for item in ballot["items"]] == ["Practice 1 from europe-central-asia",
                                                          "Practice 2 from mena"]


def test_dot_votes_respect_the_allowance(meeting):
    ids = practices(meeting)
    chair = meeting.connect(meeting.chair_key)
    ballot_id = open_ballot(chair, ids, mode="dots", dots=5)
    voter_key = meeting.join(region="africa")
    voter = meeting.connect(voter_key)
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0], dots=3)["ok"]
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[1], dots=3)["error"]["code"] == "too_many_dots"
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[1], dots=2)["ok"]
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0], dots=1)["ok"]  # replaces 3
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[2], dots=2)["ok"]
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[2], dots="two")["error"]["code"] == "invalid"
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[2])["error"]["code"] == "invalid"
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id="elsewhere", dots=1)["error"]["code"] == "not_found"
    results = meeting.ballot_results(ballot_id)
    assert [r["dots"] for r in results["results"]] == [1, 2, 2]
    # The phone sees its own current votes after a reload, and nobody else's.
    mine = voter.view()
    assert mine["role"] == "participant" and mine["my_votes"][ballot_id] == {ids[0]: 1, ids[1]: 2, ids[2]: 2}
    assert "contributions" not in mine
    other = meeting.connect(meeting.join(region="mena")).view()
    assert other["my_votes"][ballot_id] == {}


def test_results_count_exactly_what_was_cast_and_no_vote_leaves_the_hub(meeting):
    ids = practices(meeting)
    chair = meeting.connect(meeting.chair_key)
    ballot_id = open_ballot(chair, ids, mode="yes_no", prompt="Could this work in your region?")
    rng = random.Random(7)
    cast = CastVotes(ids)
    voters = []
    for i in range(200):
        region = REGIONS[i % len(REGIONS)]
        voter = meeting.connect(meeting.join(region=region))
        voters.append(voter)
        for cid in ids:
            first, final = rng.choice(["yes", "no", "unsure"]), rng.choice(["yes", "no", "unsure"])
            for choice in (first, final):  # a re-vote replaces, never adds
                ack = voter.op("vote.cast", ballot_id=ballot_id, contribution_id=cid, choice=choice)
                assert ack["ok"], ack
            cast.final(cid, region, final)
    results = meeting.ballot_results(ballot_id)
    assert results["ballot_id"] == ballot_id and results["status"] == "open"
    assert results["participants"] == 200 and results["revealed"] is False
    assert results["prompt"] == "Could this work in your region?"
    cast.check(results, turnout=200)
    # No vote is ever emitted, to any room, and nothing in the results links a vote to a voter.
    assert not [payload for _, payload in meeting.emitted.items if payload["type"] == "vote.cast"]
    participant_ids = set(meeting.hub.state(meeting.id).participants)
    assert len(participant_ids) == 200
    text = str(wire(results))
    assert not [pid for pid in participant_ids if pid in text]
    # A closed ballot refuses votes, and cannot be closed twice; the results stay.
    assert chair.op("ballot.close", ballot_id=ballot_id)["ok"]
    ack = voters[0].op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0], choice="yes")
    assert ack["error"]["code"] == "closed"
    assert chair.op("ballot.close", ballot_id=ballot_id)["error"]["code"] == "closed"
    closed = meeting.ballot_results(ballot_id)
    assert closed["status"] == "closed" and closed["results"] == results["results"]


def test_reveal_is_the_chairs_and_reaches_every_audience(meeting):
    ids = practices(meeting, n=1)
    chair = meeting.connect(meeting.chair_key)
    voter = meeting.connect(meeting.join(region="africa"))
    rapporteur = meeting.connect(meeting.rapporteur_key("mena"))
    ballot_id = open_ballot(chair, ids)
    assert voter.wait_for(lambda e: e["type"] == "ballot.opened")["ballot"]["id"] == ballot_id
    assert chair.op("ballot.reveal", ballot_id=ballot_id)["ok"]
    for client in (chair, voter, rapporteur):
        event = client.wait_for(lambda e: e["type"] == "ballot.revealed")
        assert event["ballot_id"] == ballot_id and event["revealed"] is True
    assert meeting.ballot_results(ballot_id)["revealed"] is True
    assert chair.op("ballot.reveal", ballot_id=ballot_id, revealed=False)["ok"]
    assert meeting.ballot_results(ballot_id)["revealed"] is False
    assert chair.op("ballot.reveal", ballot_id="b99")["error"]["code"] == "not_found"
