"""The translator's page in headless Chromium, against a real server process.

- a translator translates an English contribution into Arabic with the keyboard only; the event
  reaches the server (the state shows it, source human); a rapporteur's edit of the original
  marks it stale on the page, and it comes back to the queue to be reviewed;
- two translators on one text: the second is shown the first's version and chooses;
- cut off (a TCP proxy of the test's own is dropped), the translator keeps working; the outbox
  delivers once the connection is back;
- machine drafts from the LibreTranslate stand-in are shown as drafts, with the status, and a
  person's save replaces them;
- screenshots of the desk at 1366×768 and 1920×1080, in Arabic and English (tests/artifacts/).
"""

from __future__ import annotations

import os

import pytest
import requests

from support import ARTIFACTS, ServerProcess, assert_page_sound, key_of, open_page, wait_until
from standin_translate import StandInTranslate, fake_translation

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSION = "s2-groups"
Q = "s2-q1"
WAIT = 20_000
ENGLISH = "Portable social security between countries of origin and destination."
ARABIC = "ضمان اجتماعي قابل للنقل بين بلدان المنشأ والمقصد."


def rapporteur(links, group="africa"):
    return key_of(next(g for g in links["groups"] if g["id"] == group)["rapporteur_url"])


@pytest.fixture
def meeting(live_server, connect):
    links = live_server.create_meeting()
    chair = connect(live_server.url, links["meeting_id"], key_of(links["chair_url"]))
    assert chair.op("session.set", session_id=SESSION)["ok"]
    links["chair"] = chair
    links["africa"] = connect(live_server.url, links["meeting_id"], rapporteur(links), name="Amina")
    return links


def add(client, text, cid, lang="en", question_id=Q):
    ack = client.op("contribution.add", id=cid, question_id=question_id, text=text, kind="good_practice",
                    agreement="consensus", lang=lang)
    assert ack["ok"], ack


def open_desk(browser, url, lang="en", width=1366, height=768, context=None):
    return open_page(browser, url, "#desk[aria-busy=false]", lang, width, height, context, timeout=WAIT)


def choose_targets(page, expect, *codes):
    """Tick exactly these target languages, as a translator does once (remembered)."""
    for box in page.locator("#desk-targets-list input").all():
        want = box.get_attribute("value") in codes
        if box.is_checked() != want:
            box.click()
    for code in codes:
        expect(page.locator(f"#target-{code}")).to_be_checked()


def queue_item(page, text):
    return page.locator("#desk-queue li").filter(has=page.locator(".desk-item__text", has_text=text))


def translation(server_url, mid, key, cid, lang):
    state = requests.get(f"{server_url}/api/m/{mid}/state", params={"key": key}, timeout=10).json()
    contribution = next(c for c in state["contributions"] if c["id"] == cid)
    return contribution["translations"].get(lang)


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"), full_page=False)


def test_translate_english_into_arabic_then_the_original_changes(browser, live_server, meeting, expect):
    mid = meeting["meeting_id"]
    add(meeting["africa"], ENGLISH, "tr-en-0001")
    add(meeting["africa"], "Recognition of skills across borders.", "tr-en-0002")
    page = open_desk(browser, meeting["translator_url"])
    choose_targets(page, expect, "ar")
    expect(page.locator("#desk-queue li")).to_have_count(2)
    item = queue_item(page, ENGLISH)
    expect(item).to_contain_text("Not translated")
    expect(item).to_contain_text("Current session")

    # keyboard only: Alt+↓ opens the first text of the queue, the cursor is in the target box
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Alt+ArrowDown")
    target = page.locator("#desk-target")
    expect(target).to_be_focused()
    expect(target).to_have_attribute("lang", "ar")
    expect(target).to_have_attribute("dir", "rtl")
    original = page.locator("#desk-original")
    expect(original).to_have_text(ENGLISH)
    expect(original).to_have_attribute("lang", "en")
    expect(original).to_have_attribute("dir", "ltr")
    expect(page.locator("#desk-keys")).to_contain_text("Ctrl")
    page.keyboard.type(ARABIC)
    page.keyboard.press("Control+Enter")
    # saved: the next text opens, the first leaves the queue
    expect(page.locator("#desk-original")).to_have_text("Recognition of skills across borders.")
    expect(page.locator("#desk-target")).to_be_focused()
    expect(queue_item(page, ENGLISH)).to_have_count(0)
    expect(page.locator("#unsent")).to_be_hidden()
    key = key_of(meeting["chair_url"])
    saved = translation(live_server.url, mid, key, "tr-en-0001", "ar")
    assert saved["text"] == ARABIC and saved["source"] == "human" and saved["stale"] is False

    # the rapporteur edits the original: the translation is stale, back in the queue to review
    ack = meeting["africa"].op("contribution.edit", contribution_id="tr-en-0001", version=1,
                               text=ENGLISH.replace("Portable", "Fully portable"))
    assert ack["ok"], ack
    stale = queue_item(page, "Fully portable")
    expect(stale).to_have_count(1)
    expect(stale).to_contain_text("Original changed: review")
    stale.locator("button").click()
    expect(page.locator(".desk-editor__notice")).to_contain_text("The original changed")
    expect(page.locator("#desk-original")).to_contain_text("Fully portable")
    expect(page.locator("#desk-target")).to_have_value(ARABIC)
    assert translation(live_server.url, mid, key, "tr-en-0001", "ar")["stale"] is True
    shot(page, "translate-stale-en-1366")
    # reviewed and saved again: fresh
    page.locator("#desk-target").fill("ضمان اجتماعي قابل للنقل بالكامل بين بلدان المنشأ والمقصد.")
    page.locator("#desk-target").press("Control+Enter")
    expect(queue_item(page, "Fully portable")).to_have_count(0)
    assert translation(live_server.url, mid, key, "tr-en-0001", "ar")["stale"] is False
    assert not page.errors, page.errors
    page.context.close()


def test_two_translators_do_not_overwrite_each_other(browser, live_server, meeting, expect):
    mid = meeting["meeting_id"]
    add(meeting["africa"], ENGLISH, "tr-en-0101")
    first = open_desk(browser, meeting["translator_url"], lang="ar")
    second = open_desk(browser, meeting["translator_url"], lang="ar")
    for page in (first, second):
        choose_targets(page, expect, "ar")
        queue_item(page, ENGLISH).locator("button").click()
        expect(page.locator("#desk-target")).to_be_focused()
    second.locator("#desk-target").fill("نص المترجم الثاني.")
    first.locator("#desk-target").fill("نص المترجم الأول.")
    first.locator("#desk-target").press("Control+Enter")
    key = key_of(meeting["chair_url"])
    expect(first.locator("#unsent")).to_be_hidden()
    assert translation(live_server.url, mid, key, "tr-en-0101", "ar")["text"] == "نص المترجم الأول."

    # the second saves over a version it never saw: it is shown both and chooses
    second.locator("#desk-target").press("Control+Enter")
    conflict = second.locator(".conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("نص المترجم الأول.")
    expect(conflict).to_contain_text("نص المترجم الثاني.")
    expect(conflict.locator(".conflict__text").first).to_have_attribute("dir", "rtl")
    expect(second.locator("#desk-target")).to_have_value("نص المترجم الثاني.")  # their words stay
    expect(queue_item(second, ENGLISH)).to_have_class("desk-queue__item desk-queue__item--conflict")
    assert translation(live_server.url, mid, key, "tr-en-0101", "ar")["text"] == "نص المترجم الأول."
    shot(second, "translate-conflict-ar-1366")
    conflict.locator("button.button--primary").click()  # use mine
    expect(second.locator(".conflict")).to_be_hidden()
    expect(second.locator("#unsent")).to_be_hidden()
    # the first translator's page follows (its box was not being typed in)
    expect(first.locator("#desk-target")).to_have_value("نص المترجم الثاني.")
    assert translation(live_server.url, mid, key, "tr-en-0101", "ar")["text"] == "نص المترجم الثاني."
    assert not first.errors and not second.errors, first.errors + second.errors
    first.context.close()
    second.context.close()


def offline_desk(browser, live_server, meeting, tcp_proxy, expect, target="fr"):
    """The desk through a TCP proxy of the test's own, translating into `target`, then cut off."""
    proxy = tcp_proxy(live_server.port)
    page = open_desk(browser, meeting["translator_url"].replace(live_server.url, proxy.url))
    choose_targets(page, expect, target)
    proxy.down()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "offline")
    return page, proxy


def test_offline_translations_wait_in_the_outbox(browser, live_server, meeting, tcp_proxy, expect):
    mid = meeting["meeting_id"]
    add(meeting["africa"], ENGLISH, "tr-en-0201")
    add(meeting["africa"], "Recognition of skills across borders.", "tr-en-0202")
    page, proxy = offline_desk(browser, live_server, meeting, tcp_proxy, expect)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Alt+ArrowDown")
    page.keyboard.type("Sécurité sociale portable entre pays d'origine et de destination.")
    page.keyboard.press("Control+Enter")
    page.keyboard.type("Reconnaissance des compétences par-delà les frontières.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#unsent")).to_be_visible()
    expect(page.locator("#desk-queue-empty")).to_be_visible()  # nothing left to do here
    key = key_of(meeting["chair_url"])
    assert translation(live_server.url, mid, key, "tr-en-0201", "fr") is None
    proxy.up()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    expect(page.locator("#unsent")).to_be_hidden()
    assert translation(live_server.url, mid, key, "tr-en-0201", "fr")["text"].startswith("Sécurité sociale")
    assert translation(live_server.url, mid, key, "tr-en-0202", "fr")["source"] == "human"
    assert not page.errors, page.errors
    page.context.close()


def test_a_translation_of_an_original_edited_meanwhile_lands_stale(browser, live_server, meeting, tcp_proxy, expect):
    """Issue 20: one that waited in the outbox while the original was edited, and one typed while
    the original changed under it, are stored stale; one typed after is fresh."""
    mid, key = meeting["meeting_id"], key_of(meeting["chair_url"])
    add(meeting["africa"], "Keep the border crossings open at night.", "tr-en-0501")
    add(meeting["africa"], "Recognition of skills across borders.", "tr-en-0502")
    page, proxy = offline_desk(browser, live_server, meeting, tcp_proxy, expect)
    queue_item(page, "border crossings").locator("button").click()
    page.locator("#desk-target").fill("Garder les points de passage frontaliers ouverts la nuit.")
    page.locator("#desk-target").press("Control+Enter")
    expect(page.locator("#unsent")).to_be_visible()
    # the op in the outbox says what it was made from: version 1
    waiting = page.evaluate("window.facilitatorDesk.client._readOutbox().map((e) => e.op)")
    assert [(op["type"], op["original_version"]) for op in waiting] == [("translation.set", 1)]
    # meanwhile the group turns its answer round
    assert meeting["africa"].op("contribution.edit", contribution_id="tr-en-0501", version=1,
                                text="Close the border crossings at night.")["ok"]
    proxy.up()
    expect(page.locator("#unsent")).to_be_hidden()
    saved = translation(live_server.url, mid, key, "tr-en-0501", "fr")
    assert saved["source"] == "human" and saved["stale"] is True and saved["original_version"] == 1
    # the desk shows it to be reviewed, with the current original
    stale = queue_item(page, "Close the border crossings")
    expect(stale).to_contain_text("Original changed: review")

    # typed while the original changes under it: stale too
    queue_item(page, "Recognition of skills").locator("button").click()
    page.locator("#desk-target").fill("Reconnaissance des compétences")
    assert meeting["africa"].op("contribution.edit", contribution_id="tr-en-0502", version=1,
                                text="Recognition of diplomas across borders.")["ok"]
    expect(page.locator("#desk-original")).to_have_text("Recognition of diplomas across borders.")
    page.locator("#desk-target").press("Control+Enter")
    wait_until(lambda: translation(live_server.url, mid, key, "tr-en-0502", "fr"), "the second translation")
    assert translation(live_server.url, mid, key, "tr-en-0502", "fr")["stale"] is True

    # reviewed against the current original and saved again: fresh
    queue_item(page, "Close the border crossings").locator("button").click()
    expect(page.locator(".desk-editor__notice")).to_contain_text("The original changed")
    page.locator("#desk-target").fill("Fermer les points de passage frontaliers la nuit.")
    page.locator("#desk-target").press("Control+Enter")
    expect(queue_item(page, "Close the border crossings")).to_have_count(0)
    assert translation(live_server.url, mid, key, "tr-en-0501", "fr") == {
        **translation(live_server.url, mid, key, "tr-en-0501", "fr"), "stale": False, "original_version": 2}
    assert not page.errors, page.errors
    page.context.close()


def test_a_translation_left_in_the_originals_new_language_is_removed(browser, live_server, meeting, expect):
    mid, key = meeting["meeting_id"], key_of(meeting["chair_url"])
    french = "Garder les points de passage frontaliers ouverts la nuit."
    add(meeting["africa"], french, "tr-en-0601")  # tagged English by mistake
    translator = meeting["chair"]
    assert translator.op("translation.set", contribution_id="tr-en-0601", lang="fr", text=french,
                         original_version=1)["ok"]
    page = open_desk(browser, meeting["translator_url"])
    choose_targets(page, expect, "fr")
    assert meeting["africa"].op("contribution.edit", contribution_id="tr-en-0601", version=1, lang="fr")["ok"]
    left = queue_item(page, french)
    expect(left).to_contain_text("Original now in this language: remove")
    left.locator("button").click()
    expect(page.locator(".desk-editor__notice")).to_contain_text("no longer needed")
    expect(page.locator(".desk-form button[type=submit]")).to_be_hidden()
    page.get_by_role("button", name="Remove the translation").click()
    expect(queue_item(page, french)).to_have_count(0)
    wait_until(lambda: translation(live_server.url, mid, key, "tr-en-0601", "fr") is None, "the removal")
    assert not page.errors, page.errors
    page.context.close()


def test_the_queue_follows_the_room(browser, live_server, meeting, connect, expect):
    mid = meeting["meeting_id"]
    americas = connect(live_server.url, mid, rapporteur(meeting, "americas"))
    add(meeting["africa"], "First: one-stop shops for returning migrants.", "tr-en-0501")
    add(meeting["africa"], "Second: portable pensions.", "tr-en-0502")
    add(americas, "Third: regional labour market observatories.", "tr-en-0503")
    page = open_desk(browser, meeting["translator_url"], lang="ar")
    texts = page.locator("#desk-queue .desk-item__text")
    expect(texts).to_have_count(3)
    expect(texts.nth(0)).to_contain_text("First")
    chair = meeting["chair"]
    # the chair names a converging point after the third: it moves up
    assert chair.op("cluster.title", cluster_id="c-tr-en-0503", title="Observatories", lang="en")["ok"]
    expect(texts.nth(0)).to_contain_text("Third")
    expect(page.locator("#desk-queue li").nth(0)).to_contain_text("ضمن نقطة التقاء")
    # the spotlight goes before everything
    assert chair.op("spotlight.set", contribution_id="tr-en-0502")["ok"]
    expect(texts.nth(0)).to_contain_text("Second")
    expect(texts.nth(1)).to_contain_text("Third")
    expect(texts.nth(2)).to_contain_text("First")
    # the point's title cleared, the spotlight moved on: back to the agenda's order
    assert chair.op("cluster.title", cluster_id="c-tr-en-0503", title="", lang="en")["ok"]
    assert chair.op("spotlight.set")["ok"]
    expect(texts.nth(0)).to_contain_text("First")
    expect(texts.nth(2)).to_contain_text("Third")
    assert not page.errors, page.errors
    page.context.close()


@pytest.fixture
def drafting_server(tmp_path):
    standin = StandInTranslate().start()
    server = ServerProcess(str(tmp_path), env={
        "FACILITATOR_TRANSLATE_URL": standin.url, "FACILITATOR_TRANSLATE_TIMEOUT": "3",
    }).start()
    yield server, standin
    server.stop()
    standin.stop()


def test_machine_drafts_are_drafts_and_a_person_replaces_them(browser, drafting_server, connect, expect):
    server, standin = drafting_server
    links = server.create_meeting()
    mid = links["meeting_id"]
    chair = connect(server.url, mid, key_of(links["chair_url"]))
    assert chair.op("session.set", session_id=SESSION)["ok"]
    africa = connect(server.url, mid, rapporteur(links))
    page = open_desk(browser, links["translator_url"])
    choose_targets(page, expect, "ar")
    add(africa, ENGLISH, "tr-en-0301")
    item = queue_item(page, ENGLISH)
    expect(item).to_contain_text("Machine draft")
    machine = page.locator("#desk-machine")
    expect(machine).to_have_attribute("data-status", "ok")
    expect(machine).to_contain_text("working")
    item.locator("button").click()
    draft = fake_translation(ENGLISH, "ar")
    expect(page.locator("#desk-target")).to_have_value(draft)
    expect(page.locator(".desk-editor__notice")).to_contain_text("machine draft")
    shot(page, "translate-machine-en-1366")
    page.locator("#desk-target").fill(ARABIC)
    page.locator("#desk-target").press("Control+Enter")
    expect(queue_item(page, ENGLISH)).to_contain_text("Translated")  # still open, done
    expect(page.locator("#desk-queue-empty")).to_be_visible()
    saved = translation(server.url, mid, key_of(links["chair_url"]), "tr-en-0301", "ar")
    assert saved == {**saved, "text": ARABIC, "source": "human", "stale": False}

    # a draft accepted as it is, with the keyboard: it becomes a person's translation
    add(africa, "Skills partnerships between regions.", "tr-en-0303")
    drafted = queue_item(page, "Skills partnerships")
    expect(drafted).to_contain_text("Machine draft")
    drafted.locator("button").click()
    expect(page.locator("#desk-target")).to_have_value(fake_translation("Skills partnerships between regions.", "ar"))
    page.keyboard.press("Control+Shift+Enter")
    expect(queue_item(page, "Skills partnerships")).to_contain_text("Translated")
    accepted = translation(server.url, mid, key_of(links["chair_url"]), "tr-en-0303", "ar")
    assert accepted["source"] == "human" and accepted["text"] == fake_translation("Skills partnerships between regions.", "ar")
    assert accepted["original_version"] == 1 and accepted["stale"] is False  # the draft's own version

    # the endpoint goes away: the page says so, and nothing else changes
    standin.stop()
    add(africa, "Recognition of skills across borders.", "tr-en-0302")
    expect(machine).to_have_attribute("data-status", "unreachable")
    expect(queue_item(page, "Recognition of skills")).to_contain_text("Not translated")
    assert not page.errors, page.errors
    page.context.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_desk_layout(browser, live_server, meeting, expect, lang, width, height):
    add(meeting["africa"], ENGLISH, "tr-en-0401")
    add(meeting["africa"], "إنشاء مرصد إقليمي للهجرة لتبادل البيانات بين الدول الأعضاء.", "tr-ar-0402", lang="ar")
    page = open_desk(browser, meeting["translator_url"], lang=lang, width=width, height=height)
    choose_targets(page, expect, "ar", "en", "fr")
    meeting["chair"].op("spotlight.set", contribution_id="tr-ar-0402")
    first = page.locator("#desk-queue li").first
    expect(first).to_contain_text("مرصد إقليمي")  # the spotlight leads the queue
    first.locator("button").click()
    expect(page.locator("#desk-original")).to_have_attribute("dir", "rtl")
    expect(page.locator("#desk-target")).to_have_attribute("dir", "ltr")
    shot(page, f"translate-{lang}-{width}")
    # overflow, labels and axe-core with the editor open (test_accessibility.py: the desk as it opens)
    assert_page_sound(page, live_server.url)
    page.context.close()
