"""Points with an identity (issue 18), in process: the curation ops through the hub on a real SQLite
store, the fold and its undo, the curator's role, the synthesis and the report over the folded
curation. No server, no sleeps (the hub, its store and the meeting are conftest.py's)."""

from __future__ import annotations

import copy
import itertools
import time

import pytest

from facilitator import provisioning
from facilitator.meeting import report, roles
from facilitator.meeting.archive import check_archive
from facilitator.meeting.ops import HANDLERS
from facilitator.meeting.state import fold
from facilitator.meeting.synthesis import Synthesizer
from support import Hub

Q = "s2-q3"
CHAIR = roles.Actor(roles.CHAIR)
CURATOR = roles.Actor(roles.CURATOR, name="Rapporteur-general")
CURATION_OPS = ("cluster.confirm", "cluster.reject", "cluster.move", "cluster.detach", "cluster.merge",
                "cluster.title", "cluster.include", "curation.undo")
TEXTS = {  # one proposal in three groups, and two ideas of their own
    "obs-africa": ("africa", "A regional observatory of labour migration data.", "en"),
    "obs-americas": ("americas", "Un sistema regional de información con datos comparables.", "es"),
    "obs-mena": ("mena", "إنشاء مرصد عربي لهجرة العمالة", "ar"),
    "ret-africa": ("africa", "Social rights must follow the worker who returns home.", "en"),
    "ret-americas": ("americas", "Support for deported returnees to find work again.", "en"),
    "kids-europe": ("europe-central-asia", "Unaccompanied children go missing from reception centres.", "en"),
}
_op_ids = itertools.count(1)


def send(hub, meeting_id, actor, **message) -> dict:
    return hub.submit(meeting_id, actor, dict(message, op_id=f"op-{next(_op_ids):06d}"))


def ok(hub, meeting_id, actor, **message) -> dict:
    ack = send(hub, meeting_id, actor, **message)
    assert ack["ok"], ack
    return ack


def code(ack) -> str:
    return "ok" if ack["ok"] else ack["error"]["code"]


@pytest.fixture
def room(meeting):
    """The meeting with TEXTS on the boards: (hub, meeting id)."""
    for cid, (group, text, lang) in TEXTS.items():
        ok(meeting.hub, meeting.id, roles.Actor(roles.RAPPORTEUR, group_id=group), type="contribution.add",
           question_id=Q, text=text, kind="recommendation", agreement="consensus", lang=lang, id=cid)
    return meeting.hub, meeting.id


def curation(hub, meeting_id) -> dict:
    return hub.state(meeting_id).curation


def decided(hub, meeting_id) -> dict:
    """What the decisions in effect made, without the history that lists them."""
    return copy.deepcopy({k: v for k, v in curation(hub, meeting_id).items() if k != "history"})


def synthesis(hub, meeting_id) -> dict:
    state = hub.state(meeting_id)
    result = Synthesizer(engine="lexical").analyse(
        state.live_contributions(), state.meeting["sessions"],
        {s["id"]: s["groups"] for s in state.meeting["sessions"]}, state.curation)
    return next(q for q in result["questions"] if q["question_id"] == Q)


def point_in(question: dict, point_id: str) -> dict | None:
    return next((cl for cl in question["converging"] if cl["id"] == point_id), None)


# ----- making points -----------------------------------------------------------------------------


def test_a_new_point_made_by_hand_has_its_own_id_title_and_headline(room):
    hub, mid = room
    ack = ok(hub, mid, CURATOR, type="cluster.confirm", point_id="p-observatory",
             contribution_ids=["obs-africa", "obs-americas", "obs-mena"])
    # the client titles the point it proposed without waiting for the ack's event
    ok(hub, mid, CURATOR, type="cluster.title", cluster_id="p-observatory", title="A data observatory")
    ok(hub, mid, CURATOR, type="cluster.title", cluster_id="p-observatory", title="Un observatoire", lang="fr")
    point = curation(hub, mid)["points"]["p-observatory"]
    assert point == {"id": "p-observatory", "question_id": Q, "members": ["obs-africa", "obs-americas", "obs-mena"],
                     "title": "A data observatory", "titles": {"fr": "Un observatoire"},
                     "created_seq": ack["seq"]}
    assert curation(hub, mid)["point_of"] == {c: "p-observatory" for c in point["members"]}
    shown = point_in(synthesis(hub, mid), "p-observatory")
    assert shown["contributions"] == point["members"] and shown["title"] == "A data observatory"
    assert shown["status"] == "confirmed" and shown["on_plenary"] is True
    assert shown["central"] in point["members"]
    assert not set(point["members"]) & set(synthesis(hub, mid)["unique"])
    event = hub.store.read(mid)[ack["seq"] - 1]
    assert event["type"] == "cluster.confirmed" and event["by"]["role"] == "curator"
    assert event["members"] == point["members"] and event["absorbed"] == []


def test_translators_see_the_members_of_titled_points_only(room):
    """The translation desk puts a titled point's texts first; a point is named for itself, so the
    translators' view lists its members (of titled points only: no other curation reaches them)."""
    hub, mid = room
    translator = roles.Actor(roles.TRANSLATOR)
    ok(hub, mid, CURATOR, type="cluster.confirm", point_id="p-observatory",
       contribution_ids=["obs-africa", "obs-americas"])
    ok(hub, mid, CURATOR, type="cluster.confirm", point_id="p-return",
       contribution_ids=["ret-africa", "ret-americas"])
    assert hub.view(mid, translator)["curation"]["point_members"] == {}
    ok(hub, mid, CURATOR, type="cluster.title", cluster_id="p-observatory", title="A data observatory")
    view = hub.view(mid, translator)["curation"]
    assert view["point_members"] == {"p-observatory": ["obs-africa", "obs-americas"]}
    assert set(view) == {"titles", "titles_by_lang", "point_members"}
    ok(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-mena", to="p-observatory")
    assert hub.view(mid, translator)["curation"]["point_members"]["p-observatory"] == [
        "obs-africa", "obs-americas", "obs-mena"]


def test_a_point_needs_two_groups_one_question_and_live_contributions(room):
    hub, mid = room
    ok(hub, mid, roles.Actor(roles.RAPPORTEUR, group_id="africa"), type="contribution.add", question_id="s2-q2",
       text="Another question's answer.", kind="gap", agreement="consensus", id="other-q-0001")
    ok(hub, mid, roles.Actor(roles.RAPPORTEUR, group_id="mena"), type="contribution.delete", contribution_id="obs-mena")
    for ids, expected in ((["obs-africa", "ret-africa"], "invalid"),  # one group's
                          (["obs-americas", "other-q-0001"], "invalid"),  # two questions
                          (["obs-africa", "obs-mena"], "not_found")):  # deleted
        assert code(send(hub, mid, CURATOR, type="cluster.confirm", contribution_ids=ids)) == expected, ids
    assert code(send(hub, mid, CURATOR, type="cluster.confirm", point_id="x-bad",
                     contribution_ids=["obs-africa", "obs-americas"])) == "invalid"
    for message in ({"type": "cluster.detach", "contribution_id": "obs-mena"},
                    {"type": "cluster.move", "contribution_id": "obs-mena", "to": None},
                    {"type": "cluster.title", "cluster_id": "c-obs-mena", "title": "x"},
                    {"type": "spotlight.set", "cluster_id": "c-nothing"}):
        assert code(send(hub, mid, CHAIR, **message)) == "not_found", message
    assert curation(hub, mid)["points"] == {}


def test_confirming_across_points_keeps_the_oldest_and_empties_the_others(room):
    hub, mid = room
    ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-first", contribution_ids=["obs-africa", "obs-americas"])
    ok(hub, mid, CHAIR, type="cluster.title", cluster_id="p-first", title="Observatory")
    ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-second", contribution_ids=["ret-americas", "obs-mena"])
    ack = ok(hub, mid, CURATOR, type="cluster.confirm", contribution_ids=["obs-americas", "obs-mena"])
    event = hub.store.read(mid)[ack["seq"] - 1]
    assert event["point_id"] == "p-first" and event["absorbed"] == ["p-second"]
    points = curation(hub, mid)["points"]
    assert points["p-first"]["members"] == ["obs-africa", "obs-americas", "ret-americas", "obs-mena"]
    assert points["p-first"]["title"] == "Observatory"
    assert points["p-second"]["members"] == []  # it stays, empty: undo and its title survive
    # naming a point adds to it; a legacy cluster id makes a point of that id
    ok(hub, mid, CHAIR, type="cluster.confirm", cluster_id="c-kids-europe", contribution_ids=["kids-europe", "ret-africa"])
    assert curation(hub, mid)["points"]["c-kids-europe"]["members"] == ["kids-europe", "ret-africa"]


def test_a_rejection_is_a_cannot_link_set_and_splits_a_point(room):
    hub, mid = room
    ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-data", contribution_ids=["obs-africa", "obs-americas", "obs-mena"])
    ack = ok(hub, mid, CURATOR, type="cluster.reject", contribution_ids=["obs-mena", "obs-americas"])
    assert hub.store.read(mid)[ack["seq"] - 1]["removed"] == {"p-data": ["obs-mena"]}
    cur = curation(hub, mid)
    assert cur["points"]["p-data"]["members"] == ["obs-africa", "obs-americas"]  # the earliest-joined stays
    assert cur["rejected_sets"] == [["obs-mena", "obs-americas"]] and cur["rejected"] == []
    assert "obs-mena" not in cur["point_of"]
    # a later confirmation is the latest word: it lifts the cannot-link between its members only
    ok(hub, mid, CHAIR, type="cluster.reject", contribution_ids=["ret-africa", "ret-americas", "kids-europe"])
    ok(hub, mid, CHAIR, type="cluster.confirm", contribution_ids=["ret-africa", "ret-americas"])
    assert sorted(map(sorted, curation(hub, mid)["rejected_sets"])) == [
        ["kids-europe", "ret-africa"], ["kids-europe", "ret-americas"], ["obs-americas", "obs-mena"]]


def test_moving_merging_and_standing_alone(room):
    hub, mid = room
    ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-data", contribution_ids=["obs-africa", "obs-americas"])
    ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-home", contribution_ids=["ret-africa", "ret-americas"])
    ack = ok(hub, mid, CURATOR, type="cluster.move", contribution_id="ret-americas", to="p-data")
    moved = hub.store.read(mid)[ack["seq"] - 1]
    assert (moved["type"], moved["from"], moved["to"]) == ("cluster.moved", "p-home", "p-data")
    assert code(send(hub, mid, CURATOR, type="cluster.move", contribution_id="ret-americas", to="p-data")) == "conflict"
    assert code(send(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-mena", to="p-nope")) == "not_found"
    assert code(send(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-mena")) == "invalid"
    ok(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-africa", to=None)
    cur = curation(hub, mid)
    assert cur["points"]["p-data"]["members"] == ["obs-americas", "ret-americas"]
    assert "obs-africa" in cur["detached"] and "obs-africa" not in cur["point_of"]
    ok(hub, mid, CURATOR, type="cluster.merge", cluster_id="p-home", into="p-data")
    cur = curation(hub, mid)
    assert cur["points"]["p-data"]["members"] == ["obs-americas", "ret-americas", "ret-africa"]
    assert cur["points"]["p-home"]["members"] == []
    # a suggested cluster into a point: the contributions named (else its anchor) join the point
    ok(hub, mid, CURATOR, type="cluster.merge", cluster_id="c-obs-mena", into="p-data")
    ok(hub, mid, CURATOR, type="cluster.detach", contribution_id="ret-africa")
    assert curation(hub, mid)["points"]["p-data"]["members"] == ["obs-americas", "ret-americas", "obs-mena"]
    ok(hub, mid, CURATOR, type="cluster.merge", cluster_id="p-data", into="c-obs-africa",
       contribution_ids=["obs-africa", "ret-africa"])
    assert curation(hub, mid)["points"]["p-data"]["members"] == [
        "obs-americas", "ret-americas", "obs-mena", "obs-africa", "ret-africa"]
    assert code(send(hub, mid, CURATOR, type="cluster.merge", cluster_id="p-data", into="p-data")) == "invalid"


# ----- undo ----------------------------------------------------------------------------------------


def prepare(hub, mid):
    """A point and a suggested cluster's title, for every op to act on."""
    ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-data", contribution_ids=["obs-africa", "obs-americas"])
    ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-home", contribution_ids=["ret-africa", "ret-americas"])
    ok(hub, mid, CHAIR, type="cluster.title", cluster_id="p-data", title="Observatory")


UNDOABLE = {
    "cluster.confirm": {"contribution_ids": ["obs-americas", "obs-mena", "ret-africa"]},
    "cluster.reject": {"contribution_ids": ["obs-africa", "obs-americas", "ret-americas"]},
    "cluster.move": {"contribution_id": "obs-americas", "to": "p-home"},
    "cluster.detach": {"contribution_id": "obs-africa"},
    "cluster.include": {"contribution_ids": ["ret-americas", "obs-africa"]},
    "cluster.merge": {"cluster_id": "p-home", "into": "p-data"},
    "cluster.merge/suggested": {"type": "cluster.merge", "cluster_id": "c-obs-mena", "into": "p-data"},
    "cluster.title": {"cluster_id": "p-data", "title": "Data", "lang": "es"},
}


@pytest.mark.parametrize("op_type", sorted(UNDOABLE))
def test_every_curation_op_is_undone_and_redone(room, op_type):
    hub, mid = room
    prepare(hub, mid)
    before = decided(hub, mid)
    fields = dict(UNDOABLE[op_type], type=op_type.split("/")[0])
    ack = ok(hub, mid, CURATOR, **fields)
    after = decided(hub, mid)
    assert after != before
    undo = ok(hub, mid, CURATOR, type="curation.undo", seq=ack["seq"])
    assert decided(hub, mid) == before
    assert code(send(hub, mid, CURATOR, type="curation.undo", seq=ack["seq"])) == "conflict"
    entry = next(h for h in curation(hub, mid)["history"] if h["seq"] == ack["seq"])
    assert entry["undone"] is True and entry["undone_by"] == undo["seq"]
    ok(hub, mid, CHAIR, type="curation.undo", seq=undo["seq"])  # undoing the undo redoes
    assert decided(hub, mid) == after
    assert code(send(hub, mid, CHAIR, type="curation.undo", seq=undo["seq"])) == "conflict"
    # a restarted server folds the same decisions from the log
    assert {k: v for k, v in Hub(hub.store, emit=lambda *a: None).state(mid).curation.items()
            if k != "history"} == after


def test_undo_names_a_curation_event_and_later_decisions_stay(room):
    hub, mid = room
    assert code(send(hub, mid, CURATOR, type="curation.undo", seq=2)) == "not_found"  # a contribution
    assert code(send(hub, mid, CURATOR, type="curation.undo", seq=10_000)) == "not_found"
    assert code(send(hub, mid, CURATOR, type="curation.undo", seq="2")) == "invalid"
    first = ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-data", contribution_ids=["obs-africa", "obs-americas"])
    ok(hub, mid, CHAIR, type="cluster.title", cluster_id="p-data", title="Observatory")
    ok(hub, mid, CHAIR, type="cluster.confirm", point_id="p-home", contribution_ids=["ret-africa", "ret-americas"])
    ok(hub, mid, CURATOR, type="curation.undo", seq=first["seq"])
    cur = curation(hub, mid)
    assert "p-data" not in cur["points"] and cur["points"]["p-home"]["members"] == ["ret-africa", "ret-americas"]
    assert cur["titles"] == {"p-data": "Observatory"}  # kept for the point's return
    assert [h["type"] for h in cur["history"]] == ["cluster.confirmed", "cluster.titled", "cluster.confirmed",
                                                  "curation.undone"]


def test_the_fold_stays_cheap_with_many_large_cannot_link_sets(meeting):
    """Rejections are sets, never expanded into pairs: 300 sets of 150 fold, and undo, at once."""
    state = fold(hub_event for hub_event in meeting.hub.store.read(meeting.id))
    ids = [f"c{n:05d}" for n in range(600)]
    for n, cid in enumerate(ids):
        state.contributions[cid] = {"id": cid, "question_id": Q, "group_id": f"g{n % 5}", "deleted": False}
    started = time.perf_counter()
    seq = state.seq
    for n in range(300):
        seq += 1
        state.apply({"type": "cluster.rejected", "seq": seq, "ts": 0, "by": {"role": "curator"},
                     "contribution_ids": ids[n % 450:n % 450 + 150]})
    seq += 1
    state.apply({"type": "curation.undone", "seq": seq, "ts": 0, "by": {"role": "curator"},
                 "target_seq": seq - 300, "root_seq": seq - 300, "target_type": "cluster.rejected", "undone": True})
    assert len(state.curation["rejected_sets"]) == 299
    assert time.perf_counter() - started < 2.0


# ----- the curator -----------------------------------------------------------------------------------


ROLE_ACTORS = {"chair": CHAIR, "curator": CURATOR, "plenary": roles.Actor(roles.PLENARY),
               "rapporteur": roles.Actor(roles.RAPPORTEUR, group_id="africa"),
               "participant": roles.Actor(roles.PARTICIPANT, participant_id="p1"),
               "translator": roles.Actor(roles.TRANSLATOR)}


@pytest.mark.parametrize("role", sorted(ROLE_ACTORS))
def test_role_matrix_of_the_curation_ops(room, role):
    """chair and curator may curate; nobody else. The curator may send nothing but curation."""
    hub, mid = room
    prepare(hub, mid)
    actor = ROLE_ACTORS[role]
    for op_type, fields in sorted(UNDOABLE.items()):
        want = "ok" if role in ("chair", "curator") else "forbidden"
        assert code(send(hub, mid, actor, **dict(fields, type=op_type.split("/")[0]))) == want, (role, op_type)
    if role == "curator":
        for op_type in sorted(set(HANDLERS) - set(CURATION_OPS)):
            assert code(send(hub, mid, actor, type=op_type)) == "forbidden", op_type


def test_the_curator_key_link_audience_and_view(meeting, room):
    hub, mid = room
    actor = hub.authenticate(mid, meeting.secrets["curator"])
    assert actor.role == "curator" and actor.audience == "curators"
    links = provisioning.links("https://f.example.org/", mid, meeting.secrets, hub.state(mid).meeting)
    assert links["curator_url"] == f"https://f.example.org/m/{mid}/synthesis?key={meeting.secrets['curator']}"
    old = {k: v for k, v in meeting.secrets.items() if k != "curator"}
    assert "curator_url" not in provisioning.links("https://f.example.org", mid, old, hub.state(mid).meeting)
    assert roles.actor_for_key(old, "") is None and roles.PAGE_OF_ROLE["curator"] == "synthesis"

    curator = meeting.connect(meeting.secrets["curator"])
    assert curator.op("cluster.confirm", point_id="p-data", contribution_ids=["obs-africa", "obs-americas"])["ok"]
    ok(hub, mid, CHAIR, type="spotlight.set", cluster_id="p-data")
    ok(hub, mid, CHAIR, type="outcome.mark", cluster_id="p-data")
    ok(hub, mid, CHAIR, type="ballot.open", contribution_ids=["obs-africa"])
    ok(hub, mid, CHAIR, type="board.lock", group_id="all", locked=True)
    meeting.join("africa")
    received = {e["type"] for e in curator.events}
    assert received == {"cluster.confirmed", "spotlight.set"}, received
    view = curator.view()
    assert view["role"] == "curator" and view["spotlight"] == {"cluster_id": "p-data"}
    for hidden in ("ballots", "outcome", "participants", "my_votes", "anonymous"):
        assert hidden not in view, hidden
    assert {c["group_id"] for c in view["contributions"]} == {"africa", "americas", "mena", "europe-central-asia"}
    assert all("translations" in c for c in view["contributions"])
    assert set(view["curation"]) >= {"points", "point_of", "rejected_sets", "history", "titles", "titles_by_lang"}
    assert view["order"]


# ----- the report follows the point ---------------------------------------------------------------


def recommendations(hub, mid) -> list[dict]:
    state = hub.state(mid)
    result = Synthesizer(engine="lexical").analyse(
        state.live_contributions(), state.meeting["sessions"],
        {s["id"]: s["groups"] for s in state.meeting["sessions"]}, state.curation)
    return report.build_report(state, result, {}, "en")["recommendations"]


def test_a_points_title_confirmation_and_forward_survive_its_earliest_member_moving_out(room):
    hub, mid = room
    ok(hub, mid, CURATOR, type="cluster.confirm", point_id="p-data",
       contribution_ids=["obs-africa", "obs-americas", "obs-mena"])
    ok(hub, mid, CURATOR, type="cluster.title", cluster_id="p-data", title="A regional data observatory")
    ok(hub, mid, CHAIR, type="outcome.mark", cluster_id="p-data")
    ok(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-africa", to=None)

    (rec,) = recommendations(hub, mid)
    assert rec["cluster_id"] == "p-data" and rec["title"] == "A regional data observatory"
    assert [s["id"] for s in rec["sources"]] == ["obs-americas", "obs-mena"]
    assert point_in(synthesis(hub, mid), "p-data")["status"] == "confirmed"

    ok(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-africa", to="p-data")
    (rec,) = recommendations(hub, mid)  # once, with every group
    assert rec["title"] == "A regional data observatory"
    assert {s["group_id"] for s in rec["sources"]} == {"africa", "americas", "mena"}


def test_a_forwarded_point_left_with_one_group_still_prints_its_members(room):
    hub, mid = room
    ok(hub, mid, CURATOR, type="cluster.confirm", point_id="p-data", contribution_ids=["obs-africa", "obs-americas"])
    ok(hub, mid, CHAIR, type="outcome.mark", cluster_id="p-data")
    ok(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-americas", to=None)
    assert point_in(synthesis(hub, mid), "p-data") is None
    (rec,) = recommendations(hub, mid)
    assert [s["id"] for s in rec["sources"]] == ["obs-africa"]


# ----- logs, archives, the demo, the suggestions -------------------------------------------------------


def test_a_legacy_log_folds_its_confirmation_into_a_point_named_by_its_cluster(room):
    hub, mid = room
    events = [e for e in hub.store.read(mid)]
    seq = events[-1]["seq"]
    legacy = [{"type": "cluster.titled", "cluster_id": "c-obs-africa", "title": "Old title"},
              {"type": "cluster.confirmed", "cluster_id": "c-obs-africa", "contribution_ids": ["obs-africa", "obs-mena"]},
              {"type": "cluster.merged", "cluster_id": "c-ret-africa", "into": "c-ret-americas",
               "contribution_a": "ret-africa", "contribution_b": "ret-americas"},
              {"type": "cluster.rejected", "cluster_id": "c-obs-africa", "contribution_ids": ["obs-africa", "kids-europe"]}]
    for n, e in enumerate(legacy, start=1):
        events.append(dict(e, seq=seq + n, ts=0, by={"role": "chair"}))
    checked_id, cleaned = check_archive({"meeting_id": mid, "events": events})
    state = fold(dict(e, seq=n) for n, e in enumerate(cleaned, start=1))
    point = state.curation["points"]["c-obs-africa"]
    assert point["members"] == ["obs-africa", "obs-mena"] and point["title"] == "Old title"
    assert state.curation["links"] == [["ret-africa", "ret-americas"]]
    assert state.curation["rejected_sets"] == [["obs-africa", "kids-europe"]]


def test_new_curation_events_pass_the_archive_checks(room):
    hub, mid = room
    prepare(hub, mid)
    for op_type, fields in sorted(UNDOABLE.items()):
        ok(hub, mid, CURATOR, **dict(fields, type=op_type.split("/")[0]))
    last = hub.state(mid).seq
    undo = ok(hub, mid, CURATOR, type="curation.undo", seq=last)
    ok(hub, mid, CURATOR, type="curation.undo", seq=undo["seq"])
    ok(hub, mid, CHAIR, type="outcome.mark", cluster_id="p-data")
    events = [{k: v for k, v in e.items() if k not in ("prev", "op_id")} for e in hub.store.read(mid)]
    _, cleaned = check_archive({"meeting_id": mid, "events": events})
    refolded = fold(dict(e, seq=n) for n, e in enumerate(cleaned, start=1))
    assert refolded.curation == hub.state(mid).curation
    tampered = [dict(e) for e in events]
    tampered[-2]["undone"] = not tampered[-2]["undone"]
    with pytest.raises(Exception, match="undoing"):
        check_archive({"meeting_id": mid, "events": tampered})


def test_the_demo_meeting_seeds_curator_decisions_as_events(store):
    import yaml

    from facilitator.cli import DEMO_CONTRIBUTIONS, DEMO_CURATION
    from facilitator.meeting.agenda import load_agenda

    mid, _ = provisioning.create_meeting(store, load_agenda("grcp7"))
    with open(DEMO_CONTRIBUTIONS, encoding="utf-8") as handle:
        provisioning.seed_contributions(store, mid, yaml.safe_load(handle))
    with open(DEMO_CURATION, encoding="utf-8") as handle:
        assert provisioning.seed_curation(store, mid, yaml.safe_load(handle)) >= 3
    state = fold(store.read(mid))
    point = state.curation["points"]["p-demo-observatory"]
    assert {state.contributions[c]["group_id"] for c in point["members"]} == {"africa", "americas", "mena"}
    assert point["title"] and set(point["titles"]) == {"fr", "es", "ar"}
    assert len(state.curation["rejected_sets"]) == 1
    assert {e["by"]["role"] for e in store.read(mid) if e["type"].startswith("cluster.")} == {"curator"}


def test_suggestions_leave_out_what_is_decided(room):
    hub, mid = room
    state = hub.state(mid)
    contributions = [c for c in state.live_contributions() if c["question_id"] == Q]
    engine = Synthesizer(engine="lexical")
    pairs = engine.suggestions(contributions, state.curation, 200)
    groups = {c["id"]: c["group_id"] for c in contributions}
    assert pairs and all(groups[p["a"]] != groups[p["b"]] for p in pairs)
    assert [p["score"] for p in pairs] == sorted((p["score"] for p in pairs), reverse=True)
    assert len(pairs) == sum(groups[a] != groups[b] for a, b in itertools.combinations(groups, 2))
    best = pairs[0]
    assert best["terms"]
    ok(hub, mid, CURATOR, type="cluster.reject", contribution_ids=[best["a"], best["b"]])
    ok(hub, mid, CURATOR, type="cluster.confirm", contribution_ids=["obs-africa", "obs-americas", "obs-mena"])
    scored = engine.pair_scores(contributions)
    left = engine.suggestions(contributions, hub.state(mid).curation, 200, scored)
    seen = {frozenset((p["a"], p["b"])) for p in left}
    assert frozenset((best["a"], best["b"])) not in seen
    assert not seen & {frozenset(p) for p in itertools.combinations(["obs-africa", "obs-americas", "obs-mena"], 2)}
    assert engine.suggestions(contributions, hub.state(mid).curation, 2, scored) == left[:2]


# ----- a contribution in two points (cluster.include) ----------------------------------------------


def two_points(hub, mid):
    """p-data and p-home, and obs-americas (its note carries both) in p-home as well."""
    prepare(hub, mid)
    return ok(hub, mid, CURATOR, type="cluster.include", contribution_ids=["obs-americas", "ret-africa"])


def test_include_makes_an_additional_membership_and_a_restart_keeps_it(room):
    hub, mid = room
    ack = two_points(hub, mid)
    cur = curation(hub, mid)
    assert cur["points"]["p-home"]["members"] == ["ret-africa", "ret-americas", "obs-americas"]
    assert cur["points"]["p-data"]["members"] == ["obs-africa", "obs-americas"]
    assert cur["point_of"]["obs-americas"] == "p-data" and cur["also_of"] == {"obs-americas": ["p-home"]}
    entry = next(h for h in cur["history"] if h["seq"] == ack["seq"])
    assert entry["type"] == "cluster.included" and entry["point_id"] == "p-home"
    # b in no point: a new point {b, a}; a keeps its own
    ok(hub, mid, CHAIR, type="cluster.include", contribution_ids=["ret-americas", "kids-europe"], point_id="p-kids")
    cur = curation(hub, mid)
    assert cur["points"]["p-kids"]["members"] == ["kids-europe", "ret-americas"]
    assert cur["point_of"]["ret-americas"] == "p-home" and cur["also_of"]["ret-americas"] == ["p-kids"]
    assert {k: v for k, v in Hub(hub.store, emit=lambda *a: None).state(mid).curation.items()
            if k != "history"} == decided(hub, mid)


def test_include_refuses_what_means_nothing(room):
    hub, mid = room
    two_points(hub, mid)
    include = dict(type="cluster.include")
    assert code(send(hub, mid, CURATOR, contribution_ids=["obs-americas", "ret-africa"], **include)) == "conflict"
    assert code(send(hub, mid, CURATOR, contribution_ids=["obs-americas", "obs-africa"], **include)) == "conflict"
    assert code(send(hub, mid, CURATOR, contribution_ids=["ret-africa", "obs-africa"], **include)) == "invalid"  # one group
    assert code(send(hub, mid, CURATOR, contribution_ids=["obs-mena", "obs-mena"], **include)) == "invalid"
    assert code(send(hub, mid, CURATOR, contribution_ids=["obs-mena", "kids-europe", "obs-africa"], **include)) == "invalid"
    assert code(send(hub, mid, CURATOR, contribution_ids=["obs-mena", "nobody"], **include)) == "not_found"
    assert code(send(hub, mid, roles.Actor(roles.PLENARY), contribution_ids=["obs-mena", "obs-africa"], **include)) == "forbidden"


def test_undo_and_redo_of_an_include(room):
    hub, mid = room
    prepare(hub, mid)
    before = decided(hub, mid)
    ack = ok(hub, mid, CURATOR, type="cluster.include", contribution_ids=["obs-americas", "ret-africa"])
    after = decided(hub, mid)
    undo = ok(hub, mid, CURATOR, type="curation.undo", seq=ack["seq"])
    assert decided(hub, mid) == before and curation(hub, mid)["also_of"] == {}
    ok(hub, mid, CHAIR, type="curation.undo", seq=undo["seq"])
    assert decided(hub, mid) == after


def test_detach_and_move_of_an_additional_membership(room):
    hub, mid = room
    two_points(hub, mid)
    assert code(send(hub, mid, CURATOR, type="cluster.detach", contribution_id="obs-americas", point_id="p-nope")) == "not_found"
    assert code(send(hub, mid, CURATOR, type="cluster.detach", contribution_id="obs-mena", point_id="p-home")) == "conflict"
    # out of the point it is an additional member of: that membership only
    ack = ok(hub, mid, CURATOR, type="cluster.detach", contribution_id="obs-americas", point_id="p-home")
    cur = curation(hub, mid)
    assert cur["points"]["p-home"]["members"] == ["ret-africa", "ret-americas"] and cur["also_of"] == {}
    assert cur["point_of"]["obs-americas"] == "p-data" and "obs-americas" not in cur["detached"]
    ok(hub, mid, CURATOR, type="curation.undo", seq=ack["seq"])
    # out of its primary point: its additional one becomes its primary one
    ok(hub, mid, CURATOR, type="cluster.detach", contribution_id="obs-americas", point_id="p-data")
    cur = curation(hub, mid)
    assert cur["point_of"]["obs-americas"] == "p-home" and cur["also_of"] == {}
    assert cur["points"]["p-data"]["members"] == ["obs-africa"]
    two_points_again = ok(hub, mid, CURATOR, type="cluster.include", contribution_ids=["obs-americas", "obs-africa"])
    assert curation(hub, mid)["also_of"] == {"obs-americas": ["p-data"]}
    # a move takes its primary membership elsewhere; the additional one stays
    ok(hub, mid, CURATOR, type="cluster.confirm", point_id="p-kids", contribution_ids=["kids-europe", "obs-mena"])
    assert code(send(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-americas", to="p-data")) == "conflict"
    ok(hub, mid, CURATOR, type="cluster.move", contribution_id="obs-americas", to="p-kids")
    cur = curation(hub, mid)
    assert cur["point_of"]["obs-americas"] == "p-kids" and cur["also_of"] == {"obs-americas": ["p-data"]}
    assert "obs-americas" not in cur["points"]["p-home"]["members"]
    # standing alone: out of every point
    ok(hub, mid, CURATOR, type="cluster.detach", contribution_id="obs-americas")
    cur = curation(hub, mid)
    assert "obs-americas" not in cur["point_of"] and cur["also_of"] == {} and "obs-americas" in cur["detached"]
    assert all("obs-americas" not in p["members"] for p in cur["points"].values())
    assert two_points_again["ok"]


def test_merge_and_reject_over_an_additional_membership(room):
    hub, mid = room
    two_points(hub, mid)
    ok(hub, mid, CURATOR, type="cluster.confirm", point_id="p-kids", contribution_ids=["kids-europe", "obs-mena"])
    # the additional member of the merged point is an additional member of the point it joins
    merge = ok(hub, mid, CURATOR, type="cluster.merge", cluster_id="p-home", into="p-kids")
    cur = curation(hub, mid)
    assert cur["points"]["p-kids"]["members"] == ["kids-europe", "obs-mena", "ret-africa", "ret-americas", "obs-americas"]
    assert cur["point_of"]["obs-americas"] == "p-data" and cur["also_of"] == {"obs-americas": ["p-kids"]}
    ok(hub, mid, CURATOR, type="curation.undo", seq=merge["seq"])
    # into the point it is primary in: one membership, its primary one
    ok(hub, mid, CURATOR, type="cluster.merge", cluster_id="p-home", into="p-data")
    cur = curation(hub, mid)
    assert cur["points"]["p-data"]["members"] == ["obs-africa", "obs-americas", "ret-africa", "ret-americas"]
    assert cur["also_of"] == {}


def test_a_rejection_ends_the_later_membership_only(room):
    hub, mid = room
    two_points(hub, mid)
    ok(hub, mid, CURATOR, type="cluster.reject", contribution_ids=["obs-americas", "ret-africa"])
    cur = curation(hub, mid)
    assert cur["points"]["p-home"]["members"] == ["ret-africa", "ret-americas"] and cur["also_of"] == {}
    assert cur["points"]["p-data"]["members"] == ["obs-africa", "obs-americas"]


def test_a_contribution_in_two_points_shows_in_both_and_the_report_prints_it_under_each(room):
    from facilitator.meeting.synthesis import _curation

    hub, mid = room
    two_points(hub, mid)
    ok(hub, mid, CURATOR, type="cluster.title", cluster_id="p-home", title="Rights that follow the worker home")
    question = synthesis(hub, mid)
    assert point_in(question, "p-home")["contributions"] == ["ret-africa", "ret-americas", "obs-americas"]
    assert point_in(question, "p-data")["contributions"] == ["obs-africa", "obs-americas"]
    # at session level a point's additional member chains it to no other point
    points = {p["id"]: p for p in _curation(curation(hub, mid))["points"]}
    assert points["p-home"]["primary"] == ["ret-africa", "ret-americas"]
    assert points["p-data"]["primary"] == ["obs-africa", "obs-americas"]
    ok(hub, mid, CHAIR, type="outcome.mark", cluster_id="p-data")
    ok(hub, mid, CHAIR, type="outcome.mark", cluster_id="p-home")
    recs = {r["cluster_id"]: r for r in recommendations(hub, mid)}
    assert [s["id"] for s in recs["p-data"]["sources"]] == ["obs-africa", "obs-americas"]
    assert [s["id"] for s in recs["p-home"]["sources"]] == ["ret-africa", "ret-americas", "obs-americas"]
    assert recs["p-home"]["title"] == "Rights that follow the worker home"
    state = hub.state(mid)
    result = Synthesizer(engine="lexical").analyse(
        state.live_contributions(), state.meeting["sessions"],
        {s["id"]: s["groups"] for s in state.meeting["sessions"]}, state.curation)
    built = report.build_report(state, result, {}, "en")
    shown = [p for s in built["sessions"] for q in s.get("questions", []) for p in q.get("converging", [])]
    assert shown, sorted(built)
    under = {p["id"] for p in shown if any(m["id"] == "obs-americas" for m in p["contributions"])}
    assert under == {"p-data", "p-home"}



def test_suggestions_leave_out_pairs_together_in_any_point(room):
    hub, mid = room
    two_points(hub, mid)
    state = hub.state(mid)
    contributions = [c for c in state.live_contributions() if c["question_id"] == Q]
    pairs = Synthesizer(engine="lexical").suggestions(contributions, state.curation, 200)
    seen = {frozenset((p["a"], p["b"])) for p in pairs}
    together = [("obs-americas", "ret-africa"), ("obs-americas", "ret-americas"), ("obs-americas", "obs-africa"),
                ("ret-africa", "ret-americas")]
    assert not seen & {frozenset(p) for p in together}
    # a contribution against a point it is not in stays proposable
    assert seen & {frozenset(("obs-mena", c)) for c in ("obs-africa", "obs-americas")}
    assert seen & {frozenset(("kids-europe", c)) for c in ("ret-africa", "ret-americas", "obs-americas")}


def test_at_session_level_an_additional_membership_chains_no_two_points(room):
    """A copy of a returnee note under another question joins the returnees' point across the
    session; the observatory point, which holds one of that point's notes as an additional
    member, stays out of it (its must-links are its own members')."""
    hub, mid = room
    two_points(hub, mid)
    ok(hub, mid, roles.Actor(roles.RAPPORTEUR, group_id="mena"), type="contribution.add", question_id="s2-q2",
       text=TEXTS["ret-americas"][1], kind="recommendation", agreement="consensus", lang="en", id="ret-mena-q2")
    state = hub.state(mid)
    result = Synthesizer(engine="lexical").analyse(
        state.live_contributions(), state.meeting["sessions"],
        {s["id"]: s["groups"] for s in state.meeting["sessions"]}, state.curation)
    across = [cl for s in result["sessions"] for cl in s["converging"] if "ret-mena-q2" in cl["contributions"]]
    assert len(across) == 1 and "ret-americas" in across[0]["contributions"]
    assert "obs-africa" not in across[0]["contributions"]


def test_include_and_a_detach_from_one_point_pass_the_archive_checks(room):
    hub, mid = room
    two_points(hub, mid)
    ok(hub, mid, CURATOR, type="cluster.include", contribution_ids=["ret-americas", "kids-europe"], point_id="p-kids")
    ok(hub, mid, CURATOR, type="cluster.detach", contribution_id="obs-americas", point_id="p-home")
    events = [{k: v for k, v in e.items() if k not in ("prev", "op_id")} for e in hub.store.read(mid)]
    _, cleaned = check_archive({"meeting_id": mid, "events": events})
    assert fold(dict(e, seq=n) for n, e in enumerate(cleaned, start=1)).curation == hub.state(mid).curation
    tampered = [dict(e) for e in events]
    tampered[-1]["point_id"] = "p-nowhere"
    with pytest.raises(Exception, match="point"):
        check_archive({"meeting_id": mid, "events": tampered})


def memberships_hold(cur: dict) -> None:
    """Every point's members each name it (primary or additional), once; every membership named
    is in its point; an additional membership is never the primary one, and has one beside it."""
    for pid, point in cur["points"].items():
        assert len(point["members"]) == len(set(point["members"])), pid
        for cid in point["members"]:
            assert cur["point_of"].get(cid) == pid or pid in cur["also_of"].get(cid, []), (pid, cid)
    for cid, pid in cur["point_of"].items():
        assert cid in cur["points"][pid]["members"]
    for cid, pids in cur["also_of"].items():
        assert pids and cid in cur["point_of"] and cur["point_of"][cid] not in pids and len(set(pids)) == len(pids)
        assert all(cid in cur["points"][p]["members"] for p in pids)


def test_memberships_stay_whole_through_any_sequence_of_decisions_and_undos(room):
    """300 decisions drawn at random (fixed seed) over the six notes, undos among them: after
    each, the memberships hold; a restart folds the same curation."""
    import random

    hub, mid = room
    rnd = random.Random(18)
    cids = sorted(TEXTS)
    decisions = []
    for _ in range(300):
        pids = sorted(curation(hub, mid)["points"])
        a, b = rnd.sample(cids, 2)
        kind = rnd.choice(["confirm", "include", "include", "reject", "move", "detach", "detach1", "merge", "undo"])
        message = {"confirm": dict(type="cluster.confirm", contribution_ids=[a, b]),
                   "include": dict(type="cluster.include", contribution_ids=[a, b]),
                   "reject": dict(type="cluster.reject", contribution_ids=[a, b]),
                   "move": dict(type="cluster.move", contribution_id=a, to=rnd.choice(pids + [None])),
                   "detach": dict(type="cluster.detach", contribution_id=a),
                   "detach1": dict(type="cluster.detach", contribution_id=a, point_id=rnd.choice(pids or ["p-none"])),
                   "merge": dict(type="cluster.merge", cluster_id=rnd.choice(pids or ["p-none"]),
                                 into=rnd.choice(pids or ["p-none"])),
                   "undo": dict(type="curation.undo", seq=rnd.choice(decisions or [0]))}[kind]
        ack = send(hub, mid, CURATOR, **message)
        if ack["ok"]:
            decisions.append(ack["seq"])
        memberships_hold(curation(hub, mid))
    assert sum(h["type"] == "cluster.included" for h in curation(hub, mid)["history"]) >= 10
    assert {k: v for k, v in Hub(hub.store, emit=lambda *a: None).state(mid).curation.items()
            if k != "history"} == decided(hub, mid)
