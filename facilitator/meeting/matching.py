"""Relative decisions over a score matrix and the groups (pure numpy, no Flask).

A global threshold cannot separate twins (issue 18): each contribution's twins sit at its own
level of score, while its nearest neighbour in another group is right nine times in ten. What is
here judges a pair against its neighbourhood instead:

* ``knn_mean``, ``margin``: the margin criterion of LASER's bitext mining (Artetxe & Schwenk
  2019): a pair's score against the mean score of each side's ``k`` nearest contributions in
  other groups, as a ratio or a difference;
* ``best_in_group``, ``mutual_best``: mutual nearest neighbours between two groups;
* ``same_group_prior``: a group rarely raises one proposal twice, so its members are pushed
  apart;
* ``sure_edges``, ``sure_labels``: the pairs, and the engine's points, that reach the plenary
  with no person.

docs/synthesis.md ("Relative decisions") has what was measured, kept and rejected.
Every function takes ``sim`` (n x n, symmetric) and ``groups`` (n group ids, matrix order).
"""
from __future__ import annotations

import numpy as np


def group_codes(groups) -> np.ndarray:
    """Each row's group as a small integer (comparing integers, not strings, over n x n)."""
    return np.unique(np.asarray([str(x) for x in groups]), return_inverse=True)[1].reshape(-1)


def other_groups(groups) -> np.ndarray:
    """``mask[i, j]``: i and j come from different groups (so never i == j)."""
    g = group_codes(groups)
    return g[:, None] != g[None, :]


def knn_mean(sim: np.ndarray, groups, k: int) -> np.ndarray:
    """Each row's mean score with its ``k`` nearest contributions from other groups (fewer when
    there are fewer; the meeting's mean when there are none)."""
    n = sim.shape[0]
    if n == 0:
        return np.zeros(0)
    other = np.where(other_groups(groups), sim, -np.inf)
    kk = max(1, min(int(k), n - 1)) if n > 1 else 1
    top = np.partition(other, n - kk, axis=1)[:, n - kk:]
    finite = np.isfinite(top)
    count = finite.sum(axis=1)
    r = np.where(count > 0, np.where(finite, top, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)
    fill = float(np.nanmean(r)) if np.any(count > 0) else 0.0
    return np.where(np.isnan(r), fill, r)


def margin(sim: np.ndarray, groups, k: int = 4, form: str = "distance") -> np.ndarray:
    """Margin scores (Artetxe & Schwenk 2019, eq. 4-5): ``ratio`` = score / neighbourhood,
    ``distance`` = score - neighbourhood, where the neighbourhood is the mean of the two sides'
    ``knn_mean``. A pair stands out when it beats what each side scores with its near others."""
    r = knn_mean(sim, groups, k)
    hood = (r[:, None] + r[None, :]) / 2.0
    if form == "ratio":
        # scores may be negative after corrections: a ratio needs a positive scale
        return sim / np.maximum(hood, 1e-3)
    if form == "distance":
        return sim - hood
    raise ValueError(f"unknown margin form {form!r}")


def best_in_group(sim: np.ndarray, groups) -> np.ndarray:
    """``best[i, j]``: j is i's highest-scoring contribution in j's group (i's own group: no)."""
    g = group_codes(groups)
    n = len(g)
    best = np.zeros((n, n), dtype=bool)
    rows = np.arange(n)
    for name in np.unique(g):
        cols = np.flatnonzero(g == name)
        pick = cols[np.argmax(sim[:, cols], axis=1)]
        outside = g != name
        best[rows[outside], pick[outside]] = True
    return best


def mutual_best(sim: np.ndarray, groups) -> np.ndarray:
    """Mutual nearest neighbours between two groups: each is the other's best in its group."""
    best = best_in_group(sim, groups)
    return best & best.T


def mutual_bonus(sim: np.ndarray, groups, weight: float) -> np.ndarray:
    """Pairs that are mutual best between their two groups score ``weight`` more: being each
    other's best is relative evidence a global level misses (it raised the average precision on
    every development fold of both sets, docs/synthesis.md). Only where both groups had a choice
    (two contributions or more)."""
    if not weight or len(sim) < 2:
        return sim
    # the best of a group of one is no choice: early in a question, with one contribution a
    # group, every pair would be "mutual best" and everything would merge
    g = group_codes(groups)
    chose = np.bincount(g)[g] >= 2
    return sim + weight * (mutual_best(sim, groups) & chose[:, None] & chose[None, :])


def same_group_prior(sim: np.ndarray, groups, penalty: float) -> np.ndarray:
    """Two contributions of one group score ``penalty`` less (a group rarely raises one
    proposal twice; an average over a point then keeps its second copy out)."""
    if not penalty:
        return sim
    return np.where(other_groups(groups) | np.eye(len(sim), dtype=bool), sim, sim - penalty)


def sure_edges(sim: np.ndarray, groups, level: float, k: int = 4, form: str = "distance",
               mutual: bool = True) -> np.ndarray:
    """Pairs sure enough for the plenary: mutual best between their two groups (when ``mutual``)
    and a margin of at least ``level``."""
    ok = margin(sim, groups, k, form) >= level
    ok &= other_groups(groups)
    if mutual:
        ok &= mutual_best(sim, groups)
    return ok


def sure_labels(labels, sure: np.ndarray) -> set[int]:
    """The labels (points) whose members are all joined by sure pairs inside the point: a point
    reaches the plenary only if each member is tied to the rest by a sure pair (the sure pairs
    span it)."""
    labels = np.asarray(labels)
    out = set()
    for lab in np.unique(labels):
        idx = np.flatnonzero(labels == lab)
        if len(idx) >= 2 and _connected(sure[np.ix_(idx, idx)]):
            out.add(int(lab))
    return out


def _connected(adj: np.ndarray) -> bool:
    n = adj.shape[0]
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    frontier = seen.copy()
    while frontier.any():
        nxt = adj[frontier].any(axis=0) & ~seen
        seen |= nxt
        frontier = nxt
    return bool(seen.all())


# The plenary rule's settings (the "sure" rule), chosen on the development folds (bench eval):
# a point reaches the plenary with no person when its weakest merge scores at least
# ``confident`` (None: no such condition) and (``combine`` "all") or (``combine`` "any") its
# pairs of margin >= ``margin`` that are mutual best between their groups (when ``mutual``)
# span it (None: no such condition).
SURE = {"confident": 0.5, "margin": None, "k": 4, "mutual": True, "combine": "all"}


def sure_points(sim: np.ndarray, groups, labels, weakest: dict, rule: dict | None = None) -> set[int]:
    """The labels of the engine's points that reach the plenary with no person (see ``SURE``);
    ``weakest``: per label, the score of the merge that formed it (``synthesis.cluster``)."""
    rule = dict(SURE, **(rule or {}))
    labels = np.asarray(labels)
    every = {int(x) for x in labels}
    tests = []
    if rule["confident"] is not None:
        tests.append({lab for lab in every if weakest.get(lab, 1.0) >= rule["confident"]})
    if rule["margin"] is not None:
        sure = sure_edges(sim, groups, rule["margin"], rule["k"], "distance", rule["mutual"])
        tests.append(sure_labels(labels, sure))
    if not tests:
        return every
    return set.union(*tests) if rule["combine"] == "any" else set.intersection(*tests)


def centre(gram: np.ndarray, weight: float) -> np.ndarray:
    """Cosines after taking ``weight`` of the question's mean vector off every contribution,
    from the cosines alone (``gram``: unit vectors' dot products), so a cache of the models'
    scores serves it. Every answer to one question shares its topic; what is left tells the
    proposals apart. With m the mean vector, v_i.m is row i's mean and m.m the matrix's."""
    n = gram.shape[0]
    if not weight or n < 3:
        return gram
    g = np.array(gram, dtype=np.float64)  # a copy, worked on in place (n x n, no temporaries)
    r = g.mean(axis=1)
    mm = float(r.mean())
    sq = np.maximum(np.diag(g) - 2.0 * weight * r + weight * weight * mm, 1e-12)
    inv = 1.0 / np.sqrt(sq)
    g -= (weight * r)[:, None]
    g -= (weight * r)[None, :]
    g += weight * weight * mm
    g *= inv[:, None]
    g *= inv[None, :]
    return g


def shared_neighbours(sim: np.ndarray, weight: float, k: int = 10) -> np.ndarray:
    """Add ``weight`` times the cosine of two contributions' neighbourhoods: each row keeps its
    ``k`` best scores with the others (itself left out), and two rows that share neighbours,
    and score them alike, come close (shared nearest neighbours, after Jarvis and Patrick). A
    proposal raised by several groups gives its twins common neighbours, which a contribution
    of the same topic but another proposal lacks."""
    n = sim.shape[0]
    if not weight or n < 3:
        return sim
    from scipy import sparse
    kk = max(1, min(k, n - 1))
    r = np.array(sim, dtype=np.float64)
    np.fill_diagonal(r, -np.inf)
    cols = np.argpartition(-r, kk - 1, axis=1)[:, :kk]
    rows = np.repeat(np.arange(n), kk)
    vals = np.take_along_axis(r, cols, axis=1).ravel()
    vals = np.where(np.isfinite(vals), vals, 0.0)
    profile = sparse.csr_matrix((vals, (rows, cols.ravel())), shape=(n, n))
    norm = np.sqrt(np.asarray(profile.multiply(profile).sum(axis=1)).ravel())
    profile = sparse.diags(1.0 / np.maximum(norm, 1e-12)) @ profile
    shared = (profile @ profile.T).toarray()
    return sim + weight * shared


# Below FULL_FROM contributions a question's mean is no topic estimate (four answers of six may
# make one proposal: its own direction would be taken off) and every neighbourhood is the whole
# question; the two steps above come in linearly from NONE_BELOW to FULL_FROM. The evaluation's
# questions all hold 54 or more contributions: these bounds are reasoned, not measured.
NONE_BELOW, FULL_FROM = 8, 24


def question_share(n: int) -> float:
    """How much of ``centre`` and ``shared_neighbours`` a question of ``n`` contributions gets."""
    return float(min(1.0, max(0.0, (n - NONE_BELOW) / (FULL_FROM - NONE_BELOW))))
