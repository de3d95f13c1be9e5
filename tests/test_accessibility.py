"""Every page in every language, in headless Chromium, against one real server process.

For each page (index, join, rapporteur board, chair console, plenary dashboard, vote page, the
translator's desk, the synthesis desk, the 403 and 404 error pages, the printable report) and each language (ar, en,
fr, es):

- the right HTTP status, `<html lang dir>` (rtl only for Arabic);
- the page's client strings translated (not English when the language is not English) and no
  English interface words leaking into the Arabic page;
- no horizontal overflow at the width the page is made for (phones 360, laptops 1366, the
  projector 1920×1080 where nothing may overflow vertically either);
- axe-core (from the npm registry, served locally): no serious or critical violation.

Plus: the timers and counts use the locale's digits as Intl gives them; the board's add form and
the vote choices are reachable with Tab and show a visible focus outline; new contributions and
vote confirmations are announced in a polite live region.

Screenshots of each page in Arabic and English go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import uuid

import pytest
import requests

from support import ARTIFACTS, Client, ServerProcess, key_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGS = ["en", "ar", "fr", "es"]  # English first: the other languages are compared with it
WAIT = 20_000
SESSION = "s2-groups"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
CONTRIBUTIONS = [
    ("africa", "s2-q1", "قانون موحد لحماية العمال المهاجرين في منطقة الإيكواس مع صندوق إقليمي للعودة", "ar", "majority"),
    ("africa", "s2-q1", "Regional free movement protocols as a model for labour mobility.", "en", "consensus"),
    ("africa", "s2-q2", "إنشاء مرصد إقليمي للهجرة لتبادل البيانات", "ar", "divergent"),
    ("americas", "s2-q1", "Free movement protocols in the region help labour mobility.", "en", "consensus"),
    ("mena", "s2-q1", "Un guichet unique pour les migrants de retour : emploi, logement et soutien.", "fr", "consensus"),
    ("europe-central-asia", "s2-q1", "Mobility partnerships that pair legal pathways for work with skills training.", "en", "majority"),
]
# a translation of a contribution into each language (issue 12)
TRANSLATED = {
    "ar": "بروتوكولات إقليمية لحرية التنقل نموذجًا لتنقل اليد العاملة.",
    "en": "A unified law protecting migrant workers in the ECOWAS region, with a regional return fund.",
    "fr": "Des protocoles régionaux de libre circulation comme modèle de mobilité de la main-d'œuvre.",
    "es": "Protocolos regionales de libre circulación como modelo de movilidad laboral.",
}
# Latin words that may appear on an Arabic page: names, codes, keys.
LATIN_OK = {"Facilitator", "English", "Français", "Español", "Ctrl", "Enter", "Tab", "GRCP", "GRCP7", "IOM",
            "Word", "docx", "html", "Markdown", "csv", "json", "Amina", "Lucía", "Luc"}
# client strings that are rightly the same in English and another language
SAME_OK = re.compile(r"^(\W*|Facilitator|\{\w+\}.*|.*\bQR\b.*)$")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One server, one meeting with contributions in three languages, a timer and an open ballot."""
    server = ServerProcess(str(tmp_path_factory.mktemp("a11y"))).start()
    clients = []
    try:
        created = server.create_meeting()
        mid = created["meeting_id"]
        chair = Client(server.url, mid, key_of(created["chair_url"]))
        clients.append(chair)
        assert chair.op("session.set", session_id=SESSION)["ok"]
        rapporteurs = {}
        added = []  # (group, lang, contribution id)
        for group, question, text, lang, agreement in CONTRIBUTIONS:
            if group not in rapporteurs:
                url = next(g["rapporteur_url"] for g in created["groups"] if g["id"] == group)
                rapporteurs[group] = Client(server.url, mid, key_of(url), name={"africa": "أمينة", "americas": "Lucía"}.get(group, "Amina"))
                clients.append(rapporteurs[group])
            cid = uuid.uuid4().hex[:20]
            ack = rapporteurs[group].op("contribution.add", id=cid, question_id=question,
                                        text=text, kind="good_practice", agreement=agreement, lang=lang)
            assert ack["ok"], ack
            added.append((group, lang, cid))
        # issue 12: translations in every language (one made stale by an edit) and sign-offs (one
        # stale), so that every page is checked with its translated texts and originals
        translator = Client(server.url, mid, key_of(created["translator_url"]))
        clients.append(translator)
        for group, lang, cid in added[:2]:
            for target in LANGS:
                if target != lang:
                    assert translator.op("translation.set", contribution_id=cid, lang=target,
                                         text=TRANSLATED[target], original_version=1)["ok"]
        for group in ("africa", "americas"):
            assert rapporteurs[group].op("answers.sign_off", question_id="s2-q1")["ok"]
        assert rapporteurs["africa"].op("contribution.edit", contribution_id=added[0][2], version=1,
                                        text=CONTRIBUTIONS[0][2] + " والتدريب")["ok"]
        state = requests.get(f"{server.url}/api/m/{mid}/state", params={"key": key_of(created["chair_url"])},
                             timeout=10).json()
        ids = [c["id"] for c in state["contributions"] if c["question_id"] == "s2-q1"][:3]
        assert chair.op("timer.start", seconds=25 * 60)["ok"]
        assert chair.op("ballot.open", contribution_ids=ids, mode="yes_no")["ok"]
        created.update(server=server, url=server.url, chair=chair, rapporteurs=rapporteurs,
                       chair_key=key_of(created["chair_url"]))
        yield created
    finally:
        for client in clients:
            client.close()
        server.stop()


def participant_url(site, lang, region="africa"):
    response = requests.post(f"{site['url']}/api/m/{site['meeting_id']}/participants",
                             json={"code": site["join_code"], "region": region, "lang": lang}, timeout=10)
    assert response.status_code == 200, response.text
    return f"{site['url']}/m/{site['meeting_id']}/vote?key={response.json()['key']}"


def with_lang(url, lang, extra=""):
    return url + ("&" if "?" in url else "?") + "lang=" + lang + extra


def synthesis_url(site):
    """The synthesis desk: the curator's link (issue 18), or the chair's key on that page."""
    return site.get("curator_url") or site["chair_url"].replace("/chair?", "/synthesis?")


def pages_of(site, lang):
    """(name, url, status, viewports, ready selector) for every page."""
    mid, url = site["meeting_id"], site["url"]
    board = next(g["rapporteur_url"] for g in site["groups"] if g["id"] == "africa")
    return [
        ("index", with_lang(url + "/", lang), 200, [PHONE], None),
        ("join", with_lang(url + "/join", lang), 200, [PHONE], "#join-form"),
        ("board", with_lang(board, lang), 200, [LAPTOP, PHONE], "#board[aria-busy=false]"),
        ("chair", with_lang(site["chair_url"], lang), 200, [LAPTOP], "#app[aria-busy=false]"),
        ("plenary", with_lang(site["plenary_url"], lang, "&rotate=0"), 200, [PROJECTOR], "#app[aria-busy=false]"),
        ("vote", with_lang(participant_url(site, lang), lang), 200, [PHONE], ".ballot--open li.practice"),
        ("translate", with_lang(site["translator_url"], lang), 200, [LAPTOP, PROJECTOR], "#desk[aria-busy=false]"),
        ("synthesis", with_lang(synthesis_url(site), lang), 200, [LAPTOP, PHONE], "#sd[aria-busy=false] .cq:not([data-state=loading])"),
        ("error-403", with_lang(f"{url}/m/{mid}/chair?key=not-a-key", lang), 403, [PHONE], None),
        ("error-404", with_lang(url + "/no/such/page", lang), 404, [PHONE], None),
        ("report", f"{url}/api/m/{mid}/report.html?key={site['chair_key']}&lang={lang}", 200, [LAPTOP], None),
    ]


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"a11y-{name}.png"), full_page=True)


def overflow(page):
    return page.evaluate("""() => {
      const d = document.documentElement;
      return {x: d.scrollWidth - d.clientWidth, y: d.scrollHeight - innerHeight};
    }""")


def axe(page, base_url):
    page.add_script_tag(url=base_url + "/vendor/axe-core/axe.min.js")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] if isinstance(n["target"][0], str)
                                                                 else str(n["target"]) for n in v["nodes"][:4])
        for v in results["violations"] if v["impact"] in ("serious", "critical")
    ]


LATIN_LEAKS = """(ok) => {
  const found = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const pageLang = document.documentElement.lang;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    // user text is shown with dir="auto" (and its lang when known); codes and URLs with dir="ltr"
    if (!el || el.closest("script, style, noscript, [hidden], [dir=ltr], [dir=auto]")) continue;
    const owner = el.closest("[lang]");
    if (owner && owner.lang !== pageLang) continue;  // user text and language names carry their lang
    for (const word of node.textContent.match(/[A-Za-z]{3,}\\w*/g) || []) {
      if (!ok.includes(word)) found.add(word);
    }
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], img[alt]")) {
    if (el.closest("[hidden]")) continue;
    const owner = el.closest("[lang]");
    if (owner && owner.lang !== pageLang) continue;
    for (const attr of ["aria-label", "title", "placeholder", "alt"]) {
      for (const word of (el.getAttribute(attr) || "").match(/[A-Za-z]{3,}\\w*/g) || []) {
        if (!ok.includes(word)) found.add(`${attr}:${word}`);
      }
    }
  }
  return [...found];
}"""

ENGLISH = {}  # page name -> its English client strings


@pytest.mark.parametrize("lang", LANGS)
def test_every_page(browser, site, expect, lang):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    problems = []
    for name, url, status, viewports, ready in pages_of(site, lang):
        page.set_viewport_size(viewports[0])
        response = page.goto(url)
        assert response.status == status, (name, lang, response.status)
        if ready:
            page.wait_for_selector(ready, timeout=WAIT)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        if name == "plenary":
            # the meeting has an open ballot: the room sees it, and how many have voted (issue 19)
            expect(page.locator(".pl-vote-open__count")).to_be_visible()
        if name == "vote":
            expect(page.locator("#vote-who")).to_contain_text(
                {"ar": "أفريقيا", "en": "Africa", "fr": "Afrique", "es": "África"}[lang])
        page.evaluate("document.fonts.ready")

        # the client strings come from the catalog, translated
        boot = page.evaluate("() => { const b = document.getElementById('boot'); return b ? JSON.parse(b.textContent) : null; }")
        if boot:
            strings = boot.get("i18n", {})
            if lang == "en":
                ENGLISH[name] = strings
            elif name in ENGLISH:
                same = [k for k, v in strings.items() if v == ENGLISH[name].get(k) and not SAME_OK.match(v)]
                if len(same) > max(3, len(strings) // 10):
                    problems.append(f"{name}/{lang}: client strings left in English: {same[:10]}")
        if lang == "ar":
            leaks = page.evaluate(LATIN_LEAKS, sorted(LATIN_OK))
            if leaks:
                problems.append(f"{name}/ar: Latin words on the Arabic page: {leaks}")
        if lang != "en":
            assert page.title() != "", name

        for i, viewport in enumerate(viewports):
            if i:
                page.set_viewport_size(viewport)
                page.wait_for_timeout(150)
            over = overflow(page)
            if over["x"] > 0:
                problems.append(f"{name}/{lang}: horizontal overflow of {over['x']}px at {viewport['width']}px")
            if name == "plenary" and over["y"] > 0:
                problems.append(f"{name}/{lang}: vertical overflow of {over['y']}px at 1920×1080")
            if lang in ("ar", "en"):
                shot(page, f"{name}-{lang}-{viewport['width']}")
        page.set_viewport_size(viewports[0])
        violations = axe(page, site["url"])
        if violations:
            problems.append(f"{name}/{lang}: axe: {violations}")
    assert not errors, errors
    context.close()
    assert not problems, "\n".join(problems)


def intl_digits(page, lang):
    return page.evaluate("(lang) => [...Array(10).keys()].map((d) => new Intl.NumberFormat(lang).format(d)).join('')", lang)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_timers_and_counts_use_the_locale_digits(browser, site, expect, lang):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    board = next(g["rapporteur_url"] for g in site["groups"] if g["id"] == "africa")
    page.goto(with_lang(board, lang))
    page.wait_for_selector("#board[aria-busy=false]", timeout=WAIT)
    digits = intl_digits(page, lang)
    assert len(digits) == 10
    pattern = re.compile(f"^[{digits}]{{2}}:[{digits}]{{2}}$")
    expect(page.locator("#board-timer-value")).to_have_text(pattern)
    number = page.locator("article.question .question__number").first
    expect(number).to_contain_text(digits[1])

    page.goto(with_lang(site["chair_url"], lang))
    page.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)
    expect(page.locator("#ch-timer")).to_have_text(pattern)

    page.set_viewport_size(PROJECTOR)
    page.goto(with_lang(site["plenary_url"], lang, "&rotate=0"))
    page.wait_for_selector("#app[aria-busy=false]", timeout=WAIT)
    expect(page.locator("#pl-timer-value")).to_have_text(pattern)
    # the meeting's open ballot holds the screen (issue 19): its count of voters is a number too
    count = page.locator(".pl-vote-open__n")
    expect(count).to_have_text(re.compile(f"^[{digits}]+$"))
    if lang == "ar":
        other = "0123456789" if digits != "0123456789" else "٠١٢٣٤٥٦٧٨٩"
        text = page.locator("#pl-timer-value").text_content() + count.text_content()
        assert not set(text) & set(other), (text, digits)
    context.close()


def focus_visible(locator):
    return locator.evaluate("""(el) => {
      const s = getComputedStyle(el);
      return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== "none");
    }""")


def tab_to(page, locator, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("(el) => el === document.activeElement"):
            return True
    return False


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_board_by_keyboard_announces_new_contributions(browser, site, expect, lang):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    board = next(g["rapporteur_url"] for g in site["groups"] if g["id"] == "africa")
    page.goto(with_lang(board, lang))
    page.wait_for_selector("#board[aria-busy=false]", timeout=WAIT)
    question = page.locator("article.question").first
    controls = [question.locator("textarea").first, question.locator("select[id$=-kind]"),
                question.locator("select[id$=-agreement]"), question.locator("form button[type=submit]").first]
    page.locator("body").click(position={"x": 5, "y": 5})
    for control in controls:
        assert tab_to(page, control), f"Tab does not reach {control}"
        assert focus_visible(control), f"no visible focus on {control}"
    # type and add with the keyboard only
    assert tab_to(page, controls[0])
    text = f"Keyboard only contribution {uuid.uuid4().hex[:6]}"
    page.keyboard.type(text)
    page.keyboard.press("Control+Enter")
    expect(question.locator("p.item__text", has_text=text)).to_have_count(1)

    # another rapporteur adds: the polite live region says so
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    other = f"Contribution from the other laptop {uuid.uuid4().hex[:6]}"
    ack = site["rapporteurs"]["africa"].op("contribution.add", id=uuid.uuid4().hex[:20], question_id="s2-q1",
                                             text=other, kind="recommendation", agreement="consensus", lang="en")
    assert ack["ok"], ack
    expect(announcer).to_contain_text(other)
    context.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_vote_by_keyboard_announces_the_confirmation(browser, site, expect, lang):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(with_lang(participant_url(site, lang, region="mena"), lang))
    practices = page.locator(".ballot--open li.practice")
    expect(practices).to_have_count(3)
    first = practices.nth(0).locator("input[type=radio]").first
    page.locator("body").click(position={"x": 5, "y": 5})
    assert tab_to(page, first), "Tab does not reach the vote choices"
    box = practices.nth(0).locator("input[type=radio]:focus + .choice__box")
    expect(box).to_have_count(1)
    assert focus_visible(box), "no visible focus on the vote choice"
    page.keyboard.press("Space")
    expect(practices.nth(0).locator(".practice__status")).to_have_attribute("data-state", "recorded")
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).not_to_be_empty()
    # the next practice: Tab moves to its "show the original" when it is a translation (issue
    # 12), then to its group, an arrow key picks another choice
    page.keyboard.press("Tab")
    if practices.nth(1).locator("details.tr-original").count():
        expect(practices.nth(1).locator("details.tr-original summary")).to_be_focused()
        page.keyboard.press("Tab")
    expect(practices.nth(1).locator("input[type=radio]").first).to_be_focused()
    page.keyboard.press("Space")
    expect(practices.nth(1).locator(".practice__status")).to_have_attribute("data-state", "recorded")
    context.close()
