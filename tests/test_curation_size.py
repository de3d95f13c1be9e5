"""Curation that cannot blow up the state (issue 20, 7): sixty rejections of 200 members each, the
chair's rate allowing it, stored 454,605 pairs, a 17.8 MB state for the chair and for every plenary
screen. The rejections are sets, the plenary screen gets none of them, and what a meeting's
curation may name in all is bounded. Sizes are measured, never times: in process, through the hub
on a real SQLite store; and the state endpoint of a real server."""

from __future__ import annotations

import json

import pytest
import requests

from facilitator.meeting.ops import curation as curation_ops
from support import Client, ServerProcess, key_of

GROUPS = ("africa", "americas", "asia-pacific", "europe-central-asia", "mena")
MEMBERS = 200
REJECTIONS = 60


def size(value) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def contributions(chair, n: int) -> list[str]:
    ids = []
    for i in range(n):
        ack = chair.op("contribution.add", group_id=GROUPS[i % len(GROUPS)], question_id="s2-q1",
                       id=f"practice-{i:04d}", text=f"A practice of the room, number {i}.",
                       kind="good_practice", agreement="consensus")
        assert ack["ok"], ack
        ids.append(f"practice-{i:04d}")
    return ids


def rejected_sets(n: int, ids: list[str]) -> list[list[str]]:
    """n sets of MEMBERS ids, each another window of the ids."""
    return [ids[k % 50:k % 50 + MEMBERS] for k in range(n)]


def test_sixty_rejections_of_200_keep_the_state_small_and_the_plenary_without_them(meeting):
    chair = meeting.connect(meeting.chair_key)
    plenary = meeting.connect(meeting.plenary_key)
    ids = contributions(chair, MEMBERS + 50)
    chair_before, plenary_before = chair.view(), plenary.view()
    for members in rejected_sets(REJECTIONS, ids):
        assert chair.op("cluster.reject", contribution_ids=members)["ok"]
    chair_after, plenary_after = chair.view(), plenary.view()

    # the plenary screen's state does not grow at all: it carries titles, not decisions
    assert set(plenary_after["curation"]) == {"titles", "titles_by_lang", "show_suggestions"}
    assert size(plenary_after) - size(plenary_before) < 50  # the seq's digits, nothing more

    # the chair's: sets as they were named, never pairs (19,900 a set), in the sets and the history
    curation = chair_after["curation"]
    assert len(curation["rejected_sets"]) == REJECTIONS
    assert sum(len(s) for s in curation["rejected_sets"]) == REJECTIONS * MEMBERS
    named = REJECTIONS * MEMBERS
    assert json.dumps(curation).count('"practice-') == 2 * named  # sets + history, once each
    grown = size(chair_after) - size(chair_before)
    per_id = len('"practice-0000",')
    assert grown < 2 * named * per_id + REJECTIONS * 400  # the ids twice, a few fields a decision
    assert grown < 1_000_000  # against 17.8 MB


def test_what_the_curation_may_name_in_all_is_bounded(meeting, monkeypatch):
    """Undone decisions still count (the history keeps them): a reject, undo, reject loop fills
    the budget as well. Past it the op is refused `curation_full` and the state stays as it was."""
    monkeypatch.setattr(curation_ops, "MAX_CURATION_IDS", 3 * MEMBERS + 2)
    chair = meeting.connect(meeting.chair_key)
    ids = contributions(chair, MEMBERS + 50)
    first = chair.op("cluster.reject", contribution_ids=ids[:MEMBERS])
    assert first["ok"]
    assert chair.op("curation.undo", seq=first["seq"])["ok"]
    assert chair.op("cluster.reject", contribution_ids=ids[1:MEMBERS + 1])["ok"]
    assert chair.op("cluster.confirm", contribution_ids=ids[2:MEMBERS + 2])["ok"]
    assert chair.op("cluster.reject", contribution_ids=ids[3:5])["ok"]  # the last two that fit
    before = chair.view()["curation"]
    refused = chair.op("cluster.reject", contribution_ids=ids[5:7])
    assert refused["ok"] is False and refused["error"]["code"] == "curation_full"
    assert refused["error"]["limit"] == 3 * MEMBERS + 2
    assert chair.op("cluster.confirm", contribution_ids=[ids[0], ids[1]])["error"]["code"] == "curation_full"
    assert chair.view()["curation"] == before
    # what names no new contributions goes on: titles, moves, undo
    point = next(iter(before["points"]))
    assert chair.op("cluster.title", cluster_id=point, title="One point")["ok"]


def test_many_small_decisions_stay_cheap(meeting):
    """The synthesis desk's pair decisions: the state grows by the pair each, no more."""
    chair = meeting.connect(meeting.chair_key)
    ids = contributions(chair, 60)
    before = size(chair.view()["curation"])
    pairs = [(a, b) for a in ids[:30] for b in ids[30:40]]
    for a, b in pairs:
        assert chair.op("cluster.reject", contribution_ids=[a, b])["ok"]
    grown = size(chair.view()["curation"]) - before
    assert grown < len(pairs) * 400  # a set of two and its history entry


@pytest.fixture
def server(tmp_path):
    # the chair's rate is lifted so that the test need not wait out 260 ops
    server = ServerProcess(str(tmp_path), env={"FACILITATOR_OP_RATE": "100000", "FACILITATOR_OP_BURST": "100000"})
    server.start()
    yield server
    server.stop()


def test_the_state_endpoint_after_sixty_rejections_of_200(server):
    links = server.create_meeting()
    mid = links["meeting_id"]
    chair = Client(server.url, mid, key_of(links["chair_url"]))
    try:
        ids = contributions(chair, MEMBERS + 50)

        def state(url):
            r = requests.get(f"{server.url}/api/m/{mid}/state", params={"key": key_of(url)}, timeout=30)
            r.raise_for_status()
            return r.content

        plenary_before, chair_before = state(links["plenary_url"]), state(links["chair_url"])
        for members in rejected_sets(REJECTIONS, ids):
            assert chair.op("cluster.reject", contribution_ids=members)["ok"]
        plenary_after, chair_after = state(links["plenary_url"]), state(links["chair_url"])
        assert len(plenary_after) - len(plenary_before) < 50
        assert "rejected_sets" not in json.loads(plenary_after)["curation"]
        assert len(chair_after) - len(chair_before) < 1_000_000
        assert len(json.loads(chair_after)["curation"]["rejected_sets"]) == REJECTIONS
    finally:
        chair.close()
