"""Issue 19, items 5 and 6, the domain's part, in process (the hub on a real SQLite store):

- a contribution's language corrected with `contribution.edit` `lang`: its translations go stale,
  the synthesis reads it in the corrected language, the report prints it;
- a text sent without a language gets the one its words show (text.detect_lang);
- a forwarded wording carries the language it is written in, never the forwarded item's;
- every change of a contribution names who made it (`changed_by`), which the board's conflict
  offer shows; the archive keeps it and an import takes it back.
"""

from __future__ import annotations

from facilitator.meeting.archive import check_archive, export_archive, read_log
from facilitator.meeting.report import build_report
from facilitator.meeting.synthesis import Synthesizer

Q = "s2-q1"
FRENCH = "Mettre fin aux frais de recrutement payés par les travailleurs migrants et leurs familles."
ENGLISH = "End recruitment fees paid by migrant workers and their families."
SPANISH = "Poner fin a los costos de contratación que pagan los trabajadores migrantes y sus familias."


def started(meeting):
    chair = meeting.connect(meeting.chair_key)
    assert chair.op("session.set", session_id="s2-groups")["ok"]
    return chair


def add(client, text, **kw):
    fields = {"question_id": Q, "text": text, "kind": "recommendation", "agreement": "consensus"}
    fields.update(kw)
    ack = client.op("contribution.add", **fields)
    assert ack["ok"], ack
    return client.wait_for(lambda e: e["type"] == "contribution.added" and e["seq"] == ack["seq"])["contribution"]


def report_item(hub, meeting, cid, lang="en"):
    state = hub.state(meeting.id)
    data = build_report(state, {}, {}, lang)
    return next(c for c in data["contributions"] if c["id"] == cid)


def test_a_corrected_language_stales_translations_and_reaches_synthesis_and_report(hub, meeting):
    chair = started(meeting)
    africa = meeting.connect(meeting.rapporteur_key("africa"), name="Amina")
    # a French sentence typed on an English board, stored as English: the mistake of issue 19
    wrong = add(africa, FRENCH, lang="en")
    assert wrong["lang"] == "en"
    for lang, text in (("ar", "إنهاء رسوم التوظيف"), ("es", SPANISH), ("fr", FRENCH)):
        assert chair.op("translation.set", contribution_id=wrong["id"], lang=lang, text=text,
                        original_version=wrong["version"])["ok"]
    assert report_item(hub, meeting, wrong["id"])["origin"] == "English (en)"

    ack = africa.op("contribution.edit", contribution_id=wrong["id"], version=wrong["version"], lang="fr")
    assert ack["ok"], ack
    fixed = hub.state(meeting.id).contributions[wrong["id"]]
    assert (fixed["lang"], fixed["text"], fixed["version"]) == ("fr", FRENCH, wrong["version"] + 1)
    # what was translated from "English" was translated from the wrong language
    translations = hub.state(meeting.id).translations_of(wrong["id"])
    assert {lang: t["stale"] for lang, t in translations.items()} == {"ar": True, "es": True, "fr": True}
    # the synthesis stems and embeds it as French now (its language is read, not guessed again)
    lexical = Synthesizer(engine="lexical")
    assert lexical.contribution_lang(fixed) == "fr"
    assert lexical.contribution_lang(dict(fixed, lang="en")) == "en"
    # the report prints the corrected language, and offers no "French translation" of a French text
    item = report_item(hub, meeting, wrong["id"])
    assert (item["lang"], item["origin"]) == ("fr", "French (fr)")
    assert report_item(hub, meeting, wrong["id"], lang="fr")["translation"] is None
    # the "French translation" of what is now a French original may be removed (issue 20)
    assert chair.op("translation.set", contribution_id=wrong["id"], lang="fr", text="")["ok"]
    assert "fr" not in hub.state(meeting.id).translations_of(wrong["id"])
    # setting a translation again makes it fresh
    assert chair.op("translation.set", contribution_id=wrong["id"], lang="es", text=SPANISH,
                    original_version=fixed["version"])["ok"]
    assert hub.state(meeting.id).translations_of(wrong["id"])["es"]["stale"] is False
    # a language that is not a language code is refused, and changes nothing
    bad = africa.op("contribution.edit", contribution_id=wrong["id"], version=fixed["version"], lang="français")
    assert bad["ok"] is False and bad["error"]["code"] == "invalid"
    assert hub.state(meeting.id).contributions[wrong["id"]]["version"] == fixed["version"]


def test_a_text_sent_without_a_language_gets_the_one_its_words_show(hub, meeting):
    started(meeting)
    africa = meeting.connect(meeting.rapporteur_key("africa"))
    # GRCP7's default language is Arabic: a Latin-script text is never stored as Arabic
    assert meeting.hub.state(meeting.id).meeting["default_language"] == "ar"
    assert add(africa, FRENCH)["lang"] == "fr"
    assert add(africa, SPANISH)["lang"] == "es"
    assert add(africa, ENGLISH)["lang"] == "en"
    assert add(africa, "إنهاء رسوم التوظيف التي يدفعها العمال المهاجرون")["lang"] == "ar"
    assert add(africa, "ECOWAS MoU")["lang"] == "en"  # no evidence: English, not Arabic


def test_a_forwarded_wording_carries_the_language_it_is_written_in(hub, meeting):
    chair = started(meeting)
    americas = meeting.connect(meeting.rapporteur_key("americas"))
    spanish = add(americas, SPANISH, lang="es")
    target = {"contribution_id": spanish["id"]}
    assert chair.op("outcome.mark", **target)["ok"]
    # an English wording of a Spanish answer, sent without a language: English, not Spanish
    assert chair.op("outcome.wording", **target, text=ENGLISH)["ok"]
    ref = f"contribution:{spanish['id']}"
    assert hub.state(meeting.id).outcome["wording"][ref] == {"text": ENGLISH, "lang": "en"}
    wording = _recommendation(hub, meeting, ref)["wording"]
    assert (wording["lang"], wording["source"]) == ("en", "chair")
    assert wording["label"].endswith("(English)")
    # the language the chair's form names wins over any guess
    assert chair.op("outcome.wording", **target, text=ENGLISH, lang="fr")["ok"]
    assert hub.state(meeting.id).outcome["wording"][ref]["lang"] == "fr"


def _recommendation(hub, meeting, ref):
    data = build_report(hub.state(meeting.id), {}, {}, "en")
    return next(r for r in data["recommendations"] if r["ref"] == ref)


def test_every_change_names_who_made_it_and_the_archive_keeps_it(hub, meeting, store):
    started(meeting)
    amina = meeting.connect(meeting.rapporteur_key("africa"), name="Amina")
    kofi = meeting.connect(meeting.rapporteur_key("africa"), name="Kofi")
    item = add(amina, ENGLISH, lang="en")
    assert "changed_by" not in item  # an add has its author
    kofi_said = {"role": "rapporteur", "group_id": "africa", "name": "Kofi"}
    assert kofi.op("contribution.edit", contribution_id=item["id"], version=1, text=ENGLISH + " Now.")["ok"]
    # Amina's edit from the version she opened meets a conflict that names Kofi
    late = amina.op("contribution.edit", contribution_id=item["id"], version=1, text="Mine")
    assert late["error"]["code"] == "conflict"
    assert late["error"]["current"]["changed_by"] == kofi_said
    for type_, fields in (("contribution.move", {"index": 0}), ("contribution.delete", {}),
                          ("contribution.restore", {})):
        assert amina.op(type_, contribution_id=item["id"], **fields)["ok"]
        now = hub.state(meeting.id).contributions[item["id"]]
        assert now["changed_by"]["name"] == "Amina", type_
        assert now["edited_by"] == kofi_said  # the last edit of its words stays Kofi's
    # the archive keeps who changed what, and its checks take it back
    events = read_log(store, meeting.id)
    archive = export_archive(meeting.id, events, build_report(hub.state(meeting.id), {}, {}, "en"))
    meeting_id, checked = check_archive(archive)
    assert meeting_id == meeting.id
    assert [e["contribution"].get("changed_by") for e in checked if e["type"].startswith("contribution.")][-1] \
        == {"role": "rapporteur", "group_id": "africa", "name": "Amina"}
