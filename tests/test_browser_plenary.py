"""The plenary dashboard in headless Chromium at 1920×1080, against a real server process.

- a contribution added by a rapporteur client appears live, without a reload, in Arabic and English;
- nothing overflows the screen, even when there is more than fits (the page pages instead);
- the chair's spotlight and a revealed ballot take over the screen;
- a projector that lost the network shows a discreet marker and catches up by itself.

Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import uuid

import pytest

from support import ARTIFACTS, key_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSION = "s2-groups"
QUESTION = "s2-q1"
WAIT = 20_000


@pytest.fixture
def meeting(live_server, connect):
    created = live_server.create_meeting()
    chair = connect(live_server.url, created["meeting_id"], key_of(created["chair_url"]))
    assert chair.op("session.set", session_id=SESSION)["ok"]
    created["chair"] = chair
    created["rapporteurs"] = {
        g["id"]: connect(live_server.url, created["meeting_id"], key_of(g["rapporteur_url"]))
        for g in created["groups"] if g["id"] in ("africa", "americas", "mena", "europe-central-asia")
    }
    return created


def add(client, text, lang="en", kind="good_practice", agreement="consensus", question=QUESTION):
    ack = client.op("contribution.add", id=uuid.uuid4().hex[:20], question_id=question, text=text,
                    kind=kind, agreement=agreement, lang=lang)
    assert ack["ok"], ack
    return ack


def open_plenary(browser, url, lang):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(url + "&lang=" + lang + "&rotate=0")
    page.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)
    return page


def fits(page):
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, innerWidth, document.documentElement.scrollHeight, innerHeight]"
    )


def assert_fits(page):
    width, inner_width, height, inner_height = fits(page)
    assert width <= inner_width and height <= inner_height, (width, inner_width, height, inner_height)


def card_layout(page):
    """Per column: the cards shown on this page, whether one is cut off, the card text size."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.pl-cards')).map((list) => {
        const shown = Array.from(list.children).filter((card) => !card.hidden);
        const text = list.querySelector('.pl-card__text');
        return {
            shown: shown.length,
            cut: shown.some((card) => card.offsetTop + card.offsetHeight > list.clientHeight + 0.5),
            px: text ? parseFloat(getComputedStyle(text).fontSize) : null,
        };
    })""")


def assert_dense(page, at_least):
    """Whole cards only, as many as fit, in type readable from the back of the room."""
    columns = card_layout(page)
    assert not any(c["cut"] for c in columns), columns
    assert max(c["shown"] for c in columns) >= at_least, columns
    assert all(c["px"] is None or c["px"] >= 22 for c in columns), columns


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_plenary_shows_a_contribution_live_and_fits_the_screen(browser, live_server, meeting, expect, lang):
    page = open_plenary(browser, meeting["plenary_url"], lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator(".pl-col")).to_have_count(5)  # every regional group has its column
    expect(page.locator("#pl-join-code")).to_have_text(meeting["join_code"])
    expect(page.locator("#pl-join-qr")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    assert_fits(page)

    rapporteurs = meeting["rapporteurs"]
    add(rapporteurs["africa"], "Free movement protocols as a model for regional labour mobility.")
    card = page.locator(".pl-card__text", has_text="Free movement protocols")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("dir", "auto")
    expect(card).to_have_attribute("lang", "en")
    expect(page.locator("#col-africa")).to_contain_text("Africa" if lang == "en" else "أفريقيا")

    add(rapporteurs["mena"], "إنشاء مرصد إقليمي للهجرة لتبادل البيانات بين الدول الأعضاء.", lang="ar",
        kind="innovative_solution", agreement="divergent")
    arabic = page.locator(".pl-card__text[lang=ar]")
    expect(arabic).to_have_text("إنشاء مرصد إقليمي للهجرة لتبادل البيانات بين الدول الأعضاء.")
    # kind and agreement by icon and word, not colour alone
    arabic_card = page.locator(".pl-card", has=arabic)
    expect(arabic_card.locator(".pl-tag--agreement .icon")).to_have_text("≠")
    expect(arabic_card.locator(".pl-tag--agreement")).to_have_text(re.compile(r"≠\s*\S+"))
    if lang == "en":
        expect(arabic_card.locator(".pl-tag--agreement")).to_contain_text("Divergent views")

    # more than fits: the columns are paged, the page never scrolls
    for n in range(9):
        add(rapporteurs["americas"], f"Practice {n}: regional labour mobility agreements with portable social "
                                     f"security rights, replicable in other regions and at the global level.",
            kind="recommendation", agreement="majority")
    expect(page.locator("#col-americas .pl-col__count")).to_have_text(re.compile(r"^[9٩]$"))
    expect(page.locator("#pl-page")).not_to_be_empty()
    assert_fits(page)
    # one line of badges per card and a wider column for the full group: several cards a page
    assert_dense(page, 4)
    shot(page, f"plenary-{lang}-1920")
    # the next page shows the rest, still without scrolling
    first = page.locator("#col-americas ~ .pl-cards > li").first
    expect(first).to_be_visible()
    page.keyboard.press("ArrowLeft" if lang == "ar" else "ArrowRight")
    expect(page.locator("#pl-page")).to_have_text(re.compile("2"))
    expect(first).to_be_hidden()
    expect(page.locator("#col-americas ~ .pl-cards > li:visible").first).to_contain_text("Practice")
    expect(page.locator("#col-americas ~ .pl-col__more")).to_be_visible()
    assert_fits(page)
    assert_dense(page, 4)  # the "Continued" line is counted: no card is cut off under it
    shot(page, f"plenary-{lang}-1920-page2")
    assert not page.errors, page.errors
    page.context.close()


def test_spotlight_and_revealed_ballot_take_the_screen(browser, live_server, meeting, expect):
    rapporteurs, chair = meeting["rapporteurs"], meeting["chair"]
    add(rapporteurs["africa"], "Regional consultative processes should report to the global compact every year.",
        kind="recommendation")
    ack = rapporteurs["europe-central-asia"].op(
        "contribution.add", id="focus-me-1", question_id="s2-q2",
        text="Des observatoires régionaux des migrations.", kind="innovative_solution",
        agreement="consensus", lang="fr")
    assert ack["ok"], ack
    page = open_plenary(browser, meeting["plenary_url"], "en")

    assert chair.op("spotlight.set", contribution_id="focus-me-1")["ok"]
    focus = page.locator(".pl-card--focus")
    expect(focus).to_contain_text("Des observatoires régionaux")
    expect(page.locator("#pl-number")).to_have_text("Question 2 of 5")
    expect(page.locator("#pl-paused")).to_be_visible()
    shot(page, "plenary-spotlight-en-1920")

    assert chair.op("spotlight.set")["ok"]
    opened = chair.op("ballot.open", contribution_ids=["focus-me-1"], mode="yes_no")
    assert opened["ok"], opened
    assert chair.op("ballot.reveal", ballot_id="b1")["ok"]
    result = page.locator(".pl-result")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Des observatoires régionaux")
    expect(result.locator(".pl-stack")).to_contain_text("Yes 0")
    assert_fits(page)
    shot(page, "plenary-ballot-en-1920")

    assert chair.op("ballot.reveal", ballot_id="b1", revealed=False)["ok"]
    expect(page.locator(".pl-result")).to_have_count(0)
    # still open: the screen says so, and how many have voted (issue 19); once closed, the rotation
    expect(page.locator(".pl-vote-open__count")).to_be_visible()
    assert chair.op("ballot.close", ballot_id="b1")["ok"]
    expect(page.locator(".pl-cols")).to_be_visible()
    page.context.close()


def test_plenary_catches_up_after_losing_the_network(browser, live_server, meeting, tcp_proxy, expect):
    proxy = tcp_proxy(live_server.port)
    page = open_plenary(browser, meeting["plenary_url"].replace(live_server.url, proxy.url), "en")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    expect(page.locator("#conn-status")).to_be_empty()  # discreet while all is well

    proxy.down()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "offline")
    expect(page.locator("#conn-status")).not_to_be_empty()
    add(meeting["rapporteurs"]["africa"], "Added while the projector was offline.")
    assert meeting["chair"].op("timer.start", seconds=600)["ok"]
    shot(page, "plenary-offline-en-1920")

    proxy.up()
    expect(page.locator(".pl-card__text", has_text="Added while the projector was offline.")).to_be_visible()
    expect(page.locator("#pl-timer")).to_be_visible()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    page.context.close()


EIGHT_GROUPS = """
title: {en: "Eight regions", ar: "ثماني مناطق"}
languages: [ar, en]
groups:
  - {id: g1, name: {en: "East Africa", ar: "شرق أفريقيا"}}
  - {id: g2, name: {en: "West and Central Africa", ar: "غرب ووسط أفريقيا"}}
  - {id: g3, name: {en: "Americas and the Caribbean", ar: "الأمريكتان ومنطقة البحر الكاريبي"}}
  - {id: g4, name: {en: "Asia and the Pacific", ar: "آسيا والمحيط الهادئ"}}
  - {id: g5, name: {en: "Europe", ar: "أوروبا"}}
  - {id: g6, name: {en: "Central Asia", ar: "آسيا الوسطى"}}
  - {id: g7, name: {en: "Middle East and North Africa", ar: "الشرق الأوسط وشمال أفريقيا"}}
  - {id: g8, name: {en: "Gulf States", ar: "دول الخليج"}}
sessions:
  - id: s
    title: "Sub-groups"
    questions:
      - {id: q, text: {en: "Which good practices could work in other regions?", ar: "ما الممارسات الجيدة التي يمكن أن تنجح في مناطق أخرى؟"}}
"""


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_eight_groups_keep_readable_type_and_whole_cards(browser, live_server, connect, tmp_path, expect, lang):
    agenda = tmp_path / "eight.yaml"
    agenda.write_text(EIGHT_GROUPS, encoding="utf-8")
    created = live_server.create_meeting(str(agenda))
    chair = connect(live_server.url, created["meeting_id"], key_of(created["chair_url"]))
    assert chair.op("session.set", session_id="s")["ok"]
    texts = [
        ("Joint training of border officials with UN agencies and civil society.", "en"),
        ("إنشاء مرصد إقليمي للهجرة لتبادل البيانات بين الدول الأعضاء وتوحيد المؤشرات.", "ar"),
        ("Regional consultative processes should report to the global compact every year, with a short "
         "list of measurable commitments.", "en"),
    ]
    for i, g in enumerate(created["groups"]):
        rapporteur = connect(live_server.url, created["meeting_id"], key_of(g["rapporteur_url"]))
        for n in range(i % 4 + (3 if i == 3 else 0)):
            text, text_lang = texts[(i + n) % len(texts)]
            add(rapporteur, text, lang=text_lang, kind="recommendation", agreement="divergent", question="q")
    page = open_plenary(browser, created["plenary_url"], lang)
    expect(page.locator(".pl-col")).to_have_count(8)
    expect(page.locator(".pl-card")).to_have_count(sum(i % 4 for i in range(8)) + 3)
    assert_fits(page)
    assert_dense(page, 3)
    # every group's name is on its column, whole
    for g in created["groups"]:
        head = page.locator(f"#col-{g['id']} .pl-col__name")
        assert head.evaluate("(el) => el.scrollWidth <= el.clientWidth + 1")
    shot(page, f"plenary-8-groups-{lang}-1920")
    assert not page.errors, page.errors
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_general_discussion_shows_the_sub_groups_answers(browser, live_server, meeting, expect, lang):
    """The chair moves to the general discussion (a plenary session): the projector shows the answers,
    synthesis and converging points of the breakout session before it, and says so."""
    rapporteurs, chair = meeting["rapporteurs"], meeting["chair"]
    add(rapporteurs["africa"], "Free movement protocols as a model for regional labour mobility.")
    add(rapporteurs["mena"], "إنشاء مرصد إقليمي للهجرة لتبادل البيانات بين الدول الأعضاء.", lang="ar",
        kind="innovative_solution", agreement="divergent")
    add(rapporteurs["africa"], "Regional consultative processes should report to the global compact every year.",
        kind="recommendation", question="s2-q2")
    page = open_plenary(browser, meeting["plenary_url"], lang)
    expect(page.locator(".pl-card")).to_have_count(2)
    expect(page.locator("#pl-from")).to_be_hidden()  # during the breakout itself: nothing to say

    assert chair.op("session.set", session_id="s2-plenary")["ok"]
    # the answers of the sub-groups, every group side by side, not a lone empty "Plenary" column
    expect(page.locator(".pl-col")).to_have_count(5)
    expect(page.locator(".pl-card__text", has_text="Free movement protocols")).to_be_visible()
    expect(page.locator(".pl-card__text[lang=ar]")).to_have_text(
        "إنشاء مرصد إقليمي للهجرة لتبادل البيانات بين الدول الأعضاء.")
    # the header says whose answers these are, and keeps the current session's title
    source = page.locator("#pl-from")
    expect(source).to_be_visible()
    if lang == "en":
        expect(source).to_contain_text("Answers from:")
        expect(source).to_contain_text("sub-groups")
        expect(page.locator("#pl-session")).to_contain_text("general discussion")
        expect(page.locator("#pl-number")).to_have_text("Question 1 of 5")
    else:
        expect(page.locator("#pl-session")).to_contain_text("مناقشة عامة")
    expect(source.locator("[dir=auto]")).to_have_count(1)  # the session title is its own element
    assert_fits(page)
    shot(page, f"plenary-general-discussion-{lang}-1920")

    # the plenary's own board, once it has notes, gets a view of its own after the sub-groups' views
    ack = chair.op("contribution.add", id=uuid.uuid4().hex[:20], question_id="s2p-q4",
                   text="Regional data observatories recur in every sub-group.", kind="other",
                   agreement="consensus", lang="en")
    assert ack["ok"], ack
    expect(page.locator(".pl-progress__sep")).to_be_visible()
    views = page.evaluate("() => window.facilitatorPlenary.views().map((v) => v.qid || v.sid)")
    assert views[0] == "s2-q1" and "s2-q2" in views, views
    assert views[-1] == "s2p-q4", views
    assert "s2p-q1" not in views, views  # no empty views of the plenary board

    # a spotlight on a sub-group's contribution jumps to its question, during the plenary too
    target = next(c for c in page.evaluate("() => Array.from(window.facilitatorPlenary.client.contributions.values())")
                  if c["group_id"] == "africa" and c["question_id"] == "s2-q2")
    assert chair.op("spotlight.set", contribution_id=target["id"])["ok"]
    expect(page.locator(".pl-card--focus")).to_contain_text("report to the global compact")
    if lang == "en":
        expect(page.locator("#pl-number")).to_have_text("Question 2 of 5")
    expect(page.locator("#pl-from")).to_be_visible()
    assert chair.op("spotlight.set")["ok"]

    # and the chair's notes on the plenary board, shown as such
    page.evaluate("() => { const p = window.facilitatorPlenary; p.nav.index = p.views().length - 1; p.render(); }")
    expect(page.locator(".pl-card__text", has_text="Regional data observatories")).to_be_visible()
    expect(page.locator("#pl-from")).to_be_hidden()
    assert_fits(page)
    shot(page, f"plenary-general-discussion-board-{lang}-1920")
    assert not page.errors, page.errors
    page.context.close()


def test_typed_ballot_prompt_keeps_its_direction(browser, live_server, meeting, expect):
    """An English prompt in the Arabic results heading is its own element with dir=auto."""
    rapporteurs, chair = meeting["rapporteurs"], meeting["chair"]
    ack = rapporteurs["africa"].op("contribution.add", id="prompted-1", question_id=QUESTION,
                                   text="Free movement protocols.", kind="good_practice",
                                   agreement="consensus", lang="en")
    assert ack["ok"], ack
    page = open_plenary(browser, meeting["plenary_url"], "ar")
    opened = chair.op("ballot.open", contribution_ids=["prompted-1"], mode="yes_no",
                      prompt="Could this work in your region?")
    assert opened["ok"], opened
    assert chair.op("ballot.reveal", ballot_id=opened.get("ballot_id", "b1"))["ok"]
    prompt = page.locator("#pl-question [dir=auto]")
    expect(prompt).to_have_text("Could this work in your region?")
    assert prompt.get_attribute("lang") is None
    expect(page.locator(".pl-result")).to_have_count(1)
    assert_fits(page)
    shot(page, "plenary-ballot-prompt-ar-1920")
    page.context.close()
