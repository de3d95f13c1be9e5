"""Issue 12 through the real server: the translator's key, translations, sign-off and freeze over
real sockets and HTTP, and machine drafts from a stand-in LibreTranslate (tests/standin_translate.py)."""

from __future__ import annotations

import pytest
import requests

from support import ServerProcess, key_of, wait_until
from standin_translate import StandInTranslate, fake_translation

Q = "s2-q1"
Q2 = "s2-q2"


def group_key(links: dict, gid: str) -> str:
    return key_of(next(g for g in links["groups"] if g["id"] == gid)["rapporteur_url"])


def add(client, text: str, question_id: str = Q, **kw) -> dict:
    ack = client.op("contribution.add", question_id=question_id, text=text, kind="good_practice",
                    agreement="consensus", **kw)
    assert ack["ok"], ack
    return ack


def state_of(server_url: str, mid: str, key: str) -> dict:
    response = requests.get(f"{server_url}/api/m/{mid}/state", params={"key": key}, timeout=10)
    assert response.ok, response.text
    return response.json()


def contribution_in(state: dict, cid: str) -> dict:
    return next(c for c in state["contributions"] if c["id"] == cid)


@pytest.fixture
def meeting(live_server):
    return live_server.create_meeting()


def test_translator_sign_off_and_freeze_over_the_wire(live_server, meeting, connect):
    url, mid = live_server.url, meeting["meeting_id"]
    assert meeting["translator_url"].startswith(f"{url}/m/{mid}/translate?key=")
    translator_key = key_of(meeting["translator_url"])
    chair = connect(url, mid, key_of(meeting["chair_url"]))
    plenary = connect(url, mid, key_of(meeting["plenary_url"]))
    translator = connect(url, mid, translator_key, name="Nadia")
    africa = connect(url, mid, group_key(meeting, "africa"), name="Amina")
    europe = connect(url, mid, group_key(meeting, "europe-central-asia"))

    # the translator sees every group's contributions as they come
    add(africa, "Portable social security between countries of origin and destination.", lang="en", id="africa-0001")
    add(europe, "Recognition of skills across borders.", lang="en", id="europe-0001")
    for cid in ("africa-0001", "europe-0001"):
        translator.wait_for(lambda e: e["type"] == "contribution.added" and e["contribution"]["id"] == cid)

    # translation.set: the translator and the chair; nobody else
    ack = translator.op("translation.set", contribution_id="africa-0001", lang="ar", original_version=1,
                        text="ضمان اجتماعي قابل للنقل بين بلدان المنشأ والمقصد.")
    assert ack["ok"], ack
    for client in (chair, plenary, africa, translator):
        event = client.wait_for(lambda e: e["type"] == "translation.set")
        assert event["contribution_id"] == "africa-0001" and event["source"] == "human"
        assert event["lang"] == "ar" and event["by"] == {"role": "translator", "name": "Nadia"}
    assert all(e["type"] != "translation.set" for e in europe.sync(0)["events"])
    for client in (plenary, africa, europe):
        ack = client.op("translation.set", contribution_id="africa-0001", lang="fr", text="Bonjour")
        assert ack["error"]["code"] == "forbidden"
    assert chair.op("translation.set", contribution_id="europe-0001", lang="fr", original_version=1,
                    text="Reconnaissance des compétences par-delà les frontières.")["ok"]
    # ...and may not do the rest
    assert translator.op("contribution.edit", contribution_id="africa-0001", version=1, text="x")["error"]["code"] == "forbidden"
    assert translator.op("ballot.open", contribution_ids=["africa-0001"])["error"]["code"] == "forbidden"
    assert translator.op("cluster.title", cluster_id="c-africa-0001", title="x")["error"]["code"] == "forbidden"
    assert translator.op("answers.sign_off", question_id=Q)["error"]["code"] == "forbidden"
    assert translator.op("plenary.freeze", frozen=True)["error"]["code"] == "forbidden"
    ballot = chair.op("ballot.open", contribution_ids=["africa-0001", "europe-0001"])
    assert ballot["ok"] and chair.op("ballot.reveal", ballot_id="b1")["ok"]
    r = requests.get(f"{url}/api/m/{mid}/ballots/b1", params={"key": translator_key}, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = requests.get(f"{url}/api/m/{mid}/synthesis", params={"key": translator_key}, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = requests.get(f"{url}/api/m/{mid}/report.json", params={"key": translator_key}, timeout=10)
    assert r.status_code == 403

    # the state endpoint: translations on each contribution, for every role that sees it
    seen = state_of(url, mid, translator_key)
    assert seen["role"] == "translator" and "ballots" not in seen and "outcome" not in seen
    assert seen["machine_translation"]["status"] == "off"  # no endpoint configured
    assert contribution_in(seen, "africa-0001")["translations"]["ar"]["source"] == "human"
    assert contribution_in(seen, "europe-0001")["translations"]["fr"]["stale"] is False
    assert "machine_translation" not in state_of(url, mid, key_of(meeting["plenary_url"]))
    assert contribution_in(state_of(url, mid, group_key(meeting, "africa")), "africa-0001")["translations"]["ar"]

    # an edit of the original marks the translation stale, until it is set again
    assert africa.op("contribution.edit", contribution_id="africa-0001", version=1,
                     text="Portable social security between all countries of origin and destination.")["ok"]
    assert contribution_in(state_of(url, mid, translator_key), "africa-0001")["translations"]["ar"]["stale"] is True
    assert translator.op("translation.set", contribution_id="africa-0001", lang="ar", version=1, original_version=2,
                         text="ضمان اجتماعي قابل للنقل بين جميع بلدان المنشأ والمقصد.")["ok"]
    assert contribution_in(state_of(url, mid, translator_key), "africa-0001")["translations"]["ar"]["stale"] is False
    stale_copy = chair.op("translation.set", contribution_id="africa-0001", lang="ar", version=1, text="نص آخر")
    assert stale_copy["error"]["code"] == "conflict" and stale_copy["error"]["current"]["version"] == 2

    # sign-off: the group's rapporteur, for its own group; stale after any change there
    assert africa.op("answers.sign_off", question_id=Q)["ok"]
    event = chair.wait_for(lambda e: e["type"] == "answers.signed_off")
    assert event["group_id"] == "africa" and event["question_id"] == Q
    plenary.wait_for(lambda e: e["type"] == "answers.signed_off")
    assert all(e["type"] != "answers.signed_off" for e in europe.sync(0)["events"] + translator.sync(0)["events"])
    for key in (key_of(meeting["chair_url"]), key_of(meeting["plenary_url"])):
        assert state_of(url, mid, key)["sign_offs"] == {
            f"africa|{Q}": {"ts": event["ts"], "stale": False}}
    assert chair.op("answers.sign_off", question_id=Q)["error"]["code"] == "forbidden"
    assert plenary.op("answers.sign_off", question_id=Q)["error"]["code"] == "forbidden"
    # europe's change is not africa's; africa's move is
    add(europe, "Another European point.")
    assert state_of(url, mid, key_of(meeting["chair_url"]))["sign_offs"][f"africa|{Q}"]["stale"] is False
    add(africa, "A second African point.", id="africa-0002")
    assert state_of(url, mid, key_of(meeting["plenary_url"]))["sign_offs"][f"africa|{Q}"]["stale"] is True
    assert africa.op("answers.sign_off", question_id=Q)["ok"]
    assert africa.op("contribution.move", contribution_id="africa-0002", index=0, question_id=Q2)["ok"]
    assert state_of(url, mid, key_of(meeting["chair_url"]))["sign_offs"][f"africa|{Q}"]["stale"] is True
    assert africa.op("answers.sign_off", question_id=Q)["ok"]
    assert africa.op("contribution.delete", contribution_id="africa-0001")["ok"]
    assert state_of(url, mid, key_of(meeting["chair_url"]))["sign_offs"][f"africa|{Q}"]["stale"] is True

    # freeze: the chair's; the plenary keeps receiving events while frozen
    assert plenary.op("plenary.freeze", frozen=True)["error"]["code"] == "forbidden"
    assert africa.op("plenary.freeze", frozen=True)["error"]["code"] == "forbidden"
    assert chair.op("plenary.freeze", frozen=True)["ok"]
    assert plenary.wait_for(lambda e: e["type"] == "plenary.frozen")["frozen"] is True
    assert state_of(url, mid, key_of(meeting["plenary_url"]))["plenary_frozen"] is True
    add(africa, "Said while the plenary was held still.", id="africa-0003")
    plenary.wait_for(lambda e: e["type"] == "contribution.added" and e["contribution"]["id"] == "africa-0003")
    assert chair.op("plenary.freeze", frozen=False)["ok"]
    assert state_of(url, mid, key_of(meeting["chair_url"]))["plenary_frozen"] is False
    assert all(e["type"] != "plenary.frozen" for e in africa.sync(0)["events"] + translator.sync(0)["events"])

    # the archive keeps translations and sign-offs, and import restores them
    archive = requests.get(f"{url}/api/m/{mid}/report.json", params={"key": key_of(meeting["chair_url"])}, timeout=60)
    assert archive.ok
    types = [e["type"] for e in archive.json()["events"]]
    assert {"translation.set", "answers.signed_off", "plenary.frozen"} <= set(types)


def test_archive_round_trip_keeps_translations_and_sign_offs(live_server, meeting, connect, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from support import ROOT

    url, mid = live_server.url, meeting["meeting_id"]
    chair_key, translator_key = key_of(meeting["chair_url"]), key_of(meeting["translator_url"])
    africa = connect(url, mid, group_key(meeting, "africa"))
    translator = connect(url, mid, translator_key)
    chair = connect(url, mid, chair_key)
    add(africa, "Pre-departure orientation for migrant workers.", lang="en", id="africa-0001")
    assert translator.op("translation.set", contribution_id="africa-0001", lang="fr", original_version=1,
                         text="Orientation avant le départ des travailleurs migrants.")["ok"]
    assert translator.op("translation.set", contribution_id="africa-0001", lang="es", original_version=1,
                         text="Orientación previa a la partida.")["ok"]
    assert africa.op("answers.sign_off", question_id=Q)["ok"]
    assert africa.op("contribution.edit", contribution_id="africa-0001", version=1,
                     text="Pre-departure orientation for all migrant workers.")["ok"]
    assert translator.op("translation.set", contribution_id="africa-0001", lang="fr", original_version=2,
                         text="Orientation avant le départ de tous les travailleurs migrants.")["ok"]
    assert chair.op("cluster.title", cluster_id="c-africa-0001", title="Orientation", lang="fr")["ok"]
    assert chair.op("plenary.freeze", frozen=True)["ok"]
    before = state_of(url, mid, chair_key)
    archive = requests.get(f"{url}/api/m/{mid}/report.json", params={"key": chair_key}, timeout=60)
    path = tmp_path / "archive.json"
    path.write_bytes(archive.content)

    elsewhere = tmp_path / "elsewhere"
    out = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "import-meeting", str(path),
                          "--data", str(elsewhere), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    links = json.loads(out.stdout)
    assert links["translator_url"] and key_of(links["translator_url"]) != translator_key
    server = ServerProcess(str(elsewhere)).start()
    try:
        after = state_of(server.url, mid, key_of(links["chair_url"]))
        assert after["sign_offs"] == before["sign_offs"] and after["sign_offs"][f"africa|{Q}"]["stale"] is True
        assert after["plenary_frozen"] is True
        assert after["curation"]["titles_by_lang"] == {"c-africa-0001": {"fr": "Orientation"}}
        translations = contribution_in(after, "africa-0001")["translations"]
        assert translations == contribution_in(before, "africa-0001")["translations"]
        assert translations["fr"]["stale"] is False and translations["es"]["stale"] is True
        # the new translator key works on the restored meeting
        assert state_of(server.url, mid, key_of(links["translator_url"]))["role"] == "translator"
    finally:
        server.stop()


# ----- a translation tied to its original (issue 20, 1) -----------------------------------------


def test_a_translation_of_an_older_original_lands_stale_in_the_report_and_the_state(live_server, meeting, connect):
    url, mid = live_server.url, meeting["meeting_id"]
    chair_key, translator_key = key_of(meeting["chair_url"]), key_of(meeting["translator_url"])
    nadia = connect(url, mid, translator_key, name="Nadia")
    omar = connect(url, mid, translator_key, name="Omar")
    africa = connect(url, mid, group_key(meeting, "africa"))
    add(africa, "Keep the border crossings open at night.", lang="en", id="border-0001")
    assert nadia.sync(0)["ok"] and omar.sync(0)["ok"]  # both have read version 1
    assert africa.op("contribution.edit", contribution_id="border-0001", version=1,
                     text="Close the border crossings at night.")["ok"]
    # Nadia's French was made from version 1 (it waited in her outbox): kept, stale everywhere
    ack = nadia.op("translation.set", contribution_id="border-0001", lang="fr", original_version=1,
                   text="Garder les points de passage frontaliers ouverts la nuit.")
    assert ack["ok"], ack
    event = africa.wait_for(lambda e: e["type"] == "translation.set" and e["lang"] == "fr")
    assert event["stale"] is True and event["original_version"] == 1
    # Omar sends his Spanish without original_version: the server takes his last read (version 1)
    assert omar.op("translation.set", contribution_id="border-0001", lang="es",
                   text="Mantener abiertos los pasos fronterizos por la noche.")["ok"]
    translations = contribution_in(state_of(url, mid, chair_key), "border-0001")["translations"]
    assert translations["fr"]["stale"] is True and translations["es"]["stale"] is True
    # the report prints them with the stale note, in French and in Spanish
    for lang, note in (("fr", "l’original a changé après cette traduction"), ("es", "el original cambió después de esta traducción")):
        report = requests.get(f"{url}/api/m/{mid}/report.md", params={"key": chair_key, "lang": lang}, timeout=60)
        assert report.ok
        line = next(i for i, text in enumerate(report.text.splitlines()) if "pasos fronterizos" in text
                    or "points de passage frontaliers" in text)
        assert note in report.text.splitlines()[line + 1], report.text.splitlines()[line:line + 3]
    # read again (a sync brings him the edit), Omar's next Spanish is fresh
    assert omar.sync(0)["ok"]
    assert omar.op("translation.set", contribution_id="border-0001", lang="es",
                   text="Cerrar los pasos fronterizos por la noche.")["ok"]
    assert contribution_in(state_of(url, mid, chair_key), "border-0001")["translations"]["es"]["stale"] is False
    # the rapporteur corrects the language to French: the French left there can be removed
    assert africa.op("contribution.edit", contribution_id="border-0001", version=2, lang="fr",
                     text="Fermer les points de passage frontaliers la nuit.")["ok"]
    assert nadia.op("translation.set", contribution_id="border-0001", lang="fr", text="")["ok"]
    assert "fr" not in contribution_in(state_of(url, mid, chair_key), "border-0001")["translations"]


# ----- machine drafts --------------------------------------------------------------------------


@pytest.fixture
def standin():
    server = StandInTranslate().start()
    yield server
    server.stop()


@pytest.fixture
def drafting_server(tmp_path, standin):
    server = ServerProcess(str(tmp_path), env={
        "FACILITATOR_TRANSLATE_URL": standin.url,
        "FACILITATOR_TRANSLATE_TIMEOUT": "3",
        "FACILITATOR_TRANSLATE_QUEUE": "3",
        "FACILITATOR_TRANSLATE_WORKERS": "1",
    }).start()
    yield server
    server.stop()


def machine_draft(text: str, lang: str):
    return lambda e: (e["type"] == "translation.set" and e["source"] == "machine" and e["lang"] == lang
                      and e["text"] == fake_translation(text, lang))


def test_machine_drafts_from_a_stand_in_libretranslate(drafting_server, standin, connect):
    meeting = drafting_server.create_meeting()
    url, mid = drafting_server.url, meeting["meeting_id"]
    chair_key, translator_key = key_of(meeting["chair_url"]), key_of(meeting["translator_url"])
    translator = connect(url, mid, translator_key)
    chair = connect(url, mid, chair_key)
    africa = connect(url, mid, group_key(meeting, "africa"))

    # drafts appear, into each of the meeting's other languages, authored by the server
    text = "Bilateral labour agreements with portable social security."
    add(africa, text, lang="en", id="africa-0001")
    for lang in ("ar", "fr", "es"):
        event = translator.wait_for(machine_draft(text, lang), timeout=20)
        assert event["contribution_id"] == "africa-0001" and event["by"] == {"role": "system"}
    assert not standin.asked(text, "en")
    assert standin.asked(text, "fr")[0] == {"q": text, "source": "en", "target": "fr", "format": "text"}
    seen = state_of(url, mid, translator_key)
    assert seen["machine_translation"]["status"] == "ok"
    assert {lang: t["source"] for lang, t in contribution_in(seen, "africa-0001")["translations"].items()} == {
        "ar": "machine", "fr": "machine", "es": "machine"}
    assert state_of(url, mid, chair_key)["machine_translation"]["status"] == "ok"

    # a human translation replaces a draft; the next edit redrafts the others, never the human one
    assert translator.op("translation.set", contribution_id="africa-0001", lang="fr",
                         text="Accords bilatéraux de main-d'œuvre avec sécurité sociale transférable.")["ok"]
    edited = "Bilateral labour agreements with fully portable social security."
    assert africa.op("contribution.edit", contribution_id="africa-0001", version=1, text=edited)["ok"]
    for lang in ("ar", "es"):
        translator.wait_for(machine_draft(edited, lang), timeout=20)
    # one worker takes the queue in order (ar, fr, es): had fr been asked, it would have been by now
    assert not standin.asked(edited, "fr")
    translations = contribution_in(state_of(url, mid, translator_key), "africa-0001")["translations"]
    assert translations["fr"]["source"] == "human" and translations["fr"]["stale"] is True
    assert translations["ar"] == dict(translations["ar"], source="machine", stale=False,
                                      text=fake_translation(edited, "ar"))
    # an edit that changes no words asks for nothing
    asked = len(standin.requests)
    assert africa.op("contribution.edit", contribution_id="africa-0001", version=2, kind="gap")["ok"]

    # a slow endpoint: ops go on, the bounded queue drops what it cannot hold and says so
    standin.delay = 1.5
    for n in range(4):
        add(africa, f"Point number {n} while the translator is slow.", id=f"slow-{n:04d}")
    assert chair.op("timer.start", seconds=60)["ok"]
    status = translator.wait_for(lambda e: e["type"] == "translation.status"
                                 and e["machine_translation"]["status"] == "queue_full", timeout=20)
    assert status["live"] is True and status["machine_translation"]["dropped"] >= 1
    chair.wait_for(lambda e: e["type"] == "translation.status")
    standin.delay = 0
    wait_until(lambda: state_of(url, mid, translator_key)["machine_translation"]["pending"] == 0,
               "the queue to drain")
    later = "Written once the translator is quick again."
    add(africa, later, id="quick-0001")
    translator.wait_for(machine_draft(later, "es"), timeout=20)
    assert state_of(url, mid, translator_key)["machine_translation"]["status"] == "ok"
    assert len([r for r in standin.requests[asked:] if r["q"].startswith("Bilateral")]) == 0

    # the stand-in stopped mid-meeting breaks nothing: ops, acks and events go on
    standin.stop()
    gone = "Written while the machine translation is down."
    add(africa, gone, id="gone-0001")
    translator.wait_for(lambda e: e["type"] == "translation.status"
                        and e["machine_translation"]["status"] == "unreachable", timeout=20)
    assert translator.op("translation.set", contribution_id="gone-0001", lang="fr", text="Écrit pendant la panne.")["ok"]
    add(africa, "And another one.", id="gone-0002")
    assert chair.op("board.lock", group_id="africa", locked=False)["ok"]
    chair.wait_for(lambda e: e["type"] == "contribution.added" and e["contribution"]["id"] == "gone-0002")
    seen = state_of(url, mid, translator_key)
    assert seen["machine_translation"]["status"] == "unreachable" and seen["machine_translation"]["error"]
    assert contribution_in(seen, "gone-0001")["translations"]["fr"]["source"] == "human"
    assert requests.get(url + "/healthz", timeout=5).json() == {"ok": True}
    # ...and when it is back, drafts come again
    standin.start()
    # what was queued during the outage goes first (or is dropped): the queue stays bounded
    wait_until(lambda: state_of(url, mid, translator_key)["machine_translation"]["pending"] == 0,
               "the queue to drain", timeout=90)
    back = "Written when the machine translation is back."
    add(africa, back, id="back-0001")
    translator.wait_for(machine_draft(back, "ar"), timeout=60)
    assert state_of(url, mid, translator_key)["machine_translation"]["status"] == "ok"


# ----- machine drafts against a hostile or clumsy endpoint (issue 20, 6) -------------------------


def status_of(server_url: str, mid: str, key: str) -> dict:
    return state_of(server_url, mid, key)["machine_translation"]


def test_a_misbehaving_endpoint_fails_jobs_not_the_meetings(tmp_path, standin, connect):
    elsewhere = StandInTranslate().start()
    with_password = standin.url.replace("http://", "http://desk:pa55-w0rd@")
    server = ServerProcess(str(tmp_path), env={
        "FACILITATOR_TRANSLATE_URL": with_password, "FACILITATOR_TRANSLATE_TIMEOUT": "2",
        "FACILITATOR_TRANSLATE_WORKERS": "1"}).start()
    try:
        one, two = server.create_meeting(), server.create_meeting()
        url = server.url
        translator_key = key_of(one["translator_url"])
        translator = connect(url, one["meeting_id"], translator_key)
        africa = connect(url, one["meeting_id"], group_key(one, "africa"))
        other = connect(url, two["meeting_id"], group_key(two, "africa"))
        other_translator = connect(url, two["meeting_id"], key_of(two["translator_url"]))

        # a text the endpoint answers 400 to, and one tagged with a language the meeting lacks:
        # that job fails alone; the other meeting's drafts come, and nothing backs off
        standin.refuse.add("A text the endpoint refuses.")
        add(africa, "A text the endpoint refuses.", lang="en", id="refused-0001")
        add(africa, "Sichere Korridore für Arbeitskräfte.", lang="de", id="german-0001")
        for n in range(3):
            text = f"The other meeting goes on, point {n}."
            add(other, text, lang="en", id=f"other-{n:04d}")
            for lang in ("ar", "fr", "es"):
                other_translator.wait_for(machine_draft(text, lang), timeout=20)
        assert not [r for r in standin.requests if "de" in (r["source"], r["target"])]
        status = status_of(url, one["meeting_id"], translator_key)
        assert status["status"] == "ok" and status["errors"] == 3
        assert standin.authorizations[-1] and standin.authorizations[-1].startswith("Basic ")

        # a reply that trickles a byte every 3 s is given up at the deadline and said so
        standin.misbehave = "trickle"
        add(africa, "Written while the endpoint trickles.", lang="en", id="trickle-0001")
        # ...and the translators are told at once
        translator.wait_for(lambda e: e["type"] == "translation.status"
                            and e["machine_translation"]["status"] == "unreachable"
                            and "no complete reply within 2 s" in e["machine_translation"]["error"], timeout=20)
        standin.misbehave = None
        back = "Written when the endpoint is sound again."
        add(africa, back, lang="en", id="back-0001")
        translator.wait_for(machine_draft(back, "es"), timeout=30)

        # 50,000 levels of JSON, then a redirect to another server: counted, shown, never followed
        for misbehave, says in (("deep", "not LibreTranslate's JSON"), ("redirect", "HTTP 302")):
            standin.misbehave, standin.redirect_to = misbehave, elsewhere.url + "/translate"
            asked = len(standin.requests)
            add(africa, f"Written while the endpoint answers {misbehave}.", lang="en", id=f"{misbehave}-0001")
            wait_until(lambda: says in (status_of(url, one["meeting_id"], translator_key)["error"] or ""),
                       f"the {misbehave} reply to be seen", timeout=30)
            assert status_of(url, one["meeting_id"], translator_key)["status"] == "unreachable"
            assert len(standin.requests) > asked
        assert not elsewhere.requests
        standin.misbehave = None
        last = "Written at the end."
        add(africa, last, lang="en", id="last-0001")
        translator.wait_for(machine_draft(last, "ar"), timeout=60)
        assert status_of(url, one["meeting_id"], translator_key)["status"] == "ok"

        log = server.log()
        assert "Traceback" not in log and "pa55-w0rd" not in log
        assert "desk:***@" in log
        # one line per outage: the trickle, then the deep reply (the redirect came in the same one)
        assert log.count("machine translation unreachable") == 2, log
        assert log.count("refused a draft") == 1, log  # the same 400 three times: said once
    finally:
        server.stop()
        elsewhere.stop()


def test_a_url_with_a_port_that_is_not_a_number_says_unreachable(tmp_path, connect):
    server = ServerProcess(str(tmp_path), env={
        "FACILITATOR_TRANSLATE_URL": "http://desk:pa55-w0rd@127.0.0.1:notaport",
        "FACILITATOR_TRANSLATE_WORKERS": "1"}).start()
    try:
        meeting = server.create_meeting()
        mid, translator_key = meeting["meeting_id"], key_of(meeting["translator_url"])
        status = status_of(server.url, mid, translator_key)
        assert status["status"] == "unreachable" and "not valid" in status["error"]
        africa = connect(server.url, mid, group_key(meeting, "africa"))
        add(africa, "Nothing can draft this.", lang="en")
        wait_until(lambda: status_of(server.url, mid, translator_key)["errors"] == 3, "each job to fail",
                   timeout=30)
        assert status_of(server.url, mid, translator_key)["status"] == "unreachable"
        log = server.log()
        assert "Traceback" not in log and "pa55-w0rd" not in log
        assert log.count("machine translation unreachable") == 1, log
    finally:
        server.stop()


def test_a_new_owner_drafts_what_the_killed_owner_had_queued(tmp_path, redis_url, standin, connect):
    from support import processes_on_redis

    env = {"FACILITATOR_TRANSLATE_URL": standin.url, "FACILITATOR_TRANSLATE_WORKERS": "1",
           "FACILITATOR_SYNTHESIS_ENGINE": "lexical"}
    with processes_on_redis(tmp_path, redis_url, env) as (a, b):
        meeting = a.create_meeting()
        mid = meeting["meeting_id"]
        standin.hold()  # the owner's worker waits on the first request; the rest stay queued in it
        africa = connect(a.url, mid, group_key(meeting, "africa"))
        texts = {f"burst-{n:04d}": f"Said in the burst before the owner died, number {n}." for n in range(5)}
        for cid, text in texts.items():
            add(africa, text, lang="en", id=cid)
        wait_until(lambda: standin.requests, "the first request")
        a.kill()
        standin.release()
        # the other process takes the lease at the meeting's next op, and drafts the whole burst
        africa_b = connect(b.url, mid, group_key(meeting, "africa"))
        add(africa_b, "Said after the owner died.", lang="en", id="after-0001")
        translator_key = key_of(meeting["translator_url"])

        def drafted():
            seen = state_of(b.url, mid, translator_key)
            return all(set(contribution_in(seen, cid)["translations"]) == {"ar", "fr", "es"}
                       for cid in [*texts, "after-0001"])

        wait_until(drafted, "every contribution drafted into every language", timeout=60)
        assert "took the lease of meeting" in b.log()
