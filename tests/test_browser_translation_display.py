"""Issue 12 in real Chromium against a real server process: every page reads in the viewer's
language (the translation marked, the original kept), the group's sign-off on the board (and its
staleness on the chair's console and the plenary), and the chair holding the plenary still.

The translation is set through a socket client as the translator; the rapporteurs and the chair
are socket clients too. Screenshots (projector 1920x1080, phone 360x740; Arabic and English) go
to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import uuid

import pytest

from support import ARTIFACTS, key_of, wait_until
from support import open_page as support_open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSION = "s2-groups"
QUESTION = "s2-q1"
WAIT = 20_000
ORIGINAL = "Portable social protection for migrant workers who move between countries."
ARABIC = "حماية اجتماعية قابلة للنقل للعمال المهاجرين الذين يتنقلون بين البلدان."


@pytest.fixture
def meeting(live_server, connect):
    created = live_server.create_meeting()
    mid = created["meeting_id"]
    chair = connect(live_server.url, mid, key_of(created["chair_url"]))
    assert chair.op("session.set", session_id=SESSION)["ok"]
    created["chair"] = chair
    created["translator"] = connect(live_server.url, mid, key_of(created["translator_url"]))
    created["rapporteurs"] = {
        g["id"]: connect(live_server.url, mid, key_of(g["rapporteur_url"]))
        for g in created["groups"] if g["id"] in ("africa", "mena", "americas")
    }
    return created


def add(client, text, lang="en", question=QUESTION):
    cid = uuid.uuid4().hex[:20]
    ack = client.op("contribution.add", id=cid, question_id=question, text=text, kind="good_practice",
                    agreement="consensus", lang=lang)
    assert ack["ok"], ack
    return cid


def translated_contribution(meeting):
    """An English contribution of Africa with a human translation into Arabic."""
    cid = add(meeting["rapporteurs"]["africa"], ORIGINAL)
    add(meeting["rapporteurs"]["mena"], "إنشاء مرصد إقليمي للهجرة لتبادل البيانات.", lang="ar")
    ack = meeting["translator"].op("translation.set", contribution_id=cid, lang="ar", text=ARABIC, original_version=1)
    assert ack["ok"], ack
    return cid


def open_page(browser, url, lang, width, height, ready="#app[aria-busy=false]", extra=""):
    return support_open_page(browser, url, ready, lang, width, height, extra=extra, timeout=WAIT)


def shot(page, name, full_page=False):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"), full_page=full_page)


def test_the_arabic_plenary_shows_the_translation_with_the_original_beneath(browser, meeting, expect):
    cid = translated_contribution(meeting)
    ar = open_page(browser, meeting["plenary_url"], "ar", 1920, 1080, extra="&rotate=0")
    card = ar.locator(f"#pc-{cid}")
    text = card.locator(".pl-card__text")
    expect(text).to_have_text(ARABIC)
    expect(text).to_have_attribute("lang", "ar")
    expect(text).to_have_attribute("dir", "auto")
    # marked as a translation made by a person, with the original beneath it
    expect(card.locator(".tr-mark--human")).to_be_visible()
    original = card.locator(".tr-original .tr-original__text")
    expect(original).to_have_text(ORIGINAL)
    expect(original).to_have_attribute("lang", "en")
    assert card.locator(".tr-original").bounding_box()["y"] > text.bounding_box()["y"]
    shot(ar, "translation-plenary-ar-1920")

    en = open_page(browser, meeting["plenary_url"], "en", 1920, 1080, extra="&rotate=0")
    card = en.locator(f"#pc-{cid}")
    expect(card.locator(".pl-card__text")).to_have_text(ORIGINAL)
    expect(card.locator(".pl-card__text")).to_have_attribute("lang", "en")
    expect(card.locator(".tr-mark")).to_have_count(0)
    expect(card.locator(".tr-original")).to_have_count(0)
    shot(en, "translation-plenary-en-1920")

    # the original changes: the Arabic screen keeps the translation, marked stale
    assert meeting["rapporteurs"]["africa"].op("contribution.edit", contribution_id=cid, version=1,
                                                text=ORIGINAL + " Also for seasonal workers.")["ok"]
    expect(ar.locator(f"#pc-{cid} .tr-mark__stale")).to_be_visible()
    expect(ar.locator(f"#pc-{cid} .tr-original__text")).to_have_text(ORIGINAL + " Also for seasonal workers.")
    expect(en.locator(f"#pc-{cid} .pl-card__text")).to_have_text(ORIGINAL + " Also for seasonal workers.")
    assert not ar.errors and not en.errors, (ar.errors, en.errors)
    ar.context.close()
    en.context.close()


def test_a_translation_of_an_older_original_is_shown_stale_on_the_plenary(browser, meeting, expect):
    """Issue 20: the French plenary must not show the translation of words the original no longer
    has as the secretariat's fresh translation: live, and after a reload."""
    africa, translator = meeting["rapporteurs"]["africa"], meeting["translator"]
    cid = add(africa, "Keep the border crossings open at night.")
    assert africa.op("contribution.edit", contribution_id=cid, version=1,
                     text="Close the border crossings at night.")["ok"]
    fr = open_page(browser, meeting["plenary_url"], "fr", 1920, 1080, extra="&rotate=0")
    card = fr.locator(f"#pc-{cid}")
    expect(card.locator(".pl-card__text")).to_have_text("Close the border crossings at night.")
    # made from version 1 (it waited in an outbox): shown, marked stale, the current original beneath
    old = "Garder les points de passage frontaliers ouverts la nuit."
    assert translator.op("translation.set", contribution_id=cid, lang="fr", text=old, original_version=1)["ok"]
    expect(card.locator(".pl-card__text")).to_have_text(old)
    expect(card.locator(".tr-mark__stale")).to_be_visible()
    expect(card.locator(".tr-original__text")).to_have_text("Close the border crossings at night.")
    again = open_page(browser, meeting["plenary_url"], "fr", 1920, 1080, extra="&rotate=0")
    expect(again.locator(f"#pc-{cid} .tr-mark__stale")).to_be_visible()
    shot(again, "translation-plenary-stale-fr-1920")
    # made from the current words: fresh, no mark
    fresh = "Fermer les points de passage frontaliers la nuit."
    assert translator.op("translation.set", contribution_id=cid, lang="fr", text=fresh, original_version=2)["ok"]
    expect(card.locator(".pl-card__text")).to_have_text(fresh)
    expect(card.locator(".tr-mark__stale")).to_have_count(0)
    expect(again.locator(f"#pc-{cid} .tr-mark__stale")).to_have_count(0)
    assert not fr.errors and not again.errors, (fr.errors, again.errors)
    fr.context.close()
    again.context.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_chair_console_and_phone_read_in_their_language(browser, live_server, meeting, expect, lang):
    cid = translated_contribution(meeting)
    chair = open_page(browser, meeting["chair_url"], lang, 1920, 1080)
    row = chair.locator(f".ch-item[data-contribution='{cid}']").first
    if lang == "ar":
        expect(row.locator(".ch-item__text")).to_have_text(ARABIC)
        expect(row.locator(".ch-item__text")).to_have_attribute("lang", "ar")
        expect(row.locator(".tr-original__text")).to_be_visible()  # visible on the console
        expect(row.locator(".tr-original__text")).to_have_text(ORIGINAL)
    else:
        expect(row.locator(".ch-item__text")).to_have_text(ORIGINAL)
        expect(row.locator(".tr-original")).to_have_count(0)
    shot(chair, f"translation-chair-{lang}-1920")

    # a ballot on it; a phone in the page's language: the translation, the original one tap away
    ack = meeting["chair"].op("ballot.open", contribution_ids=[cid], mode="yes_no")
    assert ack["ok"], ack
    phone = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    phone.errors = []
    phone.on("pageerror", lambda error: phone.errors.append(str(error)))
    joined = phone.context.request.post(f"{live_server.url}/api/m/{meeting['meeting_id']}/participants",
                                        data={"code": meeting["join_code"], "region": "africa", "lang": lang})
    assert joined.ok, joined.text()
    phone.goto(f"{live_server.url}/m/{meeting['meeting_id']}/vote?lang={lang}")
    phone.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)
    practice = phone.locator(".ballot--open li.practice").first
    if lang == "ar":
        expect(practice.locator(".practice__text")).to_have_text(ARABIC)
        expect(practice.locator(".tr-mark--human")).to_be_visible()
        original = practice.locator("details.tr-original")
        expect(original.locator(".tr-original__text")).to_be_hidden()
        shot(phone, "translation-vote-ar-360", full_page=True)
        original.locator("summary").click()
        expect(original.locator(".tr-original__text")).to_be_visible()
        expect(original.locator(".tr-original__text")).to_have_text(ORIGINAL)
        expect(original.locator(".tr-original__text")).to_have_attribute("lang", "en")
        shot(phone, "translation-vote-ar-360-original", full_page=True)
    else:
        expect(practice.locator(".practice__text")).to_have_text(ORIGINAL)
        expect(practice.locator(".tr-original")).to_have_count(0)
        shot(phone, "translation-vote-en-360", full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 0, f"horizontal overflow of {width}px at 360px"
    assert not chair.errors and not phone.errors, (chair.errors, phone.errors)
    chair.context.close()
    phone.context.close()


def test_the_chair_holds_the_plenary_still(browser, meeting, expect):
    chair_page = open_page(browser, meeting["chair_url"], "en", 1920, 1080)
    plenary = open_page(browser, meeting["plenary_url"], "en", 1920, 1080, extra="&rotate=0")
    africa = meeting["rapporteurs"]["africa"]
    before = add(africa, "Shown before the chair holds the screen.")
    expect(plenary.locator(f"#pc-{before}")).to_be_visible()
    expect(plenary.locator("#pl-frozen")).to_have_text("")

    # the chair's control sends plenary.freeze
    freeze = chair_page.locator("[data-action=freeze]")
    expect(freeze).to_have_attribute("aria-pressed", "false")
    freeze.click()
    meeting["chair"].wait_for(lambda e: e["type"] == "plenary.frozen" and e["frozen"] is True)
    expect(freeze).to_have_attribute("aria-pressed", "true")
    expect(plenary.locator("#pl-frozen")).to_have_text("Paused by the chair")
    expect(plenary.locator("#pl-frozen")).to_have_attribute("role", "status")
    expect(plenary.locator("#app")).to_have_attribute("data-frozen", "true")

    during = add(africa, "Written while the screen is held still.")
    # the plenary receives and applies it to its model...
    wait_until(lambda: plenary.evaluate(
        "id => window.facilitatorPlenary.client.contributions.has(id)", during), what="the event applied")
    # ...and after the renders it asked for have run, still shows what it showed
    plenary.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0))))")
    expect(plenary.locator(f"#pc-{during}")).to_have_count(0)
    expect(plenary.locator(f"#pc-{before}")).to_be_visible()
    shot(plenary, "freeze-plenary-en-1920")

    freeze.click()
    meeting["chair"].wait_for(lambda e: e["type"] == "plenary.frozen" and e["frozen"] is False)
    expect(plenary.locator(f"#pc-{during}")).to_be_visible()
    expect(plenary.locator("#pl-frozen")).to_have_text("")
    expect(plenary.locator("#app")).to_have_attribute("data-frozen", "false")
    assert not plenary.errors and not chair_page.errors, (plenary.errors, chair_page.errors)
    plenary.context.close()
    chair_page.context.close()


def test_board_sign_off_goes_stale_after_an_edit(browser, meeting, expect):
    africa = meeting["rapporteurs"]["africa"]
    cid = add(africa, "Skills recognition between countries of origin and destination.")
    board = open_page(browser, next(g for g in meeting["groups"] if g["id"] == "africa")["rapporteur_url"],
                      "en", 1366, 768, ready="#board[aria-busy=false]")
    chair_page = open_page(browser, meeting["chair_url"], "en", 1920, 1080)
    plenary = open_page(browser, meeting["plenary_url"], "en", 1920, 1080, extra="&rotate=0")
    box = board.locator(f".signoff[data-question='{QUESTION}']")
    expect(box).to_have_attribute("data-signoff", "none")
    button = box.locator("[data-action=sign-off]")
    expect(button).to_be_enabled()
    button.click()
    event = meeting["chair"].wait_for(lambda e: e["type"] == "answers.signed_off")
    assert (event["group_id"], event["question_id"]) == ("africa", QUESTION)
    expect(box).to_have_attribute("data-signoff", "signed")
    expect(button).to_be_disabled()
    chair_signoff = chair_page.locator(f".ch-signoffs[data-group=africa] .ch-signoff[data-question='{QUESTION}']")
    expect(chair_signoff).to_have_attribute("data-signoff", "signed")
    expect(plenary.locator("#col-africa .pl-signoff--signed")).to_be_visible()
    shot(board, "signoff-board-en")

    # a later edit in that group and question makes the sign-off stale everywhere
    assert africa.op("contribution.edit", contribution_id=cid, version=1,
                     text="Skills recognition between all countries of origin and destination.")["ok"]
    expect(box).to_have_attribute("data-signoff", "stale")
    expect(box.locator(".so-badge--stale")).to_be_visible()
    expect(button).to_be_enabled()
    expect(chair_signoff).to_have_attribute("data-signoff", "stale")
    expect(plenary.locator("#col-africa .pl-signoff--stale")).to_be_visible()
    shot(chair_page, "signoff-chair-en-1920")
    # agreeing again makes it fresh
    button.click()
    expect(box).to_have_attribute("data-signoff", "signed")
    expect(chair_signoff).to_have_attribute("data-signoff", "signed")
    for page in (board, chair_page, plenary):
        assert not page.errors, page.errors
        page.context.close()


def test_converging_point_titles_follow_the_page_language(browser, meeting, expect):
    texts = {
        "africa": "Regional consultative processes should feed regional positions into the global compact negotiations.",
        "americas": "Regional consultative processes should feed regional positions into the negotiations of the global compact.",
    }
    for gid, text in texts.items():
        add(meeting["rapporteurs"][gid], text)
    chair = meeting["chair"]
    console = open_page(browser, meeting["chair_url"], "en", 1920, 1080)
    point = console.locator(".ch-point").first
    expect(point).to_contain_text("Raised by 2 of 5 groups")
    cluster_id = point.get_attribute("data-cluster")
    # the title every language shows, then the Arabic one, from the console's title form
    point.locator("input[id^=title-]").fill("Feed regional positions into the compact")
    point.locator("input[id^=title-]").press("Enter")
    chair.wait_for(lambda e: e.get("type") == "cluster.titled" and not e.get("lang"))
    point.locator("select[id^=title-lang-]").select_option("ar")
    expect(point.locator("input[id^=title-]")).to_have_value("")
    point.locator("input[id^=title-]").fill("إدراج المواقف الإقليمية في الاتفاق العالمي")
    point.locator("input[id^=title-]").press("Enter")
    event = chair.wait_for(lambda e: e.get("type") == "cluster.titled" and e.get("lang") == "ar")
    assert event["cluster_id"] == cluster_id
    # the English console keeps the title every language shows
    expect(point.locator(".ch-point__title")).to_contain_text("Feed regional positions into the compact")

    assert chair.op("spotlight.set", cluster_id=cluster_id)["ok"]
    for lang, title in (("ar", "إدراج المواقف الإقليمية في الاتفاق العالمي"),
                        ("en", "Feed regional positions into the compact")):
        plenary = open_page(browser, meeting["plenary_url"], lang, 1920, 1080, extra="&rotate=0")
        shown = plenary.locator(f"#pp-{cluster_id} .pl-point__title")
        expect(shown).to_have_text(title)
        if lang == "ar":
            expect(shown).to_have_attribute("lang", "ar")
        ar_console = open_page(browser, meeting["chair_url"], lang, 1920, 1080)
        expect(ar_console.locator(f".ch-point[data-cluster='{cluster_id}'] .ch-point__title").first).to_contain_text(title)
        assert not plenary.errors and not ar_console.errors, (plenary.errors, ar_console.errors)
        plenary.context.close()
        ar_console.context.close()
    console.context.close()
