"""Two pages changing one wording or one title (issue 20, 8) in headless Chromium, against a real
server: the page that saves a draft made from an older version is offered theirs or mine, as the
board offers a contribution's, and nothing is lost unseen. Two chair consoles on one forwarded
item's wording; the synthesis desk and the chair on one point's title."""

from __future__ import annotations

import pytest
import requests

from support import key_of, meeting_in_session, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000


@pytest.fixture
def meeting(live_server, connect):
    links, mid, chair = meeting_in_session(live_server, connect)
    for cid, group in (("data-africa", "africa"), ("data-mena", "mena")):
        assert chair.op("contribution.add", group_id=group, question_id="s2-q1", id=cid,
                        text=f"Share migration data across borders, says {group}.",
                        kind="recommendation", agreement="consensus", lang="en")["ok"]
    links.update(chair=chair, mid=mid)
    return links


def state(server, meeting) -> dict:
    return requests.get(f"{server.url}/api/m/{meeting['mid']}/state",
                        params={"key": key_of(meeting["chair_url"])}, timeout=10).json()


def open_page(browser, url, ready):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(url + "&lang=en")
    page.wait_for_selector(ready, timeout=WAIT)
    return page


def test_two_chair_consoles_word_one_item(browser, live_server, meeting, expect):
    assert meeting["chair"].op("outcome.mark", contribution_id="data-africa")["ok"]
    ref = "contribution:data-africa"
    tabs = [open_page(browser, meeting["chair_url"], "#app[aria-busy=false]") for _ in range(2)]
    try:
        boxes = [tab.locator(".ch-outcome__item textarea") for tab in tabs]
        for box in boxes:
            expect(box).to_be_visible(timeout=WAIT)
        boxes[1].fill("Publish the data every quarter.")  # started before the first tab saves
        boxes[0].fill("Share the data region by region.")
        tabs[0].locator(".ch-wording-form button[type=submit]").click()
        wait_until(lambda: state(live_server, meeting)["outcome"]["wording"].get(ref, {}).get("text")
                   == "Share the data region by region.", "the first wording")
        tabs[1].locator(".ch-wording-form button[type=submit]").click()
        offer = tabs[1].locator(".ch-outcome__item .conflict")
        expect(offer).to_be_visible(timeout=WAIT)
        expect(offer).to_contain_text("changed this wording")
        expect(offer.locator(".conflict__version").first).to_contain_text("Share the data region by region.")
        expect(offer.locator(".conflict__version").last).to_contain_text("Publish the data every quarter.")
        assert state(live_server, meeting)["outcome"]["wording"][ref]["text"] == "Share the data region by region."
        offer.get_by_role("button", name="Use mine").click()
        wait_until(lambda: state(live_server, meeting)["outcome"]["wording"][ref]["text"]
                   == "Publish the data every quarter.", "mine over theirs")
        expect(offer).to_be_hidden()

        # the other way: the first tab's later draft meets the second's save; it keeps theirs
        boxes[0].fill("A draft the first tab will drop.")
        boxes[1].fill("Publish the data every month.")
        tabs[1].locator(".ch-wording-form button[type=submit]").click()
        wait_until(lambda: state(live_server, meeting)["outcome"]["wording"][ref]["text"]
                   == "Publish the data every month.", "the second tab's wording")
        tabs[0].locator(".ch-wording-form button[type=submit]").click()
        offer = tabs[0].locator(".ch-outcome__item .conflict")
        expect(offer).to_be_visible(timeout=WAIT)
        offer.get_by_role("button", name="Keep theirs").click()
        expect(offer).to_be_hidden()
        expect(boxes[0]).to_have_value("Publish the data every month.")
        assert state(live_server, meeting)["outcome"]["wording"][ref]["text"] == "Publish the data every month."
        for tab in tabs:
            assert not tab.errors, tab.errors
    finally:
        for tab in tabs:
            tab.context.close()


def test_the_desk_and_the_chair_title_one_point(browser, live_server, meeting, expect):
    chair = meeting["chair"]
    assert chair.op("cluster.confirm", point_id="p-data-v", contribution_ids=["data-africa", "data-mena"])["ok"]
    desk = open_page(browser, meeting["chair_url"].replace("/chair?", "/synthesis?"), "#sd[aria-busy=false]")
    try:
        point = desk.locator(".sd-point[data-point='p-data-v']")
        expect(point).to_be_visible(timeout=WAIT)
        point.locator(".sd-point__more summary").click()
        desk.locator("#sd-title-p-data-v").fill("A data observatory")  # the desk starts typing
        assert chair.op("cluster.title", cluster_id="p-data-v", title="Open data", version=0)["ok"]
        chair.wait_for(lambda e: e.get("type") == "cluster.titled")
        expect(desk.locator("#sd-title-p-data-v")).to_have_value("A data observatory")
        desk.locator("#sd-title-p-data-v-save").click()
        offer = point.locator(".conflict")
        expect(offer).to_be_visible(timeout=WAIT)
        expect(offer).to_contain_text("changed this title")
        expect(offer.locator(".conflict__version").first).to_contain_text("Open data")
        assert state(live_server, meeting)["curation"]["titles"]["p-data-v"] == "Open data"
        offer.get_by_role("button", name="Use mine").click()
        wait_until(lambda: state(live_server, meeting)["curation"]["titles"].get("p-data-v") == "A data observatory",
                   "the desk's title over the chair's")
        assert not desk.errors, desk.errors
    finally:
        desk.context.close()
