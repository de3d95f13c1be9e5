"""The desk's queue (facilitator/meeting/suggestions.py) on small hand-made score matrices."""
import time

import numpy as np
import pytest

from facilitator.meeting.suggestions import FEATURES, QUEUE, pair_features, pair_logit, suggest_pairs, terms
from facilitator.meeting.text import analyse_words


def sym(n, pairs, base=0.0):
    m = np.full((n, n), base)
    for (i, j), v in pairs.items():
        m[i, j] = m[j, i] = v
    np.fill_diagonal(m, 1.0)
    return m


def items(groups):
    return [{"id": f"c{i}", "group_id": g} for i, g in enumerate(groups)]


def ids(pairs):
    return [tuple(sorted((a, b))) for a, b, _ in pairs]


NONE = {"points": [], "rejected": [], "detached": set()}
# each rule alone; a point scored by its closest member, the simplest unit to reason about
PLAIN = {"unit": "max", "group_prior": 0.0, "point_bonus": 0.0, "copy_penalty": 0.0,
         "rejection_decay": 0.0}


def test_best_first_and_cross_group_only():
    sim = sym(4, {(0, 1): 0.9, (0, 2): 0.7, (2, 3): 0.5, (1, 3): 0.3})
    got = suggest_pairs(sim, items(["a", "a", "b", "c"]), NONE, limit=10)
    assert ids(got) == [("c0", "c2"), ("c2", "c3"), ("c1", "c3")] + ids(got)[3:]
    assert ("c0", "c1") not in ids(got)  # one group, however close
    scores = [s for _, _, s in got]
    assert scores[:3] == [0.7, 0.5, 0.3]
    assert len(suggest_pairs(sim, items(["a", "a", "b", "c"]), NONE, limit=2)) == 2


def test_nothing_for_fewer_than_two_or_a_zero_limit():
    assert suggest_pairs(np.eye(1), items(["a"]), NONE, 5) == []
    assert suggest_pairs(np.eye(2), items(["a", "b"]), NONE, 0) == []


def test_a_point_is_one_unit_asked_through_its_closest_member():
    # 0 and 1 confirmed together; 2 is close to 1, a bit less to 0
    sim = sym(3, {(0, 1): 0.8, (0, 2): 0.4, (1, 2): 0.6})
    decided = {"points": [["c0", "c1"]], "rejected": [], "detached": set()}
    got = suggest_pairs(sim, items(["a", "b", "c"]), decided, 10, settings=PLAIN)
    assert ids(got) == [("c1", "c2")]  # once, never c0-c1, never c0-c2 as well
    assert got[0][2] == pytest.approx(0.6)
    # scored by the mean of its members, the point sits lower
    got = suggest_pairs(sim, items(["a", "b", "c"]), decided, 10, settings=dict(PLAIN, unit="mean"))
    assert ids(got) == [("c1", "c2")]


def test_a_rejected_pair_is_never_asked_again_nor_through_a_point():
    sim = sym(4, {(0, 1): 0.9, (0, 2): 0.8, (1, 2): 0.3, (2, 3): 0.2, (0, 3): 0.1, (1, 3): 0.1})
    g = items(["a", "b", "c", "d"])
    decided = {"points": [], "rejected": [["c0", "c1"]], "detached": set()}
    assert ("c0", "c1") not in ids(suggest_pairs(sim, g, decided, 10))
    # 1 then joins a point with 2: the point and 0 are kept apart by the rejection
    decided = {"points": [["c1", "c2"]], "rejected": [["c0", "c1"]], "detached": set()}
    got = ids(suggest_pairs(sim, g, decided, 10))
    assert not any("c0" in p and ({"c1", "c2"} & set(p)) for p in got)
    assert got  # the others are still asked


def test_a_rejection_lowers_its_near_copies():
    # 1 and 2 are near copies (one group's twice-typed note); 0-1 is rejected: 0-2 falls below
    # 0-3, which scores a little less than 0-2
    sim = sym(4, {(0, 1): 0.7, (0, 2): 0.68, (1, 2): 0.95, (0, 3): 0.6})
    g = items(["a", "b", "b", "c"])
    decided = {"points": [], "rejected": [["c0", "c1"]], "detached": set()}
    got = ids(suggest_pairs(sim, g, decided, 10, settings=dict(QUEUE, copy_penalty=0.2)))
    assert got.index(("c0", "c3")) < got.index(("c0", "c2"))
    got = ids(suggest_pairs(sim, g, decided, 10, settings=dict(QUEUE, copy_penalty=0.0)))
    assert got.index(("c0", "c2")) < got.index(("c0", "c3"))


def test_pairs_touching_a_confirmed_point_come_first_among_equals():
    sim = sym(5, {(0, 1): 0.9, (1, 2): 0.5, (3, 4): 0.52})
    g = items(["a", "b", "c", "d", "e"])
    decided = {"points": [["c0", "c1"]], "rejected": [], "detached": set()}
    got = ids(suggest_pairs(sim, g, decided, 2, settings=dict(PLAIN, point_bonus=0.05)))
    assert got[0] == ("c1", "c2")
    got = ids(suggest_pairs(sim, g, decided, 2, settings=PLAIN))
    assert got[0] == ("c3", "c4")


def test_a_point_already_holding_a_group_asks_that_group_later():
    # the point {0 (a), 1 (b)}; 2 is from group a again, 3 from group c, a little less close
    sim = sym(4, {(0, 1): 0.9, (1, 2): 0.6, (1, 3): 0.55})
    g = items(["a", "b", "a", "c"])
    decided = {"points": [["c0", "c1"]], "rejected": [], "detached": set()}
    got = ids(suggest_pairs(sim, g, decided, 10, settings=dict(PLAIN, group_prior=0.1)))
    assert got.index(("c1", "c3")) < got.index(("c1", "c2"))
    got = ids(suggest_pairs(sim, g, decided, 10, settings=PLAIN))
    assert got.index(("c1", "c2")) < got.index(("c1", "c3"))


def test_repeated_rejections_lower_a_contribution():
    sim = sym(5, {(0, 1): 0.8, (0, 2): 0.7, (0, 3): 0.6, (3, 4): 0.55})
    g = items(["a", "b", "c", "d", "e"])
    decided = {"points": [], "rejected": [["c0", "c1"], ["c0", "c2"]], "detached": set()}
    got = ids(suggest_pairs(sim, g, decided, 2, settings=dict(PLAIN, rejection_decay=0.03)))
    assert got[0] == ("c3", "c4")
    got = ids(suggest_pairs(sim, g, decided, 2, settings=PLAIN))
    assert got[0] == ("c0", "c3")


def test_ids_not_in_the_matrix_are_ignored():
    sim = sym(3, {(0, 1): 0.5, (1, 2): 0.4})
    decided = {"points": [["c0", "gone"]], "rejected": [["gone", "c1"]], "detached": {"x"}}
    got = ids(suggest_pairs(sim, items(["a", "b", "c"]), decided, 10))
    assert got[0] == ("c0", "c1")


def test_terms_are_the_shared_words_as_typed():
    a = analyse_words("Reduce the fees on remittances sent by migrant workers", "en")
    b = analyse_words("Remittance fees must come down for migrants", "en")
    got = terms(a, b)
    assert "fees" in got and "remittances" in got and "migrant" in got
    assert "reduce" not in got
    assert terms(a, analyse_words("خفض رسوم التحويلات", "ar")) == []


def test_a_question_of_1000_contributions_leaves_out_what_was_decided():
    # its cost is measured by bench/bench_synthesis.py time, not asserted here
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000, 32))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    g = items([f"g{i % 10}" for i in range(1000)])
    decided = {"points": [[f"c{i}", f"c{i + 1}"] for i in range(0, 100, 2)],
               "rejected": [[f"c{i}", f"c{i + 3}"] for i in range(200, 400, 2)], "detached": set()}
    got = suggest_pairs(sim, g, decided, 20)
    assert len(got) == 20
    together = {frozenset(p) for p in decided["points"]} | {frozenset(r) for r in decided["rejected"]}
    assert not any(frozenset((a, b)) in together for a, b, _ in got)


def test_a_point_scored_by_the_mean_of_its_members():
    # 2 is close to one member of the point {0, 1} only; 3 is fairly close to both
    sim = sym(4, {(0, 1): 0.9, (1, 2): 0.7, (0, 2): 0.1, (0, 3): 0.5, (1, 3): 0.5})
    g = items(["a", "b", "c", "d"])
    decided = {"points": [["c0", "c1"]], "rejected": [], "detached": set()}
    best = ids(suggest_pairs(sim, g, decided, 1, settings=dict(PLAIN, unit="mean")))[0]
    assert "c3" in best
    best = ids(suggest_pairs(sim, g, decided, 1, settings=dict(PLAIN, unit="max")))[0]
    assert best == ("c1", "c2")


def test_overlapping_points_never_ask_a_pair_together_in_one_of_them():
    # c1's note carries two proposals: it is in {c0, c1} and in {c2, c1}; c3 stands alone
    sim = sym(4, {(0, 1): 0.9, (1, 2): 0.9, (0, 2): 0.3, (1, 3): 0.5, (2, 3): 0.4})
    decided = {"points": [["c0", "c1"], ["c2", "c1"]], "rejected": [], "detached": set()}
    got = suggest_pairs(sim, items(["a", "b", "c", "d"]), decided, 10, settings=PLAIN)
    assert not {("c0", "c1"), ("c1", "c2")} & set(ids(got))
    # the two points are still asked about each other (through a pair not yet together), and
    # a contribution about a point it is not in
    assert ("c0", "c2") in ids(got) and any("c3" in p for p in ids(got))
    # a rejection between the two points' other members keeps those points apart, not c1's
    decided["rejected"] = [["c0", "c2"]]
    got = suggest_pairs(sim, items(["a", "b", "c", "d"]), decided, 10, settings=PLAIN)
    assert ("c0", "c2") not in ids(got) and any("c3" in p for p in ids(got))


def test_pair_features_read_each_sides_place_among_its_candidates():
    # 0 (a) and 1 (b) are each other's best; 2 (b) is 0's second; 3 (c) is 2's best
    sim = sym(4, {(0, 1): 0.9, (0, 2): 0.6, (0, 3): 0.2, (1, 2): 0.1, (1, 3): 0.3, (2, 3): 0.7})
    f = pair_features(sim, ["a", "b", "b", "c"], ["en", "fr", "en", "en"])
    assert set(f) == set(FEATURES)
    assert f["rank_lo"][0, 1] == f["rank_hi"][0, 1] == 0  # both sides' best
    # 0-2: 2nd of 0's three candidates (0.9, 0.6, 0.2); 2's 2nd of its two (0.7, 0.6)
    assert f["rank_lo"][0, 2] == f["rank_hi"][0, 2] == pytest.approx(np.log(2))
    assert f["rank_hi"][0, 3] == pytest.approx(np.log(3))  # 0's last; 3's 2nd: 0.7, 0.3, 0.2 -> 3rd
    assert f["margin1_lo"][0, 2] == pytest.approx(0.6 - 0.9)  # below 0's best
    assert f["margin1_hi"][0, 2] == pytest.approx(0.6 - 0.7)
    assert f["gap_lo"][0, 1] == pytest.approx(0.9 - 0.6)  # 0's next below 1 is 2; 1's is 3 (0.3)
    assert f["gap_hi"][0, 1] == pytest.approx(0.9 - 0.3)
    assert f["gap_lo"][0, 3] == 0  # 0's last candidate
    assert f["best_lo"][2, 3] == pytest.approx(0.7) and f["best_hi"][0, 2] == pytest.approx(0.9)
    assert f["mutual"][0, 1] == 1 and f["mutual"][2, 3] == 1 and f["mutual"][0, 2] == 0
    assert f["same_lang"][0, 2] == 1 and f["same_lang"][0, 1] == 0
    assert np.allclose(f["rank_lo"], f["rank_lo"].T) and np.allclose(f["gap_hi"], f["gap_hi"].T)


def test_the_queue_follows_the_pair_model_when_it_has_one():
    # 0-1 scores 0.8 but is only 1's second (1-2 scores 0.85); 4-5 scores 0.5 and is each
    # side's best: a model that counts only the sides' ranks asks 4-5 before 0-1
    sim = sym(6, {(0, 1): 0.8, (1, 2): 0.85, (2, 3): 0.6, (4, 5): 0.5, (0, 5): 0.1})
    g = items(["a", "b", "c", "d", "e", "f"])
    model = {"weights": {"rank_hi": -5.0}, "intercept": 0.0}
    plain = suggest_pairs(sim, g, NONE, 6, settings=PLAIN)
    assert ids(plain)[:2] == [("c1", "c2"), ("c0", "c1")]
    got = suggest_pairs(sim, g, NONE, 6, settings=dict(PLAIN, model=model))
    assert ids(got)[0] == ("c1", "c2")  # rank 1 on both sides
    assert ids(got).index(("c4", "c5")) < ids(got).index(("c0", "c1"))
    assert dict(zip(ids(got), [s for _, _, s in got]))[("c0", "c1")] == 0.8  # the score shown
    z = pair_logit(sim, [x["group_id"] for x in g], None, model)
    assert z[0, 1] == pytest.approx(-5.0 * np.log(2)) and z[1, 2] == 0


def test_a_live_model_reads_ranks_among_the_pairs_still_open():
    # 0's best (1) is rejected: live, 0-2 is 0's best of what is left and goes before 3-4
    sim = sym(5, {(0, 1): 0.9, (0, 2): 0.6, (3, 4): 0.4, (2, 3): 0.3})
    g = items(["a", "b", "c", "d", "e"])
    model = {"weights": {"rank_hi": -5.0, "score": 1.0}, "intercept": 0.0}
    decided = {"points": [], "rejected": [["c0", "c1"]], "detached": set()}
    live = ids(suggest_pairs(sim, g, decided, 3, settings=dict(PLAIN, model=model, model_live=True)))
    still = ids(suggest_pairs(sim, g, decided, 3, settings=dict(PLAIN, model=model)))
    assert live[0] == ("c0", "c2") and ("c0", "c1") not in live
    assert still[0] == ("c3", "c4")
