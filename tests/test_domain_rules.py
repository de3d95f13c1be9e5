"""The shared rules of the domain, each written once: ids, order keys, language codes, the
Arabic-script share, joining as an op, a meeting's ballot results and the regions-split points.
In process, on a real SQLite store; no server, no sleeps."""
from __future__ import annotations

import pytest

from facilitator import provisioning
from facilitator.meeting import ids, ops, roles, voting
from facilitator.meeting.agenda import load_agenda
from facilitator.meeting.errors import OpError
from facilitator.meeting.state import MeetingState, fold
from facilitator.meeting.synthesis import REASON_REGIONS_SPLIT, add_vote_divergence
from facilitator.meeting.text import ARABIC_SHARE, detection_rule, is_arabic_script
from facilitator.store import open_store
from facilitator.web.hub import Hub

NOW = 1_000_000.0


@pytest.fixture
def meeting(tmp_path):
    """(hub, meeting id, join code, events emitted) on a fresh SQLite store, with a fixed clock."""
    store = open_store(str(tmp_path / "data"), None)
    meeting_id, secrets = provisioning.create_meeting(store, load_agenda("grcp7"), now=NOW)
    emitted: list = []
    hub = Hub(store, emit=lambda room, payload: emitted.append((room, payload)), clock=lambda: NOW)
    return hub, meeting_id, secrets["join_code"], emitted


# ----- ids ------------------------------------------------------------------------------------


def test_language_codes():
    for code in ("ar", "en", "fil", "pt-BR", "es-419", "zh-Hant"):
        assert ids.is_lang_code(code), code
    for code in ("", "EN", "e", "english", "pt_BR", "pt-", None, 3, "ar\n"):
        assert not ids.is_lang_code(code), code


def test_cluster_ids_name_their_earliest_member():
    assert ids.cluster_id("abc") == "c-abc"
    assert ids.cluster_id("abc", ids.SESSION_CLUSTER) == "s-abc"
    assert ids.cluster_anchor("c-abc") == "abc"
    assert ids.cluster_anchor("s-abc") == "abc"
    assert ids.cluster_anchor("s-abc", prefixes=(ids.QUESTION_CLUSTER,)) is None
    assert ids.cluster_anchor("abc") is None
    assert ids.cluster_anchor(None) is None


def test_order_key_round_trip():
    key = ids.order_key("africa", "s2-q1")
    assert key == "africa|s2-q1"
    assert ids.order_key_group(key) == "africa"


# ----- Arabic script --------------------------------------------------------------------------


def test_arabic_script_is_a_share_of_the_letters():
    assert ARABIC_SHARE == 0.5
    assert is_arabic_script("إنشاء مرصد إقليمي")
    assert not is_arabic_script("A regional observatory")
    assert is_arabic_script("abcd إنشاء")  # five Arabic letters of nine
    assert is_arabic_script("ab أب")  # exactly half: Arabic
    assert not is_arabic_script("abc أب")  # two of five
    assert not is_arabic_script("123 ... !")  # no letter at all
    assert is_arabic_script("مرصد 2030 GCM")  # digits do not count, four Arabic of seven


def test_the_servers_language_guess_follows_the_same_rule():
    assert ops.guess_lang("ab أب", "fr") == "ar"
    assert ops.guess_lang("abc أب", "fr") == "fr"
    assert ops.guess_lang("abc أب", "ar") == "en"  # a Latin-script text is never labelled Arabic


# ----- joining is an op -----------------------------------------------------------------------


def test_joining_appends_the_event_the_op_decides(meeting):
    hub, meeting_id, code, emitted = meeting
    key = hub.join(meeting_id, code, "africa", "fr")
    participant_id = hub.store.participant(meeting_id, key)["participant_id"]
    joined = hub.store.read(meeting_id)[-1]
    assert joined == {"type": "participant.joined", "participant_id": participant_id,
                      "region": "africa", "lang": "fr", "by": {"role": roles.PARTICIPANT},
                      "ts": NOW, "seq": 2}
    decided = ops.participant_joined(MeetingState(), participant_id, "africa", "fr", 10, NOW)
    assert dict(decided, seq=2) == joined
    assert [room for room, _ in emitted] == [f"m:{meeting_id}:staff"]
    assert hub.state(meeting_id).participants[participant_id] == {"region": "africa", "lang": "fr"}


def test_joining_checks_region_and_language_before_storing_a_key(meeting):
    hub, meeting_id, code, _ = meeting
    for region, lang in (("atlantis", "fr"), (7, None), ("africa", "French"), ("africa", 3)):
        with pytest.raises(OpError) as refused:
            hub.join(meeting_id, code, region, lang)
        assert refused.value.code == "invalid"
    assert hub.store.last_seq(meeting_id) == 1
    key = hub.join(meeting_id, code, "", None)  # region and language are optional
    assert hub.store.read(meeting_id)[-1]["region"] is None
    assert hub.store.participant(meeting_id, key) is not None


def test_the_last_seat_is_checked_again_when_the_event_is_decided():
    state = fold([provisioning_event()])
    state.apply({"type": "participant.joined", "participant_id": "p1", "region": None,
                 "lang": None, "seq": 2})
    with pytest.raises(OpError) as full:
        ops.participant_joined(state, "p2", None, None, 1, NOW)
    assert full.value.code == "meeting_full"


def provisioning_event():
    return dict(ops.meeting_created("m", load_agenda("grcp7"), NOW), seq=1)


# ----- a meeting's ballot results and the regions-split points --------------------------------


def split_ballot(hub, meeting_id, code):
    """Three voters from Africa say yes and three from Europe say no to one practice."""
    chair = roles.Actor(roles.CHAIR)
    ops_sent = iter(range(1000))

    def send(actor, message):
        ack = hub.submit(meeting_id, actor, dict(message, op_id=f"op-{next(ops_sent)}"))
        assert ack["ok"], ack

    send(chair, {"type": "session.set", "session_id": "s2-groups"})
    for group in ("africa", "mena"):
        send(roles.Actor(roles.RAPPORTEUR, group_id=group),
             {"type": "contribution.add", "question_id": "s2-q2", "lang": "en",
              "kind": "good_practice", "agreement": "consensus",
              "text": f"Pre-departure training, as {group} does it."})
    state = hub.state(meeting_id)
    practice, other = [c["id"] for c in state.live_contributions()]
    send(chair, {"type": "ballot.open", "contribution_ids": [practice, other]})
    for region, choice in (("africa", "yes"), ("europe-central-asia", "no")):
        for _ in range(3):
            key = hub.join(meeting_id, code, region, "en")
            voter = hub.authenticate(meeting_id, key)
            send(voter, {"type": "vote.cast", "ballot_id": "b1", "contribution_id": practice,
                         "choice": choice})
    return practice


def test_ballot_results_of_a_meeting(meeting):
    hub, meeting_id, code, _ = meeting
    practice = split_ballot(hub, meeting_id, code)
    state = hub.state(meeting_id)
    results = voting.ballot_results(state, "b1")
    assert results["participants"] == 6 and results["revealed"] is False
    row = next(r for r in results["results"] if r["contribution_id"] == practice)
    assert row["counts"] == {"yes": 3, "no": 3, "unsure": 0}
    assert row["divergence"] == 1.0
    # a practice's origin is its group when the group is a region: both groups here are
    assert results["matrix"]["rows"] == ["africa", "mena"]
    cols = results["matrix"]["cols"]
    africa_row = dict(zip(cols, results["matrix"]["cells"][0]))
    assert africa_row["africa"] == 1.0 and africa_row["europe-central-asia"] == 0.0


def test_regions_split_join_the_questions_diverging_points(meeting):
    hub, meeting_id, code, _ = meeting
    practice = split_ballot(hub, meeting_id, code)
    state = hub.state(meeting_id)
    splits = list(voting.regions_split(state))
    assert [(b, c["id"], d) for b, c, d in splits] == [("b1", practice, 1.0)]

    result = {"questions": [{"question_id": "s2-q1", "converging": [], "diverging": [], "unique": []}]}
    add_vote_divergence(result, splits)
    assert [q["question_id"] for q in result["questions"]] == ["s2-q1", "s2-q2"]
    assert result["questions"][1]["diverging"] == [{
        "contributions": [practice], "reason": REASON_REGIONS_SPLIT, "ballot_id": "b1",
        "divergence": 1.0, "cluster_id": None}]


# ----- the board gets the Arabic share from its boot data -------------------------------------


def test_page_boot_data_carries_the_arabic_share(tmp_path):
    import json
    import re

    from facilitator import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "REDIS_URL": None,
                      "ASYNC_MODE": "threading", "SYNTHESIS_ENGINE": "lexical"})
    store = app.extensions["facilitator"].store
    meeting_id, secrets = provisioning.create_meeting(store, load_agenda("grcp7"), now=NOW)
    client = app.test_client()
    page = client.get(f"/m/{meeting_id}/board?key={secrets['rapporteurs']['africa']}",
                      follow_redirects=True)
    assert page.status_code == 200
    boot = json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>',
                                page.get_data(as_text=True), re.S).group(1))
    # the board guesses a text's language as it is typed, by the server's own rule and words
    assert boot["script"] == detection_rule()
    assert boot["script"]["arabic_share"] == ARABIC_SHARE
    assert {"et", "dans"} <= set(boot["script"]["markers"]["fr"])
    assert boot["limits"] == {"text": ops.MAX_TEXT}


# ----- edit-like ops on a contribution: one check of board, version and deletion --------------


def test_edit_like_ops_refuse_a_contribution_in_the_wrong_deletion_state(meeting):
    hub, meeting_id, _, _ = meeting
    africa = roles.Actor(roles.RAPPORTEUR, group_id="africa")
    mena = roles.Actor(roles.RAPPORTEUR, group_id="mena")
    sent = iter(range(1000))

    def send(actor, message):
        return hub.submit(meeting_id, actor, dict(message, op_id=f"op-{next(sent)}"))

    assert send(roles.Actor(roles.CHAIR), {"type": "session.set", "session_id": "s2-groups"})["ok"]
    assert send(africa, {"type": "contribution.add", "question_id": "s2-q2", "text": "A practice",
                         "kind": "good_practice", "agreement": "consensus"})["ok"]
    cid = hub.state(meeting_id).live_contributions()[0]["id"]

    def refusal(actor, message):
        ack = send(actor, dict(message, contribution_id=cid))
        assert not ack["ok"], message
        return ack["error"]["code"], ack["error"]["message"]

    assert refusal(africa, {"type": "contribution.restore"}) == ("conflict", "This contribution is not deleted.")
    assert refusal(mena, {"type": "contribution.delete"})[0] == "forbidden"  # another group's board
    assert refusal(africa, {"type": "contribution.edit", "text": "x"})[0] == "invalid"  # no version
    assert send(africa, {"type": "contribution.delete", "contribution_id": cid})["ok"]
    assert refusal(africa, {"type": "contribution.delete"}) == ("conflict", "This contribution is already deleted.")
    assert refusal(africa, {"type": "contribution.move", "index": 0}) == ("conflict", "This contribution was deleted.")
    assert refusal(africa, {"type": "contribution.edit", "text": "x", "version": 2}) == (
        "conflict", "This contribution was deleted.")
    assert send(africa, {"type": "contribution.restore", "contribution_id": cid})["ok"]
