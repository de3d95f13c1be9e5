"""Issue 19 in headless Chromium, against a real server process: the vote as a four-language room
sees it.

- an Arabic phone reads the ballot's Arabic prompt; a translation saved while the ballot is open
  appears on it without a reload, the original one tap away; the translator's queue puts the
  ballot's texts first, marked "on the phones now";
- a phone scrolled down to an old closed ballot is brought to the new one when it opens;
- the plenary shows an open ballot and how many have voted, live, and no result until revealed.

Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re

import pytest
import requests

from support import key_of, open_page
from test_browser_vote import PRACTICES, meeting_with_practices, new_phone, no_overflow, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000
AR_PROMPT = "هل يمكن أن تنجح هذه الممارسة في منطقتك؟"
EN_PRACTICE_AR = "شراكات التنقل التي تجمع بين مسارات العمل القانونية والتدريب المشترك على المهارات."


@pytest.fixture
def meeting(live_server, connect):
    created = meeting_with_practices(live_server, connect)
    created["translator"] = connect(live_server.url, created["meeting_id"], key_of(created["translator_url"]), name="Nadia")
    assert created["chair"].op("session.set", session_id="s2-groups")["ok"]
    return created


def open_ballot(meeting, ids, **fields):
    chair = meeting["chair"]
    ack = chair.op("ballot.open", contribution_ids=ids, **fields)
    assert ack["ok"], ack
    return chair.wait_for(lambda e: e["type"] == "ballot.opened" and e["seq"] == ack["seq"])["ballot"]["id"]


def phone_joined(browser, server, meeting, region, lang):
    """A phone that joined through the join endpoint (its cookie set), on its vote page."""
    page = new_phone(browser)
    response = page.context.request.post(f"{server.url}/api/m/{meeting['meeting_id']}/participants",
                                         data={"code": meeting["join_code"], "region": region, "lang": lang})
    assert response.ok, response.text()
    page.goto(f"{server.url}/m/{meeting['meeting_id']}/vote?lang={lang}")
    page.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)
    return page


def test_an_arabic_phone_reads_the_vote_in_arabic_and_a_translation_arrives_live(
        live_server, meeting, browser, expect):
    ids = meeting["ids"]
    page = phone_joined(browser, live_server, meeting, "mena", "ar")
    ballot_id = open_ballot(meeting, ids)  # no prompt typed: the agenda's, in four languages
    ballot = page.locator(".ballot--open")
    title = ballot.locator(".ballot__title")
    expect(title).to_have_text(AR_PROMPT)
    expect(title).to_have_attribute("lang", "ar")
    expect(ballot.locator(".ballot__prompt-lang")).to_have_count(0)
    practices = ballot.locator("li.practice")
    expect(practices).to_have_count(3)
    english = practices.nth(1)
    expect(english.locator(".practice__text")).to_have_text(PRACTICES[1][1])
    expect(english.locator(".tr-original")).to_have_count(0)

    # the translator's queue: the ballot's texts first, marked "on the phones now"
    desk = open_page(browser, meeting["translator_url"], "#desk-queue .desk-item", lang="en")
    first = desk.locator("#desk-queue .desk-item").first
    expect(first.locator(".desk-tag--ballot")).to_have_text("On the phones now")
    tagged = desk.locator("#desk-queue .desk-item:has(.desk-tag--ballot) .desk-item__text").all_text_contents()
    assert tagged and set(tagged) <= {text for _, text, _ in PRACTICES}, tagged
    shot(desk, "translate-queue-ballot-first-en-1366")
    desk.context.close()

    # a translation saved while the ballot is open reaches the phone, no reload
    ack = meeting["translator"].op("translation.set", contribution_id=ids[1], lang="ar", text=EN_PRACTICE_AR,
                                   original_version=1)
    assert ack["ok"], ack
    expect(english.locator(".practice__text")).to_have_text(EN_PRACTICE_AR)
    expect(english.locator(".practice__text")).to_have_attribute("lang", "ar")
    original = english.locator("details.tr-original")
    expect(original.locator(".tr-original__text")).to_be_hidden()
    original.locator("summary").click()  # the original, one tap away
    expect(original.locator(".tr-original__text")).to_have_text(PRACTICES[1][1])
    english.locator("label.choice--yes").click()
    expect(english.locator(".practice__status")).to_have_attribute("data-state", "recorded")
    no_overflow(page)
    shot(page, "vote-arabic-prompt-live-translation-ar-360")

    # a prompt given in some languages only: shown in another, and said so
    assert meeting["chair"].op("ballot.close", ballot_id=ballot_id)["ok"]
    open_ballot(meeting, ids[:1], prompt={"en": "Should this reach the global compact?"})
    fallback = page.locator(".ballot--open")
    expect(fallback.locator(".ballot__title")).to_have_text("Should this reach the global compact?")
    expect(fallback.locator(".ballot__title")).to_have_attribute("lang", "en")
    expect(fallback.locator(".ballot__prompt-lang")).to_contain_text("الإنجليزية")  # named in Arabic
    shot(page, "vote-prompt-fallback-ar-360")
    assert not page.errors, page.errors
    page.context.close()


def test_a_new_ballot_brings_a_scrolled_phone_to_it(live_server, meeting, browser, expect):
    ids = meeting["ids"]
    page = phone_joined(browser, live_server, meeting, "africa", "en")
    for _ in range(2):  # two closed ballots below, the phone scrolled down to the last one
        ballot_id = open_ballot(meeting, ids)
        assert meeting["chair"].op("ballot.close", ballot_id=ballot_id)["ok"]
    expect(page.locator(".ballot--closed")).to_have_count(2)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("scrollY > 300")
    open_ballot(meeting, ids[1:])
    fresh = page.locator(".ballot--open")
    expect(fresh).to_have_count(1)
    expect(fresh.locator(".ballot__title")).to_be_focused()
    top = fresh.evaluate("el => el.getBoundingClientRect().top")
    assert 0 <= top < 100, top
    shot(page, "vote-new-ballot-in-view-en-360")
    assert not page.errors, page.errors
    page.context.close()


class Voter:
    """A participant's phone without a browser: joined through the endpoint, votes over a socket."""

    def __init__(self, server, meeting, connect, region):
        response = requests.post(f"{server.url}/api/m/{meeting['meeting_id']}/participants",
                                 json={"code": meeting["join_code"], "region": region, "lang": "en"}, timeout=10)
        assert response.ok, response.text
        self.client = connect(server.url, meeting["meeting_id"], response.json()["key"])

    def vote(self, ballot_id, contribution_id, choice="yes"):
        ack = self.client.op("vote.cast", ballot_id=ballot_id, contribution_id=contribution_id, choice=choice)
        assert ack["ok"], ack


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_plenary_shows_an_open_vote_and_how_many_have_voted(
        live_server, meeting, browser, connect, expect, lang):
    ids = meeting["ids"]
    page = open_page(browser, meeting["plenary_url"], "#app[aria-busy=false]", lang=lang,
                     width=1920, height=1080, extra="&rotate=0")
    voters = [Voter(live_server, meeting, connect, region) for region in ("africa", "mena", "americas")]
    ballot_id = open_ballot(meeting, ids)
    count = page.locator(".pl-vote-open__count")
    expect(count).to_have_attribute("data-voters", "0")
    expect(page.locator(".pl-vote-item")).to_have_count(3)
    expect(page.locator(".pl-stack, .pl-result__dots, .pl-regions")).to_have_count(0)  # no result
    for n, voter in enumerate(voters, start=1):
        for cid in ids:
            voter.vote(ballot_id, cid)
        expect(count).to_have_attribute("data-voters", str(n))
        expect(count.locator(".pl-vote-open__n")).to_have_text(re.compile(f"^[{n}{'٠١٢٣'[n]}]$"))
    expect(page.locator("#pl-question")).to_have_text(
        re.compile({"en": "Could this practice work in your region", "ar": AR_PROMPT}[lang]))
    expect(page.locator(".pl-stack")).to_have_count(0)
    width, height = page.evaluate("[document.documentElement.scrollWidth - innerWidth, document.documentElement.scrollHeight - innerHeight]")
    assert width <= 0 and height <= 0, (width, height)
    shot(page, f"plenary-vote-open-{lang}-1920")
    # revealed: the results, ranked; hidden again while open: the count again, never the results
    chair = meeting["chair"]
    assert chair.op("ballot.reveal", ballot_id=ballot_id)["ok"]
    expect(page.locator(".pl-rank")).to_have_count(3)
    assert chair.op("ballot.reveal", ballot_id=ballot_id, revealed=False)["ok"]
    expect(page.locator(".pl-vote-open__count")).to_have_attribute("data-voters", "3")
    expect(page.locator(".pl-stack")).to_have_count(0)
    # a page loaded while the vote is open knows the count at once
    again = open_page(browser, meeting["plenary_url"], ".pl-vote-open__count", lang=lang,
                      width=1920, height=1080, extra="&rotate=0")
    expect(again.locator(".pl-vote-open__count")).to_have_attribute("data-voters", "3")
    assert not page.errors and not again.errors, (page.errors, again.errors)
    again.context.close()
    page.context.close()


POINT_TEXTS = {
    "africa": "Regional consultative processes should feed regional positions into the global compact negotiations.",
    "americas": "Regional consultative processes should feed regional positions into the negotiations of the global compact.",
}
POINT_TITLES = {"en": "Feed regional positions into the compact", "ar": "إيصال المواقف الإقليمية إلى الاتفاق العالمي"}


def test_a_ballot_on_a_point_shows_it_on_the_phones_and_ranks_the_results(
        live_server, meeting, browser, connect, expect):
    from test_browser_chair import open_chair
    chair, mid = meeting["chair"], meeting["meeting_id"]
    keys = {g["id"]: key_of(g["rapporteur_url"]) for g in meeting["groups"]}
    for gid, text in POINT_TEXTS.items():
        assert connect(live_server.url, mid, keys[gid]).op(
            "contribution.add", question_id="s2-q1", text=text, kind="recommendation",
            agreement="consensus", lang="en")["ok"]
    # the chair puts the suggested point itself to the vote (it becomes a point, keeping its id),
    # with two texts
    console = open_chair(browser, meeting["chair_url"], "en")
    point = console.locator(".ch-point").first
    expect(point).to_contain_text("Raised by 2 of 5 groups")
    point.locator('button[data-action="select-point"]').click()
    confirmed = chair.wait_for(lambda e: e.get("type") == "cluster.confirmed")
    point_id = confirmed["point_id"]
    assert point_id == confirmed["cluster_id"] and point_id.startswith("c-")  # the suggestion's id
    expect(console.locator(".ch-selected__item--point")).to_have_count(1)
    for cid in meeting["ids"][1:]:
        console.locator(f"[id^='sel-{cid}-']").first.check()
    expect(console.locator(".ch-selected__item")).to_have_count(3)
    console.locator('button[data-action="ballot-open"]').click()
    ballot = chair.wait_for(lambda e: e.get("type") == "ballot.opened")["ballot"]
    assert ballot["point_ids"] == [point_id] and ballot["contribution_ids"] == meeting["ids"][1:]

    # an Arabic phone: the point first, worded by a member until it has an Arabic title, live
    phone = phone_joined(browser, live_server, meeting, "africa", "ar")
    first = phone.locator(".ballot--open li.practice").first
    expect(first).to_have_attribute("data-kind", "point")
    expect(first.locator(".practice__n")).to_contain_text("النقطة")
    expect(first.locator(".practice__group")).to_contain_text("أفريقيا")
    expect(first.locator(".practice__group")).to_contain_text("الأمريكتان")
    expect(first.locator(".practice__text")).to_have_text(POINT_TEXTS["africa"])
    for lang, title in POINT_TITLES.items():
        assert chair.op("cluster.title", cluster_id=point_id, title=title, lang=lang)["ok"]
    expect(first.locator(".practice__text")).to_have_text(POINT_TITLES["ar"])
    first.locator("label.choice--yes").click()
    expect(first.locator(".practice__status")).to_have_attribute("data-state", "recorded")
    no_overflow(phone)
    shot(phone, "vote-point-ar-360")

    # five more voters: the point and the English practice tie, the French one comes third
    english, french = meeting["ids"][1:]
    for i, region in enumerate(("africa", "africa", "mena", "mena", "mena")):
        voter = Voter(live_server, meeting, connect, region)
        ack = voter.client.op("vote.cast", ballot_id=ballot["id"], point_id=point_id, choice="yes")
        assert ack["ok"], ack
        voter.vote(ballot["id"], english, "yes")
        voter.vote(ballot["id"], french, "yes" if i % 2 else "no")
    Voter(live_server, meeting, connect, "africa").vote(ballot["id"], english, "yes")  # 6 of 6, as the point

    plenary = open_page(browser, meeting["plenary_url"], "#app[aria-busy=false]", lang="en",
                        width=1920, height=1080, extra="&rotate=0")
    assert chair.op("ballot.reveal", ballot_id=ballot["id"])["ok"]
    ranks = plenary.locator(".pl-result .pl-rank")
    expect(ranks).to_have_count(3)
    expect(ranks).to_have_text(["1 (tie)", "1 (tie)", "3"])
    tied = plenary.locator(".pl-result--tied")
    expect(tied).to_have_count(2)
    point_row = plenary.locator(f".pl-result[data-item='{point_id}']")
    expect(point_row.locator(".pl-result__text")).to_have_text(POINT_TITLES["en"])
    expect(point_row.locator(".pl-result__from")).to_contain_text("Africa")
    expect(point_row.locator(".pl-result__from")).to_contain_text("Americas and the Caribbean")
    expect(plenary.locator(".pl-result").last).to_contain_text("Un guichet unique")
    expect(plenary.locator(".pl-region__rank").first).to_be_visible()
    width, height = plenary.evaluate("[document.documentElement.scrollWidth - innerWidth, document.documentElement.scrollHeight - innerHeight]")
    assert width <= 0 and height <= 0, (width, height)
    shot(plenary, "plenary-point-ballot-ranked-en-1920")
    # the console ranks them the same way
    expect(console.locator(".ch-result__rank")).to_have_text(["1 (tie)", "1 (tie)", "3"])
    shot(console, "chair-point-ballot-ranked-en-1366")
    assert not (phone.errors or plenary.errors or console.errors), (phone.errors, plenary.errors, console.errors)
    for page in (phone, plenary, console):
        page.context.close()
