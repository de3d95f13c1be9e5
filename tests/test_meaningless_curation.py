"""Refuse what cannot mean anything (issue 20, 8): curation, forwarding and the spotlight on
deleted contributions or on points none of whose contributions is left, a spotlight on any
string, a point within a single group. Through the hub on a real SQLite store."""

from __future__ import annotations

import pytest


def code(ack) -> str:
    return "ok" if ack["ok"] else ack["error"]["code"]


@pytest.fixture
def room(meeting):
    chair = meeting.connect(meeting.chair_key)
    for cid, group in (("keep-africa", "africa"), ("keep-mena", "mena"), ("gone-americas", "americas"),
                       ("also-africa", "africa")):
        assert chair.op("contribution.add", group_id=group, question_id="s2-q1", id=cid,
                        text=f"A practice from {group}, {cid}.", kind="good_practice",
                        agreement="consensus")["ok"]
    assert chair.op("cluster.confirm", point_id="p-emptied", contribution_ids=["gone-americas", "keep-africa"])["ok"]
    assert chair.op("outcome.mark", contribution_id="gone-americas")["ok"]  # forwarded before
    current = next(c for c in chair.view()["contributions"] if c["id"] == "gone-americas")
    assert chair.op("contribution.delete", contribution_id="gone-americas", version=current["version"])["ok"]
    return chair


def test_a_deleted_contribution_is_neither_forwarded_worded_nor_spotlit(room):
    chair = room
    assert code(chair.op("outcome.mark", contribution_id="gone-americas", marked=True)) == "not_found"
    assert code(chair.op("outcome.wording", contribution_id="gone-americas", text="Open the borders")) == "not_found"
    assert code(chair.op("spotlight.set", contribution_id="gone-americas")) == "not_found"
    # what it took before it was deleted can be taken back
    assert code(chair.op("outcome.mark", contribution_id="gone-americas", marked=False)) == "ok"
    assert code(chair.op("outcome.wording", contribution_id="gone-americas", text="")) == "ok"
    # the curation refuses it too (some of this was refused before issue 20: kept)
    assert code(chair.op("cluster.title", cluster_id="c-gone-americas", title="A title")) == "not_found"
    assert code(chair.op("cluster.merge", cluster_id="c-gone-americas", into="c-keep-mena")) == "not_found"
    assert code(chair.op("cluster.confirm", contribution_ids=["gone-americas", "keep-mena"])) == "not_found"
    assert code(chair.op("cluster.reject", contribution_ids=["gone-americas", "keep-mena"])) == "not_found"
    assert code(chair.op("cluster.move", contribution_id="gone-americas", to=None)) == "not_found"
    assert code(chair.op("cluster.detach", contribution_id="gone-americas")) == "not_found"
    assert code(chair.op("cluster.include", contribution_ids=["gone-americas", "keep-mena"])) == "not_found"
    assert code(chair.op("cluster.include", contribution_ids=["keep-mena", "gone-americas"])) == "not_found"
    assert code(chair.op("outcome.mark", cluster_id="c-gone-americas")) == "not_found"
    assert code(chair.op("spotlight.set", cluster_id="c-gone-americas")) == "not_found"
    # the live ones go on
    assert code(chair.op("outcome.mark", contribution_id="keep-mena")) == "ok"
    assert code(chair.op("outcome.wording", contribution_id="keep-mena", text="Share the data")) == "ok"
    assert code(chair.op("spotlight.set", contribution_id="keep-mena")) == "ok"


def test_a_point_none_of_whose_contributions_is_left_is_neither_forwarded_nor_spotlit(room):
    chair = room
    assert code(chair.op("spotlight.set", cluster_id="p-emptied")) == "ok"  # one member left
    current = next(c for c in chair.view()["contributions"] if c["id"] == "keep-africa")
    assert chair.op("contribution.delete", contribution_id="keep-africa", version=current["version"])["ok"]
    assert code(chair.op("spotlight.set", cluster_id="p-emptied")) == "not_found"
    assert code(chair.op("outcome.mark", cluster_id="p-emptied")) == "not_found"
    assert code(chair.op("outcome.wording", cluster_id="p-emptied", text="Nothing")) == "not_found"
    assert code(chair.op("outcome.mark", cluster_id="p-emptied", marked=False)) == "ok"
    restored = next(c for c in chair.view()["contributions"] if c["id"] == "keep-africa")
    assert chair.op("contribution.restore", contribution_id="keep-africa", version=restored["version"])["ok"]
    assert code(chair.op("outcome.mark", cluster_id="p-emptied")) == "ok"


@pytest.mark.parametrize("cluster_id", ["anything at all", "c-", "c-no-such-contribution", "p-nobody-made-it",
                                        "s-no-such", "x" * 61, "<img src=x>"])
def test_a_spotlight_on_any_string_is_refused(room, cluster_id):
    assert code(room.op("spotlight.set", cluster_id=cluster_id)) in ("invalid", "not_found")
    assert room.view()["spotlight"] is None


def test_a_spotlight_on_an_unknown_contribution_is_refused(room):
    assert code(room.op("spotlight.set", contribution_id="no-such-contribution")) == "not_found"
    assert code(room.op("spotlight.set", contribution_id=["keep-mena"])) == "invalid"


def test_a_point_within_a_single_group_is_refused(room):
    chair = room
    assert code(chair.op("cluster.confirm", contribution_ids=["keep-africa", "also-africa"])) == "invalid"
    # nor by merging: a point of one group's only
    assert chair.op("cluster.confirm", point_id="p-pair", contribution_ids=["keep-mena", "also-africa"])["ok"]
    assert code(chair.op("cluster.move", contribution_id="keep-mena", to=None)) == "ok"  # africa alone
    assert code(chair.op("cluster.merge", cluster_id="c-keep-africa", into="p-pair",
                         contribution_ids=["keep-africa"])) == "invalid"
