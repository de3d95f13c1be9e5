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
    translator = meeting.connect(meeting.secrets["translator"], name="T")
    view = translator.view()
    assert view["on_phones"] == {ballot_id: [ids[1]]}
    assert "ballots" not in view and "my_votes" not in view
    assert chair.op("ballot.close", ballot_id=ballot_id)["ok"]
    assert translator.view()["on_phones"] == {}


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


# ----- ballots on converging points (issue 19 #2) ------------------------------------------------

REMITTANCES = [
    ("africa", "ar", "خفض تكاليف تحويل الأموال إلى الوطن عبر قنوات رقمية منخفضة الرسوم"),
    ("americas", "es", "Reducir el costo de enviar remesas a casa con canales digitales de bajo costo"),
    ("mena", "fr", "Réduire le coût des transferts de fonds vers le pays d'origine"),
]


LABOUR = [("africa", "en", "Bilateral labour agreements"),
          ("europe-central-asia", "en", "Labour agreements between two states")]


def add_texts(meeting, texts, question="s2-q1"):
    ids = []
    for group, lang, text in texts:
        rapporteur = meeting.connect(meeting.rapporteur_key(group))
        ack = rapporteur.op("contribution.add", question_id=question, text=text, lang=lang,
                            kind="good_practice", agreement="consensus")
        assert ack["ok"], ack
        ids.append(rapporteur.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"])
    return ids


def make_point(chair, ids, point_id, **titles):
    assert chair.op("cluster.confirm", contribution_ids=ids, point_id=point_id)["ok"]
    for lang, title in titles.items():
        assert chair.op("cluster.title", cluster_id=point_id, title=title, lang=lang)["ok"]


def test_a_ballot_puts_converging_points_to_the_vote(meeting):
    chair = meeting.connect(meeting.chair_key)
    remit = add_texts(meeting, REMITTANCES)
    other = add_texts(meeting, LABOUR)
    alone = add_texts(meeting, [("mena", "en", "A regional data observatory")])
    make_point(chair, remit, "p-remit", en="Cut the cost of sending remittances home",
               ar="خفض تكلفة إرسال التحويلات إلى الوطن")
    make_point(chair, other, "p-labour")
    ballot_id = open_ballot(chair, alone, point_ids=["p-remit", "p-labour"])
    ballot = meeting.hub.state(meeting.id).ballots[ballot_id]
    assert ballot["point_ids"] == ["p-remit", "p-labour"] and ballot["contribution_ids"] == alone
    assert ballot["item_ids"] == ["p-remit", "p-labour", alone[0]]
    first = ballot["items"][0]
    assert first["point_id"] == "p-remit" and first["members"] == remit
    assert first["group_ids"] == ["africa", "americas", "mena"]
    assert first["titles"]["ar"] == "خفض تكلفة إرسال التحويلات إلى الوطن"
    assert first["central"] == remit[0] and first["text"] == REMITTANCES[0][2]
    assert ballot["items"][1]["titles"] == {} and ballot["items"][1]["title"] is None
    # what cannot be put to the vote
    for fields, code in [({"point_ids": ["p-nowhere"]}, "not_found"),
                         ({"point_ids": "p-remit"}, "invalid"),
                         ({"point_ids": ["p-remit", "p-remit"]}, "invalid"),
                         ({"point_ids": [], "contribution_ids": []}, "invalid")]:
        assert chair.op("ballot.open", **fields)["error"]["code"] == code, fields
    # a vote names a point by point_id, a contribution by contribution_id
    voter = meeting.connect(meeting.join(region="africa", lang="ar"))
    assert voter.op("vote.cast", ballot_id=ballot_id, point_id="p-remit", choice="yes")["ok"]
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id="p-remit",
                    choice="yes")["error"]["code"] == "not_found"
    assert voter.op("vote.cast", ballot_id=ballot_id, point_id=alone[0], choice="yes")["error"]["code"] == "not_found"
    assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=alone[0], choice="no")["ok"]
    assert voter.view()["my_votes"][ballot_id] == {"p-remit": "yes", alone[0]: "no"}
    rows = meeting.ballot_results(ballot_id)["results"]
    assert [r.get("point_id") or r["contribution_id"] for r in rows] == ["p-remit", "p-labour", alone[0]]
    assert rows[0]["counts"] == {"yes": 1, "no": 0, "unsure": 0} and "contribution_id" not in rows[0]


def test_a_point_on_an_open_ballot_reaches_the_phones_in_their_language(meeting):
    chair = meeting.connect(meeting.chair_key)
    translator = meeting.connect(meeting.secrets["translator"], name="T")
    remit = add_texts(meeting, REMITTANCES)
    make_point(chair, remit, "p-remit")
    ballot_id = open_ballot(chair, [], point_ids=["p-remit"])
    phone = meeting.connect(meeting.join(region="mena", lang="fr"))
    # the point is worded by its earliest member: that text's translation reaches the phones;
    # another member's does not (the phone does not show it)
    assert translator.op("translation.set", contribution_id=remit[0], lang="fr", text="Réduire les frais")["ok"]
    assert translator.op("translation.set", contribution_id=remit[1], lang="fr", text="Réduire le coût")["ok"]
    assert [e["contribution_id"] for e in phone.events if e["type"] == "translation.set"] == [remit[0]]
    # a title given while the ballot is open reaches them too, and the page load has it
    assert chair.op("cluster.title", cluster_id="p-remit", title="Moins chers, les transferts", lang="fr")["ok"]
    titled = [e for e in phone.events if e["type"] == "cluster.titled"]
    assert [(e["cluster_id"], e["lang"], e["ballot_ids"]) for e in titled] == [("p-remit", "fr", [ballot_id])]
    item = phone.view()["ballots"][0]["items"][0]
    assert item["titles"] == {"fr": "Moins chers, les transferts"}
    assert item["translations"]["fr"]["text"] == "Réduire les frais"
    # titles of points on no open ballot stay off the phones
    other = add_texts(meeting, LABOUR)
    make_point(chair, other, "p-labour", fr="Accords bilatéraux")
    assert [e["cluster_id"] for e in phone.events if e["type"] == "cluster.titled"] == ["p-remit"]
    assert "participants" not in str([e for e in phone.events if e["type"] == "cluster.confirmed"])


def test_a_ballot_on_points_is_ranked_with_ties_and_survives_the_archive(meeting):
    from facilitator.meeting.archive import anonymise_votes, check_archive
    chair = meeting.connect(meeting.chair_key)
    remit = add_texts(meeting, REMITTANCES)
    other = add_texts(meeting, LABOUR)
    alone = add_texts(meeting, [("mena", "en", "A regional data observatory")])
    make_point(chair, remit, "p-remit", en="Cut the cost of remittances")
    make_point(chair, other, "p-labour")
    ballot_id = open_ballot(chair, alone, point_ids=["p-remit", "p-labour"], mode="dots", dots=5)
    # five dots each from three voters of Africa: remittances 9, labour 3, the observatory 3
    for split in ((3, 1, 1), (3, 1, 1), (3, 1, 1)):
        voter = meeting.connect(meeting.join(region="africa"))
        for item, dots in zip(("p-remit", "p-labour", alone[0]), split):
            key = "contribution_id" if item == alone[0] else "point_id"
            assert voter.op("vote.cast", ballot_id=ballot_id, dots=dots, **{key: item})["ok"]
    results = meeting.ballot_results(ballot_id)
    ranks = {r.get("point_id") or r["contribution_id"]: (r["rank"], r["tied"]) for r in results["results"]}
    assert ranks == {"p-remit": (1, False), "p-labour": (2, True), alone[0]: (2, True)}
    assert results["order"][0] == "p-remit"
    by_region = {r.get("point_id") or r["contribution_id"]: r["rank_by_region"] for r in results["results"]}
    assert by_region["p-remit"]["africa"] == 1 and by_region["p-labour"]["africa"] == 2
    assert by_region["p-remit"]["mena"] is None  # no voters there: no rank
    # the archive keeps the point ballot and its votes, and refuses a vote named the wrong way
    events = [{k: v for k, v in e.items() if k not in ("prev", "op_id")}
              for e in meeting.hub.store.read(meeting.id)]
    _, checked = check_archive({"meeting_id": meeting.id, "events": anonymise_votes(events)})
    assert sum(1 for e in checked if e["type"] == "vote.cast" and e.get("point_id")) == 6
    wrong = [dict(e) for e in events]
    vote = next(e for e in wrong if e["type"] == "vote.cast" and e.get("point_id"))
    vote["contribution_id"] = vote.pop("point_id")
    try:
        check_archive({"meeting_id": meeting.id, "events": wrong})
    except Exception as error:  # ArchiveError
        assert "contribution_id" in str(error)
    else:
        raise AssertionError("a vote on a point named as a contribution was accepted")


def test_the_report_ranks_the_points_of_a_ballot(meeting):
    from facilitator.meeting.report import build_report
    chair = meeting.connect(meeting.chair_key)
    remit = add_texts(meeting, REMITTANCES)
    alone = add_texts(meeting, [("europe-central-asia", "en", "A regional data observatory")])
    make_point(chair, remit, "p-remit", fr="Réduire le coût des transferts", en="Cut the cost of remittances")
    ballot_id = open_ballot(chair, alone, point_ids=["p-remit"])
    for region in ("africa",) * 3 + ("mena",) * 3:
        voter = meeting.connect(meeting.join(region=region))
        assert voter.op("vote.cast", ballot_id=ballot_id, contribution_id=alone[0], choice="yes")["ok"]
        assert voter.op("vote.cast", ballot_id=ballot_id, point_id="p-remit",
                        choice="yes" if region == "africa" else "no")["ok"]
    state = meeting.hub.state(meeting.id)
    report = build_report(state, {"questions": [], "sessions": []},
                          {ballot_id: voting.ballot_results(state, ballot_id)}, "fr")
    rows = report["ballots"][0]["rows"]
    # six yes of six above three of six; the point read by its French title, with its groups; in
    # Africa both had every yes: the same rank
    assert [r["rank_label"] for r in rows] == ["1", "2"]
    assert rows[0]["contribution"]["text"] == "A regional data observatory"
    assert rows[1]["contribution"]["text"] == "Réduire le coût des transferts"
    assert rows[1]["contribution"]["group"] == "Afrique, Amériques et Caraïbes, Moyen-Orient et Afrique du Nord"
    assert [reg["text"] for reg in rows[1]["by_region"] if reg["region_id"] == "africa"] == ["3 / 0 / 0 · rang 1"]


def test_the_ranking_rules():
    assert voting.competition_ranks([5, 9, 5, None, 1]) == [2, 1, 2, None, 4]
    assert voting.competition_ranks([]) == []
    # yes/no: the smoothed agreement, so 4 yes of 4 ranks above 1 of 1; an item nobody voted on
    # is not ranked; a region withheld ranks nothing
    ballot = {"id": "b1", "mode": "yes_no", "contribution_ids": ["four", "one", "none", "split"]}
    votes = {f"p{i}": {"four": "yes", "split": "yes" if i % 2 else "no"} for i in range(4)}
    votes["p9"] = {"one": "yes"}
    regions = {f"p{i}": "africa" for i in range(4)} | {"p9": "mena"}
    result = voting.tally(ballot, votes, regions, {}, ["africa", "mena"])
    rows = {r["contribution_id"]: r for r in result["results"]}
    assert [rows[c]["rank"] for c in ("four", "one", "none", "split")] == [1, 2, None, 3]
    assert result["order"] == ["four", "one", "split", "none"]
    assert not any(r["tied"] for r in rows.values())
    # per region, among the items the region's cell is shown for: mena's one voter is withheld
    assert {c: r["rank_by_region"] for c, r in rows.items()} == {
        "four": {"africa": 1, "mena": None}, "one": {"africa": None, "mena": None},
        "none": {"africa": None, "mena": None}, "split": {"africa": 2, "mena": None}}
    # ties are exact: the same figures, the same rank, whatever the ballot order
    same = voting.tally({"id": "b2", "mode": "yes_no", "contribution_ids": ["a", "b"]},
                        {"p1": {"a": "yes", "b": "yes"}}, {}, {}, [])
    assert [(r["rank"], r["tied"]) for r in same["results"]] == [(1, True), (1, True)]
