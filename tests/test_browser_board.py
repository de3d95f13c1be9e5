"""The rapporteur's board in headless Chromium, against a real server process.

- two pages of one group see each other's contributions;
- the connection is cut for real (a TCP proxy of the test's own is dropped: Playwright's
  set_offline does not cut WebSockets) while the rapporteur keeps typing, editing and
  reordering, even closing the tab; after it comes back every contribution is there exactly once;
- the page lays out in Arabic and English at 1366 px and 360 px without horizontal overflow.

Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re

import pytest
import requests

from support import ARTIFACTS, key_of, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GROUP = "africa"
SESSION = "s2-groups"
WAIT = 20_000  # ms: long enough for a Socket.IO reconnect with back-off


@pytest.fixture
def meeting(live_server, connect):
    created = live_server.create_meeting()
    chair = connect(live_server.url, created["meeting_id"], key_of(created["chair_url"]))
    ack = chair.op("session.set", session_id=SESSION)
    assert ack["ok"], ack
    created["group"] = next(g for g in created["groups"] if g["id"] == GROUP)
    return created


def open_board(browser, url, lang="en", width=1366, height=768, context=None):
    return open_page(browser, url, "#board[aria-busy=false]", lang, width, height, context, timeout=WAIT)


def first_question(page):
    return page.locator("article.question").first


def add(page, text, kind="good_practice", agreement="consensus"):
    question = first_question(page)
    question.locator("textarea").first.fill(text)
    question.locator("select[id$=-kind]").select_option(kind)
    question.locator("select[id$=-agreement]").select_option(agreement)
    question.locator("textarea").first.press("Control+Enter")


def items(page):
    return first_question(page).locator("li.item")


def item_with(page, text):
    return items(page).filter(has=page.locator("p.item__text", has_text=text))


def server_texts(server, meeting_id, key):
    state = requests.get(f"{server.url}/api/m/{meeting_id}/state", params={"key": key}, timeout=10).json()
    return [c["text"] for c in state["contributions"] if not c["deleted"]]


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"), full_page=False)


def test_second_page_of_the_group_sees_a_contribution(browser, live_server, meeting, expect):
    url = meeting["group"]["rapporteur_url"]
    first = open_board(browser, url)
    second = open_board(browser, url)
    expect(first.locator("#presence-list li")).to_have_count(2)

    add(first, "Regional free movement protocols as a model for labour mobility.")
    add(first, "إنشاء مرصد إقليمي للهجرة لتبادل البيانات", kind="innovative_solution", agreement="majority")
    # After an add the level of agreement goes back to consensus; the kind stays.
    expect(first_question(first).locator("select[id$=-agreement]")).to_have_value("consensus")
    expect(first_question(first).locator("select[id$=-kind]")).to_have_value("innovative_solution")

    expect(items(second)).to_have_count(2)
    english = item_with(second, "Regional free movement protocols")
    expect(english.locator(".badge--kind")).to_contain_text("Good practice")
    expect(english.locator(".badge--agreement")).to_contain_text("Consensus")
    arabic = second.locator("p.item__text[lang=ar]")
    expect(arabic).to_have_text("إنشاء مرصد إقليمي للهجرة لتبادل البيانات")
    expect(arabic).to_have_attribute("dir", "auto")
    expect(second.locator(".item--pending")).to_have_count(0)

    # an edit, a move and a delete made on the second page reach the first
    item_with(second, "إنشاء مرصد").locator("button.item__up").click()
    expect(items(first).first.locator("p.item__text")).to_have_text("إنشاء مرصد إقليمي للهجرة لتبادل البيانات")
    item_with(second, "Regional free").locator("button.item__edit").click()
    second.locator("li.item form.editor textarea").fill("Regional free movement protocols (ECOWAS).")
    second.locator("li.item form.editor textarea").press("Control+Enter")
    expect(item_with(first, "(ECOWAS)")).to_have_count(1)
    item_with(second, "(ECOWAS)").locator("button.item__delete").click()
    expect(items(first)).to_have_count(1)
    second.locator(".toast button", has_text="Undo").click()
    expect(items(first)).to_have_count(2)
    shot(second, "board-two-pages-en-1366")
    assert not first.errors and not second.errors, first.errors + second.errors
    first.context.close()
    second.context.close()


def test_conflicting_edits_show_both_versions(browser, live_server, meeting, expect):
    url = meeting["group"]["rapporteur_url"]
    first = open_board(browser, url)
    second = open_board(browser, url)
    add(first, "Mobility partnerships between regions.")
    expect(items(second)).to_have_count(1)

    item_with(first, "Mobility").locator("button.item__edit").click()
    item_with(second, "Mobility").locator("button.item__edit").click()
    second.locator("li.item form.editor textarea").fill("Mobility partnerships, theirs.")
    second.locator("li.item form.editor button[type=submit]").click()
    # their version arrives under the first page's open editor, which keeps the rapporteur's typing
    expect(item_with(first, "theirs")).to_have_count(1)
    first.locator("li.item form.editor textarea").fill("Mobility partnerships, mine.")
    first.locator("li.item form.editor button[type=submit]").click()

    conflict = first.locator(".conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Mobility partnerships, theirs.")
    expect(conflict).to_contain_text("Mobility partnerships, mine.")
    shot(first, "board-conflict-en-1366")
    conflict.locator("button", has_text="Use mine").click()
    expect(item_with(second, "mine.")).to_have_count(1)
    first.context.close()
    second.context.close()


def test_connection_cut_while_typing_loses_and_duplicates_nothing(
    browser, live_server, meeting, tcp_proxy, expect
):
    url = meeting["group"]["rapporteur_url"]
    key = key_of(url)
    proxy = tcp_proxy(live_server.port)
    rapporteur = open_board(browser, url.replace(live_server.url, proxy.url))
    observer = open_board(browser, url)

    add(rapporteur, "Before the cut: one-stop shops for migrant workers.")
    expect(items(observer)).to_have_count(1)
    # The observer can see the add before its ack has crossed the proxy back to the rapporteur;
    # cut only once the rapporteur's own copy is confirmed, so exactly the offline ones pend.
    expect(rapporteur.locator(".item--pending")).to_have_count(0)

    proxy.down()  # every open connection dropped, new ones refused
    expect(rapporteur.locator("#conn-status")).to_have_attribute("data-state", "offline")
    offline_texts = [f"Typed offline {n}: portability of social security rights." for n in range(1, 4)]
    for text in offline_texts:
        add(rapporteur, text, kind="recommendation")
    expect(rapporteur.locator(".item--pending")).to_have_count(3)
    # edit and reorder contributions whose add has not reached the server yet
    item_with(rapporteur, "Typed offline 3").locator("button.item__up").click()
    item_with(rapporteur, "Typed offline 1").locator("button.item__edit").click()
    rapporteur.locator("li.item form.editor textarea").fill("Typed offline 1 (edited): portability of pensions.")
    rapporteur.locator("li.item form.editor textarea").press("Control+Enter")
    expect(rapporteur.locator("#unsent")).to_be_visible()
    shot(rapporteur, "board-offline-en-1366")
    expect(items(observer)).to_have_count(1)

    # the laptop closes the tab while offline: the outbox is in localStorage
    context = rapporteur.context
    rapporteur.close()

    proxy.up()
    rapporteur = open_board(browser, url.replace(live_server.url, proxy.url), context=context)
    expect(rapporteur.locator("#conn-status")).to_have_attribute("data-state", "online")
    add(rapporteur, "After the cut: regional labour market observatories.")

    wanted = [
        "Before the cut: one-stop shops for migrant workers.",
        "Typed offline 1 (edited): portability of pensions.",
        "Typed offline 3: portability of social security rights.",
        "Typed offline 2: portability of social security rights.",
        "After the cut: regional labour market observatories.",
    ]
    for page in (rapporteur, observer):
        expect(items(page).locator("p.item__text")).to_have_text(wanted)
        expect(page.locator(".item--pending")).to_have_count(0)
    expect(rapporteur.locator("#unsent")).to_be_hidden()
    assert sorted(server_texts(live_server, meeting["meeting_id"], key)) == sorted(wanted)
    shot(rapporteur, "board-after-reconnect-en-1366")

    # a second cut with the server restarted (kill -9) while typing
    proxy.down()
    expect(rapporteur.locator("#conn-status")).to_have_attribute("data-state", "offline")
    add(rapporteur, "Typed while the server was down.")
    live_server.restart()
    proxy.up()
    wanted.append("Typed while the server was down.")
    expect(items(rapporteur).locator("p.item__text")).to_have_text(wanted)
    expect(rapporteur.locator(".item--pending")).to_have_count(0)
    expect(items(observer).locator("p.item__text")).to_have_text(wanted)
    assert sorted(server_texts(live_server, meeting["meeting_id"], key)) == sorted(wanted)
    assert not rapporteur.errors and not observer.errors, rapporteur.errors + observer.errors
    rapporteur.context.close()
    observer.context.close()


def test_a_missed_event_is_caught_up_without_reload(browser, live_server, meeting, expect):
    url = meeting["group"]["rapporteur_url"]
    writer = open_board(browser, url)
    reader = open_board(browser, url)
    # the reader's socket loses the next contribution event (as a Redis pub/sub message can be lost)
    reader.evaluate(
        """() => {
            const client = window.facilitatorBoard.client;
            let lost = 0;
            client.socket.off("event");
            client.socket.on("event", (ev) => {
                if (!lost && ev.type === "contribution.added") { lost += 1; return; }
                client._onEvent(ev);
            });
        }"""
    )
    add(writer, "First, lost on the way to the reader.")
    add(writer, "Second: its prev shows the gap.")
    expect(items(reader).locator("p.item__text")).to_have_text(
        ["First, lost on the way to the reader.", "Second: its prev shows the gap."],
        timeout=5000,  # well before the idle sync (20 s) would have found it
    )
    writer.context.close()
    reader.context.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("width,height", [(1366, 768), (360, 740)])
def test_board_layout(browser, live_server, meeting, expect, lang, width, height):
    url = meeting["group"]["rapporteur_url"]
    page = open_board(browser, url, lang=lang, width=width, height=height)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator("nav.lang-switch a[aria-current]")).to_have_attribute("hreflang", lang)
    add(page, "Regional free movement protocols as a model for labour mobility.")
    add(page, "إنشاء مرصد إقليمي للهجرة لتبادل البيانات بين الدول الأعضاء.", kind="recommendation",
        agreement="divergent")
    expect(page.locator("li.item:not(.item--pending)")).to_have_count(2)
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"horizontal overflow of {overflow}px"
    # every form control has a label
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('textarea, select, input')]
              .filter(el => !el.labels || el.labels.length === 0).map(el => el.id)"""
    )
    assert unlabelled == []
    shot(page, f"board-{lang}-{width}")
    # axe-core, served from node_modules like every front-end package (no CDN)
    page.add_script_tag(url=live_server.url + "/vendor/axe-core/axe.min.js")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious
    page.locator("article.question").first.scroll_into_view_if_needed()
    shot(page, f"board-{lang}-{width}-items")
    assert not page.errors, page.errors
    page.context.close()
