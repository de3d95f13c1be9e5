"""Issue 12 in process: translations, sign-offs and the plenary freeze through the hub, on a real
SQLite store, folded again after a restart (no server, no sleeps). Also every role x the new ops."""
import itertools

import pytest

from facilitator import provisioning
from facilitator.meeting import roles
from facilitator.meeting.agenda import load_agenda
from facilitator.meeting.archive import ArchiveError, check_archive
from facilitator.store.sqlite import SQLiteStore
from facilitator.web.hub import Hub

QUESTION = "s2-q1"
OTHER_QUESTION = "s2-q2"
CHAIR = roles.Actor(roles.CHAIR)
PLENARY = roles.Actor(roles.PLENARY)
TRANSLATOR = roles.Actor(roles.TRANSLATOR)
AFRICA = roles.Actor(roles.RAPPORTEUR, group_id="africa")
EUROPE = roles.Actor(roles.RAPPORTEUR, group_id="europe-central-asia")
SYSTEM = roles.Actor(roles.SYSTEM)


@pytest.fixture
def meeting(tmp_path):
    store = SQLiteStore(str(tmp_path / "facilitator.sqlite3"))
    meeting_id, meeting_secrets = provisioning.create_meeting(store, load_agenda("grcp7"))
    events = []
    hub = Hub(store, emit=lambda room, payload: events.append((room, payload)),
              clock=itertools.count(1_000_000).__next__)
    hub.sent = events
    yield store, hub, meeting_id, meeting_secrets
    store.close()


_op_ids = itertools.count(1)


def send(hub, meeting_id, actor, **message):
    return hub.submit(meeting_id, actor, dict(message, op_id=f"op-{next(_op_ids):06d}"))


def ok(hub, meeting_id, actor, **message):
    ack = send(hub, meeting_id, actor, **message)
    assert ack["ok"], ack
    return ack


def code(ack):
    assert not ack["ok"], ack
    return ack["error"]["code"]


def add(hub, meeting_id, cid, text="Portable social protection across borders.", actor=AFRICA,
        question=QUESTION, lang="en"):
    ok(hub, meeting_id, actor, type="contribution.add", question_id=question, text=text,
       kind="recommendation", agreement="consensus", lang=lang, id=cid)


def contribution(hub, meeting_id, actor, cid):
    return next(c for c in hub.view(meeting_id, actor)["contributions"] if c["id"] == cid)


# ----- keys ---------------------------------------------------------------------------------------


def test_the_translator_key_grants_the_translator_role_and_its_link_is_printed(meeting):
    store, hub, meeting_id, meeting_secrets = meeting
    actor = hub.authenticate(meeting_id, meeting_secrets["translator"])
    assert actor.role == roles.TRANSLATOR and actor.audience == "translators"
    links = provisioning.links("https://f.example.org/", meeting_id, meeting_secrets,
                           hub.state(meeting_id).meeting)
    assert links["translator_url"] == (
        f"https://f.example.org/m/{meeting_id}/translate?key={meeting_secrets['translator']}")
    # a meeting made before the role existed has no translator key, and "" opens nothing
    old = {k: v for k, v in meeting_secrets.items() if k != "translator"}
    assert "translator_url" not in provisioning.links("https://f.example.org", meeting_id, old,
                                                  hub.state(meeting_id).meeting)
    assert roles.actor_for_key(old, "") is None


# ----- every role x the new ops ---------------------------------------------------------------------

PARTICIPANT = roles.Actor(roles.PARTICIPANT, participant_id="p1")
ROLE_ACTORS = {"chair": CHAIR, "plenary": PLENARY, "rapporteur": AFRICA, "participant": PARTICIPANT,
               "translator": TRANSLATOR, "curator": roles.Actor(roles.CURATOR)}
# What each role gets for each new op, well formed: "ok" or the error code.
EXPECTED = {
    "translation.set": {"chair": "ok", "translator": "ok", "plenary": "forbidden",
                        "rapporteur": "forbidden", "participant": "forbidden", "curator": "forbidden"},
    "answers.sign_off": {"rapporteur": "ok", "chair": "forbidden", "plenary": "forbidden",
                         "translator": "forbidden", "participant": "forbidden", "curator": "forbidden"},
    "plenary.freeze": {"chair": "ok", "plenary": "forbidden", "rapporteur": "forbidden",
                       "translator": "forbidden", "participant": "forbidden", "curator": "forbidden"},
    "cluster.title": {"chair": "ok", "plenary": "forbidden", "rapporteur": "forbidden",
                      "translator": "forbidden", "participant": "forbidden", "curator": "ok"},
}


@pytest.mark.parametrize("op_type", sorted(EXPECTED))
@pytest.mark.parametrize("role", sorted(ROLE_ACTORS))
def test_every_role_x_the_new_ops(meeting, role, op_type):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    fields = {
        "translation.set": {"contribution_id": "answer-0001", "lang": "fr", "text": "Protection sociale portable."},
        "answers.sign_off": {"question_id": QUESTION},
        "plenary.freeze": {"frozen": True},
        "cluster.title": {"cluster_id": "c-answer-0001", "title": "Protection sociale", "lang": "fr"},
    }[op_type]
    ack = send(hub, meeting_id, ROLE_ACTORS[role], type=op_type, **fields)
    assert ("ok" if ack["ok"] else ack["error"]["code"]) == EXPECTED[op_type][role], ack


def test_translators_may_not_change_originals_curate_open_ballots_or_read_votes(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    for op_type, fields in [
        ("contribution.add", {"question_id": QUESTION, "text": "x", "kind": "gap", "agreement": "consensus"}),
        ("contribution.edit", {"contribution_id": "answer-0001", "version": 1, "text": "changed"}),
        ("contribution.move", {"contribution_id": "answer-0001", "index": 0}),
        ("contribution.delete", {"contribution_id": "answer-0001"}),
        ("contribution.restore", {"contribution_id": "answer-0001"}),
        ("cluster.detach", {"contribution_id": "answer-0001"}),
        ("cluster.merge", {"cluster_id": "c-answer-0001", "into": "c-answer-0001"}),
        ("outcome.mark", {"contribution_id": "answer-0001"}),
        ("spotlight.set", {"contribution_id": "answer-0001"}),
        ("ballot.open", {"contribution_ids": ["answer-0001"]}),
        ("vote.cast", {"ballot_id": "b1", "contribution_id": "answer-0001", "choice": "yes"}),
        ("session.set", {"session_id": "s3-followup"}),
    ]:
        assert code(send(hub, meeting_id, TRANSLATOR, type=op_type, **fields)) == "forbidden", op_type
    view = hub.view(meeting_id, TRANSLATOR)
    assert view["role"] == "translator"
    for hidden in ("ballots", "outcome", "participants", "my_votes", "sign_offs", "plenary_frozen"):
        assert hidden not in view, hidden
    assert set(view["curation"]) == {"titles", "titles_by_lang", "point_members"}
    # every group's contributions
    add(hub, meeting_id, "answer-0002", actor=EUROPE)
    assert {c["group_id"] for c in hub.view(meeting_id, TRANSLATOR)["contributions"]} == {
        "africa", "europe-central-asia"}


# ----- translation.set -----------------------------------------------------------------------------


def test_a_translation_is_kept_beside_its_original_and_goes_stale_when_the_original_changes(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="ar",
       text="  حماية اجتماعية قابلة للنقل عبر الحدود.  ", original_version=1)
    seen = contribution(hub, meeting_id, CHAIR, "answer-0001")
    assert seen["text"] == "Portable social protection across borders."
    assert seen["translations"] == {"ar": {"text": "حماية اجتماعية قابلة للنقل عبر الحدود.", "source": "human",
                                           "stale": False, "version": 1, "ts": seen["translations"]["ar"]["ts"],
                                           "original_version": 1}}
    # the event reaches staff, translators, curators and the group, never another group or the phones
    rooms = {room for room, payload in hub.sent if payload["type"] == "translation.set"}
    assert rooms == {f"m:{meeting_id}:staff", f"m:{meeting_id}:translators", f"m:{meeting_id}:curators",
                     f"m:{meeting_id}:group:africa"}
    # a move changes no words: still fresh
    ok(hub, meeting_id, AFRICA, type="contribution.move", contribution_id="answer-0001", index=0)
    assert contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]["ar"]["stale"] is False
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=2,
       text="Portable social protection across all borders.")
    assert contribution(hub, meeting_id, TRANSLATOR, "answer-0001")["translations"]["ar"]["stale"] is True
    ok(hub, meeting_id, CHAIR, type="translation.set", contribution_id="answer-0001", lang="ar",
       text="حماية اجتماعية قابلة للنقل عبر كل الحدود.", original_version=3)
    fresh = contribution(hub, meeting_id, AFRICA, "answer-0001")["translations"]["ar"]
    assert fresh["stale"] is False and fresh["version"] == 2
    # the rapporteur sees its own group's translations; the empty text clears
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="ar", text="")
    assert contribution(hub, meeting_id, AFRICA, "answer-0001")["translations"] == {}
    # ...and all of it survives a restart (the fold of the stored log)
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="fr",
       text="Protection sociale portable.", original_version=3)
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=3, kind="gap")
    restarted = Hub(store, emit=lambda room, payload: None)
    again = contribution(restarted, meeting_id, CHAIR, "answer-0001")["translations"]
    assert again == contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]
    assert again["fr"]["stale"] is False  # a change of kind is not a change of words


def test_translation_set_refuses_what_it_cannot_keep(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    def attempt(**fields):
        message = {"contribution_id": "answer-0001", "lang": "fr", "text": "Bonjour"}
        message.update(fields)
        return code(send(hub, meeting_id, TRANSLATOR, type="translation.set",
                         **{k: v for k, v in message.items() if v is not ...}))
    assert attempt(lang="en") == "invalid"  # the original's language
    assert attempt(lang="de") == "invalid"  # not a language of the meeting
    assert attempt(lang=...) == "invalid"
    assert attempt(lang=3) == "invalid"
    assert attempt(text=...) == "invalid"
    assert attempt(text="   ") == "invalid"
    assert attempt(text="\u200b\u200b") == "invalid"
    assert attempt(text=None) == "invalid"
    assert attempt(text=["x"]) == "invalid"
    assert attempt(text="x" * 2001) == "too_long"
    assert attempt(text="x" * 4001) == "too_long"
    assert attempt(text="e" + "\u0301" * 31) == "invalid"
    assert attempt(contribution_id="nope-nope") == "not_found"
    assert attempt(version="1") == "invalid"
    ok(hub, meeting_id, AFRICA, type="contribution.delete", contribution_id="answer-0001")
    assert attempt() == "conflict"
    # normalised like a contribution's text: NFC, control characters out, trimmed
    add(hub, meeting_id, "answer-0002")
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0002", lang="fr",
       text=" Cafe\u0301\u0007 social ", original_version=1)
    assert contribution(hub, meeting_id, CHAIR, "answer-0002")["translations"]["fr"]["text"] == "Café social"


def test_two_translators_on_one_text_do_not_overwrite_each_other_unseen(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="es",
       text="Protección social portátil.", version=0)
    late = send(hub, meeting_id, CHAIR, type="translation.set", contribution_id="answer-0001", lang="es",
                text="Protección social transferible.", version=0)
    assert code(late) == "conflict"
    assert late["error"]["current"]["text"] == "Protección social portátil."
    ok(hub, meeting_id, CHAIR, type="translation.set", contribution_id="answer-0001", lang="es",
       text="Protección social transferible.", version=1)
    # clearing counts as a change too
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="es", text="", version=2)
    assert code(send(hub, meeting_id, CHAIR, type="translation.set", contribution_id="answer-0001",
                     lang="es", text="Otra.", version=2)) == "conflict"


def test_a_human_translation_replaces_a_machine_draft_and_never_the_reverse(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    original = "Portable social protection across borders."
    ok(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="fr",
       text="[machine] Protection sociale portable.", original_version=1)
    draft = contribution(hub, meeting_id, TRANSLATOR, "answer-0001")["translations"]["fr"]
    assert draft["source"] == "machine"
    assert hub.store.read(meeting_id)[-1]["by"] == {"role": "system"}
    # a newer draft may replace a draft
    ok(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="fr",
       text="[machine] Protection sociale transférable.", original_version=1)
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="fr",
       text="Protection sociale portable d'un pays à l'autre.")
    refused = send(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="fr",
                   text="[machine] autre chose", original_version=1)
    assert code(refused) == "conflict"
    human = contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]["fr"]
    assert human["source"] == "human" and human["text"] == "Protection sociale portable d'un pays à l'autre."
    # a draft never clears
    assert code(send(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="es",
                     text="", original_version=1)) == "invalid"
    # a draft always says what it was made from
    assert code(send(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="es",
                     text="[machine] x", original_text=original)) == "invalid"
    # a draft of words that changed meanwhile is dropped; a move changes no words
    ok(hub, meeting_id, AFRICA, type="contribution.move", contribution_id="answer-0001", index=0)
    ok(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="es",
       text="[machine] Protección social portátil.", original_version=1)
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=2,
       text="Portable social protection across all borders.")
    assert code(send(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="ar",
                     text="[machine] x", original_version=2)) == "conflict"
    assert code(send(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="ar",
                     text="[machine] x", original_version=4)) == "invalid"  # no such version yet
    # a client can never pass for the machine: its translations are human whatever it says
    ok(hub, meeting_id, CHAIR, type="translation.set", contribution_id="answer-0001", lang="es",
       text="Protección social.", source="machine", original_version=3)
    assert contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]["es"]["source"] == "human"


# ----- a translation is tied to the version of the original it was made from (issue 20, 1) -----------


def translation_of(hub, meeting_id, cid, lang):
    return contribution(hub, meeting_id, CHAIR, cid)["translations"].get(lang)


def test_a_translation_of_an_older_original_is_stored_stale(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001", text="Keep the border crossings open at night.")
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=1,
       text="Close the border crossings at night.")
    # made from version 1 (saved while the original was edited, or sent from an outbox): kept,
    # marked stale, and the event says so to every page
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="fr",
       text="Garder les points de passage frontaliers ouverts la nuit.", original_version=1)
    kept = translation_of(hub, meeting_id, "answer-0001", "fr")
    assert kept["stale"] is True and kept["source"] == "human" and kept["original_version"] == 1
    event = store.read(meeting_id)[-1]
    assert event["type"] == "translation.set" and event["stale"] is True and event["original_version"] == 1
    # made from the current words: fresh; a move or a change of kind since changes no words
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="es",
       text="Cerrar los pasos fronterizos por la noche.", original_version=2)
    ok(hub, meeting_id, AFRICA, type="contribution.move", contribution_id="answer-0001", index=0)
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=3, kind="gap")
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="ar",
       text="إغلاق المعابر الحدودية ليلاً.", original_version=2)
    assert translation_of(hub, meeting_id, "answer-0001", "es")["stale"] is False
    assert translation_of(hub, meeting_id, "answer-0001", "ar")["stale"] is False
    # a version that never was, or not a number
    for bad in (0, 5, "2", True):
        assert code(send(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001",
                         lang="ar", text="x", original_version=bad)) == "invalid", bad
    # the report and the archive keep the mark; a restart folds it again
    restarted = Hub(store, emit=lambda room, payload: None)
    assert contribution(restarted, meeting_id, CHAIR, "answer-0001")["translations"] == \
        contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]
    check_archive({"events": store.read(meeting_id)})


def test_a_machine_draft_accepted_after_it_went_stale_is_stale(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001", text="Keep the border crossings open at night.")
    ok(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="fr",
       text="[machine] Garder les points de passage ouverts la nuit.", original_version=1)
    draft = translation_of(hub, meeting_id, "answer-0001", "fr")
    assert draft["original_version"] == 1 and draft["stale"] is False
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=1,
       text="Close the border crossings at night.")
    # the page accepts the draft as it is: it sends the draft's own original_version
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="fr",
       text=draft["text"], version=draft["version"], original_version=draft["original_version"])
    accepted = translation_of(hub, meeting_id, "answer-0001", "fr")
    assert accepted["source"] == "human" and accepted["stale"] is True


def test_without_original_version_the_senders_last_read_decides(meeting):
    store, hub, meeting_id, meeting_secrets = meeting
    nadia = roles.Actor(roles.TRANSLATOR, name="Nadia")
    omar = roles.Actor(roles.TRANSLATOR, name="Omar")
    key_id = roles.key_id(meeting_id, meeting_secrets["translator"])

    def set_fr(actor, text, **extra):
        ack = hub.submit(meeting_id, actor, dict(type="translation.set", contribution_id="answer-0001",
                                                 lang="fr", text=text, op_id=f"op-{next(_op_ids):06d}", **extra),
                         key_id=key_id)
        assert ack["ok"], ack
        return translation_of(hub, meeting_id, "answer-0001", "fr")

    add(hub, meeting_id, "answer-0001", text="Keep the border crossings open at night.")
    # never read: never fresh by default
    assert set_fr(nadia, "Garder les points de passage ouverts la nuit.")["stale"] is True
    # read (the state), then the original changed: what she sends was made from what she read
    hub.view(meeting_id, nadia, key_id)
    assert set_fr(nadia, "Garder les points de passage ouverts la nuit.")["stale"] is False
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=1,
       text="Close the border crossings at night.")
    assert set_fr(nadia, "Garder les points de passage ouverts la nuit.")["stale"] is True
    # a sync that brought her the edit counts as a read too
    assert hub.sync(meeting_id, nadia, 0, key_id)["ok"]
    assert set_fr(nadia, "Fermer les points de passage la nuit.")["stale"] is False
    # per translator: Omar has read nothing since; the mark is not the link's but each name's
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=2,
       text="Close the border crossings at night, except for emergencies.")
    hub.view(meeting_id, omar, key_id)
    assert set_fr(nadia, "Fermer les points de passage la nuit.")["stale"] is True
    # a client cannot claim a read for itself
    assert set_fr(nadia, "Fermer les points de passage la nuit.", _last_read_seq=10**9)["stale"] is True
    # the marks are in the store: another process (a hub on the same store) knows them
    elsewhere = Hub(store, emit=lambda room, payload: None)
    ack = elsewhere.submit(meeting_id, omar, {"type": "translation.set", "contribution_id": "answer-0001",
                                              "lang": "es", "text": "Cerrar los pasos salvo urgencias.",
                                              "op_id": "elsewhere-1"}, key_id=key_id)
    assert ack["ok"] and translation_of(hub, meeting_id, "answer-0001", "es")["stale"] is False


def test_a_translation_left_in_the_originals_new_language_can_be_cleared(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001", text="Garder les points de passage ouverts la nuit.", lang="en")
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="fr",
       text="Garder les points de passage ouverts la nuit.", original_version=1)
    # the rapporteur corrects the language: the original is French; the French "translation" is left
    ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=1, lang="fr")
    assert translation_of(hub, meeting_id, "answer-0001", "fr")["stale"] is True
    assert code(send(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001",
                     lang="fr", text="Autre chose.", original_version=2)) == "invalid"
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="fr", text="")
    assert translation_of(hub, meeting_id, "answer-0001", "fr") is None
    # nothing left: clearing again is refused as before
    assert code(send(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001",
                     lang="fr", text="")) == "invalid"
    check_archive({"events": store.read(meeting_id)})


# ----- cluster.title with lang ----------------------------------------------------------------------


def test_a_converging_point_has_a_title_per_language_beside_its_title(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    ok(hub, meeting_id, CHAIR, type="cluster.title", cluster_id="c-answer-0001", title="Social protection")
    ok(hub, meeting_id, CHAIR, type="cluster.title", cluster_id="c-answer-0001", title="الحماية الاجتماعية", lang="ar")
    ok(hub, meeting_id, CHAIR, type="cluster.title", cluster_id="c-answer-0001", title="Protection sociale", lang="fr")
    curation = hub.view(meeting_id, CHAIR)["curation"]
    assert curation["titles"] == {"c-answer-0001": "Social protection"}
    assert curation["titles_by_lang"] == {"c-answer-0001": {"ar": "الحماية الاجتماعية", "fr": "Protection sociale"}}
    ok(hub, meeting_id, CHAIR, type="cluster.title", cluster_id="c-answer-0001", title="", lang="ar")
    ok(hub, meeting_id, CHAIR, type="cluster.title", cluster_id="c-answer-0001", title="", lang="fr")
    curation = hub.view(meeting_id, TRANSLATOR)["curation"]
    assert curation == {"titles": {"c-answer-0001": "Social protection"}, "titles_by_lang": {},
                        "point_members": {}}
    assert code(send(hub, meeting_id, CHAIR, type="cluster.title", cluster_id="c-answer-0001",
                     title="Titel", lang="de")) == "invalid"
    # without lang the event is as it always was
    assert "lang" not in hub.store.read(meeting_id)[2]


# ----- sign-off and freeze ---------------------------------------------------------------------------


def test_a_sign_off_goes_stale_with_any_later_change_to_its_group_and_question(meeting):
    store, hub, meeting_id, _ = meeting
    key = f"africa|{QUESTION}"
    add(hub, meeting_id, "answer-0001")
    add(hub, meeting_id, "answer-0002", actor=EUROPE)
    ok(hub, meeting_id, AFRICA, type="answers.sign_off", question_id=QUESTION)
    signed = hub.view(meeting_id, CHAIR)["sign_offs"]
    assert signed == {key: {"ts": signed[key]["ts"], "stale": False}}
    assert hub.view(meeting_id, PLENARY)["sign_offs"] == signed
    assert hub.view(meeting_id, EUROPE)["sign_offs"] == {}  # its own group's only
    # changes elsewhere leave it alone: another group, another question, a translation
    add(hub, meeting_id, "answer-0003", actor=EUROPE)
    add(hub, meeting_id, "answer-0004", question=OTHER_QUESTION)
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="fr", text="Bonjour")
    assert hub.view(meeting_id, CHAIR)["sign_offs"][key]["stale"] is False

    changes = [
        ("contribution.add", AFRICA, {"question_id": QUESTION, "text": "One more.", "kind": "gap",
                                      "agreement": "consensus", "id": "answer-0005"}),
        ("contribution.edit", AFRICA, {"contribution_id": "answer-0001", "version": 1, "agreement": "majority"}),
        ("contribution.move", AFRICA, {"contribution_id": "answer-0001", "index": 1}),
        ("contribution.delete", CHAIR, {"contribution_id": "answer-0005"}),
        # moved in from another question: both questions' sign-offs are outdated
        ("contribution.move", AFRICA, {"contribution_id": "answer-0004", "index": 0, "question_id": QUESTION}),
    ]
    for op_type, actor, fields in changes:
        ok(hub, meeting_id, AFRICA, type="answers.sign_off", question_id=QUESTION)
        ok(hub, meeting_id, AFRICA, type="answers.sign_off", question_id=OTHER_QUESTION)
        assert hub.view(meeting_id, CHAIR)["sign_offs"][key]["stale"] is False
        ok(hub, meeting_id, actor, type=op_type, **fields)
        assert hub.view(meeting_id, CHAIR)["sign_offs"][key]["stale"] is True, op_type
    assert hub.view(meeting_id, CHAIR)["sign_offs"][f"africa|{OTHER_QUESTION}"]["stale"] is True
    # the events reach the staff and the group only
    rooms = {room for room, payload in hub.sent if payload["type"] == "answers.signed_off"}
    assert rooms == {f"m:{meeting_id}:staff", f"m:{meeting_id}:group:africa"}
    # a question of another session's groups, or none at all
    assert code(send(hub, meeting_id, AFRICA, type="answers.sign_off", question_id="s3p-q1")) == "forbidden"
    assert code(send(hub, meeting_id, AFRICA, type="answers.sign_off", question_id="nope")) == "not_found"
    assert code(send(hub, meeting_id, AFRICA, type="answers.sign_off")) == "invalid"
    # a locked board may still be agreed to
    ok(hub, meeting_id, CHAIR, type="board.lock", group_id="all", locked=True)
    ok(hub, meeting_id, AFRICA, type="answers.sign_off", question_id=QUESTION)
    restarted = Hub(store, emit=lambda room, payload: None)
    assert restarted.view(meeting_id, CHAIR)["sign_offs"] == hub.view(meeting_id, CHAIR)["sign_offs"]


def test_the_chair_freezes_and_unfreezes_the_plenary(meeting):
    store, hub, meeting_id, _ = meeting
    assert hub.view(meeting_id, PLENARY)["plenary_frozen"] is False
    ok(hub, meeting_id, CHAIR, type="plenary.freeze", frozen=True)
    assert hub.view(meeting_id, PLENARY)["plenary_frozen"] is True
    assert {room for room, payload in hub.sent if payload["type"] == "plenary.frozen"} == {f"m:{meeting_id}:staff"}
    assert code(send(hub, meeting_id, CHAIR, type="plenary.freeze", frozen="yes")) == "invalid"
    assert code(send(hub, meeting_id, CHAIR, type="plenary.freeze")) == "invalid"
    # events keep being applied while frozen
    add(hub, meeting_id, "answer-0001")
    assert contribution(hub, meeting_id, PLENARY, "answer-0001")
    ok(hub, meeting_id, CHAIR, type="plenary.freeze", frozen=False)
    assert Hub(store, emit=lambda r, p: None).view(meeting_id, CHAIR)["plenary_frozen"] is False


# ----- the archive ------------------------------------------------------------------------------------


def test_the_archive_check_knows_the_new_events(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="ar", text="نص")
    ok(hub, meeting_id, SYSTEM, type="translation.set", contribution_id="answer-0001", lang="fr",
       text="[machine] texte", original_version=1)
    ok(hub, meeting_id, AFRICA, type="answers.sign_off", question_id=QUESTION)
    ok(hub, meeting_id, CHAIR, type="plenary.freeze", frozen=True)
    ok(hub, meeting_id, CHAIR, type="cluster.title", cluster_id="c-answer-0001", title="Titre", lang="fr")
    events = store.read(meeting_id)
    found_id, cleaned = check_archive({"events": events})
    assert found_id == meeting_id and len(cleaned) == len(events)

    def refused(index, **changes):
        broken = [dict(e) for e in events]
        broken[index].update(changes)
        with pytest.raises(ArchiveError):
            check_archive({"events": broken})

    translation = next(i for i, e in enumerate(events) if e["type"] == "translation.set")
    refused(translation, lang="en")  # the original's language
    refused(translation, lang="de")
    refused(translation, source="oracle")
    refused(translation, source="machine")  # from a person
    refused(translation, group_id="americas")
    refused(translation, contribution_id="never-added")
    refused(translation, text="x" * 2001)
    refused(translation, extra="field")
    refused(translation + 1, source="human")  # the server's draft passed off as a person's
    # a translation of older words imported as fresh, or of a version that never was
    refused(translation, stale=False, original_version=None)
    refused(translation, original_version=2)
    refused(translation, original_version="1")
    refused(translation, stale="no")
    signed = next(i for i, e in enumerate(events) if e["type"] == "answers.signed_off")
    refused(signed, question_id="s3p-q1")
    refused(signed, group_id="nowhere")
    frozen = next(i for i, e in enumerate(events) if e["type"] == "plenary.frozen")
    refused(frozen, frozen="yes")
    titled = next(i for i, e in enumerate(events) if e["type"] == "cluster.titled")
    refused(titled, lang="de")


# ----- machine drafts in process: the bounded queue and the status --------------------------------


def test_drafts_queue_is_bounded_and_its_state_is_told(meeting):
    import threading

    from support import wait_until
    from standin_translate import StandInTranslate, fake_translation
    from facilitator.web.drafts import MachineDrafts

    store, hub, meeting_id, _ = meeting
    standin = StandInTranslate().start()
    drafts = MachineDrafts(hub, standin.url, spawn=lambda fn: threading.Thread(target=fn, daemon=True).start(),
                           sleep=lambda seconds: None, timeout=10, queue_size=3, workers=1)
    try:
        assert drafts.status()["status"] == "starting"
        standin.hold()  # the endpoint takes the first request and does not answer
        add(hub, meeting_id, "answer-0001", text="First text.")  # ar, fr, es: queued
        wait_until(lambda: standin.requests, "the first request")  # ar asked, fr and es wait
        assert drafts.status()["pending"] == 2
        add(hub, meeting_id, "answer-0002", text="Second text.")  # one more fits; two are dropped
        status = drafts.status()
        assert status["status"] == "queue_full" and status["dropped"] == 2 and status["pending"] == 3
        # the meeting goes on meanwhile
        ok(hub, meeting_id, CHAIR, type="timer.start", seconds=30)
        standin.release()
        wait_until(lambda: len(contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]) == 3,
                   "the first text's drafts")
        translations = contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]
        assert translations["fr"]["text"] == fake_translation("First text.", "fr")
        assert {t["source"] for t in translations.values()} == {"machine"}
        assert drafts.status()["status"] == "ok" and drafts.status()["drafted"] >= 3
        # a human translation is never asked for again, nor overwritten
        ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0001", lang="ar", text="نص")
        ok(hub, meeting_id, AFRICA, type="contribution.edit", contribution_id="answer-0001", version=1, text="First text, edited.")
        wait_until(lambda: all(not t["stale"] for lang, t in contribution(
            hub, meeting_id, CHAIR, "answer-0001")["translations"].items() if lang != "ar"), "fresh drafts")
        assert not standin.asked("First text, edited.", "ar")
        assert contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]["ar"]["source"] == "human"
        # the endpoint gone: the state says so, ops go on
        standin.stop()
        add(hub, meeting_id, "answer-0003", text="Third text.")
        wait_until(lambda: drafts.status()["status"] == "unreachable", "the outage to be seen")
        assert drafts.status()["error"]
        ok(hub, meeting_id, CHAIR, type="timer.stop")
    finally:
        standin.release()
        standin.stop()


def test_the_libretranslate_client_against_the_stand_in():
    from standin_translate import StandInTranslate
    from facilitator.web.drafts import TranslateError, libretranslate

    standin = StandInTranslate().start()
    try:
        assert libretranslate(standin.url, "Safe corridors", "en", "ar", 5) == "[ar] Safe corridors"
        assert standin.requests[-1] == {"q": "Safe corridors", "source": "en", "target": "ar", "format": "text"}
        libretranslate(standin.url + "/", "x", "en", "fr", 5, api_key="k-1")
        assert standin.requests[-1]["api_key"] == "k-1"
        for url, text in ((standin.url, ""), (standin.url + "/elsewhere", "x")):
            with pytest.raises(TranslateError, match="HTTP 40"):
                libretranslate(url, text, "en", "fr", 5)
        url = standin.url
    finally:
        standin.stop()
    with pytest.raises(TranslateError):  # nobody listens there any more
        libretranslate(url, "x", "en", "fr", 5)


def test_the_libretranslate_client_holds_to_its_deadline_and_follows_no_redirect():
    from standin_translate import StandInTranslate
    from facilitator.web.drafts import TranslateError, libretranslate, redact

    standin, elsewhere = StandInTranslate().start(), StandInTranslate().start()
    try:
        # a good reply, a byte every half second: each read is quick, the whole is not
        standin.misbehave, standin.trickle_every = "trickle", 0.5
        with pytest.raises(TranslateError, match="no complete reply within 1 s"):
            libretranslate(standin.url, "Safe corridors", "en", "fr", 1)
        # a 302 is an answer, never followed: the other server is asked nothing
        standin.misbehave, standin.redirect_to = "redirect", elsewhere.url + "/translate"
        with pytest.raises(TranslateError, match="HTTP 302") as refused:
            libretranslate(standin.url, "Safe corridors", "en", "fr", 5)
        assert not refused.value.refused and not elsewhere.requests
        # a reply nested 50,000 deep, or not JSON at all: refused unparsed, no RecursionError
        for misbehave in ("deep", "garbage"):
            standin.misbehave = misbehave
            with pytest.raises(TranslateError, match="not LibreTranslate's JSON"):
                libretranslate(standin.url, "Safe corridors", "en", "fr", 5)
        # a 4xx is about this request alone (a language the endpoint lacks, a bad text)
        standin.misbehave = None
        with pytest.raises(TranslateError, match="HTTP 400") as refused:
            libretranslate(standin.url, "Sichere Korridore", "de", "fr", 5)
        assert refused.value.refused
        # credentials in the URL are sent as Basic auth, and never shown
        with_password = standin.url.replace("http://", "http://desk:s3cr%40t@")
        assert libretranslate(with_password, "Safe corridors", "en", "fr", 5) == "[fr] Safe corridors"
        assert standin.authorizations[-1] == "Basic ZGVzazpzM2NyQHQ="  # desk:s3cr@t
        assert redact(with_password) == standin.url.replace("http://", "http://desk:***@")
        assert redact(standin.url) == standin.url
    finally:
        standin.release()
        standin.stop()
        elsewhere.stop()
    # URLs that name no endpoint: a TranslateError, never a traceback
    for url in ("http://127.0.0.1:notaport", "http://[::1", "ftp://127.0.0.1/", "127.0.0.1:5005",
                "http://desk:s3cret@127.0.0.1:99999"):
        with pytest.raises(TranslateError) as refused:
            libretranslate(url, "x", "en", "fr", 5)
        assert "s3cret" not in str(refused.value)


def test_a_4xx_fails_its_job_alone_and_a_text_in_another_language_is_not_sent(meeting, tmp_path):
    import threading

    from support import wait_until
    from standin_translate import StandInTranslate, fake_translation
    from facilitator.web.drafts import MachineDrafts

    store, hub, meeting_id, _ = meeting
    other_id, _ = provisioning.create_meeting(store, load_agenda("grcp7"))
    standin = StandInTranslate().start()
    naps = []
    drafts = MachineDrafts(hub, standin.url, spawn=lambda fn: threading.Thread(target=fn, daemon=True).start(),
                           sleep=naps.append, timeout=5, queue_size=50, workers=1)
    try:
        standin.refuse.add("A text the endpoint refuses.")
        add(hub, meeting_id, "answer-0001", text="A text the endpoint refuses.")
        add(hub, meeting_id, "answer-0002", text="Sichere Korridore für Arbeitskräfte.", lang="de")
        for n in range(3):
            add(hub, other_id, f"other-{n:04d}", text=f"Another meeting's text {n}.")
        wait_until(lambda: all(len(contribution(hub, other_id, CHAIR, f"other-{n:04d}")["translations"]) == 3
                               for n in range(3)), "the other meeting's drafts")
        assert not naps  # no back-off: the refusals were that job's own
        assert not [r for r in standin.requests if r["source"] == "de"]  # not a language of the meeting
        assert contribution(hub, meeting_id, CHAIR, "answer-0002")["translations"] == {}
        status = drafts.status()
        assert status["status"] == "ok" and status["errors"] == 3 and status["drafted"] == 9
        translations = contribution(hub, other_id, CHAIR, "other-0002")["translations"]
        assert translations["fr"]["text"] == fake_translation("Another meeting's text 2.", "fr")
        assert translations["fr"]["original_version"] == 1
    finally:
        standin.stop()


def test_a_new_owner_queues_the_drafts_still_missing(meeting):
    import threading

    from support import wait_until
    from standin_translate import StandInTranslate
    from facilitator.web.drafts import MachineDrafts

    store, hub, meeting_id, _ = meeting
    # what a process that did not own the meeting folded: nobody queued drafts for it
    add(hub, meeting_id, "answer-0001", text="Drafted by nobody yet.")
    add(hub, meeting_id, "answer-0002", text="Translated by a person into French.")
    ok(hub, meeting_id, TRANSLATOR, type="translation.set", contribution_id="answer-0002", lang="fr",
       text="Traduit par une personne.", original_version=1)
    standin = StandInTranslate().start()
    drafts = MachineDrafts(hub, standin.url, spawn=lambda fn: threading.Thread(target=fn, daemon=True).start(),
                           sleep=lambda seconds: None, timeout=5, queue_size=50, workers=1)
    try:
        drafts.on_lease_taken(meeting_id)
        drafts.on_lease_taken(meeting_id)  # twice: each draft is asked once all the same
        wait_until(lambda: drafts.status()["pending"] == 0 and drafts.status()["drafted"] == 5, "the drafts")
        assert {lang: t["source"] for lang, t in contribution(hub, meeting_id, CHAIR, "answer-0002")[
            "translations"].items()} == {"fr": "human", "ar": "machine", "es": "machine"}
        assert len(contribution(hub, meeting_id, CHAIR, "answer-0001")["translations"]) == 3
        assert len(standin.requests) == 5
    finally:
        standin.stop()


def test_what_reaches_the_translators(meeting):
    store, hub, meeting_id, _ = meeting
    add(hub, meeting_id, "answer-0001")
    ok(hub, meeting_id, CHAIR, type="spotlight.set", contribution_id="answer-0001")
    ok(hub, meeting_id, CHAIR, type="cluster.title", cluster_id="c-answer-0001", title="Titre", lang="fr")
    ok(hub, meeting_id, CHAIR, type="session.set", session_id="s2-groups")
    ok(hub, meeting_id, CHAIR, type="outcome.mark", contribution_id="answer-0001")
    ok(hub, meeting_id, CHAIR, type="cluster.detach", contribution_id="answer-0001")
    ok(hub, meeting_id, CHAIR, type="ballot.open", contribution_ids=["answer-0001"])
    translators = f"m:{meeting_id}:translators"
    reached = {payload["type"] for room, payload in hub.sent if room == translators}
    assert reached == {"contribution.added", "spotlight.set", "cluster.titled", "session.changed", "ballot.opened"}
    # ...and sync gives a translator the same events, nothing else
    events = hub.sync(meeting_id, TRANSLATOR, 0)["events"]
    assert {e["type"] for e in events} == reached | {"meeting.created"}
