"""Two tabs of one board page in headless Chromium share the outbox (localStorage) and only one of
them sends it (issue 20, 4: both sent every op, 40 of 40). With the Web Lock and with the lease in
localStorage that stands in where Web Locks are missing; when the sending tab closes, the other
takes over. The op frames each tab's WebSocket carries are counted."""

from __future__ import annotations

import json

import pytest
import requests

from support import key_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000
NO_WEB_LOCKS = "Object.defineProperty(Navigator.prototype, 'locks', {get: () => undefined});"


@pytest.fixture
def meeting(live_server, connect):
    created = live_server.create_meeting()
    chair = connect(live_server.url, created["meeting_id"], key_of(created["chair_url"]))
    assert chair.op("session.set", session_id="s2-groups")["ok"]
    created["group"] = next(g for g in created["groups"] if g["id"] == "africa")
    return created


def count_ops(page) -> list[str]:
    """The op ids this page's sockets send, as they go."""
    sent: list[str] = []

    def on_socket(ws):
        def on_frame(payload):
            text = payload if isinstance(payload, str) else ""
            start = text.find('["op",')
            if text.startswith("42") and start >= 0:
                sent.append(json.loads(text[start:])[1]["op_id"])
        ws.on("framesent", on_frame)

    page.on("websocket", on_socket)
    return sent


def add(page, text):
    question = page.locator("article.question").first
    question.locator("textarea").first.fill(text)
    question.locator("select[id$=-kind]").select_option("good_practice")
    question.locator("select[id$=-agreement]").select_option("consensus")
    question.locator("textarea").first.press("Control+Enter")


def texts_on(page):
    return page.locator("article.question").first.locator("li.item:not(.item--pending) p.item__text")


@pytest.mark.parametrize("lease", ["web-lock", "local-storage"])
def test_two_tabs_of_one_page_send_each_op_once(browser, live_server, meeting, expect, lease):
    url = meeting["group"]["rapporteur_url"]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    if lease == "local-storage":
        context.add_init_script(NO_WEB_LOCKS)
    try:
        # counted from the first frame: the listener goes on before the page loads
        tabs, sent = [], []
        for _ in range(2):
            page = context.new_page()
            sent.append(count_ops(page))
            page.errors = []
            page.on("pageerror", lambda error, page=page: page.errors.append(str(error)))
            page.goto(url + "&lang=en")
            page.wait_for_selector("#board[aria-busy=false]", timeout=WAIT)
            tabs.append(page)
        if lease == "local-storage":
            assert tabs[0].evaluate("() => navigator.locks === undefined")
        wanted = []
        for n in range(4):
            for i, tab in enumerate(tabs):
                text = f"Tab {i + 1} writes practice {n}."
                add(tab, text)
                wanted.append(text)
        for tab in tabs:
            expect(texts_on(tab)).to_have_count(len(wanted), timeout=WAIT)
        senders = [tab.evaluate("() => window.facilitatorBoard.client.sender") for tab in tabs]
        assert sorted(senders) == [False, True]
        both = set(sent[0]) & set(sent[1])
        assert not both, f"{len(both)} ops went out on both tabs"
        assert len(set(sent[0]) | set(sent[1])) == len(wanted)
        assert not sent[senders.index(False)]  # the other tab sent nothing at all

        # the sending tab closes: the other one takes the outbox over
        survivor = tabs[senders.index(False)]
        tabs[senders.index(True)].close()
        add(survivor, "Written after the sending tab was closed.")
        wanted.append("Written after the sending tab was closed.")
        expect(texts_on(survivor)).to_have_count(len(wanted), timeout=WAIT)
        state = requests.get(f"{live_server.url}/api/m/{meeting['meeting_id']}/state",
                             params={"key": key_of(url)}, timeout=10).json()
        assert sorted(c["text"] for c in state["contributions"] if not c["deleted"]) == sorted(wanted)
        assert not survivor.errors, survivor.errors
    finally:
        context.close()
