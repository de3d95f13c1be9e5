"""The synthesis desk (issue 18) in headless Chromium, against a real server process.

- the keyboard flow: "same proposal" (1), "different" (2), "skip" (3, Space), undo (Ctrl+Z), each
  answer in the log at once (read back from the state), the next pair after its ack; the keys by
  their place, as an Arabic layout sends them; not while typing;
- a point made by hand (tick boxes, "Make one point"), a contribution added to it, a member moved
  to another point, one moved out (which asks first), and a decision undone and redone from the
  history;
- the chair's console: the same queue in a panel, and the same undo;
- "same proposal, and the first note carries another too" (4): `cluster.include`; a note in two
  points listed in both, and taken out of its second one only;
- Arabic right-to-left and English at 360 px and 1366 px: no horizontal overflow, every control
  labelled, axe-core clean; screenshots in tests/artifacts/ (the four languages are in
  test_accessibility.py).
"""

from __future__ import annotations

import os
import uuid

import pytest
import requests

from support import ARTIFACTS, assert_page_sound, cancel_what_is_asked, key_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSION = "s2-groups"
Q = "s2-q1"
WAIT = 20_000
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}
# Two proposals raised by several groups, in several languages, and one raised once.
TEXTS = {
    "obs-africa": ("africa", "en", "A regional data observatory on migration, shared by the member states."),
    "obs-americas": ("americas", "es", "Crear un observatorio regional de datos migratorios compartido por los Estados miembros."),
    "obs-mena": ("mena", "ar", "إنشاء مرصد إقليمي لبيانات الهجرة تتبادل فيه الدول الأعضاء المعلومات."),
    "pen-africa": ("africa", "en", "Portable pensions between countries of origin and destination."),
    "pen-americas": ("americas", "en", "Pension rights that follow migrant workers across borders."),
    "pen-mena": ("mena", "fr", "Des droits à pension transférables entre pays d'origine et de destination."),
    "one-europe": ("europe-central-asia", "en", "Local integration councils with migrant representatives."),
}


@pytest.fixture
def meeting(live_server, connect):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    chair = connect(live_server.url, mid, key_of(links["chair_url"]))
    assert chair.op("session.set", session_id=SESSION)["ok"]
    suffix = uuid.uuid4().hex[:6]
    ids = {}
    rapporteurs = {}
    for name, (group, lang, text) in TEXTS.items():
        if group not in rapporteurs:
            url = next(g["rapporteur_url"] for g in links["groups"] if g["id"] == group)
            rapporteurs[group] = connect(live_server.url, mid, key_of(url))
        cid = f"{name}-{suffix}"
        ack = rapporteurs[group].op("contribution.add", id=cid, question_id=Q, text=text, kind="recommendation",
                                    agreement="consensus", lang=lang)
        assert ack["ok"], ack
        ids[name] = cid
    links.update(chair=chair, ids=ids, mid=mid, chair_key=key_of(links["chair_url"]),
                 desk_url=links.get("curator_url") or links["chair_url"].replace("/chair?", "/synthesis?"))
    return links


def curation(server, meeting):
    state = requests.get(f"{server.url}/api/m/{meeting['mid']}/state", params={"key": meeting["chair_key"]},
                         timeout=10).json()
    return state["curation"]


def point_with(cur, *cids):
    """The point that holds all of these contributions, or None."""
    for point in cur.get("points", {}).values():
        if all(cid in point["members"] for cid in cids):
            return point
    return None


def open_desk(browser, meeting, lang="en", viewport=LAPTOP):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(meeting["desk_url"] + "&lang=" + lang)
    page.wait_for_selector("#sd[aria-busy=false] .cq[data-state=ready]", timeout=WAIT)
    return page


def shown_pair(page, expect, queue="#sd-queue"):
    """The pair on screen (sorted ids), once there is one to answer (not the one being sent)."""
    expect(page.locator(queue)).to_have_attribute("data-state", "ready")
    expect(page.locator(f"{queue} .cq-card")).to_have_count(2)
    return page.locator(queue).get_attribute("data-pair").split("|")


def shot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"), full_page=True)


def wait_for(predicate, what, page):
    """Poll the server until the predicate holds (the page's op went through its outbox)."""
    for _ in range(100):
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def test_keyboard_flow_same_different_skip_undo(browser, live_server, meeting, expect):
    page = open_desk(browser, meeting)
    expect(page.locator("#sdq-keys")).to_contain_text("Ctrl+Z")
    # the question picker starts on the current session's first question
    expect(page.locator("#sdq-question")).to_have_value(Q)
    page.locator("body").click(position={"x": 5, "y": 5})

    first = shown_pair(page, expect)
    page.keyboard.press("1")  # same proposal
    point = wait_for(lambda: point_with(curation(live_server, meeting), *first), "the confirmed pair", page)
    assert point["id"].startswith("p-")
    expect(page.locator("#sd-queue")).not_to_have_attribute("data-pair", "|".join(first))

    second = shown_pair(page, expect)
    page.keyboard.press("KeyN")  # different, by its place on the keyboard
    wait_for(lambda: any(set(second) <= set(s) for s in curation(live_server, meeting)["rejected_sets"]),
             "the rejected pair", page)

    third = shown_pair(page, expect)
    before = len(curation(live_server, meeting)["history"])
    page.keyboard.press("Space")  # skip: nothing is sent
    expect(page.locator("#sd-queue")).not_to_have_attribute("data-pair", "|".join(third))
    assert len(curation(live_server, meeting)["history"]) == before
    expect(page.locator("#announcer")).to_have_text("Skipped.")

    # Ctrl+Z undoes the last decision (the "different"): it is marked undone in the history
    page.keyboard.press("Control+z")
    wait_for(lambda: any(e["undone"] for e in curation(live_server, meeting)["history"]
                         if e["type"] == "cluster.rejected"), "the undone rejection", page)
    item = page.locator(".hist__item[data-type='cluster.rejected']").first
    expect(item).to_have_class("hist__item hist__item--undone")
    expect(item.locator("button[data-action=redo]")).to_be_visible()
    # the confirmation still stands, and shows among the points people made
    assert point_with(curation(live_server, meeting), *first)
    expect(page.locator(f".sd-point--made[data-point='{point['id']}']")).to_be_visible()
    shot(page, "synthesis-desk-keyboard-en-1366")
    assert not page.errors, page.errors
    page.context.close()


def press_on_arabic_layout(page, code, key):
    """A key as an Arabic keyboard sends it: the letter is Arabic, the key's place (code) is not."""
    page.evaluate("([code, key]) => document.body.dispatchEvent(new KeyboardEvent('keydown', "
                  "{code, key, bubbles: true, cancelable: true}))", [code, key])


def test_keys_work_on_an_arabic_keyboard_layout(browser, live_server, meeting, expect):
    page = open_desk(browser, meeting, "ar")
    first = shown_pair(page, expect)
    press_on_arabic_layout(page, "KeyY", "غ")  # Y's place: same proposal
    wait_for(lambda: point_with(curation(live_server, meeting), *first), "the confirmed pair", page)
    expect(page.locator("#sd-queue")).not_to_have_attribute("data-pair", "|".join(first))
    second = shown_pair(page, expect)
    press_on_arabic_layout(page, "KeyN", "ى")  # N's place: different
    wait_for(lambda: any(set(second) <= set(s) for s in curation(live_server, meeting)["rejected_sets"]),
             "the rejected pair", page)
    # typing in a text box is typing, not answering
    expect(page.locator("#sd-queue")).not_to_have_attribute("data-pair", "|".join(second))
    third = shown_pair(page, expect)
    page.locator("#sd-points-list .sd-point__more summary").first.click()  # the title's box
    title = page.locator("#sd-points-list .sd-point__more input[type=text]").first
    title.focus()
    expect(title).to_be_focused()
    page.keyboard.press("1")
    page.wait_for_timeout(300)
    expect(page.locator("#sd-queue")).to_have_attribute("data-pair", "|".join(third))
    assert not page.errors, page.errors
    page.context.close()


def tick(page, cid):
    box = page.locator(f"#sd-pick-{cid}")
    box.focus()
    page.keyboard.press("Space")  # a focused row's box, by keyboard
    return box


def test_point_by_hand_move_and_undo_from_the_history(browser, live_server, meeting, expect):
    ids = meeting["ids"]
    page = open_desk(browser, meeting)
    # free grouping: the observatories of two groups, and (by mistake) one pension proposal
    for name in ("obs-africa", "obs-americas", "pen-mena"):
        expect(tick(page, ids[name])).to_be_checked()
    expect(page.locator("#sd-selection-text")).to_have_text("Chosen: 3")
    page.locator("#sd-make-point").click()
    first = wait_for(lambda: point_with(curation(live_server, meeting), ids["obs-africa"], ids["obs-americas"], ids["pen-mena"]),
                     "the point made by hand", page)
    # a second point, then the third observatory joins the first
    for name in ("pen-africa", "pen-americas"):
        tick(page, ids[name])
    page.locator("#sd-make-point").click()
    second = wait_for(lambda: point_with(curation(live_server, meeting), ids["pen-africa"], ids["pen-americas"]),
                      "the second point", page)
    tick(page, ids["obs-mena"])
    page.locator(f"#sd-add-{first['id']}").click()
    wait_for(lambda: ids["obs-mena"] in curation(live_server, meeting)["points"][first["id"]]["members"],
             "the third observatory in the first point", page)

    # the pension proposal moves to the pensions' point
    row = page.locator(f".sd-point[data-point='{first['id']}'] .sd-row[data-contribution='{ids['pen-mena']}']")
    row.locator("select").select_option(second["id"])
    row.locator("button[data-action=move]").click()
    wait_for(lambda: ids["pen-mena"] in curation(live_server, meeting)["points"][second["id"]]["members"],
             "the move", page)
    expect(page.locator(f".sd-point[data-point='{second['id']}'] .sd-row")).to_have_count(3)

    # moving one out asks first, and says what it will do; cancelled, nothing happens
    row = page.locator(f".sd-point[data-point='{first['id']}'] .sd-row[data-contribution='{ids['obs-mena']}']")
    row.locator("select").select_option("")
    row.locator("button[data-action=move]").click()
    cancel_what_is_asked(page, expect, "will leave the point", "synthesis-desk-ask-en-1366")
    assert ids["obs-mena"] in curation(live_server, meeting)["points"][first["id"]]["members"]

    # a title, then undo of the move from the history, then redo
    page.locator(f".sd-point[data-point='{first['id']}'] .sd-point__more summary").click()
    page.locator(f"#sd-title-{first['id']}").fill("A regional migration data observatory")
    page.locator(f"#sd-title-{first['id']}-save").click()
    expect(page.locator(f"#sd-pt-{first['id']}")).to_contain_text("A regional migration data observatory")
    moved = page.locator(".hist__item[data-type='cluster.moved']").first
    moved.locator("button[data-action=undo]").click()
    wait_for(lambda: ids["pen-mena"] in curation(live_server, meeting)["points"][first["id"]]["members"],
             "the move undone", page)
    expect(page.locator(f".sd-point[data-point='{first['id']}'] .sd-row[data-contribution='{ids['pen-mena']}']")).to_have_count(1)
    page.locator(".hist__item[data-type='cluster.moved']").first.locator("button[data-action=redo]").click()
    wait_for(lambda: ids["pen-mena"] in curation(live_server, meeting)["points"][second["id"]]["members"],
             "the move redone", page)
    assert not page.errors, page.errors
    page.context.close()


def test_the_chair_has_the_same_queue_and_undo(browser, live_server, meeting, expect):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(meeting["chair_url"] + "&lang=en")
    page.wait_for_selector("#app[aria-busy=false] #ch-queue[data-state=ready]", timeout=WAIT)
    pair = shown_pair(page, expect, "#ch-queue")
    # the keys answer only while the focus is in the panel: the console has other things to type
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("1")
    page.wait_for_timeout(300)
    assert not point_with(curation(live_server, meeting), *pair)
    page.locator("#ch-queue button[data-action=same]").focus()
    page.keyboard.press("1")
    wait_for(lambda: point_with(curation(live_server, meeting), *pair), "the chair's confirmation", page)
    undo = page.locator("#ch-history .hist__item[data-type='cluster.confirmed'] button[data-action=undo]").first
    expect(undo).to_be_visible()
    page.locator("#ch-curation").screenshot(path=os.path.join(ARTIFACTS, "chair-queue-en-1366.png"))
    undo.click()
    wait_for(lambda: not point_with(curation(live_server, meeting), *pair), "the chair's undo", page)
    assert not page.errors, page.errors
    context.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360", "1366"])
def test_desk_layout(browser, live_server, meeting, expect, lang, viewport):
    ids = meeting["ids"]
    chair = meeting["chair"]
    assert chair.op("cluster.confirm", contribution_ids=[ids["pen-africa"], ids["pen-americas"]])["ok"]
    page = open_desk(browser, meeting, lang, viewport)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    shown_pair(page, expect)
    tick(page, ids["obs-africa"])
    page.evaluate("document.fonts.ready")
    shot(page, f"synthesis-desk-{lang}-{viewport['width']}")
    assert_page_sound(page, live_server.url)
    page.context.close()


def test_key_4_puts_the_first_note_in_the_seconds_point_too_and_a_row_leaves_that_point_only(
        browser, live_server, meeting, expect):
    ids = meeting["ids"]
    chair = meeting["chair"]
    assert chair.op("cluster.confirm", point_id="p-observatory", contribution_ids=[ids["obs-africa"], ids["obs-mena"]])["ok"]
    assert chair.op("cluster.confirm", point_id="p-pensions", contribution_ids=[ids["pen-americas"], ids["pen-mena"]])["ok"]
    page = open_desk(browser, meeting)
    expect(page.locator("#sdq-keys")).to_contain_text("4 same, the first note carries another too")
    expect(page.locator("#sd-queue button[data-action=include]")).to_contain_text("the first note also carries another")
    page.locator("body").click(position={"x": 5, "y": 5})
    shown_pair(page, expect)
    a = page.locator("#sd-queue .cq-card--a").get_attribute("data-contribution")
    b = page.locator("#sd-queue .cq-card--b").get_attribute("data-contribution")
    before = curation(live_server, meeting)
    kept = before["point_of"].get(a)
    page.keyboard.press("4")
    cur = wait_for(lambda: (lambda c: c if point_with(c, a, b) else None)(curation(live_server, meeting)),
                   "the include", page)
    assert [e["type"] for e in cur["history"]][-1] == "cluster.included"
    if kept is not None:  # a keeps the point it was in, and is in b's too
        assert cur["point_of"][a] == kept and cur["also_of"][a] == [point_with(cur, a, b)["id"]]
    expect(page.locator("#announcer")).to_contain_text("Recorded: same proposal")

    # the observatory's note is also in the pensions point: both cards list it, the second with
    # a button that takes it out of that point only
    assert chair.op("cluster.include", contribution_ids=[ids["obs-africa"], ids["pen-americas"]])["ok"]
    row = page.locator(f".sd-point[data-point='p-pensions'] .sd-row[data-contribution='{ids['obs-africa']}']")
    expect(row).to_have_count(1)
    expect(page.locator(f".sd-point[data-point='p-observatory'] .sd-row[data-contribution='{ids['obs-africa']}']")).to_have_count(1)
    expect(row).to_contain_text("Also in another point")
    row.locator("button[data-action=out-of-point]").click()
    wait_for(lambda: ids["obs-africa"] not in curation(live_server, meeting)["points"]["p-pensions"]["members"],
             "the membership ended", page)
    cur = curation(live_server, meeting)
    assert cur["point_of"][ids["obs-africa"]] == "p-observatory"
    expect(row).to_have_count(0)
    assert_page_sound(page, live_server.url)
    assert not page.errors, page.errors
    page.context.close()
