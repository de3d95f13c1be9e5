"""Links the chair manages (issue 19 #7), in process: link.reissue through the hub on a real SQLite
store. What only a server shows (HTTP refusals, an open socket closed, two processes on Redis) is
in tests/test_links_server.py."""

from __future__ import annotations

import json

import pytest

from facilitator.meeting import roles
from facilitator.meeting.archive import check_archive, export_archive, read_log
from support import Refused

LINKS = [("plenary", None), ("translator", None), ("curator", None), ("rapporteur", "africa"),
         ("rapporteur", "un")]


def key_of_link(meeting, role, group_id):
    return roles.link_key(meeting.hub.store.secrets(meeting.id), role, group_id)


@pytest.mark.parametrize("role,group_id", LINKS)
def test_a_reissued_key_is_refused_and_the_new_link_is_in_the_ack_alone(meeting, role, group_id):
    chair = meeting.connect(meeting.chair_key)
    plenary = meeting.connect(meeting.plenary_key)
    old = key_of_link(meeting, role, group_id)
    assert meeting.hub.authenticate(meeting.id, old).role == role
    ack = chair.op("link.reissue", role=role, **({"group_id": group_id} if group_id else {}))
    assert ack["ok"], ack
    new = key_of_link(meeting, role, group_id)
    assert new and new != old
    assert ack["url"] == f"/m/{meeting.id}/{roles.PAGE_OF_ROLE[role]}?key={new}"
    assert meeting.hub.authenticate(meeting.id, old) is None
    actor = meeting.hub.authenticate(meeting.id, new)
    assert (actor.role, actor.group_id) == (role, group_id)
    with pytest.raises(Refused):
        meeting.connect(old)
    # the logged event names the link, holds no key; the chair's console and the plenary get it
    event = chair.wait_for(lambda e: e["type"] == "link.reissued")
    assert {k: event[k] for k in ("role", "group_id", "seq")} == {"role": role, "group_id": group_id,
                                                                 "seq": ack["seq"]}
    if role != "plenary":  # the plenary's own connection was opened with the old key
        assert plenary.wait_for(lambda e: e["type"] == "link.reissued")["seq"] == ack["seq"]
    log = json.dumps(meeting.hub.store.read(meeting.id))
    assert old not in log and new not in log
    others = [k for k in meeting.emitted.items if k[1].get("type") == "link.reissued"]
    assert {name.split(":")[-1] for name, _ in others} == {"staff"}
    assert new not in json.dumps(meeting.emitted.items)


def test_other_links_keep_working_and_a_resent_op_gets_the_current_link(meeting):
    chair = meeting.connect(meeting.chair_key)
    before = meeting.hub.store.secrets(meeting.id)
    first = chair.op("link.reissue", op_id="reissue-1", role="rapporteur", group_id="africa")
    again = chair.op("link.reissue", op_id="reissue-1", role="rapporteur", group_id="africa")
    assert again == first  # applied once: one event, one new key
    assert [e["type"] for e in meeting.hub.store.read(meeting.id)].count("link.reissued") == 1
    after = meeting.hub.store.secrets(meeting.id)
    assert after["rapporteurs"]["africa"] != before["rapporteurs"]["africa"]
    assert {k: v for k, v in after.items() if k != "rapporteurs"} == \
        {k: v for k, v in before.items() if k != "rapporteurs"}
    assert {g: k for g, k in after["rapporteurs"].items() if g != "africa"} == \
        {g: k for g, k in before["rapporteurs"].items() if g != "africa"}
    assert meeting.connect(meeting.rapporteur_key("americas")).op(
        "contribution.add", question_id="s2-q1", text="Still here", kind="gap", agreement="consensus")["ok"]


def test_only_the_chair_reissues_and_bad_requests_change_no_key(meeting):
    chair = meeting.connect(meeting.chair_key)
    before = meeting.hub.store.secrets(meeting.id)
    for key in (meeting.plenary_key, meeting.rapporteur_key("africa"), before["translator"]):
        ack = meeting.connect(key).op("link.reissue", role="plenary")
        assert ack["error"]["code"] == "forbidden", ack
    voter = meeting.connect(meeting.join("africa"))
    assert voter.op("link.reissue", role="plenary")["error"]["code"] == "forbidden"
    refusals = [
        ({"role": "chair"}, "invalid"),  # the console would lock itself out
        ({"role": "participant"}, "invalid"),
        ({"role": "nobody"}, "invalid"),
        ({}, "invalid"),
        ({"role": "rapporteur"}, "invalid"),
        ({"role": "rapporteur", "group_id": "atlantis"}, "not_found"),
        ({"role": "plenary", "group_id": "africa"}, "invalid"),
        ({"role": ["plenary"]}, "invalid"),
    ]
    for fields, code in refusals:
        ack = chair.op("link.reissue", **fields)
        assert ack["ok"] is False and ack["error"]["code"] == code, (fields, ack)
        assert "url" not in ack
    assert meeting.hub.store.secrets(meeting.id) == before
    assert "link.reissued" not in [e["type"] for e in meeting.hub.store.read(meeting.id)]


def test_a_meeting_without_a_translator_key_gets_one_and_the_archive_keeps_the_events(meeting):
    chair = meeting.connect(meeting.chair_key)
    assert chair.op("link.reissue", role="rapporteur", group_id="mena")["ok"]
    assert chair.op("link.reissue", role="translator")["ok"]
    listed = roles.link_keys(meeting.hub.store.secrets(meeting.id))
    assert [(r, g) for r, g, _ in listed][:3] == [("plenary", None), ("translator", None), ("curator", None)]
    assert [g for r, g, _ in listed if r == "rapporteur"] == meeting.hub.state(meeting.id).group_ids
    # an old meeting: no translator or curator key in its secrets, and the link list leaves them out
    old = {k: v for k, v in meeting.secrets.items() if k not in ("translator", "curator")}
    assert [r for r, _, _ in roles.link_keys(old)][:1] == ["plenary"]
    assert {"translator", "curator"}.isdisjoint(r for r, _, _ in roles.link_keys(old))
    # the events go into the archive and come back out of it (an import checks every event)
    events = read_log(meeting.hub.store, meeting.id)
    archived = export_archive(meeting.id, events, {})
    _, checked = check_archive(json.loads(json.dumps(archived)))
    assert [e["type"] for e in checked].count("link.reissued") == 2
    bad = json.loads(json.dumps(archived))
    reissued = [e for e in bad["events"] if e["type"] == "link.reissued"]
    reissued[0]["group_id"] = "atlantis"
    with pytest.raises(Exception, match="not a group"):
        check_archive(bad)
