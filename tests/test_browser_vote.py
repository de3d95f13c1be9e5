"""The participant's phone pages in headless Chromium at 360×740, against a real server process.

- join by typing the code (lower case, with a space), after a wrong code shows a clear error;
  pick a region; the vote page waits, then shows the ballot the chair opens, live;
- vote (mouse and keyboard), see "Vote recorded", change a vote; the chair's results JSON
  holds exactly what was cast; a reload keeps the identity and the votes;
- closed and revealed ballots are read-only and show the results;
- dot votes: the stepper never spends more dots than the allowance;
- votes cast while the connection is cut are kept and sent when it returns;
- no horizontal overflow at 360 px, in Arabic and English.

Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re

import pytest
import requests

from support import ARTIFACTS, key_of, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000  # ms: long enough for a Socket.IO reconnect with back-off
PRACTICES = [
    ("africa", "قانون موحد لحماية العمال المهاجرين في منطقة الإيكواس مع صندوق إقليمي للعودة وإعادة الإدماج", "ar"),
    ("europe-central-asia", "Mobility partnerships that pair legal pathways for work with joint skills training.", "en"),
    ("mena", "Un guichet unique pour les migrants de retour : emploi, logement et soutien psychosocial.", "fr"),
]


def meeting_with_practices(server, connect) -> dict:
    """A new meeting with the three PRACTICES typed by their groups (ids in `ids`) and the chair."""
    created = server.create_meeting()
    mid = created["meeting_id"]
    keys = {g["id"]: key_of(g["rapporteur_url"]) for g in created["groups"]}
    ids = []
    for group, text, lang in PRACTICES:
        rapporteur = connect(server.url, mid, keys[group])
        ack = rapporteur.op("contribution.add", question_id="s2-q1", text=text, kind="good_practice",
                            agreement="consensus", lang=lang)
        assert ack["ok"], ack
        ids.append(rapporteur.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"])
    created["ids"] = ids
    created["chair_key"] = key_of(created["chair_url"])
    created["chair"] = connect(server.url, mid, created["chair_key"])
    return created


@pytest.fixture
def meeting(live_server, connect):
    return meeting_with_practices(live_server, connect)


def open_ballot(meeting, **fields):
    chair = meeting["chair"]
    ack = chair.op("ballot.open", contribution_ids=meeting["ids"], **fields)
    assert ack["ok"], ack
    return chair.wait_for(lambda e: e["type"] == "ballot.opened" and e["seq"] == ack["seq"])["ballot"]["id"]


def results(server, meeting, ballot_id):
    response = requests.get(f"{server.url}/api/m/{meeting['meeting_id']}/ballots/{ballot_id}",
                            params={"key": meeting["chair_key"]}, timeout=10)
    assert response.ok, response.text
    return {r["contribution_id"]: r for r in response.json()["results"]}


def wait_results(server, meeting, ballot_id, predicate):
    """The results once the votes the page sent are in them."""
    def counted():
        found = results(server, meeting, ballot_id)
        return found if predicate(found) else None

    return wait_until(counted, what=f"the votes on {ballot_id}", timeout=10)


def new_phone(browser, base_url=None):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base_url)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def no_overflow(page):
    width = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 0, f"horizontal overflow of {width}px at 360px"


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def join(page, expect, url, code, region, lang):
    page.goto(f"{url}/join?lang={lang}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    code_input = page.locator("#join-code")
    expect(code_input).to_have_attribute("autocapitalize", "characters")
    # a wrong code: a clear error next to the field, nothing else
    code_input.fill("zzz zzz")
    page.locator("#join-submit").click()
    expect(page.locator("#join-code-error")).to_be_visible()
    expect(code_input).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#join-details")).to_be_hidden()
    # the right code, typed the way people type it
    code_input.fill(code.lower()[:3] + " " + code.lower()[3:])
    page.locator("#join-submit").click()
    expect(page.locator("#join-region")).to_be_visible()
    expect(page.locator("#join-code-error")).to_be_hidden()
    # the regions are named in the page's language, plus "prefer not to say"
    options = page.locator("#join-region option")
    assert options.count() >= 3
    expect(page.locator("#join-region option[value=none]")).to_have_count(1)
    # joining without a region asks for one
    page.locator("#join-submit").click()
    expect(page.locator("#join-region-error")).to_be_visible()
    page.locator("#join-region").select_option(region)
    no_overflow(page)
    shot(page, f"join-{lang}-360")
    page.locator("#join-submit").click()
    page.wait_for_url("**/vote**", timeout=WAIT)
    page.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_join_by_code_and_vote(live_server, meeting, browser, expect, lang):
    page = new_phone(browser)
    region = "africa" if lang == "ar" else "europe-central-asia"
    join(page, expect, live_server.url, meeting["join_code"], region, lang)
    expect(page.locator("#vote-waiting")).to_be_visible()
    region_name = page.locator("#vote-who")
    expect(region_name).to_contain_text("أفريقيا" if lang == "ar" else "Europe and Central Asia")
    no_overflow(page)
    shot(page, f"vote-waiting-{lang}-360")

    # the chair opens a ballot: it appears without a reload
    ballot_id = open_ballot(meeting, mode="yes_no")
    practices = page.locator(".ballot--open li.practice")
    expect(practices).to_have_count(3)
    expect(page.locator("#vote-waiting")).to_be_hidden()
    first_text = practices.nth(0).locator(".practice__text")
    expect(first_text).to_have_text(PRACTICES[0][1])
    expect(first_text).to_have_attribute("dir", "auto")
    expect(first_text).to_have_attribute("lang", "ar")
    expect(practices.nth(2).locator(".practice__text")).to_have_attribute("lang", "fr")
    # each practice is a fieldset of real radio buttons with a legend
    expect(practices.nth(0).locator("fieldset legend")).to_have_count(1)
    expect(practices.nth(0).locator("input[type=radio]")).to_have_count(3)

    # vote with the mouse (the big buttons are labels of the radios)
    practices.nth(0).locator("label.choice--yes").click()
    practices.nth(1).locator("label.choice--unsure").click()
    for i in (0, 1):
        expect(practices.nth(i).locator(".practice__status")).to_have_attribute("data-state", "recorded")
    expect(page.locator("#announcer")).not_to_be_empty()
    # and with the keyboard: Tab to the next group of radios, Space picks
    page.keyboard.press("Tab")
    focused_box = practices.nth(2).locator("input[value=yes] + .choice__box")
    expect(practices.nth(2).locator("input[value=yes]")).to_be_focused()
    assert focused_box.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    page.keyboard.press("Space")
    expect(practices.nth(2).locator(".practice__status")).to_have_attribute("data-state", "recorded")
    no_overflow(page)
    shot(page, f"vote-recorded-{lang}-360")

    ids = meeting["ids"]
    found = wait_results(live_server, meeting, ballot_id, lambda r: r[ids[2]]["turnout"] == 1)
    assert found[ids[0]]["counts"] == {"yes": 1, "no": 0, "unsure": 0}
    assert found[ids[1]]["counts"] == {"yes": 0, "no": 0, "unsure": 1}
    assert found[ids[2]]["counts"] == {"yes": 1, "no": 0, "unsure": 0}

    # change a vote: it replaces, never adds
    practices.nth(0).locator("label.choice--no").click()
    expect(practices.nth(0).locator(".practice__status")).to_have_attribute("data-state", "recorded")
    found = wait_results(live_server, meeting, ballot_id, lambda r: r[ids[0]]["counts"]["no"] == 1)
    assert found[ids[0]]["counts"] == {"yes": 0, "no": 1, "unsure": 0}
    assert found[ids[0]]["turnout"] == 1

    # a reload keeps the identity and shows my votes
    page.reload()
    page.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)
    practices = page.locator(".ballot--open li.practice")
    expect(practices.nth(0).locator("input[value=no]")).to_be_checked()
    expect(practices.nth(1).locator("input[value=unsure]")).to_be_checked()
    # the join page knows this phone joined already
    page.goto(f"{live_server.url}/join?code={meeting['join_code']}&lang={lang}")
    expect(page.locator("#join-already")).to_be_visible()
    page.locator("#join-continue").click()
    page.wait_for_url("**/vote**", timeout=WAIT)
    page.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)
    assert results(live_server, meeting, ballot_id)[ids[0]]["turnout"] == 1

    # closed, then revealed: read-only, with the results
    chair = meeting["chair"]
    assert chair.op("ballot.close", ballot_id=ballot_id)["ok"]
    expect(page.locator("#vote-waiting")).to_be_visible()
    closed = page.locator(".ballot--closed")
    expect(closed.locator(".ballot__closed")).to_be_visible()
    expect(closed.locator("input[type=radio]").first).to_be_disabled()
    assert chair.op("ballot.reveal", ballot_id=ballot_id)["ok"]
    expect(closed.locator(".practice__results").first).to_be_visible()
    expect(closed.locator(".result-row--no .result-row__count").first).to_have_text(re.compile(r"^[1١]$"))
    no_overflow(page)
    shot(page, f"vote-revealed-{lang}-360")
    assert not page.errors, page.errors
    page.context.close()


def test_dot_vote_never_overspends(live_server, meeting, browser, expect):
    page = new_phone(browser)
    join(page, expect, live_server.url, meeting["join_code"], "mena", "en")
    ballot_id = open_ballot(meeting, mode="dots", dots=3)
    practices = page.locator(".ballot--open li.practice")
    expect(practices).to_have_count(3)
    left = page.locator(".dots-left")
    expect(left).to_have_text("3 of 3 dots left")
    plus = [practices.nth(i).locator(".stepper__button--plus") for i in range(3)]
    minus = [practices.nth(i).locator(".stepper__button--minus") for i in range(3)]
    for _ in range(3):
        plus[0].click()
    expect(left).to_have_text("0 of 3 dots left")
    # Let the three votes land and their confirmations be announced before the next message.
    ids = meeting["ids"]
    wait_results(live_server, meeting, ballot_id, lambda r: r[ids[0]]["dots"] == 3)
    expect(practices.nth(0).locator(".practice__status")).to_have_attribute("data-state", "recorded")
    expect(page.locator("#announcer")).to_contain_text("0 of 3")
    expect(plus[1]).to_have_attribute("aria-disabled", "true")
    plus[1].click(force=True)  # nothing to spend: no op, a message instead
    expect(page.locator("#announcer")).to_have_text("You have no dots left. Take one from another practice first.")
    expect(practices.nth(1).locator(".stepper__value")).to_have_text("0")
    minus[0].click()
    plus[1].click()
    expect(practices.nth(0).locator(".stepper__value")).to_have_text("2")
    expect(practices.nth(1).locator(".stepper__value")).to_have_text("1")
    for i in (0, 1):
        expect(practices.nth(i).locator(".practice__status")).to_have_attribute("data-state", "recorded")
    found = wait_results(live_server, meeting, ballot_id, lambda r: r[ids[1]]["dots"] == 1)
    assert [found[i]["dots"] for i in ids] == [2, 1, 0]
    no_overflow(page)
    shot(page, "vote-dots-en-360")
    assert not page.errors, page.errors
    page.context.close()


def test_votes_cast_offline_are_sent_on_reconnect(live_server, meeting, browser, expect, tcp_proxy):
    proxy = tcp_proxy(live_server.port)
    page = new_phone(browser)
    join(page, expect, proxy.url, meeting["join_code"], "americas", "en")
    ballot_id = open_ballot(meeting, mode="yes_no")
    practices = page.locator(".ballot--open li.practice")
    expect(practices).to_have_count(3)
    proxy.down()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "offline")
    practices.nth(1).locator("label.choice--yes").click()
    status = practices.nth(1).locator(".practice__status")
    expect(status).to_have_attribute("data-state", "queued")
    expect(page.locator("#vote-unsent")).to_be_visible()
    shot(page, "vote-offline-en-360")
    proxy.up()
    expect(status).to_have_attribute("data-state", "recorded")
    expect(page.locator("#vote-unsent")).to_be_hidden()
    ids = meeting["ids"]
    found = wait_results(live_server, meeting, ballot_id, lambda r: r[ids[1]]["turnout"] == 1)
    assert found[ids[1]]["counts"] == {"yes": 1, "no": 0, "unsure": 0}
    page.context.close()
