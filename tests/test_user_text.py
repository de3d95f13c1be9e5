"""Invisible and spoofing text (issue 10, point 8).

- contributions, titles and names made only of invisible or format characters are refused;
- bidi embeddings, overrides and isolates are shown as markers ("[RLO]"), never obeyed, on the
  pages as in the exports; the log keeps what was typed;
- names lose control characters;
- a CSV cell that starts with invisible characters and then "=", "+", "-" or "@" is prefixed.

The rules are tested in process; then through a real server, its sockets and Chromium.
"""

from __future__ import annotations

import csv
import io
import uuid

import pytest
import requests

from support import key_of, meeting_in_session
from facilitator.meeting.agenda import AgendaError, validate_agenda
from facilitator.meeting.errors import OpError
from facilitator.meeting.ops import clean_text
from facilitator.meeting.report import safe_text
from facilitator.meeting.usertext import clean_name, has_visible
from facilitator.meeting.report_csv import csv_cell

# Each draws nothing: spaces, zero-width and format characters, a lone mark, fillers, tags.
INVISIBLE = [
    "\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\u00a0\u2003\u3000", "\u00ad", "\u034f\u0301",
    "\u3164\u115f\uffa0", "\u2800", "\u202e\u2066\u2069", "\U000e0041\U000e007f", "\u061c\u200f",
    "\ufe0f",
]
RLO = "Safe corridors \u202egnp.exe\u202c for workers"
RLO_SHOWN = "Safe corridors [RLO]gnp.exe[PDF] for workers"


# ----- the rules, in process ---------------------------------------------------------------------


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_only_text_is_refused(text):
    assert not has_visible(text)
    with pytest.raises(OpError) as refused:
        clean_text(" " + text + "\n")
    assert refused.value.code == "invalid"
    assert clean_name(text, 60) is None


def test_visible_text_with_invisible_characters_is_kept():
    for text in ("a\u200b", "\u200bمرحبا", "ش\u0651", "\u202eabc", "x\ufe0f", "😀"):
        assert has_visible(text)
        assert clean_text(text) == text  # what was typed stays in the log


def test_names_lose_control_characters():
    assert clean_name("Ana\x07\x1b[31m Maria\x00", 60) == "Ana [31m Maria"
    assert clean_name("Ana\nMaria\tLópez\u2028x", 60) == "Ana Maria López x"
    assert clean_name("\u202eanA \u2066\u0645\u0631\u064a\u0645\u2069", 60) == "anA \u0645\u0631\u064a\u0645"
    assert clean_name("\x00\x01\x7f\x85", 60) is None
    assert clean_name("n" * 500, 60) == "n" * 60
    assert clean_name(42, 60) is None


def test_agenda_titles_need_a_visible_character():
    agenda = {"title": "Mini", "groups": [{"id": "north", "name": "North"}],
              "sessions": [{"id": "s1", "title": "One", "questions": [{"id": "q1", "text": "Why"}]}]}
    assert validate_agenda(agenda)["title"] == {"en": "Mini"}
    for field, broken in (("title", {"title": "\u200b\u200b"}),
                          ("groups[0].name", {"groups": [{"id": "north", "name": "\u3164"}]})):
        with pytest.raises(AgendaError) as refused:
            validate_agenda(dict(agenda, **broken))
        assert str(refused.value) == f"{field}: text has no visible character"


def test_csv_cells_that_hide_a_formula_behind_invisible_characters_are_prefixed():
    for hidden in ("\u200b=1+1", "\ufeff\u200b+cmd", "\u00a0-2", "\u2060@SUM(A1)", "\u200d＝1"):
        assert csv_cell(safe_text(hidden)).startswith("'"), repr(hidden)
        assert csv_cell(hidden) == "'" + hidden
    assert csv_cell(safe_text("\u202e=1")) == "[RLO]=1"  # the marker is visible: no formula
    for fine in ("a\u200b=1", "\u200bok=1", "مرحبا=1"):
        assert csv_cell(fine) == fine


# ----- through the real server -------------------------------------------------------------------


def group_key(links, gid):
    return key_of(next(g for g in links["groups"] if g["id"] == gid)["rapporteur_url"])


@pytest.fixture
def meeting(live_server, connect):
    links, mid, chair = meeting_in_session(live_server, connect)
    return {"server": live_server, "links": links, "mid": mid, "chair": chair}


def add(client, text, **fields):
    return client.op("contribution.add", question_id="s2-q1", text=text, kind="good_practice",
                     agreement="consensus", lang="en", **fields)


def test_the_server_refuses_invisible_text_and_cleans_names(meeting, connect):
    url, mid, chair = meeting["server"].url, meeting["mid"], meeting["chair"]
    name = "Ana\x07\x1b[31m\u202e Maria\x00"
    rapporteur = connect(url, mid, group_key(meeting["links"], "africa"), name=name)
    joined = chair.wait_for(lambda e: e.get("type") == "presence" and e["clients"])
    assert [c["name"] for c in joined["clients"]] == ["Ana [31m Maria"]

    for text in INVISIBLE:
        ack = add(rapporteur, text)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", (repr(text), ack)
        assert "visible" in ack["error"]["message"] or "empty" in ack["error"]["message"]
    ack = add(rapporteur, "Labour mobility schemes", id="visible-0001")
    assert ack["ok"], ack
    added = rapporteur.wait_for(lambda e: e.get("type") == "contribution.added")
    assert added["contribution"]["author"]["name"] == "Ana [31m Maria"
    ack = rapporteur.op("contribution.edit", contribution_id="visible-0001", version=1, text="\u200b\u2060")
    assert ack["error"]["code"] == "invalid", ack
    ack = chair.op("cluster.title", cluster_id="c-visible-0001", title="\u3164\u200b")
    assert ack["error"]["code"] == "invalid", ack
    ack = chair.op("ballot.open", contribution_ids=["visible-0001"], prompt="\u2800")
    assert ack["error"]["code"] == "invalid", ack

    # A name with nothing visible left is no name at all.
    ghost = connect(url, mid, group_key(meeting["links"], "americas"), name="\u200b\x07\u202e")
    seen = chair.wait_for(lambda e: e.get("type") == "presence" and e["group_id"] == "americas" and e["clients"])
    assert [c["name"] for c in seen["clients"]] == [""]
    ghost.close()

    state = requests.get(f"{url}/api/m/{mid}/state", params={"key": key_of(meeting["links"]["chair_url"])}).json()
    assert [c["text"] for c in state["contributions"]] == ["Labour mobility schemes"]


def test_a_formula_behind_a_zero_width_space_is_inert_in_the_csv(meeting, connect):
    url, mid = meeting["server"].url, meeting["mid"]
    rapporteur = connect(url, mid, group_key(meeting["links"], "mena"))
    hidden = {"zwsp-formula-1": "\u200b=HYPERLINK(\"http://evil.example\",\"x\")",
              "nbsp-formula-1": "\u00a0\u200d+cmd|' /C calc'!A0",
              "wj-formula-001": "\u2060@SUM(A1:A9)"}
    for cid, text in hidden.items():
        ack = add(rapporteur, text, id=cid)
        assert ack["ok"], ack
    r = requests.get(f"{url}/api/m/{mid}/report.csv", params={"key": key_of(meeting["links"]["chair_url"])})
    assert r.status_code == 200
    rows = {row["contribution_id"]: row for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    for cid, text in hidden.items():
        assert rows[cid]["text"] == "'" + safe_text(text), cid


@pytest.mark.browser
def test_bidi_overrides_are_shown_not_obeyed_on_the_pages(meeting, connect, browser, expect):
    url, mid, links = meeting["server"].url, meeting["mid"], meeting["links"]
    rapporteur = connect(url, mid, group_key(links, "africa"), name="Rapp\u202eorteur\u202c")
    ack = add(rapporteur, RLO, id="rlo-contrib-01")
    assert ack["ok"], ack
    # The log keeps what was typed.
    state = requests.get(f"{url}/api/m/{mid}/state", params={"key": key_of(links["chair_url"])}).json()
    assert state["contributions"][0]["text"] == RLO
    ack = meeting["chair"].op("ballot.open", contribution_ids=["rlo-contrib-01"],
                              prompt="Vote \u2067for\u2069 this \u202dtext")
    assert ack["ok"], ack

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        pages = {}
        for name, link in (("plenary", links["plenary_url"]), ("chair", links["chair_url"]),
                           ("board", next(g for g in links["groups"] if g["id"] == "africa")["rapporteur_url"])):
            page = context.new_page()
            page.goto(link + "&lang=en")
            pages[name] = page
        r = requests.post(f"{url}/api/m/{mid}/participants",
                          json={"code": links["join_code"], "region": None, "lang": "en"})
        assert r.status_code == 200
        vote = context.new_page()
        vote.goto(f"{url}/m/{mid}/vote?key={r.json()['key']}&lang=en")
        pages["vote"] = vote
        for name, page in pages.items():
            expect(page.get_by_text(RLO_SHOWN).first).to_be_visible()
        expect(pages["vote"].get_by_text("Vote [RLI]for[PDI] this [LRO]text")).to_be_visible()
        expect(pages["chair"].get_by_text("Vote [RLI]for[PDI] this [LRO]text")).to_be_visible()
        expect(pages["board"].get_by_text("Rapporteur").first).to_be_visible()  # the name lost its controls
        for name, page in pages.items():
            shown = page.evaluate("() => document.body.innerText")
            for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
                assert ch not in shown, (name, repr(ch))
    finally:
        context.close()
