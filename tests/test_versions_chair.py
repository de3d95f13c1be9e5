"""`outcome.wording` and `cluster.title` carry versions (issue 20, 8): two chair tabs, or the chair
and the synthesis desk, no longer overwrite each other's text unseen. A stale `version` is refused
`conflict` with the current text and its version (what the pages offer, theirs or mine); without
a version the op is applied as before. Through the hub on a real SQLite store; the pages' offer in
Chromium is tests/test_browser_versions.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def chair(meeting):
    chair = meeting.connect(meeting.chair_key)
    for cid, group in (("data-africa", "africa"), ("data-mena", "mena")):
        assert chair.op("contribution.add", group_id=group, question_id="s2-q1", id=cid,
                        text=f"Share migration data, says {group}.", kind="good_practice",
                        agreement="consensus")["ok"]
    assert chair.op("outcome.mark", contribution_id="data-africa")["ok"]
    assert chair.op("cluster.confirm", point_id="p-data", contribution_ids=["data-africa", "data-mena"])["ok"]
    return chair


def test_a_wording_made_from_an_older_version_is_offered_back_not_saved(chair, meeting):
    ref = "contribution:data-africa"
    assert chair.view()["outcome"]["versions"].get(ref, 0) == 0
    first_tab = chair.op("outcome.wording", contribution_id="data-africa", version=0,
                         text="Share the data region by region", lang="en")
    assert first_tab["ok"]
    assert chair.view()["outcome"]["versions"][ref] == first_tab["seq"]
    second_tab = chair.op("outcome.wording", contribution_id="data-africa", version=0,
                          text="Publish the data", lang="en")
    assert second_tab["ok"] is False and second_tab["error"]["code"] == "conflict"
    assert second_tab["error"]["current"] == {"text": "Share the data region by region", "lang": "en",
                                              "version": first_tab["seq"]}
    assert chair.view()["outcome"]["wording"][ref]["text"] == "Share the data region by region"
    # "use mine": sent again over theirs, with their version
    mine = chair.op("outcome.wording", contribution_id="data-africa", version=first_tab["seq"],
                    text="Publish the data", lang="en")
    assert mine["ok"] and chair.view()["outcome"]["wording"][ref]["text"] == "Publish the data"
    # clearing is a change too; without a version an op is applied as it comes (older pages)
    cleared = chair.op("outcome.wording", contribution_id="data-africa", version=mine["seq"], text="")
    assert cleared["ok"] and ref not in chair.view()["outcome"]["wording"]
    assert chair.op("outcome.wording", contribution_id="data-africa", version=mine["seq"],
                    text="Late")["error"]["current"] == {"text": None, "lang": None, "version": cleared["seq"]}
    assert chair.op("outcome.wording", contribution_id="data-africa", text="Anyway")["ok"]
    assert chair.op("outcome.wording", contribution_id="data-africa", version="1", text="x")["error"]["code"] == "invalid"
    # the versions survive a restart: they are folded from the log
    from support import Hub
    again = Hub(meeting.hub.store, emit=lambda *a: None).state(meeting.id)
    assert again.outcome["versions"] == meeting.hub.state(meeting.id).outcome["versions"]


def test_a_title_made_from_an_older_version_is_offered_back_not_saved(chair, meeting):
    curator = meeting.connect(meeting.secrets["curator"])
    versions = lambda: chair.view()["curation"]["title_versions"]  # noqa: E731
    assert versions() == {}
    by_chair = chair.op("cluster.title", cluster_id="p-data", title="Data", version=0)
    assert by_chair["ok"] and versions() == {"p-data": {"": by_chair["seq"]}}
    by_desk = curator.op("cluster.title", cluster_id="p-data", title="Migration data", version=0)
    assert by_desk["error"]["code"] == "conflict"
    assert by_desk["error"]["current"] == {"title": "Data", "lang": None, "version": by_chair["seq"]}
    # each language's title has its own version
    french = curator.op("cluster.title", cluster_id="p-data", title="Données", lang="fr", version=0)
    assert french["ok"]
    assert versions() == {"p-data": {"": by_chair["seq"], "fr": french["seq"]}}
    assert curator.view()["curation"]["title_versions"] == versions()
    stale = chair.op("cluster.title", cluster_id="p-data", title="Les données", lang="fr", version=0)
    assert stale["error"]["current"] == {"title": "Données", "lang": "fr", "version": french["seq"]}
    # an undo changes the title: it is a new version, and a draft from before it is stale
    undo = curator.op("curation.undo", seq=french["seq"])
    assert undo["ok"] and versions()["p-data"]["fr"] == undo["seq"]
    assert chair.op("cluster.title", cluster_id="p-data", title="Les données", lang="fr",
                    version=french["seq"])["error"]["current"] == {"title": None, "lang": "fr", "version": undo["seq"]}
    assert chair.op("cluster.title", cluster_id="p-data", title="Les données", lang="fr", version=undo["seq"])["ok"]
    # the plenary and the translators get titles, not versions
    assert "title_versions" not in meeting.connect(meeting.plenary_key).view()["curation"]
    assert "title_versions" not in meeting.connect(meeting.secrets["translator"]).view()["curation"]
