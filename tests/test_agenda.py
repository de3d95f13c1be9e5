"""Tests for facilitator/meeting/agenda.py and the GRCP7 default agenda."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from facilitator.meeting.agenda import (
    AgendaError,
    load_agenda,
    text_in,
    validate_agenda,
)

ROOT = Path(__file__).resolve().parent.parent
SEED_CANDIDATES = [
    ROOT.parent / "shared" / "seed" / "000_cabd7e7f0c96ac94.txt",
    Path("/work/shared/seed/000_cabd7e7f0c96ac94.txt"),
]
LANGS = {"ar", "en", "fr", "es"}
REGIONAL = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena"]
PARTNERS = ["un", "igo", "ngo", "academia", "private-sector"]


@pytest.fixture(scope="module")
def grcp7():
    return load_agenda("grcp7")


def _session(agenda, sid):
    matches = [s for s in agenda["sessions"] if s["id"] == sid]
    assert len(matches) == 1, f"session {sid} not found exactly once"
    return matches[0]


def _question(agenda, qid):
    for s in agenda["sessions"]:
        for q in s["questions"]:
            if q["id"] == qid:
                return q
    raise AssertionError(f"question {qid} not found")


def _text_maps(agenda):
    """Every text map of a normalised agenda, with its path."""
    yield "title", agenda["title"]
    for i, p in enumerate(agenda["purposes"]):
        yield f"purposes[{i}]", p
    for g in agenda["groups"]:
        yield f"groups.{g['id']}.name", g["name"]
    for r in agenda["regions"]:
        yield f"regions.{r['id']}.name", r["name"]
    for s in agenda["sessions"]:
        yield f"{s['id']}.title", s["title"]
        for i, o in enumerate(s["objectives"]):
            yield f"{s['id']}.objectives[{i}]", o
        for q in s["questions"]:
            yield f"{q['id']}.text", q["text"]
            for p in q["parts"]:
                yield f"{q['id']}.{p['id']}.text", p["text"]


# --------------------------------------------------------------------------- GRCP7


def test_grcp7_basics(grcp7):
    assert grcp7["default_language"] == "ar"
    assert grcp7["languages"] == ["ar", "en", "fr", "es"]
    assert len(grcp7["purposes"]) == 3
    assert [s["id"] for s in grcp7["sessions"]] == [
        "s1", "s2-groups", "s2-plenary", "s3-followup", "s3-partners",
    ]
    counts = {s["id"]: len(s["questions"]) for s in grcp7["sessions"]}
    assert counts == {"s1": 3, "s2-groups": 5, "s2-plenary": 6, "s3-followup": 2, "s3-partners": 4}
    objectives = {s["id"]: len(s["objectives"]) for s in grcp7["sessions"]}
    assert objectives == {"s1": 2, "s2-groups": 6, "s2-plenary": 6, "s3-followup": 2, "s3-partners": 4}
    assert "Global Compact for Safe, Orderly and Regular Migration" in grcp7["purposes"][0]["en"]
    assert "Pacte mondial pour des migrations sûres, ordonnées et régulières" in grcp7["purposes"][0]["fr"]
    assert "Pacto Mundial para la Migración Segura, Ordenada y Regular" in grcp7["purposes"][0]["es"]


def test_grcp7_every_text_has_four_languages(grcp7):
    n = 0
    for path, text in _text_maps(grcp7):
        n += 1
        assert set(text) == LANGS, f"{path} has languages {sorted(text)}"
        for lang, value in text.items():
            assert isinstance(value, str) and value.strip() == value and value, f"{path}.{lang}"
    assert n > 60  # sanity: we really walked the agenda


def test_grcp7_question_ids_unique(grcp7):
    ids = [q["id"] for s in grcp7["sessions"] for q in s["questions"]]
    assert len(ids) == len(set(ids)) == 20


def _seed_text():
    for p in SEED_CANDIDATES:
        if p.is_file():
            return p.read_text(encoding="utf-8").replace("**", "")
    pytest.skip("seed document not available")


def test_grcp7_arabic_matches_seed(grcp7):
    seed = _seed_text()
    expected = {
        "s1-q1": "ما هو الدور الذي يمكن أن تؤديه العمليات العالمية المتعلقة بالهجرة في الاتفاق العالمي من أجل الهجرة الآمنة والمنظمة والنظامية (الاتفاق العالمي)؟",
        "s2-q3": "ما هي الثغرات في إدارة المحررة وأداء الحوكمة التي يتعين إيلاؤها الأولوية للنظر فيها أثناء عملية إعداد الاتفاق العالمي؟",
        "s2p-q4": "ما هي الاستنتاجات المتزامنة/المتكررة ضمن الأفرقة الفرعية؟",
        "s3p-q4": "كيف تم إشراك الشركاء/كيف سيواصل الشركاء عملهم مع العمليات الاستشارية في إعداد الاتفاق العالمي والتفاوض بشأنه وتنفيذه؟",
    }
    for qid, text in expected.items():
        assert text in seed
        assert _question(grcp7, qid)["text"]["ar"] == text
    # Every Arabic question, part and objective is the seed's text, word for word.
    for s in grcp7["sessions"]:
        for o in s["objectives"]:
            assert o["ar"] in seed, o["ar"]
        for q in s["questions"]:
            assert q["text"]["ar"] in seed, q["id"]
            for p in q["parts"]:
                assert p["text"]["ar"] in seed, f"{q['id']}.{p['id']}"
    for p in grcp7["purposes"]:
        assert p["ar"] in seed


def test_grcp7_sub_items_are_parts(grcp7):
    q = _question(grcp7, "s2-q2")
    assert [p["id"] for p in q["parts"]] == ["p1", "p2", "p3"]
    assert q["parts"][0]["text"]["ar"].startswith("المبادئ والالتزامات")
    assert q["parts"][1]["text"]["ar"].startswith("الالتزامات القابلة للتنفيذ")
    assert q["parts"][2]["text"]["ar"].startswith("كل واحدٍ من مواضيع وعناصر الاتفاق العالمي")
    # the sub-items are not separate questions
    s2 = _session(grcp7, "s2-groups")
    assert all(not qq["text"]["ar"].startswith("المبادئ") for qq in s2["questions"])
    others = [qq for s in grcp7["sessions"] for qq in s["questions"] if qq["id"] != "s2-q2"]
    assert all(qq["parts"] == [] for qq in others)


def test_grcp7_groups(grcp7):
    groups = {g["id"]: g for g in grcp7["groups"]}
    assert [g["id"] for g in grcp7["groups"]] == REGIONAL + PARTNERS + ["plenary"]
    assert [r["id"] for r in grcp7["regions"]] == REGIONAL
    assert groups["americas"]["name"]["en"] == "Americas and the Caribbean"
    assert groups["mena"]["name"]["en"] == "Middle East and North Africa"
    assert groups["plenary"]["kind"] == "plenary"
    assert all(groups[g]["kind"] == "breakout" for g in REGIONAL + PARTNERS)
    assert _session(grcp7, "s2-groups")["groups"] == REGIONAL
    assert _session(grcp7, "s3-followup")["groups"] == REGIONAL
    assert _session(grcp7, "s3-partners")["groups"] == PARTNERS


def test_grcp7_plenary_sessions(grcp7):
    for sid in ("s1", "s2-plenary"):
        s = _session(grcp7, sid)
        assert s["plenary"] is True
        assert s["groups"] == ["plenary"]
    for sid in ("s2-groups", "s3-followup", "s3-partners"):
        assert _session(grcp7, sid)["plenary"] is False
    plenary = [g for g in grcp7["groups"] if g["id"] == "plenary"]
    assert plenary == [{
        "id": "plenary",
        "name": {"ar": "الجلسة العامة", "en": "Plenary", "fr": "Plénière", "es": "Plenaria"},
        "kind": "plenary",
    }]


def test_load_by_path_and_json(tmp_path, grcp7):
    yaml_path = ROOT / "facilitator" / "agendas" / "grcp7.yaml"
    assert load_agenda(str(yaml_path)) == grcp7
    raw = {"title": "T", "groups": [{"id": "a", "name": "A"}],
           "sessions": [{"id": "s", "title": "S", "questions": [{"id": "q", "text": "Q?"}]}]}
    p = tmp_path / "mini.json"
    p.write_text(json.dumps(raw), encoding="utf-8")
    agenda = load_agenda(str(p))
    assert agenda["sessions"][0]["groups"] == ["a"]


# --------------------------------------------------------------------------- normalisation


def minimal():
    return {
        "title": "Meeting",
        "languages": ["ar", "en", "fr", "es"],
        "default_language": "en",
        "groups": [
            {"id": "north", "name": "North"},
            {"id": "south", "name": {"en": "South", "fr": "Sud"}},
        ],
        "sessions": [
            {
                "id": "s1",
                "title": "Session one",
                "questions": [
                    {"id": "q1", "text": "What?", "parts": [{"id": "a", "text": "Part a"}]},
                ],
            }
        ],
    }


def test_string_text_becomes_default_language_map():
    agenda = validate_agenda(minimal())
    assert agenda["title"] == {"en": "Meeting"}
    assert agenda["groups"][0] == {"id": "north", "name": {"en": "North"}, "kind": "breakout"}
    assert agenda["groups"][1]["name"] == {"en": "South", "fr": "Sud"}
    q = agenda["sessions"][0]["questions"][0]
    assert q["text"] == {"en": "What?"}
    assert q["parts"] == [{"id": "a", "text": {"en": "Part a"}}]
    raw = minimal()
    raw["default_language"] = "fr"
    assert validate_agenda(raw)["title"] == {"fr": "Meeting"}


def test_defaults():
    agenda = validate_agenda(minimal())
    s = agenda["sessions"][0]
    assert s["plenary"] is False
    assert s["objectives"] == []
    assert s["groups"] == ["north", "south"]  # no groups named: all top-level groups
    assert agenda["purposes"] == []
    assert agenda["regions"] == [
        {"id": "north", "name": {"en": "North"}},
        {"id": "south", "name": {"en": "South", "fr": "Sud"}},
    ]
    assert all(g["id"] != "plenary" for g in agenda["groups"])  # no plenary session
    raw = minimal()
    del raw["languages"], raw["default_language"]
    raw["groups"][1]["name"] = "South"
    agenda = validate_agenda(raw)
    assert agenda["languages"] == ["en"] and agenda["default_language"] == "en"
    raw = minimal()
    del raw["default_language"]
    assert validate_agenda(raw)["default_language"] == "ar"  # first listed language


def test_text_is_stripped():
    raw = minimal()
    raw["title"] = {"en": "  Meeting\n", "ar": "اجتماع\n"}
    assert validate_agenda(raw)["title"] == {"en": "Meeting", "ar": "اجتماع"}


def test_inline_groups_and_explicit_regions():
    raw = minimal()
    raw["regions"] = [{"id": "r1", "name": "Region 1"}]
    raw["sessions"].append({
        "id": "s2",
        "title": "Partners",
        "groups": ["south", {"id": "un", "name": "United Nations"}],
        "questions": [{"id": "q2", "text": "Why?"}],
    })
    raw["sessions"].append({
        "id": "s3", "title": "Wrap-up", "plenary": True,
        "questions": [{"id": "q3", "text": "So?"}],
    })
    agenda = validate_agenda(raw)
    assert [g["id"] for g in agenda["groups"]] == ["north", "south", "un", "plenary"]
    assert agenda["groups"][2]["kind"] == "breakout"
    assert agenda["groups"][3]["name"] == {"ar": "الجلسة العامة", "en": "Plenary", "fr": "Plénière", "es": "Plenaria"}
    assert agenda["regions"] == [{"id": "r1", "name": {"en": "Region 1"}}]
    assert agenda["sessions"][1]["groups"] == ["south", "un"]
    assert agenda["sessions"][2]["groups"] == ["plenary"]


def test_all_plenary_needs_no_groups():
    raw = minimal()
    del raw["groups"]
    raw["sessions"][0]["plenary"] = True
    agenda = validate_agenda(raw)
    assert [g["id"] for g in agenda["groups"]] == ["plenary"]
    assert agenda["regions"] == []


def test_validate_does_not_mutate_input():
    raw = minimal()
    before = copy.deepcopy(raw)
    validate_agenda(raw)
    assert raw == before


def test_text_in():
    t = {"ar": "نص", "en": "Text"}
    assert text_in(t, "en", "ar") == "Text"
    assert text_in(t, "fr", "ar") == "نص"
    assert text_in(t, "fr", "es") in ("نص", "Text")
    assert text_in({"fr": "Texte"}, "fr-CA", "en") == "Texte"
    assert text_in({}, "en", "ar") == ""
    assert text_in("plain", "en", "ar") == "plain"


# --------------------------------------------------------------------------- refusals


def _refused(raw, field, *words):
    with pytest.raises(AgendaError) as info:
        validate_agenda(raw)
    err = info.value
    assert err.field == field, f"expected field {field!r}, got {str(err)!r}"
    assert str(err) == f"{err.field}: {err.problem}"
    for w in words:
        assert w in err.problem, f"{w!r} not in {err.problem!r}"
    return err


def _mut(fn):
    raw = minimal()
    fn(raw)
    return raw


BAD = [
    ("missing title", lambda r: r.pop("title"), "title", ["required"]),
    ("missing sessions", lambda r: r.pop("sessions"), "sessions", ["required"]),
    ("no sessions", lambda r: r.update(sessions=[]), "sessions", ["at least one"]),
    ("missing groups", lambda r: r.pop("groups"), "groups", ["required"]),
    ("no questions", lambda r: r["sessions"][0].update(questions=[]), "sessions[0].questions", ["at least one"]),
    ("missing questions", lambda r: r["sessions"][0].pop("questions"), "sessions[0].questions", ["required"]),
    ("missing session title", lambda r: r["sessions"][0].pop("title"), "sessions[0].title", ["required"]),
    ("missing session id", lambda r: r["sessions"][0].pop("id"), "sessions[0].id", ["required"]),
    ("missing question text", lambda r: r["sessions"][0]["questions"][0].pop("text"),
     "sessions[0].questions[0].text", ["required"]),
    ("missing group name", lambda r: r["groups"][0].pop("name"), "groups[0].name", ["required"]),
    ("duplicate question id across sessions", lambda r: r["sessions"].append(
        {"id": "s2", "title": "T", "questions": [{"id": "q1", "text": "again"}]}),
     "sessions[1].questions[0].id", ["duplicate", "q1"]),
    ("duplicate question id in session", lambda r: r["sessions"][0]["questions"].append(
        {"id": "q1", "text": "again"}), "sessions[0].questions[1].id", ["duplicate"]),
    ("duplicate session id", lambda r: r["sessions"].append(
        {"id": "s1", "title": "T", "questions": [{"id": "q9", "text": "x"}]}), "sessions[1].id", ["duplicate"]),
    ("duplicate group id", lambda r: r["groups"].append({"id": "north", "name": "N2"}), "groups[2].id", ["duplicate"]),
    ("duplicate part id", lambda r: r["sessions"][0]["questions"][0]["parts"].append({"id": "a", "text": "x"}),
     "sessions[0].questions[0].parts[1].id", ["duplicate"]),
    ("inline group reuses id", lambda r: r["sessions"][0].update(groups=[{"id": "north", "name": "X"}]),
     "sessions[0].groups[0].id", ["duplicate"]),
    ("group listed twice", lambda r: r["sessions"][0].update(groups=["north", "north"]),
     "sessions[0].groups[1]", ["twice"]),
    ("unknown language in text", lambda r: r["sessions"][0]["questions"][0].update(text={"en": "Q", "de": "F"}),
     "sessions[0].questions[0].text.de", ["unknown language", "de"]),
    ("unknown language in title", lambda r: r.update(title={"pt": "Reunião"}), "title.pt", ["unknown language"]),
    ("default language not listed", lambda r: r.update(default_language="de"), "default_language", ["de"]),
    ("bad language code", lambda r: r.update(languages=["en", "English"]), "languages[1]", ["invalid language"]),
    ("duplicate language", lambda r: r.update(languages=["en", "en"]), "languages[1]", ["twice"]),
    ("bad id uppercase", lambda r: r["sessions"][0].update(id="Session1"), "sessions[0].id", ["invalid id"]),
    ("bad id space", lambda r: r["groups"][0].update(id="north pole"), "groups[0].id", ["invalid id"]),
    ("bad id too long", lambda r: r["sessions"][0]["questions"][0].update(id="q" * 41),
     "sessions[0].questions[0].id", ["invalid id"]),
    ("bad id leading dash", lambda r: r["sessions"][0]["questions"][0]["parts"][0].update(id="-a"),
     "sessions[0].questions[0].parts[0].id", ["invalid id"]),
    ("id not a string", lambda r: r["sessions"][0].update(id=7), "sessions[0].id", ["must be a string"]),
    ("reserved plenary group id", lambda r: r["groups"][0].update(id="plenary"), "groups[0].id", ["reserved"]),
    ("unknown group reference", lambda r: r["sessions"][0].update(groups=["north", "west"]),
     "sessions[0].groups[1]", ["unknown group", "west"]),
    ("plenary referenced as group", lambda r: r["sessions"][0].update(groups=["plenary"]),
     "sessions[0].groups[0]", ["plenary: true"]),
    ("plenary session with groups", lambda r: r["sessions"][0].update(plenary=True, groups=["north"]),
     "sessions[0].groups", ["plenary"]),
    ("empty session groups", lambda r: r["sessions"][0].update(groups=[]), "sessions[0].groups", ["empty"]),
    ("unknown top-level key", lambda r: r.update(sesions=[]), "sesions", ["unknown key", "sessions"]),
    ("unknown session key", lambda r: r["sessions"][0].update(qestions=[]), "sessions[0].qestions",
     ["unknown key", "questions"]),
    ("unknown question key", lambda r: r["sessions"][0]["questions"][0].update(hint="x"),
     "sessions[0].questions[0].hint", ["unknown key"]),
    ("unknown part key", lambda r: r["sessions"][0]["questions"][0]["parts"][0].update(txt="x"),
     "sessions[0].questions[0].parts[0].txt", ["unknown key"]),
    ("unknown group key", lambda r: r["groups"][0].update(kind="breakout"), "groups[0].kind", ["unknown key"]),
    ("empty title", lambda r: r.update(title=""), "title", ["empty"]),
    ("blank question text", lambda r: r["sessions"][0]["questions"][0].update(text="   "),
     "sessions[0].questions[0].text", ["empty"]),
    ("empty text in map", lambda r: r["sessions"][0]["questions"][0].update(text={"en": "Q", "fr": ""}),
     "sessions[0].questions[0].text.fr", ["empty"]),
    ("empty text map", lambda r: r.update(title={}), "title", ["empty"]),
    ("empty objective", lambda r: r["sessions"][0].update(objectives=["ok", ""]), "sessions[0].objectives[1]",
     ["empty"]),
    ("title wrong type", lambda r: r.update(title=42), "title", ["string", "number"]),
    ("text value wrong type", lambda r: r["sessions"][0]["questions"][0].update(text={"en": ["Q"]}),
     "sessions[0].questions[0].text.en", ["must be a string"]),
    ("sessions wrong type", lambda r: r.update(sessions={"id": "s1"}), "sessions", ["list"]),
    ("questions wrong type", lambda r: r["sessions"][0].update(questions="What?"), "sessions[0].questions",
     ["list"]),
    ("question wrong type", lambda r: r["sessions"][0].update(questions=["What?"]), "sessions[0].questions[0]",
     ["mapping"]),
    ("plenary wrong type", lambda r: r["sessions"][0].update(plenary="yes"), "sessions[0].plenary",
     ["true or false"]),
    ("objectives wrong type", lambda r: r["sessions"][0].update(objectives="one"), "sessions[0].objectives",
     ["list"]),
    ("group entry wrong type", lambda r: r["sessions"][0].update(groups=[3]), "sessions[0].groups[0]",
     ["group id"]),
    ("languages wrong type", lambda r: r.update(languages="en"), "languages", ["list"]),
    ("purposes wrong type", lambda r: r.update(purposes="to meet"), "purposes", ["list"]),
    ("duplicate region", lambda r: r.update(regions=[{"id": "x", "name": "X"}, {"id": "x", "name": "Y"}]),
     "regions[1].id", ["duplicate"]),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_agendas_refused(case):
    _name, mutate, field, words = case
    _refused(_mut(mutate), field, *words)


def test_top_level_not_a_mapping():
    _refused(["title"], "agenda", "mapping")


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        validate_agenda(_mut(lambda r: r.pop("title")))


# --------------------------------------------------------------------------- files


def test_missing_file():
    with pytest.raises(AgendaError) as info:
        load_agenda("no-such-agenda")
    assert info.value.field == "file"
    assert "no-such-agenda" in info.value.problem
    with pytest.raises(AgendaError) as info:
        load_agenda("/nonexistent/dir/agenda.yaml")
    assert info.value.field == "file"


def test_bad_extension(tmp_path):
    p = tmp_path / "agenda.txt"
    p.write_text("title: x", encoding="utf-8")
    with pytest.raises(AgendaError) as info:
        load_agenda(str(p))
    assert info.value.field == "file"


def test_unparseable_yaml(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("title: [unclosed\nsessions: {\n", encoding="utf-8")
    with pytest.raises(AgendaError) as info:
        load_agenda(str(p))
    assert info.value.field == "file"
    assert "YAML" in info.value.problem


def test_unparseable_json(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"title": ', encoding="utf-8")
    with pytest.raises(AgendaError) as info:
        load_agenda(str(p))
    assert info.value.field == "file"
    assert "JSON" in info.value.problem


def test_duplicate_yaml_key_refused(tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text(
        "title: A\ntitle: B\ngroups: [{id: a, name: A}]\n"
        "sessions: [{id: s, title: S, questions: [{id: q, text: Q}]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(AgendaError) as info:
        load_agenda(str(p))
    assert info.value.field == "file"
    assert "duplicate key" in info.value.problem


def test_yaml_errors_carry_field_path(tmp_path):
    p = tmp_path / "typo.yaml"
    p.write_text(
        "title: A\ngroups: [{id: a, name: A}]\n"
        "sessions:\n  - id: s\n    title: S\n    questions:\n      - id: q\n        txet: Q\n",
        encoding="utf-8",
    )
    with pytest.raises(AgendaError) as info:
        load_agenda(str(p))
    assert str(info.value).startswith("sessions[0].questions[0].txet: unknown key")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.yaml"
    p.write_text("", encoding="utf-8")
    with pytest.raises(AgendaError) as info:
        load_agenda(str(p))
    assert info.value.field == "file"
