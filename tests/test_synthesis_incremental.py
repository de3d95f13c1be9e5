"""The analysis keeps each meeting's pair scores (web/analysis.py): a new contribution costs its
own row, and what comes out is exactly what a full computation on the same log gives. In
process, through the hub on a real SQLite store, with the semantic engine; no sleeps."""
from __future__ import annotations

import numpy as np
import pytest

from facilitator.meeting.embedding import shared_embedder
from facilitator.meeting.synthesis import Synthesizer
from facilitator.web.analysis import Analysis, ScoreCache, dot_products
from facilitator.web.live import LiveViews

Q = "s2-q2"
TEXTS = [
    ("africa", "fr", "Créer un observatoire régional des données sur les migrations de travail."),
    ("mena", "ar", "إنشاء مرصد إقليمي مشترك للبيانات حول هجرة اليد العاملة"),
    ("asia-pacific", "en", "Establish a shared regional labour-migration data observatory"),
    ("americas", "es", "Orientación previa a la partida para los trabajadores migrantes."),
    ("europe-central-asia", "en", "Pre-departure orientation for migrant workers reduces exploitation"),
    ("africa", "en", "Lower the cost of sending remittances home below three per cent"),
    ("americas", "es", "Reducir el costo de las remesas a menos del tres por ciento"),
    ("mena", "en", "Early warning systems for climate-induced displacement in coastal areas"),
]
MORE = [
    ("asia-pacific", "fr", "Réduire les frais des transferts de fonds des migrants"),
    ("europe-central-asia", "en", "Recognise migrant workers' skills and diplomas across borders"),
]


@pytest.fixture
def engine():
    if not shared_embedder().available():
        pytest.skip("semantic engine unavailable")
    return lambda: Synthesizer(engine="semantic", embedder=shared_embedder())


class NoSockets:
    def start_background_task(self, fn, *args):
        pass  # the runs are called by the test (compute), not by the Coalescer


def add(meeting, group, lang, text, question=Q):
    rap = meeting.connect(meeting.rapporteur_key(group))
    ack = rap.op("contribution.add", question_id=question, text=text, lang=lang,
                 kind="recommendation", agreement="consensus")
    assert ack["ok"], ack
    return rap.wait_for(lambda e: e["type"] == "contribution.added")["contribution"]["id"]


def full_computation(live, meeting_id, engine):
    """The same log analysed by a fresh Analysis, as after a restart: nothing kept but the
    vectors in the store (a text embedded in another batch differs in its last bits), every
    score computed at once."""
    fresh = Analysis(engine, live.hub.store)
    return fresh.synthesis(meeting_id, *live._inputs(live.hub.state(meeting_id)))


def test_a_new_contribution_costs_its_row_and_the_result_is_the_full_computations(meeting, engine):
    analysis = Analysis(engine, meeting.hub.store)
    live = LiveViews(meeting.hub, NoSockets(), engine)
    live.analysis.analysis = analysis  # the in-process path, its Analysis watched
    for group, lang, text in TEXTS:
        add(meeting, group, lang, text, question="s2-q3" if "warning" in text else Q)
    live.compute(meeting.id)
    cache = analysis._caches[meeting.id]
    assert cache.computed_rows == len(TEXTS)

    for n, (group, lang, text) in enumerate(MORE, start=1):
        add(meeting, group, lang, text)
        live.compute(meeting.id)
        assert cache.computed_rows == len(TEXTS) + n  # its own row (and column) only

    # an edit is a new text: one row; a deletion costs none; the chair's curation costs none
    chair = meeting.connect(meeting.chair_key)
    state = meeting.hub.state(meeting.id)
    first = next(c for c in state.live_contributions() if c["text"] == TEXTS[0][2])
    editor = meeting.connect(meeting.rapporteur_key("africa"))
    assert editor.op("contribution.edit", contribution_id=first["id"], version=first["version"],
                     text="Créer un observatoire commun des données sur la migration de main-d'œuvre.")["ok"]
    gone = next(c for c in state.live_contributions() if c["text"] == MORE[1][2])
    assert meeting.connect(meeting.rapporteur_key("europe-central-asia")).op(
        "contribution.delete", contribution_id=gone["id"])["ok"]
    result = live.compute(meeting.id)
    point = next(p for q in result["questions"] for p in q["converging"])
    assert chair.op("cluster.title", cluster_id=point["id"], title="Shared data")["ok"]
    rows = cache.computed_rows
    result = live.compute(meeting.id)
    assert cache.computed_rows == rows == len(TEXTS) + len(MORE) + 1

    expected = full_computation(live, meeting.id, engine)
    got = {k: v for k, v in result.items() if k != "seq"}
    assert got == expected  # every point, score, term and confidence, exactly
    assert any(q["converging"] for q in got["questions"])  # not two empty results


def test_the_cached_scores_are_the_engines_scores(meeting, engine):
    """The cache changes where the scores are computed, not what they are: against the
    synthesizer's own computation (BLAS), the same to float32 rounding, the same points."""
    for group, lang, text in TEXTS + MORE:
        add(meeting, group, lang, text)
    live = LiveViews(meeting.hub, NoSockets(), engine)
    inputs = live._inputs(meeting.hub.state(meeting.id))
    plain = Synthesizer(engine="semantic", embedder=shared_embedder())
    items = plain._items(inputs[0])
    cached = ScoreCache().scores(plain, items)
    assert np.allclose(cached, plain.semantic_scores(items), atol=1e-6)
    members = lambda r: [sorted(p["contributions"]) for q in r["questions"] for p in q["converging"]]  # noqa: E731
    assert members(Analysis(engine).synthesis(meeting.id, *inputs)) == members(plain.analyse(*inputs))


def test_a_row_alone_is_the_row_of_the_whole_matrix():
    rng = np.random.default_rng(7)
    v = rng.standard_normal((300, 384)).astype(np.float32)
    whole = dot_products(v, v)
    assert np.array_equal(dot_products(v[-1:], v), whole[-1:])
    assert np.array_equal(dot_products(v[:17], v[100:]), whole[:17, 100:])
    assert np.array_equal(whole, whole.T)
