"""import-meeting validates (issue 10, point 9).

A real meeting is exported from a real server; then a set of hostile archives made from it goes
through `run.py import-meeting` on a real SQLite store. Each is refused with exit status 2, a
message that says where, and no traceback; nothing reaches the store. The good archive still
imports and serves.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
import requests

from support import ROOT, Client, ServerProcess, key_of
from facilitator.meeting.archive import MAX_DEPTH, ArchiveError, check_archive, load_archive
from facilitator.store import open_store


def group_key(links, gid):
    return key_of(next(g for g in links["groups"] if g["id"] == gid)["rapporteur_url"])


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A meeting that used every kind of event, exported as JSON."""
    server = ServerProcess(str(tmp_path_factory.mktemp("source"))).start()
    clients = []
    try:
        links = server.create_meeting()
        mid, url = links["meeting_id"], server.url

        def connect(key):
            clients.append(Client(url, mid, key, name="Rapporteur Ana"))
            return clients[-1]

        chair = connect(key_of(links["chair_url"]))
        africa, mena = connect(group_key(links, "africa")), connect(group_key(links, "mena"))

        def ok(client, type_, **fields):
            ack = client.op(type_, **fields)
            assert ack["ok"], (type_, ack)

        ok(chair, "session.set", session_id="s2-groups")
        ok(africa, "contribution.add", id="afr-labour-01", question_id="s2-q1", kind="good_practice",
           agreement="consensus", lang="en", text="Bilateral labour migration agreements")
        ok(mena, "contribution.add", id="mena-labour-1", question_id="s2-q1", kind="good_practice",
           agreement="majority", lang="ar", text="اتفاقيات ثنائية لتنقل اليد العاملة")
        ok(africa, "contribution.add", id="afr-gap-00001", question_id="s2-q1", kind="gap",
           agreement="divergent", lang="en", text="Data on returns")
        ok(africa, "contribution.edit", contribution_id="afr-gap-00001", version=1, text="Data on returns is missing")
        ok(africa, "contribution.move", contribution_id="afr-gap-00001", question_id="s2-q2", index=0)
        ok(africa, "contribution.delete", contribution_id="afr-gap-00001")
        ok(africa, "contribution.restore", contribution_id="afr-gap-00001")
        ok(chair, "board.lock", group_id="mena", locked=True)
        ok(chair, "timer.start", seconds=600)
        ok(chair, "timer.stop")
        ok(chair, "spotlight.set", contribution_id="afr-labour-01")
        ok(chair, "meeting.set_anonymous", anonymous=True)
        ok(chair, "cluster.merge", cluster_id="c-afr-labour-01", into="c-mena-labour-1")
        ok(chair, "cluster.title", cluster_id="c-afr-labour-01", title="Labour agreements")
        ok(chair, "cluster.detach", contribution_id="afr-gap-00001")
        ok(chair, "outcome.mark", contribution_id="afr-labour-01")
        ok(chair, "outcome.mark", cluster_id="c-afr-labour-01")
        ok(chair, "outcome.wording", contribution_id="afr-labour-01", text="Promote labour agreements", lang="en")
        ok(chair, "outcome.order", order=["cluster:c-afr-labour-01", "contribution:afr-labour-01"])
        ok(chair, "ballot.open", contribution_ids=["afr-labour-01", "mena-labour-1"], prompt="Which could work elsewhere?")
        ok(chair, "ballot.open", contribution_ids=["afr-labour-01"], mode="dots", dots=3)
        for region in ("africa", "mena", None):
            r = requests.post(f"{url}/api/m/{mid}/participants",
                              json={"code": links["join_code"], "region": region, "lang": "fr"})
            voter = connect(r.json()["key"])
            ok(voter, "vote.cast", ballot_id="b1", contribution_id="afr-labour-01", choice="yes")
            ok(voter, "vote.cast", ballot_id="b2", contribution_id="afr-labour-01", dots=2)
        requests.post(f"{url}/api/m/{mid}/participants", json={"code": links["join_code"], "region": None})
        ok(chair, "ballot.close", ballot_id="b1")
        ok(chair, "ballot.reveal", ballot_id="b1")
        r = requests.get(f"{url}/api/m/{mid}/report.json", params={"key": key_of(links["chair_url"])})
        assert r.status_code == 200
        return r.json()
    finally:
        for client in clients:
            client.close()
        server.stop()


def first(events, etype, **match):
    for i, e in enumerate(events):
        if e["type"] == etype and all(e.get(k) == v for k, v in match.items()):
            return i
    raise AssertionError(f"no {etype}")


def contribution_event(a, etype="contribution.added"):
    return a["events"][first(a["events"], etype)]


def hostile(archive):
    """(name, file content, a fragment the message must hold). Each is refused whole."""
    cases = []

    def mutate(name, change, expect):
        a = copy.deepcopy(archive)
        change(a)
        cases.append((name, json.dumps(a, ensure_ascii=False), expect))

    def raw(name, text, expect):
        cases.append((name, text, expect))

    def event(a, etype, **match):
        return a["events"][first(a["events"], etype, **match)]

    raw("not json", '{"events": [', "not JSON")
    raw("a list", "[]", "archive: must be an object")
    raw("deep nesting", "[" * 100_000 + "]" * 100_000, "nested deeper")
    raw("NaN", json.dumps(archive).replace('"ts": ', '"ts": NaN, "x": ', 1), "NaN")
    raw("a huge number", json.dumps(archive).replace('"ts": ', '"ts": 1' + "0" * 5000 + ', "x": ', 1), "not JSON")
    mutate("no events", lambda a: a.pop("events"), "archive.events: is missing")
    mutate("events not a list", lambda a: a.update(events={"0": a["events"][0]}), "archive.events: must be a list")
    mutate("empty log", lambda a: a.update(events=[]), "the log is empty")
    mutate("log without meeting.created", lambda a: a["events"].pop(0), "must start with meeting.created")
    mutate("event not an object", lambda a: a["events"].insert(3, "contribution.added"), "events[3]: an event must be an object")
    mutate("path in the meeting id", lambda a: (a.update(meeting_id="../../etc"),
                                                a["events"][0]["meeting"].update(id="../../etc")),
           "archive.meeting_id: '../../etc' is not an id")
    mutate("spaces in the meeting id", lambda a: (a.update(meeting_id="a b"), a["events"][0]["meeting"].update(id="a b")),
           "is not an id")
    mutate("two meeting ids", lambda a: a.update(meeting_id="othermeeting1"), "events[0].meeting.id")
    mutate("deep report", lambda a: a.update(report=json.loads("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5))),
           "nested deeper")
    mutate("agenda without questions", lambda a: a["events"][0]["meeting"]["sessions"][0].update(questions=[]),
           "events[0].meeting.sessions[0].questions")
    mutate("agenda group id with capitals", lambda a: a["events"][0]["meeting"]["groups"][0].update(id="AFRICA"),
           "events[0].meeting.groups[0].id")
    mutate("invisible agenda title", lambda a: a["events"][0]["meeting"].update(title={"en": "\u200b\u2060"}),
           "no visible character")
    mutate("agenda changed behind validation", lambda a: a["events"][0]["meeting"]["groups"].pop(),
           "events[0].meeting")
    mutate("unknown event type", lambda a: contribution_event(a).update(type="contribution.exploded"),
           "unknown event type 'contribution.exploded'")
    mutate("extra field", lambda a: contribution_event(a).update(payload="x" * 100), ".payload: is not a field")
    mutate("oversize text", lambda a: contribution_event(a)["contribution"].update(text="x" * 2001),
           ".contribution.text: 2001 characters; the limit is 2000")
    mutate("oversize author name", lambda a: contribution_event(a)["contribution"]["author"].update(name="n" * 61),
           ".contribution.author.name: 61 characters")
    mutate("ts as text", lambda a: contribution_event(a).update(ts="yesterday"), ".ts: must be a number")
    mutate("version as text", lambda a: contribution_event(a)["contribution"].update(version="1"),
           ".contribution.version: must be an integer")
    mutate("lock as text", lambda a: event(a, "board.locked").update(locked="yes"), ".locked: must be true or false")
    mutate("negative timer", lambda a: event(a, "timer.started").update(seconds=-5), ".seconds: must be between")
    mutate("script in a contribution id", lambda a: contribution_event(a)["contribution"].update(id="<script>"),
           ".contribution.id: '<script>' is not an id")
    mutate("unknown group", lambda a: contribution_event(a)["contribution"].update(group_id="atlantis"),
           "is not a group of the meeting")
    mutate("question of another session", lambda a: contribution_event(a)["contribution"].update(question_id="s1-q1"),
           "is not a question of this group")
    mutate("edit of nothing", lambda a: contribution_event(a, "contribution.edited")["contribution"].update(id="nosuchthing1"),
           "'nosuchthing1' is not a contribution")
    mutate("order with a stranger", lambda a: contribution_event(a)["order"].append("nosuchthing1"),
           ".order[1]: 'nosuchthing1' is not a contribution")
    mutate("outcome order of mixed types", lambda a: event(a, "outcome.ordered").update(order=[1, "a"]),
           ".order[0]: must be a string")
    mutate("ballot dots as text", lambda a: event(a, "ballot.opened", ballot=a["events"][first(a["events"], "ballot.opened")]["ballot"]) and
           [e for e in a["events"] if e["type"] == "ballot.opened"][1]["ballot"].update(dots="3"), ".ballot.dots: must be an integer")
    mutate("ballot closed twice", lambda a: a["events"].append(copy.deepcopy(event(a, "ballot.closed"))), "already closed")
    mutate("vote on no ballot", lambda a: event(a, "vote.cast").update(ballot_id="b9"), "'b9' is not a ballot opened before")
    mutate("vote by a stranger", lambda a: event(a, "vote.cast").update(participant_id="vnobody"), "'vnobody' has not joined")
    mutate("too many dots", lambda a: [e for e in a["events"] if e["type"] == "vote.cast" and e["ballot_id"] == "b2"][0].update(value=9),
           "could not have been cast (too_many_dots)")
    mutate("unknown region", lambda a: event(a, "participant.joined").update(region="atlantis"), "is not a region")
    mutate("duplicate op ids", lambda a: [e.update(op_id="same-op") for e in a["events"][1:3]], "'same-op' is used by an earlier event")
    mutate("op id as a number", lambda a: a["events"][1].update(op_id=7), ".op_id: must be a string")
    cases.append(("not utf-8", b"\xff\xfe{\x00".decode("latin-1"), "not UTF-8"))
    return cases


def import_archive(path, data_dir):
    return subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "import-meeting", str(path),
                           "--data", str(data_dir), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_exported_archive_passes_its_own_checks(archive, tmp_path):
    meeting_id, events = check_archive(archive)
    assert meeting_id == archive["meeting_id"] and len(events) == len(archive["events"])
    types = {e["type"] for e in events}
    assert len(types) >= 20, sorted(types)  # the fixture used nearly every kind of event


def test_hostile_archives_are_refused_in_process(archive, tmp_path):
    for name, content, expect in hostile(archive):
        path = tmp_path / "hostile.json"
        if name == "not utf-8":
            path.write_bytes(content.encode("latin-1"))
        else:
            path.write_text(content, encoding="utf-8")
        with pytest.raises(ArchiveError) as refused:
            check_archive(load_archive(str(path)))
        assert expect in str(refused.value), (name, str(refused.value))


def test_an_oversize_file_is_refused_before_it_is_read(archive, tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(archive), encoding="utf-8")
    with pytest.raises(ArchiveError) as refused:
        load_archive(str(path), max_bytes=1000)
    assert "bytes; an archive is at most 1000" in str(refused.value)


def test_import_meeting_refuses_hostile_archives_with_status_2(archive, tmp_path):
    data = tmp_path / "store"
    cases = hostile(archive)
    assert len(cases) >= 35
    for i, (name, content, expect) in enumerate(cases):
        path = tmp_path / f"hostile-{i:02d}.json"
        if name == "not utf-8":
            path.write_bytes(content.encode("latin-1"))
        else:
            path.write_text(content, encoding="utf-8")
        out = import_archive(path, data)
        assert out.returncode == 2, (name, out.returncode, out.stderr[-2000:])
        assert "Traceback" not in out.stderr, (name, out.stderr[-2000:])
        assert out.stdout == "", name
        assert "nothing was imported" in out.stderr and expect in out.stderr, (name, out.stderr)
    with open_store(str(data), None) as store:
        assert store.meeting_ids() == []

    # The good archive still imports, and a server serves it.
    good = tmp_path / "good.json"
    good.write_text(json.dumps(archive, ensure_ascii=False), encoding="utf-8")
    out = import_archive(good, data)
    assert out.returncode == 0, out.stderr
    links = json.loads(out.stdout)
    server = ServerProcess(str(data)).start()
    try:
        r = requests.get(f"{server.url}/api/m/{links['meeting_id']}/state", params={"key": key_of(links["chair_url"])})
        assert r.status_code == 200
        assert {c["id"] for c in r.json()["contributions"]} == {"afr-labour-01", "mena-labour-1", "afr-gap-00001"}
    finally:
        server.stop()
