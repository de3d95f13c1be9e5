"""Issue 19 through the hub, in process: a ballot's prompt in every language, the translations of
its items reaching the phones live (and nothing else reaching them), the room's turnout while a
ballot is open, ballots on converging points and their ranked results."""

from __future__ import annotations

from support import wire

from facilitator.meeting import voting
from facilitator.web.hub import room
from facilitator.web.live import LiveViews
from test_ballots import open_ballot, practices
from test_live import Tasks

AGENDA_PROMPT = {
    "ar": "هل يمكن أن تنجح هذه الممارسة في منطقتك؟",
    "en": "Could this practice work in your region?",
    "fr": "Cette pratique pourrait-elle fonctionner dans votre région ?",
    "es": "¿Podría funcionar esta práctica en su región?",
}


def test_a_ballot_asks_in_every_language(meeting):
    ids = practices(meeting, n=2)
    chair = meeting.connect(meeting.chair_key)
    # No prompt typed: the agenda's, in its four languages, goes with the ballot.
    first = open_ballot(chair, ids)
    assert meeting.hub.state(meeting.id).ballots[first]["prompt"] == AGENDA_PROMPT
    # a dots ballot asks no yes/no question: each phone says how to spend the dots
    dots = open_ballot(chair, ids, mode="dots")
    assert meeting.hub.state(meeting.id).ballots[dots]["prompt"] is None
    # A prompt per language; or one text, as before.
    prompt = {"ar": "هل توافق؟", "fr": "Êtes-vous d'accord ?"}
    second = open_ballot(chair, ids, prompt=prompt)
    third = open_ballot(chair, ids, prompt="Could this work in your region?")
    ballots = meeting.hub.state(meeting.id).ballots
    assert ballots[second]["prompt"] == prompt
    assert ballots[third]["prompt"] == "Could this work in your region?"
    assert meeting.ballot_results(second)["prompt"] == prompt
    # The phone is given the ballot as it was opened, prompt and all.
    phone = meeting.connect(meeting.join(region="mena", lang="ar")).view()
    assert [b["prompt"] for b in phone["ballots"]] == [AGENDA_PROMPT, None, prompt, "Could this work in your region?"]
    for bad in ({"de": "Stimmt das?"}, {"ar": "\u2800"}, {"en": 7}, ["en"]):
        assert chair.op("ballot.open", contribution_ids=ids, prompt=bad)["error"]["code"] == "invalid", bad


def test_translations_of_the_items_of_an_open_ballot_reach_the_phones_live(meeting):
    ids = practices(meeting, n=3)
    chair = meeting.connect(meeting.chair_key)
    translator = meeting.connect(meeting.secrets["translator"], name="Translator")
    ballot_id = open_ballot(chair, ids[:2])
    phone = meeting.connect(meeting.join(region="mena", lang="ar"))
    assert translator.op("translation.set", contribution_id=ids[0], lang="ar", text="ممارسة 0")["ok"]
    # a text that is on no open ballot: its translation never reaches a phone
    assert translator.op("translation.set", contribution_id=ids[2], lang="ar", text="ممارسة 2")["ok"]
    live = [e for e in phone.events if e["type"] == "translation.set"]
    assert [(e["contribution_id"], e["text"], e["ballot_ids"]) for e in live] == [(ids[0], "ممارسة 0", [ballot_id])]
    # a phone that syncs after a reconnection is given the same, and only that
    replay = [e for e in phone.sync(after=0)["events"] if e["type"] == "translation.set"]
    assert [e["contribution_id"] for e in replay] == [ids[0]]
    # once the ballot is closed, later translations stay off the phones (they load with the page)
    assert chair.op("ballot.close", ballot_id=ballot_id)["ok"]
    assert translator.op("translation.set", contribution_id=ids[1], lang="ar", text="ممارسة 1")["ok"]
    assert [e["contribution_id"] for e in phone.events if e["type"] == "translation.set"] == [ids[0]]
    items = phone.view()["ballots"][0]["items"]
    assert [item["translations"].get("ar", {}).get("text") for item in items] == ["ممارسة 0", "ممارسة 1"]
    # the staff and the group see every translation, as before
    rapporteur = meeting.connect(meeting.rapporteur_key("mena"))
    assert translator.op("translation.set", contribution_id=ids[2], lang="fr", text="Pratique 2")["ok"]
    assert [e["text"] for e in rapporteur.events if e["type"] == "translation.set"] == ["Pratique 2"]


def test_the_translators_know_which_texts_are_on_the_phones(meeting):
    ids = practices(meeting, n=2)
    chair = meeting.connect(meeting.chair_key)
    ballot_id = open_ballot(chair, ids[1:])
    view = meeting.connect(meeting.secrets["translator"], name="T").view()
    assert view["ballots"] == [{"id": ballot_id, "status": "open", "items": [{"contribution_id": ids[1]}]}]
    assert "votes" not in str(view["ballots"]) and "my_votes" not in view


def live_views(meeting):
    tasks = Tasks()
    views = LiveViews(meeting.hub, tasks, synthesizer_factory=lambda: None)
    views._synthesis_runs.mark = lambda *a: None  # the synthesis is not this test's
    return tasks, views


def emitted_to(meeting, audience, kind, since=0):
    return [p for p in meeting.emitted.to(room(meeting.id, audience), since) if p["type"] == kind]


def test_the_room_sees_how_many_have_voted_while_results_stay_hidden(meeting):
    ids = practices(meeting, n=2)
    chair = meeting.connect(meeting.chair_key)
    tasks, _ = live_views(meeting)
    ballot_id = open_ballot(chair, ids)
    tasks.run_all()
    assert [e["voters"] for e in emitted_to(meeting, "role:plenary", "ballot.turnout")] == [0]
    # five voters, two votes each: one push per run of the task, never a result to the plenary
    voters = [meeting.connect(meeting.join(region="africa")) for _ in range(5)]
    for voter in voters:
        for cid in ids:
            assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=cid, choice="yes")["ok"]
    tasks.run_all()
    for audience in ("role:plenary", "role:chair"):
        turnout = emitted_to(meeting, audience, "ballot.turnout")
        assert [(e["ballot_id"], e["voters"]) for e in turnout] == [(ballot_id, 0), (ballot_id, 5)]
        assert set(turnout[-1]) >= {"type", "ballot_id", "voters", "live", "seq"}
    assert tasks.slept and all(s >= 0.25 for s in tasks.slept)  # a few pushes a second at most
    assert not emitted_to(meeting, "role:plenary", "ballot.results")
    assert not emitted_to(meeting, "participants", "ballot.turnout")
    # the plenary's page load says it too; a closed ballot has no turnout any more
    assert meeting.connect(meeting.plenary_key).view()["turnout"] == {ballot_id: 5}
    assert chair.op("ballot.close", ballot_id=ballot_id)["ok"]
    since = len(meeting.emitted.items)
    tasks.run_all()
    assert not emitted_to(meeting, "role:plenary", "ballot.turnout", since)
    assert meeting.connect(meeting.plenary_key).view()["turnout"] == {}


def test_voters_counts_who_voted_as_the_results_do(meeting):
    ids = practices(meeting, n=2)
    chair = meeting.connect(meeting.chair_key)
    ballot_id = open_ballot(chair, ids, mode="dots", dots=3)
    a, b = (meeting.connect(meeting.join(region="africa")) for _ in range(2))
    assert a.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0], dots=2)["ok"]
    assert b.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0], dots=1)["ok"]
    assert b.op("vote.cast", ballot_id=ballot_id, contribution_id=ids[0], dots=0)["ok"]  # withdrawn
    state = meeting.hub.state(meeting.id)
    count = voting.voters(state.ballots[ballot_id], state.votes[ballot_id])
    assert count == 1 == wire(meeting.ballot_results(ballot_id))["participants"]
