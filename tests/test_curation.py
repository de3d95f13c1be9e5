"""The chair's decisions on converging points, in process: ops through the hub, a real SQLite
store, the fold, and the synthesis over the folded curation (no server, no sleeps). The hub,
its store and the meeting are conftest.py's in-process fixtures."""
import itertools

from facilitator.meeting import roles
from facilitator.meeting.synthesis import Synthesizer
from support import Hub

QUESTION = "s2-q2"
REMITTANCES = {
    "africa": "Reduce the fees on remittance transfers to below three per cent.",
    "americas": "Reduce remittance transfer fees for migrant families, now far too high.",
    "asia-pacific": "Remittance transfer fees must come down below three per cent.",
}


_op_ids = itertools.count(1)


def send(hub, meeting_id, actor, **message):
    ack = hub.submit(meeting_id, actor, dict(message, op_id=f"op-{next(_op_ids):06d}"))
    assert ack["ok"], ack
    return ack


def add(hub, meeting_id, group, text, cid):
    send(hub, meeting_id, roles.Actor(roles.RAPPORTEUR, group_id=group), type="contribution.add",
         question_id=QUESTION, text=text, kind="recommendation", agreement="consensus", lang="en",
         id=cid)


CHAIR = roles.Actor(roles.CHAIR)


def point_of(hub, meeting_id, cid):
    state = hub.state(meeting_id)
    result = Synthesizer(engine="lexical").analyse(
        state.live_contributions(), state.meeting["sessions"],
        {s["id"]: s["groups"] for s in state.meeting["sessions"]}, state.curation)
    question = next(q for q in result["questions"] if q["question_id"] == QUESTION)
    return next((cl for cl in question["converging"] if cid in cl["contributions"]), None)


def test_rejection_holds_as_contributions_arrive_and_after_a_restart(meeting):
    store, hub, meeting_id = meeting.hub.store, meeting.hub, meeting.id
    for n, (group, text) in enumerate(REMITTANCES.items()):
        add(hub, meeting_id, group, text, f"remit-{n:04d}")
    point = point_of(hub, meeting_id, "remit-0000")
    assert point["contributions"] == ["remit-0000", "remit-0001", "remit-0002"]
    assert point["status"] == "suggested"

    send(hub, meeting_id, CHAIR, type="cluster.reject", cluster_id=point["id"],
         contribution_ids=point["contributions"])
    assert point_of(hub, meeting_id, "remit-0000") is None
    # a fourth group says the same: it may join one of them, never bring the rejected ones together
    add(hub, meeting_id, "europe-central-asia", "Cut remittance transfer fees below three per cent.",
        "remit-0003")
    for cid in ("remit-0000", "remit-0001", "remit-0002"):
        point = point_of(hub, meeting_id, cid)
        rejected = {"remit-0000", "remit-0001", "remit-0002"}
        assert point is None or len(rejected & set(point["contributions"])) == 1

    restarted = Hub(store, emit=lambda room, payload: None)
    point = point_of(restarted, meeting_id, "remit-0000")
    assert point is None or "remit-0001" not in point["contributions"]


def test_confirmation_holds_as_contributions_arrive(meeting):
    store, hub, meeting_id = meeting.hub.store, meeting.hub, meeting.id
    add(hub, meeting_id, "africa", "Ethical recruitment: no worker pays a recruitment fee.", "recr-0000")
    add(hub, meeting_id, "mena", "Portable pension rights for returning migrant workers.", "pens-0000")
    # not similar enough for the engine: the chair links them by confirming what they saw
    send(hub, meeting_id, CHAIR, type="cluster.confirm", cluster_id="c-recr-0000",
         contribution_ids=["recr-0000", "pens-0000"])
    point = point_of(hub, meeting_id, "recr-0000")
    assert point["contributions"] == ["recr-0000", "pens-0000"]
    assert point["status"] == "confirmed" and point["on_plenary"]

    for n, group in enumerate(["americas", "asia-pacific", "europe-central-asia"]):
        add(hub, meeting_id, group, f"Hold a regional seminar on topic number {n} next year.",
            f"other-{n:04d}")
    point = point_of(Hub(store, emit=lambda room, payload: None), meeting_id, "recr-0000")
    assert {"recr-0000", "pens-0000"} <= set(point["contributions"])
    assert point["status"] == "confirmed"


def test_curation_ops_are_the_chairs_and_check_their_input(meeting):
    store, hub, meeting_id = meeting.hub.store, meeting.hub, meeting.id
    add(hub, meeting_id, "africa", REMITTANCES["africa"], "remit-0000")
    add(hub, meeting_id, "americas", REMITTANCES["americas"], "remit-0001")
    members = ["remit-0000", "remit-0001"]
    rapporteur = roles.Actor(roles.RAPPORTEUR, group_id="africa")
    for op_type in ("cluster.confirm", "cluster.reject"):
        ack = hub.submit(meeting_id, rapporteur, {"op_id": f"x-{op_type}", "type": op_type,
                                                   "cluster_id": "c-remit-0000", "contribution_ids": members})
        assert ack["error"]["code"] == "forbidden"
        for bad in ([], ["remit-0000"], ["remit-0000", "remit-0000"], ["remit-0000", "nope-0000"],
                    ["remit-0000", 7]):
            ack = hub.submit(meeting_id, CHAIR, {"op_id": f"bad-{op_type}-{bad}", "type": op_type,
                                                  "cluster_id": "c-remit-0000", "contribution_ids": bad})
            assert not ack["ok"] and ack["error"]["code"] in ("invalid", "not_found"), (bad, ack)
    ack = hub.submit(meeting_id, rapporteur, {"op_id": "x-show", "type": "plenary.show_suggestions",
                                               "shown": True})
    assert ack["error"]["code"] == "forbidden"
    send(hub, meeting_id, CHAIR, type="plenary.show_suggestions", shown=True)
    assert hub.state(meeting_id).curation["show_suggestions"] is True
    assert point_of(hub, meeting_id, "remit-0000")["on_plenary"] is True


def test_curation_events_survive_export_and_import_checks(meeting):
    """The archive check knows the curation events (import refuses any field it does not know)."""
    from facilitator.meeting.archive import check_archive

    store, hub, meeting_id = meeting.hub.store, meeting.hub, meeting.id
    add(hub, meeting_id, "africa", REMITTANCES["africa"], "remit-0000")
    add(hub, meeting_id, "americas", REMITTANCES["americas"], "remit-0001")
    members = ["remit-0000", "remit-0001"]
    send(hub, meeting_id, CHAIR, type="cluster.confirm", cluster_id="c-remit-0000", contribution_ids=members)
    send(hub, meeting_id, CHAIR, type="cluster.reject", cluster_id="c-remit-0000", contribution_ids=members)
    send(hub, meeting_id, CHAIR, type="plenary.show_suggestions", shown=True)
    events = [dict({k: v for k, v in e.items() if k not in ("prev", "op_id")}) for e in store.read(meeting_id)]
    checked_id, events = check_archive({"meeting_id": meeting_id, "events": events})
    assert checked_id == meeting_id
    assert [e["type"] for e in events][-3:] == ["cluster.confirmed", "cluster.rejected",
                                                "plenary.suggestions_shown"]
