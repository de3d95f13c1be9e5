"""Converging / diverging points (facilitator/meeting/synthesis.py) and the semantic engine."""
import threading

import numpy as np
import pytest

from facilitator.meeting import embedding
from facilitator.meeting.embedding import Embedder, shared_embedder
from facilitator.meeting.synthesis import (CONFIDENT_LEVEL, DEFAULT_THRESHOLDS, SEMANTIC_METHOD,
                                           Synthesizer, calibrate, cluster)

import synthesis_eval as ev

SESSIONS = [
    {"id": "s2", "questions": [{"id": "q1", "text": "good practices"}, {"id": "q2"}]},
    {"id": "s3", "questions": [{"id": "q3"}]},
]
GROUPS = {"s2": ["g1", "g2", "g3", "g4", "g5"], "s3": ["p1", "p2"]}


def C(cid, group, text, lang="en", q="q1", s="s2", agreement="consensus", deleted=False, **kw):
    d = {"id": cid, "group_id": group, "question_id": q, "session_id": s,
         "kind": "recommendation", "agreement": agreement, "text": text, "lang": lang,
         "version": 1, "deleted": deleted}
    d.update(kw)
    return d


REMIT = [
    C("a1", "g1", "Reduce the cost of sending remittances to below 3 per cent."),
    C("a2", "g2", "Lower remittance transfer costs, which remain far too high."),
    C("a3", "g3", "Remittance costs must come down: reduce the fees on transfers."),
]
DATA = [
    C("b1", "g1", "Improve migration data disaggregated by sex and age."),
    C("b2", "g4", "Better migration data, disaggregated by age and sex, is needed."),
]
OTHER = [
    C("x1", "g2", "Train border guards on human rights."),
    C("x2", "g5", "Hold the next regional meeting in Rabat."),
]


@pytest.fixture(scope="module")
def lexical():
    return Synthesizer(engine="lexical")


def question(result, qid):
    return next(q for q in result["questions"] if q["question_id"] == qid)


def cluster_of(q, cid):
    return next((cl for cl in q["converging"] if cid in cl["contributions"]), None)


# -- lexical clustering -------------------------------------------------------------------------
def test_output_shape(lexical):
    res = lexical.analyse(REMIT + DATA + OTHER, SESSIONS, GROUPS)
    assert res["engine"] == "lexical" and res["threshold"] == DEFAULT_THRESHOLDS["lexical"]
    assert [q["question_id"] for q in res["questions"]] == ["q1", "q2", "q3"]
    q1 = question(res, "q1")
    assert set(q1) >= {"question_id", "converging", "diverging", "unique"}
    for cl in q1["converging"]:
        assert set(cl) >= {"id", "title", "contributions", "groups", "languages", "strength",
                           "terms", "raised_by", "of"}
        assert isinstance(cl["strength"], float) and 0 < cl["strength"] <= 1
    assert [s["session_id"] for s in res["sessions"]] == ["s2", "s3"]
    assert question(res, "q3") == {"question_id": "q3", "session_id": "s3", "converging": [],
                                   "diverging": [], "unique": []}


def test_lexical_groups_paraphrases_and_keeps_unrelated_apart(lexical):
    res = lexical.analyse(REMIT + DATA + OTHER, SESSIONS, GROUPS)
    q1 = question(res, "q1")
    remit = cluster_of(q1, "a1")
    data = cluster_of(q1, "b1")
    assert remit["contributions"] == ["a1", "a2", "a3"]
    assert data["contributions"] == ["b1", "b2"]
    assert remit["groups"] == ["g1", "g2", "g3"] and remit["raised_by"] == 3 and remit["of"] == 5
    assert data["raised_by"] == 2
    # strongest first: three groups before two
    assert q1["converging"][0]["id"] == remit["id"] == "c-a1"
    assert q1["unique"] == ["x1", "x2"]
    # terms are the words people typed, not stems
    assert "remittance" in remit["terms"] or "remittances" in remit["terms"]
    assert not any(t == "remitt" for t in remit["terms"])
    assert {"sex", "age"} <= set(data["terms"])


def test_same_group_duplicates_do_not_converge(lexical):
    items = [C("d1", "g1", "Reduce the cost of remittances."),
             C("d2", "g1", "Reduce the cost of remittances, as we said."),
             C("d3", "g2", "Train border guards on human rights.")]
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")
    assert q1["converging"] == []
    assert q1["unique"] == ["d1", "d2", "d3"]
    items.append(C("d4", "g3", "Reduce the cost of remittances for families."))
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")
    cl = cluster_of(q1, "d4")
    assert cl["contributions"] == ["d1", "d2", "d4"] and cl["raised_by"] == 2 and cl["groups"] == ["g1", "g3"]


def test_deleted_and_empty_ignored(lexical):
    items = REMIT[:2] + [C("z1", "g4", "Reduce remittance costs now.", deleted=True),
                         C("z2", "g5", "   ")]
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")
    all_ids = {i for cl in q1["converging"] for i in cl["contributions"]} | set(q1["unique"])
    assert "z1" not in all_ids and "z2" not in all_ids


def test_multilingual_lexical_normalisation(lexical):
    """Within a language, spelling variants match: Arabic with/without diacritics and hamza,
    French and Spanish with/without accents."""
    items = [
        C("r1", "g1", "إِعَادَةُ إِدْمَاجِ المُهَاجِرِينَ العَائِدِينَ وَدَعْمُهُمْ نَفْسِيّاً", "ar"),
        C("r2", "g2", "اعاده ادماج المهاجرين العايدين ودعمهم نفسيا", "ar"),
        C("f1", "g3", "Réintégration économique des migrants de retour", "fr"),
        C("f2", "g4", "Reintegration economique des migrants de retour", "fr"),
        C("s1", "g1", "Reducir el costo de las remesas de los migrantes", "es"),
        C("s2", "g5", "Reducción del costo de las remesas de los migrantes", "es"),
    ]
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")
    groups = sorted(sorted(cl["contributions"]) for cl in q1["converging"])
    assert groups == [["f1", "f2"], ["r1", "r2"], ["s1", "s2"]]
    ar = cluster_of(q1, "r1")
    assert ar["languages"] == ["ar"]
    assert all("َ" not in t for t in ar["terms"])  # shown without diacritics


# -- unique, diverging --------------------------------------------------------------------------
def test_diverging_points(lexical):
    items = [
        C("a1", "g1", "Reduce the cost of sending remittances to below 3 per cent.", agreement="consensus"),
        C("a2", "g2", "Lower remittance transfer costs, which remain far too high.", agreement="majority"),
        C("a3", "g3", "Remittance costs must come down: reduce the fees on transfers.", agreement="consensus"),
        C("b1", "g1", "Improve migration data disaggregated by sex and age."),
        C("b2", "g4", "Better migration data, disaggregated by age and sex, is needed."),
        C("v1", "g5", "Circular migration schemes are a good practice.", agreement="divergent"),
    ]
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")
    reasons = [(d["reason"], d["contributions"], d["cluster_id"]) for d in q1["diverging"]]
    assert ("divergent_views", ["v1"], None) in reasons
    assert ("agreement_differs", ["a1", "a2", "a3"], "c-a1") in reasons
    assert not any(d["cluster_id"] == "c-b1" for d in q1["diverging"])  # all consensus
    assert q1["unique"] == ["v1"]


def test_divergent_member_of_a_cluster_points_to_it(lexical):
    items = [C("a1", "g1", "Reduce the cost of remittances to families."),
             C("a2", "g2", "Reduce the cost of remittances to families; the group split.",
               agreement="divergent")]
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")
    d = [d for d in q1["diverging"] if d["reason"] == "divergent_views"]
    assert d == [{"contributions": ["a2"], "reason": "divergent_views", "cluster_id": "c-a1",
                  "groups": ["g2"]}]
    assert any(d["reason"] == "agreement_differs" for d in q1["diverging"])


# -- curation -----------------------------------------------------------------------------------
def test_curation_links_detached_titles(lexical):
    items = [C("a1", "g1", "Reduce the cost of remittance transfers."),
             C("a2", "g2", "Reduce remittance transfer costs for migrant families."),
             C("a3", "g3", "Reduce the costs of remittance transfers, now.")] + DATA + OTHER
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")
    assert cluster_of(q1, "a1")["contributions"] == ["a1", "a2", "a3"]
    cur = {"links": [["a1", "b1"]], "detached": ["a3"], "titles": {"c-a1": "Cheaper remittances"}}
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS, cur), "q1")
    merged = cluster_of(q1, "a1")
    assert merged["contributions"] == ["a1", "a2", "b1", "b2"]   # chair merged two clusters
    assert merged["id"] == "c-a1" and merged["title"] == "Cheaper remittances"
    assert merged["groups"] == ["g1", "g2", "g4"]
    assert cluster_of(q1, "a3") is None and "a3" in q1["unique"]  # moved out, stands alone


def test_link_makes_a_converging_point_the_algorithm_missed(lexical):
    items = [C("m1", "g1", "Protect migrant domestic workers under labour law."),
             C("m2", "g2", "Gender-responsive policies for women who migrate.")]
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")
    assert q1["converging"] == []
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS, {"links": [["m2", "m1"]]}), "q1")
    assert q1["converging"][0]["contributions"] == ["m1", "m2"] and q1["unique"] == []


def test_title_survives_when_clusters_merge(lexical):
    """A title given to a cluster keeps showing after a new contribution merges it into an older one."""
    items = [C("a1", "g1", "Reduce remittance costs."), C("a2", "g2", "Reduce remittance costs now.")]
    cur = {"titles": {"c-a1": "Cheaper remittances"}}
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS, cur), "q1")
    assert q1["converging"][0]["title"] == "Cheaper remittances"
    cur = {"titles": {"c-a2": "Title on a later member"}, "links": []}
    q1 = question(lexical.analyse(items, SESSIONS, GROUPS, cur), "q1")
    assert q1["converging"][0]["id"] == "c-a1"
    assert q1["converging"][0]["title"] == "Title on a later member"


# -- stability ----------------------------------------------------------------------------------
def test_cluster_ids_stable_as_contributions_arrive(lexical):
    stream = [
        C("a1", "g1", "Reduce the cost of sending remittances to below 3 per cent."),
        C("x1", "g2", "Train border guards on human rights."),
        C("a2", "g2", "Lower remittance transfer costs, which remain far too high."),
        C("b1", "g1", "Improve migration data disaggregated by sex and age."),
        C("b2", "g4", "Better migration data, disaggregated by age and sex, is needed."),
        C("a3", "g3", "Remittance costs must come down: reduce the fees on transfers."),
        C("x2", "g5", "Hold the next regional meeting in Rabat."),
        C("b3", "g5", "Collect data on migration by sex and age."),
        C("a4", "g4", "Cut remittance costs."),
    ]
    seen = {}
    for n in range(1, len(stream) + 1):
        q1 = question(lexical.analyse(stream[:n], SESSIONS, GROUPS), "q1")
        for cl in q1["converging"]:
            for cid in cl["contributions"]:
                if cid in seen:
                    assert seen[cid] == cl["id"], (n, cid)
                seen[cid] = cl["id"]
    assert seen["a4"] == "c-a1" and seen["b3"] == "c-b1"


def test_order_of_groups_in_session_and_of(lexical):
    items = [C("a1", "g4", "Reduce remittance costs."), C("a2", "g2", "Reduce remittance costs now.")]
    cl = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")["converging"][0]
    assert cl["groups"] == ["g2", "g4"] and cl["of"] == 5
    cl = question(lexical.analyse(items, SESSIONS, {}), "q1")["converging"][0]
    assert cl["of"] == 2  # unknown session groups: the groups that contributed


# -- session level ------------------------------------------------------------------------------
def test_session_clusters_span_questions(lexical):
    items = [C("a1", "g1", "Reduce remittance transfer costs.", q="q1"),
             C("a2", "g2", "Reduce remittance transfer costs for families.", q="q2"),
             C("b1", "g1", "Improve migration data by sex and age.", q="q1"),
             C("b2", "g3", "Improve migration data by sex and age, please.", q="q1")]
    res = lexical.analyse(items, SESSIONS, GROUPS)
    s2 = next(s for s in res["sessions"] if s["session_id"] == "s2")
    assert [cl["contributions"] for cl in s2["converging"]] == [["a1", "a2"]]  # b: one question only
    assert s2["converging"][0]["id"] == "s-a1" and s2["converging"][0]["questions"] == ["q1", "q2"]
    assert question(res, "q1")["unique"] == ["a1"]


def test_missing_lang_detected(lexical):
    items = [C("a1", "g1", "تخفيض تكاليف التحويلات المالية", lang=None),
             C("a2", "g2", "خفض تكاليف التحويلات الماليه", lang="en")]
    cl = question(lexical.analyse(items, SESSIONS, GROUPS), "q1")["converging"][0]
    assert cl["languages"] == ["ar"]


# -- semantic engine ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def embedder():
    emb = shared_embedder()
    if not emb.available():
        pytest.skip(f"semantic engine unavailable: {emb.unavailable_reason}")
    return emb


@pytest.fixture(scope="session")
def semantic(embedder):
    return Synthesizer(engine="semantic", embedder=embedder)


def test_embedder_vectors(embedder):
    texts = ["Reduce remittance costs.", "خفض تكاليف التحويلات.", "Réduire le coût des envois de fonds."]
    v = embedder.embed(texts, ["en", "ar", "fr"])
    dims = {"use": 512, "e5": 384}
    assert v.shape == (3, sum(dims[m] for m in embedder.models)) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # language means come from the shipped reference set, not from the batch
    alone = embedder.embed(texts[:1], ["en"])
    assert np.allclose(alone[0], v[0], atol=1e-5)


def test_embedder_thread_safe(embedder):
    texts = [f"Contribution number {i} on labour mobility." for i in range(6)]
    ref = embedder.embed(texts, ["en"] * 6)
    out, errors = {}, []

    def work(k):
        try:
            out[k] = embedder.embed(texts, ["en"] * 6)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(np.allclose(out[k], ref, atol=1e-5) for k in range(4))


def test_semantic_cross_language_converging_point(semantic):
    items = [
        C("e1", "g1", "Reduce the transaction costs of remittances to less than 3 per cent.", "en"),
        C("e2", "g2", "Réduire les coûts de transfert des fonds envoyés par les migrants à moins de 3 %.", "fr"),
        C("e3", "g3", "خَفْضُ تَكالِيفِ تَحْوِيلِ الأَمْوالِ الَّتِي يُرْسِلُها المُهاجِرُونَ إِلى أَقَلَّ مِنْ ٣ في المِائَةِ", "ar"),
        C("e4", "g4", "Reducir los costos de envio de las remesas por debajo del 3 por ciento.", "es"),
        C("e5", "g5", "Train border officials on human rights and on identifying vulnerable migrants.", "en"),
        C("e6", "g1", "إنشاء مرصد إقليمي تتبادل فيه الدول إحصاءات الهجرة", "ar"),
    ]
    res = semantic.analyse(items, SESSIONS, GROUPS)
    assert res["engine"] == "semantic"
    q1 = question(res, "q1")
    assert len(q1["converging"]) == 1
    cl = q1["converging"][0]
    assert cl["contributions"] == ["e1", "e2", "e3", "e4"]
    assert cl["languages"] == ["en", "fr", "ar", "es"] and cl["raised_by"] == 4 and cl["of"] == 5
    assert cl["terms"]
    assert q1["unique"] == ["e5", "e6"]


def test_semantic_embeds_each_text_once(semantic):
    items = [C("k1", "g1", "Portability of pension rights for migrant workers."),
             C("k2", "g2", "Portabilité des droits à pension des travailleurs migrants.", "fr")]
    semantic.embed_pending(items)
    assert semantic.embed_pending(items) == 0
    moved = [dict(items[0], version=2, index=5), items[1]]  # a move changes version, not text
    assert semantic.embed_pending(moved) == 0
    edited = [dict(items[0], version=3, text="Portable pensions for migrant workers.")]
    assert semantic.embed_pending(edited) == 1


def _dev_figures(synth, threshold=None):
    dev = ev.load("dev")
    sim = synth.score_matrix(ev.as_contributions(dev))
    return ev.count(dev, ev.labels_at(sim, dev, threshold or synth.threshold))


def test_semantic_development_set_floor(semantic):
    """A floor under the suggested points' figures on the brief-based development set
    (docs/synthesis.md has them all). Issue 18 moved the threshold (0.475 -> 0.575, with the
    mutual-best bonus) to serve writer-free text as well: there suggested F1 went 0.30 -> 0.44
    (nested, 4 folds), here cross precision 0.83 -> 0.74 at recall 0.97 -> 0.98; the suggested points
    now go to the desk, the plenary shows what is sure. So the floor is on recall first."""
    m = {k: ev.prf(v) for k, v in _dev_figures(semantic).items()}
    assert m["cross"][0] >= 0.7 and m["cross"][1] >= 0.9, m
    assert m["same"][2] >= 0.8 and m["arabic"][1] >= 0.9, m


def test_lexical_development_set_floor(lexical):
    m = {k: ev.prf(v) for k, v in _dev_figures(lexical).items()}
    assert m["same"][0] >= 0.85 and m["same"][1] >= 0.85, m
    assert m["cross"][1] < 0.2, m  # lexical cannot match across languages: why it is the fallback


def test_arabic_and_english_observatory_converge(semantic):
    """The pair that stayed apart before calibration (issue 9), plus a same-topic distractor."""
    items = [
        C("o1", "g1", "Establish a shared regional labour-migration data observatory", "en"),
        C("o2", "g2", "إنشاء مرصد إقليمي مشترك للبيانات حول هجرة اليد العاملة", "ar"),
        C("o3", "g3", "Pre-departure orientation for migrant workers reduces exploitation", "en"),
        C("o4", "g4", "توجيه العمال المهاجرين قبل المغادرة للحد من الاستغلال", "ar"),
        C("o5", "g5", "Harmonise the migration questions asked in national censuses", "en"),
    ]
    q1 = question(semantic.analyse(items, SESSIONS, GROUPS), "q1")
    assert cluster_of(q1, "o1")["contributions"] == ["o1", "o2"]
    assert cluster_of(q1, "o3")["contributions"] == ["o3", "o4"]
    assert "o5" in q1["unique"]
    for cl in q1["converging"]:
        assert 0 <= cl["confidence"] <= 1 and cl["status"] == "suggested"
        assert set(cl["evidence"]["similarity"]) == set(cl["contributions"])
        assert set(cl["evidence"]["terms"]) == {"en", "ar"}


def test_calibration_is_loaded_from_the_shipped_file(embedder):
    shipped = embedding.load_calibration(embedder.fingerprint())
    assert shipped is not None, "data/calibration.json is stale: rebuild with --build"
    assert embedder.calibration() == shipped
    pairs = {f"{a}-{b}" for a in "ar en fr es".split() for b in "ar en fr es".split()}
    assert set(shipped) == pairs
    for name, row in shipped.items():
        assert -1 <= row["unrelated"] < row["parallel"] <= 1.0001, name
    assert embedding.load_calibration("another-engine") is None


def test_calibration_stretches_cross_language_pairs_only():
    table = {"ar-en": {"unrelated": 0.1, "parallel": 0.7}, "en-ar": {"unrelated": 0.1, "parallel": 0.7}}
    sim = np.array([[1.0, 0.7, 0.5], [0.7, 1.0, 0.4], [0.5, 0.4, 1.0]])
    out = calibrate(sim, ["ar", "en", "en"], table, 1.0)
    assert out[0, 1] == pytest.approx(1.0)          # a pair at its "parallel" mean: a translation
    assert out[1, 2] == pytest.approx(0.4)          # same language: unchanged
    assert out[0, 2] == pytest.approx(0.1 + 0.4 * 0.9 / 0.6)
    assert np.array_equal(calibrate(sim, ["ar", "en", "en"], table, 0.0), sim)


def test_cluster_weakest_merge_and_constraints():
    sim = np.array([[1.0, 0.9, 0.6, 0.0], [0.9, 1.0, 0.6, 0.0], [0.6, 0.6, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    labels, weakest = cluster(sim, 0.5)
    assert labels[0] == labels[1] == labels[2] != labels[3]
    assert weakest[int(labels[0])] == pytest.approx(0.6)
    labels, _ = cluster(sim, 0.5, cannot=[(0, 2), (1, 2)])
    assert labels[0] == labels[1] != labels[2]
    labels, _ = cluster(sim, 0.5, must=[(2, 3)])
    assert labels[2] == labels[3]


def test_engine_selection(embedder):
    assert Synthesizer(engine="auto", embedder=embedder).engine == "semantic"

    class Missing:
        unavailable_reason = "not installed"

        def available(self):
            return False

    assert Synthesizer(engine="auto", embedder=Missing()).engine == "lexical"
    with pytest.raises(RuntimeError):
        Synthesizer(engine="semantic", embedder=Missing())
    with pytest.raises(ValueError):
        Synthesizer(engine="magic")
    assert Synthesizer(engine="lexical", threshold=0.5).threshold == 0.5
