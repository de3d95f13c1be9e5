"""Relative decisions over a score matrix (facilitator/meeting/matching.py), on small hand-made
matrices: each test states a rule and a case where a global threshold would decide otherwise."""
import numpy as np
import pytest

from facilitator.meeting import matching


def sym(n, pairs, base=0.1):
    m = np.full((n, n), base)
    for (i, j), v in pairs.items():
        m[i, j] = m[j, i] = v
    np.fill_diagonal(m, 1.0)
    return m


def test_knn_mean_looks_at_other_groups_only():
    # 0 and 1 are one group: their 0.9 must not count as a neighbour
    sim = sym(4, {(0, 1): 0.9, (0, 2): 0.5, (0, 3): 0.3, (1, 2): 0.2, (2, 3): 0.4})
    r = matching.knn_mean(sim, ["a", "a", "b", "c"], k=2)
    assert r[0] == pytest.approx((0.5 + 0.3) / 2)
    assert r[2] == pytest.approx((0.5 + 0.4) / 2)


def test_knn_mean_of_a_lone_group_is_the_meetings_mean():
    sim = sym(3, {(0, 1): 0.5, (0, 2): 0.5, (1, 2): 0.5})
    r = matching.knn_mean(sim, ["a", "a", "a"], k=2)
    assert np.all(np.isfinite(r))


def test_margin_prefers_the_pair_that_stands_out_from_its_neighbourhood():
    # 0-1 score 0.6 but both sit in a crowd scoring 0.55; 2-3 score 0.5 with nothing else near
    pairs = {(0, 1): 0.6, (0, 4): 0.55, (1, 4): 0.55, (0, 5): 0.55, (1, 5): 0.55,
             (4, 5): 0.55, (2, 3): 0.5}
    sim = sym(6, pairs)
    groups = ["a", "b", "c", "d", "e", "f"]
    for form in ("distance", "ratio"):
        m = matching.margin(sim, groups, k=2, form=form)
        assert m[2, 3] > m[0, 1], form
    assert sim[0, 1] > sim[2, 3]  # what a global threshold would have preferred


def test_margin_rejects_an_unknown_form():
    with pytest.raises(ValueError):
        matching.margin(np.eye(2), ["a", "b"], form="cosine")


def test_mutual_best_between_groups():
    # group b holds 1 and 2: 0's best in b is 1; 1's best in a is 0; 2 prefers 0 but 0 does not
    sim = sym(4, {(0, 1): 0.7, (0, 2): 0.6, (1, 3): 0.2, (2, 3): 0.65})
    groups = ["a", "b", "b", "c"]
    mb = matching.mutual_best(sim, groups)
    assert mb[0, 1] and mb[1, 0]
    assert not mb[0, 2]
    assert mb[2, 3]  # 2 is 3's best in b (0.65 > 0.2), 3 is 2's best in c
    assert not mb[0, 0] and not mb[1, 2]  # never oneself, never one's own group


def test_mutual_bonus_lifts_only_mutual_pairs():
    sim = sym(4, {(0, 1): 0.5, (0, 2): 0.45, (1, 2): 0.6, (1, 3): 0.1, (2, 3): 0.3, (0, 3): 0.2})
    groups = ["a", "b", "b", "a"]
    out = matching.mutual_bonus(sim, groups, 0.2)
    assert out[0, 1] == pytest.approx(0.7)   # each the other's best in its group
    assert out[0, 2] == pytest.approx(0.45)  # 0 prefers 1 in group b
    assert out[2, 3] == pytest.approx(0.3)   # 3 prefers 2, but 2 prefers 0 in group a
    assert out[1, 3] == pytest.approx(0.1)   # 3 prefers 2 in group b
    assert out[1, 2] == pytest.approx(0.6)   # one group: never a mutual pair
    assert np.array_equal(matching.mutual_bonus(sim, groups, 0.0), sim)


def test_same_group_prior_lowers_a_groups_own_pairs_only():
    sim = sym(3, {(0, 1): 0.8, (0, 2): 0.8})
    out = matching.same_group_prior(sim, ["a", "a", "b"], 0.3)
    assert out[0, 1] == pytest.approx(0.5) and out[0, 2] == pytest.approx(0.8)
    assert out[0, 0] == pytest.approx(1.0)


def test_sure_labels_need_sure_pairs_spanning_the_point():
    labels = np.array([1, 1, 1, 2, 2])
    sure = np.zeros((5, 5), dtype=bool)
    sure[0, 1] = sure[1, 0] = True      # 2 is tied to nobody in point 1
    sure[3, 4] = sure[4, 3] = True
    assert matching.sure_labels(labels, sure) == {2}
    sure[1, 2] = sure[2, 1] = True      # a chain spans it
    assert matching.sure_labels(labels, sure) == {1, 2}


def test_sure_points_by_weakest_merge_and_by_margin():
    sim = sym(4, {(0, 1): 0.8, (2, 3): 0.55})
    groups = ["a", "b", "c", "d"]
    labels = np.array([1, 1, 2, 2])
    weakest = {1: 0.8, 2: 0.55}
    assert matching.sure_points(sim, groups, labels, weakest,
                                {"confident": 0.6, "margin": None}) == {1}
    # by margin alone both pairs stand out of a flat background (k = 2: a pair's own score is
    # one of each side's nearest, so k = 1 would leave a mutual best pair no margin)
    got = matching.sure_points(sim, groups, labels, weakest,
                               {"confident": None, "margin": 0.2, "k": 2, "mutual": True})
    assert got == {1, 2}
    # a third contribution as close to 2 as 3 is: 2-3 no longer stands out
    sim2 = sym(5, {(0, 1): 0.8, (2, 3): 0.55, (2, 4): 0.55, (3, 4): 0.55})
    got = matching.sure_points(sim2, groups + ["e"], np.array([1, 1, 2, 2, 3]),
                               {1: 0.8, 2: 0.55, 3: 1.0},
                               {"confident": None, "margin": 0.2, "k": 2, "mutual": True})
    assert 2 not in got and 1 in got


def test_scoring_steps_keep_a_large_question_whole():
    # the cost of these steps is measured by bench/bench_synthesis.py time, not asserted here
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 32))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    groups = [f"g{i % 10}" for i in range(1000)]
    out = matching.same_group_prior(matching.mutual_bonus(sim, groups, 0.1), groups, 0.1)
    assert out.shape == sim.shape and np.isfinite(out).all()
    assert np.allclose(out, out.T)
    matching.sure_edges(out, groups, 0.25, k=8)


def test_sure_points_either_condition():
    # point 1 passes by its weakest merge only, point 2 by its margin only
    sim = sym(6, {(0, 1): 0.9, (0, 4): 0.85, (1, 4): 0.85, (2, 3): 0.5})
    groups = ["a", "b", "c", "d", "e", "f"]
    labels = np.array([1, 1, 2, 2, 3, 4])
    weakest = {1: 0.9, 2: 0.5, 3: 1.0, 4: 1.0}
    rule = {"confident": 0.8, "margin": 0.2, "k": 2, "mutual": True}
    both = matching.sure_points(sim, groups, labels, weakest, dict(rule, combine="all"))
    either = matching.sure_points(sim, groups, labels, weakest, dict(rule, combine="any"))
    assert 1 not in both and 2 not in both
    assert {1, 2} <= either


def test_mutual_bonus_needs_a_choice_in_both_groups():
    # one contribution a group: each is trivially the best of its group, which says nothing
    sim = sym(3, {(0, 1): 0.5, (0, 2): 0.2, (1, 2): 0.3})
    assert np.array_equal(matching.mutual_bonus(sim, ["a", "b", "c"], 0.2), sim)
    sim = sym(4, {(0, 1): 0.5, (0, 2): 0.2, (1, 2): 0.3, (1, 3): 0.1})
    out = matching.mutual_bonus(sim, ["a", "b", "c", "b"], 0.2)
    assert out[0, 1] == pytest.approx(0.5)  # group a has one contribution: no choice made


def test_centre_on_the_cosines_equals_centring_the_vectors():
    # the cache holds the models' cosines, not the vectors: the centred scores must be the same
    rng = np.random.default_rng(3)
    v = rng.normal(size=(9, 16)) + 2.0  # a shared component: every answer to one question
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    for w in (0.5, 1.0):
        c = v - w * v.mean(axis=0)
        c /= np.linalg.norm(c, axis=1, keepdims=True)
        assert np.allclose(matching.centre(v @ v.T, w), c @ c.T)
    assert matching.centre(v @ v.T, 0.0) is not None
    assert np.array_equal(matching.centre(v @ v.T, 0.0), v @ v.T)


def test_centre_takes_the_shared_topic_off():
    # three answers share one topic direction strongly; two of them share a proposal too
    topic, p, q, r = np.eye(4)
    v = np.stack([topic * 3 + p, topic * 3 + p + 0.1 * q, topic * 3 + q, topic * 3 + r])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    raw, centred = v @ v.T, matching.centre(v @ v.T, 1.0)
    assert raw[0, 2] > 0.85  # on raw scores the other proposal looks nearly the same
    assert centred[0, 1] > 0.5 > centred[0, 2]


def test_shared_neighbours_lift_the_pair_whose_neighbourhoods_agree():
    # 0, 1 and 2 make one proposal (each near the others); 3 is as near 0 as 1 is, but its own
    # neighbours are elsewhere (4, 5): the shared neighbourhood tells 1 from 3
    pairs = {(0, 1): 0.5, (0, 2): 0.6, (1, 2): 0.6, (0, 3): 0.5, (3, 4): 0.7, (3, 5): 0.7,
             (4, 5): 0.6}
    sim = sym(6, pairs)
    out = matching.shared_neighbours(sim, 0.3, k=2)
    assert sim[0, 1] == sim[0, 3]
    assert out[0, 1] > out[0, 3]
    assert np.allclose(out, out.T)
    assert np.array_equal(matching.shared_neighbours(sim, 0.0), sim)


def test_a_small_question_is_neither_centred_nor_scored_on_neighbourhoods():
    assert matching.question_share(6) == 0.0
    assert 0.0 < matching.question_share(16) < 1.0
    assert matching.question_share(24) == matching.question_share(300) == 1.0
