"""The chair's list of links in headless Chromium against a real server: every link with its QR
code and the sessions each group works in; a link re-issued from the console, its old board page
told its link is no longer valid and refused on reload. Screenshots in tests/artifacts/."""

from __future__ import annotations

import os

import pytest
import requests

from support import ARTIFACTS, BROWSER_WAIT, key_of, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

READY = "#app[aria-busy=false]"  # the chair's console
BOARD_READY = "#board[aria-busy=false]"


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_chair_lists_every_link_and_reissues_one(browser, live_server, expect, lang):
    created = live_server.create_meeting()
    mid = created["meeting_id"]
    africa = next(g for g in created["groups"] if g["id"] == "africa")
    board = open_page(browser, africa["rapporteur_url"], BOARD_READY, lang=lang, width=360, height=740)
    chair = open_page(browser, created["chair_url"], READY, lang=lang)

    rows = chair.locator("#ch-links .ln-link")
    expect(rows).to_have_count(3 + len(created["groups"]))  # plenary, translator, curator, each group
    expect(chair.locator('#ch-links .ln-link[data-role="plenary"]')).to_have_count(1)
    expect(chair.locator('#ch-links .ln-link[data-role="translator"]')).to_have_count(1)
    expect(chair.locator('#ch-links .ln-link[data-role="curator"] .ln-link__name')).to_have_text(
        "Synthesis desk (curator)" if lang == "en" else "مكتب التوليف (المقرر العام)")
    row = chair.locator('#ch-links .ln-link[data-group="africa"]')
    # the group's sessions beside its link (GRCP7: Session 2's groups and Session 3's follow-up)
    expect(row.locator(".ln-link__sessions")).to_contain_text(" · ")  # two sessions
    expect(row.locator(".ln-link__sessions")).to_contain_text("3")
    row.locator("summary").click()
    qr = row.locator("img.ln-qr")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.evaluate("img => img.naturalWidth") > 0  # drawn, not a broken image
    expect(row.locator(".ln-url")).to_have_value(africa["rapporteur_url"])
    row.scroll_into_view_if_needed()
    shot(chair, f"links-chair-1366-{lang}")

    # re-issue asks first, then the new link replaces the old one in the list
    row.locator('[data-action="link-reissue"]').click()
    expect(row.locator(".ln-ask")).to_be_visible()
    shot(chair, f"links-chair-ask-1366-{lang}")
    row.locator('[data-action="link-reissue-yes"]').click()
    expect(row.locator(".ln-url")).not_to_have_value(africa["rapporteur_url"], timeout=BROWSER_WAIT)
    new_url = row.locator(".ln-url").input_value()
    assert new_url.startswith(f"{live_server.url}/m/{mid}/board?key=")
    expect(row.locator("img.ln-qr")).to_be_visible()
    expect(chair.locator(".toast").last).to_be_visible()

    # the board opened with the old link is closed and says its link is no longer valid
    expect(board.locator("#conn-status")).to_have_attribute("data-state", "refused", timeout=BROWSER_WAIT)
    shot(board, f"links-old-board-360-{lang}")
    assert board.reload().status == 403
    assert requests.get(africa["rapporteur_url"], timeout=10).status_code == 403
    fresh = open_page(browser, new_url, BOARD_READY, lang=lang, width=360, height=740)
    expect(fresh.locator("#conn-status")).to_have_attribute("data-state", "online", timeout=BROWSER_WAIT)
    assert key_of(new_url) != key_of(africa["rapporteur_url"])
    for page in (board, chair, fresh):
        assert not page.errors, page.errors
