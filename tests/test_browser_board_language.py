"""Issue 19 on the rapporteur's board, in headless Chromium against a real server process:

- the board guesses a text's language as the server does (the same rule and words) and says so;
- a language corrected in the edit form reaches the server, stales translations, and the report;
- a second rapporteur sees who is editing an item (two browser contexts), and the conflict
  offer names who changed it;
- the connection status never says "every change is saved" while changes wait;
- a group that does not break out now is told in which session it will.

Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os

import pytest
import requests
import yaml

from support import ARTIFACTS, ROOT, key_of, open_page
from facilitator.meeting.text import detect_lang

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GROUP = "africa"
WAIT = 20_000
FRENCH = "Mettre fin aux frais de recrutement payés par les travailleurs migrants et leurs familles."
SPANISH = "Poner fin a los costos de contratación que pagan los trabajadores migrantes y sus familias."
GUESSED = "Guessed from the words typed; change it if it is wrong."


@pytest.fixture
def meeting(live_server, connect):
    created = live_server.create_meeting()
    created["chair"] = connect(live_server.url, created["meeting_id"], key_of(created["chair_url"]))
    created["group"] = next(g for g in created["groups"] if g["id"] == GROUP)
    return created


def breakout(meeting):
    assert meeting["chair"].op("session.set", session_id="s2-groups")["ok"]


def open_board(browser, url, lang="en", width=1366, height=768):
    return open_page(browser, url, "#board[aria-busy=false]", lang, width, height, timeout=WAIT)


def first_question(page):
    return page.locator("article.question").first


def items(page):
    return first_question(page).locator("li.item")


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"), full_page=False)


def state_of(server, meeting, key):
    return requests.get(f"{server.url}/api/m/{meeting['meeting_id']}/state", params={"key": key}, timeout=10).json()


def add(page, text, expect):
    before = items(page).count()
    question = first_question(page)
    question.locator("textarea").first.fill(text)
    question.locator("textarea").first.press("Control+Enter")
    expect(page.locator("li.item:not(.item--pending)")).to_have_count(before + 1)


def set_name(page, name, expect):
    page.locator("#display-name").fill(name)
    page.locator("#display-name").press("Tab")
    expect(page.locator("#presence-list")).to_contain_text(name)


def test_the_board_guesses_a_language_as_the_server_does(browser, live_server, meeting):
    breakout(meeting)
    page = open_board(browser, meeting["group"]["rapporteur_url"])
    with open(os.path.join(ROOT, "facilitator", "demo", "grcp7_contributions.yaml"), encoding="utf-8") as fh:
        texts = [c["text"] for c in yaml.safe_load(fh)]
    texts += [
        "L’ŒUVRE des États et de la société civile", "Ça et là, dans les régions", "ASÍ LOS PAÍSES Y LAS REGIONES",
        "the and of", "x", "", "123 456", "Migración — sí, por favor", "الهجرة and the world of it",
        "Le travailleur-migrant", "'et' 'les'", "_el_ _los_",
    ]
    for fallback in ("en", "ar", "fr", "es"):
        browser_says = page.evaluate(
            "([texts, fallback]) => texts.map((t) => window.facilitatorBoard.detectLang(t, fallback))",
            [texts, fallback])
        assert browser_says == [detect_lang(t, fallback) for t in texts], fallback
    assert {detect_lang(t, "en") for t in texts} == {"ar", "en", "fr", "es"}  # not one answer for all
    assert not page.errors, page.errors
    page.context.close()


def test_a_language_corrected_on_the_board_reaches_the_report(browser, live_server, meeting, expect):
    breakout(meeting)
    url = meeting["group"]["rapporteur_url"]
    chair = meeting["chair"]
    page = open_board(browser, url)  # an English interface
    question = first_question(page)
    textarea, lang = question.locator("textarea").first, question.locator("select[id$=-lang]").first
    hint = question.locator(".lang-hint").first
    # the add form offers the meeting's languages, and follows the words as they are typed
    assert lang.locator("option").evaluate_all("os => os.map(o => o.value)") == ["ar", "en", "fr", "es"]
    textarea.press_sequentially("Mettre fin aux frais", delay=5)
    expect(lang).to_have_value("en")  # one French word is no evidence
    textarea.press_sequentially(" de recrutement payés par les travailleurs", delay=5)
    expect(lang).to_have_value("fr")
    expect(hint).to_have_text(GUESSED)
    question.locator(".add__row").scroll_into_view_if_needed()
    shot(page, "board-lang-guessed-en-1366")
    # the rapporteur picks English by mistake: what they pick stands
    lang.select_option("en")
    expect(hint).to_have_text("")
    textarea.fill(FRENCH)
    expect(lang).to_have_value("en")
    textarea.press("Control+Enter")
    expect(page.locator("li.item:not(.item--pending) p.item__text[lang=en]")).to_have_text(FRENCH)
    expect(lang).to_have_value("en")  # the next one starts from the page's language again
    key = key_of(url)
    cid = next(c["id"] for c in state_of(live_server, meeting, key)["contributions"] if c["text"] == FRENCH)
    assert chair.op("outcome.mark", contribution_id=cid)["ok"]
    assert chair.op("translation.set", contribution_id=cid, lang="es", text=SPANISH, original_version=1)["ok"]
    assert " · English \\(en\\) · " in provenance(live_server, meeting)  # Markdown escapes ( and )

    # corrected in the edit form, which offers the language as it stands
    items(page).first.locator("button.item__edit").click()
    editor_lang = page.locator("li.item form.editor select[id$=-lang]")
    expect(editor_lang).to_have_value("en")
    editor_lang.select_option("fr")
    shot(page, "board-lang-corrected-en-1366")
    page.locator("li.item form.editor button[type=submit]").click()
    expect(page.locator("li.item:not(.item--pending) p.item__text[lang=fr]")).to_have_text(FRENCH)
    c = next(c for c in state_of(live_server, meeting, key)["contributions"] if c["id"] == cid)
    assert (c["lang"], c["text"], c["version"]) == ("fr", FRENCH, 2)
    assert c["translations"]["es"]["stale"] is True  # translated from what was taken for English
    line = provenance(live_server, meeting)
    assert " · French \\(fr\\) · " in line and "English" not in line
    assert not page.errors, page.errors
    page.context.close()


def provenance(server, meeting):
    """The report's provenance line of the French text (Markdown, in English)."""
    md = requests.get(f"{server.url}/api/m/{meeting['meeting_id']}/report.md",
                      params={"key": key_of(meeting["chair_url"]), "lang": "en"}, timeout=30).text
    lines = md.splitlines()
    at = next(i for i, line in enumerate(lines) if "Mettre fin aux frais de recrutement" in line
              and i + 1 < len(lines) and lines[i + 1].strip().startswith("*"))
    return lines[at + 1].strip()


def test_a_second_rapporteur_sees_who_is_editing(browser, live_server, meeting, expect):
    breakout(meeting)
    url = meeting["group"]["rapporteur_url"]
    amina = open_board(browser, url)
    kofi = open_board(browser, url)  # a browser context of its own: its own name, its own outbox
    phone = open_board(browser, url, lang="ar", width=360, height=740)
    set_name(amina, "Amina", expect)
    set_name(kofi, "Kofi", expect)
    add(amina, "Portable social security for migrant workers.", expect)
    expect(items(kofi)).to_have_count(1)

    items(amina).first.locator("button.item__edit").click()
    tag = items(kofi).first.locator(".item__editing")
    expect(tag).to_be_visible()
    expect(tag).to_have_text("✎Editing now: Amina")
    expect(items(phone).first.locator(".item__editing")).to_contain_text("Amina")
    expect(items(amina).first.locator(".item__editing")).to_be_hidden()  # not her own
    shot(kofi, "board-editing-by-en-1366")
    phone.locator("li.item").first.scroll_into_view_if_needed()
    shot(phone, "board-editing-by-ar-360")

    # both edit; Amina saves first; Kofi's save meets a conflict that names her
    items(kofi).first.locator("button.item__edit").click()
    expect(items(amina).first.locator(".item__editing")).to_have_text("✎Editing now: Kofi")
    amina.locator("li.item form.editor textarea").fill("Portable social security, Amina's words.")
    amina.locator("li.item form.editor button[type=submit]").click()
    expect(tag).to_be_hidden()  # her editor closed
    kofi.locator("li.item form.editor textarea").fill("Portable social security, Kofi's words.")
    kofi.locator("li.item form.editor button[type=submit]").click()
    conflict = kofi.locator(".conflict")
    expect(conflict.locator(".conflict__title")).to_have_text(
        "Amina changed this contribution while you were editing it.")
    expect(conflict).to_contain_text("Amina's words.")
    shot(kofi, "board-conflict-named-en-1366")
    # Kofi's editor closed on save: Amina's board no longer shows him editing
    expect(items(amina).first.locator(".item__editing")).to_be_hidden()
    for page in (amina, kofi, phone):
        assert not page.errors, page.errors
        page.context.close()


def test_the_status_says_saved_only_when_nothing_waits(browser, live_server, meeting, expect):
    breakout(meeting)
    chair = meeting["chair"]
    page = open_board(browser, meeting["group"]["rapporteur_url"])
    status, unsent = page.locator("#conn-status"), page.locator("#unsent")
    expect(status).to_have_text("Connected. Every change is saved.")
    # locked: the change waits for the chair, and the status does not call it saved
    assert chair.op("board.lock", group_id=GROUP, locked=True)["ok"]
    expect(page.locator("#locked-notice")).to_be_visible()
    # (not awaited: its ack comes once the board opens)
    page.evaluate("""() => { window.facilitatorBoard.client.send({type: "contribution.add", id: "held-item-0001",
        question_id: "s2-q1", text: "Held while locked.", kind: "gap", agreement: "majority"}, 0); }""")
    expect(unsent).to_have_text("Unsent changes: 1")
    expect(status).to_have_text("Connected. Your changes wait for the board to be opened again.")
    assert chair.op("board.lock", group_id=GROUP, locked=False)["ok"]
    expect(unsent).to_be_hidden()
    expect(status).to_have_text("Connected. Every change is saved.")
    # a burst past the connection's op budget (60): the rest wait their turn, and say so
    page.evaluate("""() => { const c = window.facilitatorBoard.client;
        for (let i = 0; i < 90; i++) c.send({type: "contribution.add", id: `burst-item-${String(i).padStart(4, "0")}`,
          question_id: "s2-q1", text: `Burst ${i}`, kind: "gap", agreement: "majority"}, 0); }""")
    expect(status).to_have_text("Connected. Sending your changes…")
    expect(unsent).to_be_visible()
    expect(unsent).to_be_hidden(timeout=30_000)
    expect(status).to_have_text("Connected. Every change is saved.")
    expect(items(page)).to_have_count(91)
    assert not page.errors, page.errors
    page.context.close()


def test_a_group_not_in_the_session_is_told_when_it_breaks_out(browser, live_server, meeting, expect):
    # a new meeting starts on Session 1, a plenary
    page = open_board(browser, meeting["group"]["rapporteur_url"])
    notice = page.locator("#session-notice")
    expect(notice).to_contain_text("It breaks out next in “Session 2: Contributions and recommendations "
                                   "on the global compact by region – sub-groups”")
    shot(page, "board-next-session-en-1366")
    # Session 3's partner groups: Africa's last breakout (Session 3, follow-up) is behind it
    assert meeting["chair"].op("session.set", session_id="s3-partners")["ok"]
    expect(notice).to_contain_text("nor in any later one")
    arabic = open_board(browser, meeting["group"]["rapporteur_url"], lang="ar", width=360, height=740)
    expect(arabic.locator("#session-notice")).to_contain_text("ولا في أي جلسة لاحقة")
    shot(arabic, "board-breakouts-over-ar-360")
    for p in (page, arabic):
        assert not p.errors, p.errors
        p.context.close()


def test_the_chairs_wording_carries_its_own_language(browser, live_server, meeting, connect, expect):
    """A wording forwarded for one contribution is in the language it is written in, as the
    chair's form guesses it, never by default the contribution's ("Synthesis wording by the Chair
    (Spanish)" on an English text, in issue 19)."""
    breakout(meeting)
    chair = meeting["chair"]
    americas = next(g for g in meeting["groups"] if g["id"] == "americas")
    rapporteur = connect(live_server.url, meeting["meeting_id"], key_of(americas["rapporteur_url"]))
    assert rapporteur.op("contribution.add", id="spanish-item-0001", question_id="s2-q1", text=SPANISH,
                         kind="recommendation", agreement="consensus", lang="es")["ok"]
    assert chair.op("outcome.mark", contribution_id="spanish-item-0001")["ok"]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(meeting["chair_url"] + "&lang=en")
    page.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)
    form = page.locator(".ch-outcome__item .ch-wording-form")
    lang = form.locator("select")
    expect(lang).to_have_value("en")  # the page's language until words say more, not "es"
    form.locator("textarea").fill("Put an end to the recruitment fees that are paid by migrant workers.")
    expect(lang).to_have_value("en")
    form.locator("textarea").fill(FRENCH)
    expect(lang).to_have_value("fr")
    expect(form).to_contain_text(GUESSED)
    form.locator("textarea").fill("End the recruitment fees that the workers and their families pay.")
    expect(lang).to_have_value("en")
    form.locator("textarea").scroll_into_view_if_needed()
    shot(page, "chair-wording-lang-en-1366")
    form.locator("button[type=submit]").click()
    event = chair.wait_for(lambda e: e.get("type") == "outcome.wording")
    assert (event["lang"], event["ref"]) == ("en", "contribution:spanish-item-0001")
    md = requests.get(f"{live_server.url}/api/m/{meeting['meeting_id']}/report.md",
                      params={"key": key_of(meeting["chair_url"]), "lang": "en"}, timeout=30).text
    assert "Synthesis wording by the Chair \\(English\\)" in md and "Chair \\(Spanish\\)" not in md
    assert not page.errors, page.errors
    context.close()
