"""The synthesis desk's queue: which pair of contributions a person should decide next.

Pure numpy, no Flask. ``suggest_pairs`` ranks pairs of contributions from different groups by
how likely they make one proposal, given the decisions already taken:

* a confirmed point is one unit: a contribution is asked about the point once (against the
  member it is closest to), never about each member, and two members of a point are never asked;
  a contribution may sit in several points (a note carrying two proposals): two contributions
  together in any of them are never asked, and a point is still asked about the others;
* a rejection is a cannot-link between the units holding its members: they are not asked again,
  and a unit rejected again and again comes later (``rejection_decay``); lowering the near
  copies of a rejected pair (``copy_penalty``) is there but off: it saved no decision;
* a unit already holding a contribution of a group is asked about that group's contributions
  later (a group rarely raises one proposal twice);
* pairs touching a confirmed point come first among equals: completing a point is what moves
  the plenary.

A pair model (``QUEUE["model"]``, ``pair_features``, ``pair_logit``) can order the queue by a
logistic estimate that the pair makes one proposal instead of its score; it is off: it did not
beat the score on the development questions (docs/synthesis.md, "A pair model for the queue").

The settings (``QUEUE``) were chosen with a simulated curator on the development folds
(bench/bench_synthesis.py eval; docs/synthesis.md, "The desk's queue").
"""
from __future__ import annotations

import numpy as np

from . import matching

# unit: how a contribution scores against a point ("max": its closest member, "mean");
# margin_k: the queue ranks by margin (matching.margin, distance form) over each side's k
#   nearest contributions of other groups (0: the score as given);
# group_prior: taken off a pair whose two units share a group;
# point_bonus: added to a pair touching a confirmed point;
# copy_level, copy_penalty: a pair whose sides are each at least copy_level from the two sides
#   of a rejected pair is lowered by copy_penalty;
# model: None (the queue ranks by the score) or the pair model (``pair_logit``): the queue
#   ranks by its probability that the pair makes one proposal (group_prior, point_bonus and
#   rejection_decay then act on that probability); model_live: its features are read over the
#   pairs still open (a rejected candidate no longer counts in a side's ranks and margins),
#   and the state features (a side in a point, its rejections) are given;
# rejection_decay: taken off a pair per rejection either unit already had (a contribution
#   rejected again and again is more likely raised by its group only).
QUEUE = {"unit": "mean", "margin_k": 0, "group_prior": 0.1, "point_bonus": 0.05,
         "copy_level": 0.8, "copy_penalty": 0.2, "rejection_decay": 0.0,
         "model": None, "model_live": False}
_SHORTLIST = 400  # rejections' near copies are looked for among this many best pairs


def suggest_pairs(sim, items: list[dict], decided: dict | None = None, limit: int = 20,
                  settings: dict | None = None) -> list[tuple[str, str, float]]:
    """``[(a_id, b_id, score), ...]``, best first, at most ``limit``.

    ``sim``: n x n scores in the order of ``items`` (``[{"id", "group_id"}]``); ``decided``:
    ``{"points": [[ids]], "rejected": [[ids]], "detached": set(ids)}``; points may overlap (a
    contribution in several: its first point listed is its unit when it stands on its own).
    Only pairs of different groups, never two members of one point, never two units a
    rejection separates."""
    st = dict(QUEUE, **(settings or {}))
    n = len(items)
    if n < 2 or limit <= 0:
        return []
    sim = np.asarray(sim, dtype=np.float64)
    groups = [str(it.get("group_id")) for it in items]
    ids = [str(it["id"]) for it in items]
    if st["margin_k"]:
        sim = matching.margin(sim, groups, int(st["margin_k"]), "distance")
    unit_of, units, units_of = _units(ids, (decided or {}).get("points") or [])
    cross = matching.other_groups(groups)
    if any(len(u) > 1 for u in units_of):  # overlapping points: a pair together in one is out
        cross = cross & ~_together(units, n)
    rejected = (decided or {}).get("rejected") or []
    apart = _separated(ids, units_of, rejected, len(units))
    ranked = sim
    if st["model"]:
        langs = [it.get("lang") for it in items]
        open_, state = cross, None
        if st["model_live"]:
            open_, state = _open_and_state(ids, cross, unit_of, units, units_of, rejected, apart)
        z = np.clip(pair_logit(sim, groups, langs, st["model"], open_, state), -30, 30)
        ranked = 1.0 / (1.0 + np.exp(-z))
    score, rep = _unit_scores(ranked, cross, units, st["unit"])
    prio = score.copy()
    is_point = np.array([len(u) >= 2 for u in units])
    unit_groups = [{groups[i] for i in u} for u in units]
    prio -= st["group_prior"] * _share_group(unit_groups)
    prio += st["point_bonus"] * (is_point[:, None] | is_point[None, :])
    if st["rejection_decay"]:
        times = _times_rejected(ids, units_of, rejected, len(units))
        prio -= st["rejection_decay"] * (times[:, None] + times[None, :])
    prio[apart] = -np.inf
    iu = np.triu_indices(len(units), 1)
    cand = np.isfinite(prio[iu])
    a, b = iu[0][cand], iu[1][cand]
    order = _top(prio[a, b], max(_SHORTLIST, 4 * limit))
    a, b = a[order], b[order]
    pr = prio[a, b] - _copy_penalty(sim, ids, unit_of, units, decided, a, b, st)
    keep = np.argsort(-pr, kind="stable")[:limit]
    out = []
    for k in keep:
        i, j = rep(int(a[k]), int(b[k]))
        out.append((ids[i], ids[j], round(float(sim[i, j]), 4)))
    return out


def decision_state(sim, items: list[dict], decided: dict | None):
    """What a live pair model reads the decisions through (``suggest_pairs``' arguments): the
    contribution pairs still open and ``pair_features``' state."""
    ids = [str(it["id"]) for it in items]
    groups = [str(it.get("group_id")) for it in items]
    unit_of, units, units_of = _units(ids, (decided or {}).get("points") or [])
    rejected = (decided or {}).get("rejected") or []
    apart = _separated(ids, units_of, rejected, len(units))
    return _open_and_state(ids, matching.other_groups(groups), unit_of, units, units_of, rejected, apart)


def _open_and_state(ids, cross, unit_of, units, units_of, rejected, apart):
    open_ = cross & ~apart[np.ix_(unit_of, unit_of)] & ~_together(units, len(ids))
    state = {"in_point": [len(units[u]) > 1 for u in unit_of],
             "rejections": _times_rejected(ids, units_of, rejected, len(units))[unit_of]}
    return open_, state


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first (ties in index order)."""
    if len(values) > k:
        part = np.argpartition(-values, k - 1)[:k]
        return part[np.lexsort((part, -values[part]))]
    return np.lexsort((np.arange(len(values)), -values))


def _units(ids: list[str], points) -> tuple[np.ndarray, list[list[int]], list[list[int]]]:
    """Each contribution's unit (its first point's, members present here, else its own), the
    units, and every unit each contribution is in."""
    index = {c: i for i, c in enumerate(ids)}
    unit_of = np.full(len(ids), -1)
    units: list[list[int]] = []
    units_of: list[list[int]] = [[] for _ in ids]
    for p in points:
        members = list(dict.fromkeys(index[str(c)] for c in p if str(c) in index))
        if members:
            for i in members:
                if unit_of[i] < 0:
                    unit_of[i] = len(units)
                units_of[i].append(len(units))
            units.append(members)
    for i in range(len(ids)):
        if unit_of[i] < 0:
            unit_of[i] = len(units)
            units_of[i].append(len(units))
            units.append([i])
    return unit_of, units, units_of


def _together(units: list[list[int]], n: int) -> np.ndarray:
    """n x n: the two contributions share a unit."""
    together = np.zeros((n, n), dtype=bool)
    for u in units:
        if len(u) > 1:
            together[np.ix_(u, u)] = True
    return together


def _unit_scores(sim, cross, units, how: str):
    """Unit x unit scores over cross-group member pairs (max or mean; -inf: none), and a
    function giving the member pair a unit pair is shown as (its best cross-group pair)."""
    masked = np.where(cross, sim, -np.inf)
    first = np.array([u[0] for u in units])
    multi = [k for k, u in enumerate(units) if len(u) > 1]
    rows = masked[first]  # a single contribution's unit scores as it does
    for k in multi:
        rows[k] = _agg(masked[units[k]], how)
    score = rows[:, first]
    for k in multi:
        score[:, k] = _agg(rows[:, units[k]].T, how)

    def rep(ua: int, ub: int) -> tuple[int, int]:
        sub = masked[np.ix_(units[ua], units[ub])]
        i, j = np.unravel_index(int(np.argmax(sub)), sub.shape)
        return units[ua][i], units[ub][j]

    return score, rep


def _agg(block: np.ndarray, how: str) -> np.ndarray:
    if block.shape[0] == 1:
        return block[0]
    if how == "max":
        return block.max(axis=0)
    finite = np.isfinite(block)
    total = np.where(finite, block, 0.0).sum(axis=0)
    count = finite.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), -np.inf)


def _share_group(unit_groups: list[set]) -> np.ndarray:
    """1 where two units hold a contribution of one group (a single contribution's pairs with its
    own group are already out: they have no cross-group pair)."""
    u = len(unit_groups)
    share = np.zeros((u, u), dtype=bool)
    for g in set().union(*unit_groups) if unit_groups else ():
        has = np.fromiter((g in gs for gs in unit_groups), dtype=bool, count=u)
        share |= has[:, None] & has[None, :]
    return share.astype(float)


def _times_rejected(ids, units_of, rejected, n_units: int) -> np.ndarray:
    """Per unit, how many rejections touched it."""
    index = {c: i for i, c in enumerate(ids)}
    times = np.zeros(n_units)
    for r in rejected:
        for u in {u for c in r if str(c) in index for u in units_of[index[str(c)]]}:
            times[u] += 1
    return times


def _separated(ids, units_of, rejected, n_units: int) -> np.ndarray:
    """Units a rejection keeps apart (every unit each member is in), and each unit with itself."""
    index = {c: i for i, c in enumerate(ids)}
    apart = np.eye(n_units, dtype=bool)
    for r in rejected:
        of = [units_of[index[str(c)]] for c in dict.fromkeys(r) if str(c) in index]
        if any(len(u) > 1 for u in of):  # a member in several points: only across members
            for k, us in enumerate(of):
                others = sorted({u for m, vs in enumerate(of) if m != k for u in vs})
                apart[np.ix_(us, others)] = apart[np.ix_(others, us)] = True
            continue
        us = sorted({u[0] for u in of})
        if len(us) >= 2:
            apart[np.ix_(us, us)] = True
    np.fill_diagonal(apart, True)
    return apart


def _copy_penalty(sim, ids, unit_of, units, decided, a, b, st) -> np.ndarray:
    """For candidate unit pairs (a, b): copy_penalty when they are a near copy of a rejected
    pair: one side is (or holds a near copy of) one rejected member, the other side of another
    (a near copy: score >= copy_level, a group's twice-typed note rather than a twin)."""
    rejected = (decided or {}).get("rejected") or []
    if not rejected or not st["copy_penalty"] or not len(a):
        return np.zeros(len(a))
    index = {c: i for i, c in enumerate(ids)}
    sets = [[index[str(c)] for c in r if str(c) in index] for r in rejected]
    sets = [m for m in sets if len(m) >= 2]
    cols = sorted({i for m in sets for i in m})
    if not cols:
        return np.zeros(len(a))
    where = {c: k for k, c in enumerate(cols)}
    near = sim[:, cols] >= st["copy_level"]
    near[cols, np.arange(len(cols))] = True  # a member is its own copy
    # only the candidates' units: each near a rejected member when one of its members is
    involved = np.unique(np.concatenate([a, b]))
    row = {int(u): k for k, u in enumerate(involved)}
    unit_near = np.stack([near[units[int(u)]].any(axis=0) for u in involved])
    ra, rb = unit_near[[row[int(x)] for x in a]], unit_near[[row[int(x)] for x in b]]
    hit = np.zeros(len(a), dtype=bool)
    for m in sets:
        k = [where[i] for i in m]
        na, nb = ra[:, k].astype(int), rb[:, k].astype(int)
        # some x != y of the set with a near x and b near y: all crosswise pairs minus x == y
        hit |= (na.sum(axis=1) * nb.sum(axis=1) - (na * nb).sum(axis=1)) > 0
    return st["copy_penalty"] * hit



# -- the pair model: P(one proposal | the pair's place in the score matrix) ---------------------
# Every feature is read off the score matrix, the groups and the languages (and, for the state
# features, the decisions taken), per side and then made symmetric (the lower and the higher of
# the two sides): a pair's place in the queue should not depend on which side is "a".
# bench/synthesis_pair_model.py fits the weights.
MARGIN_KS = (1, 3, 8)
_SIDES = ("rank", *[f"margin{k}" for k in MARGIN_KS], "best", "gap")
FEATURES = ("score", *[f"{f}_{s}" for f in _SIDES for s in ("lo", "hi")],
            "mutual", "groups", "same_lang")
STATE_FEATURES = ("point_lo", "point_hi", "rejected_lo", "rejected_hi")


def pair_features(sim, groups, langs=None, cross=None, state=None, names=None) -> dict:
    """n x n arrays for ``names`` (default: every name of ``FEATURES`` and, with ``state``,
    ``STATE_FEATURES``), meaningful where ``cross``: the pairs of different groups still open
    (default: every pair of different groups). Per side: ``rank``: log(1 + the other side's place
    among this side's open candidates; 0 = its best); ``margin{k}``: the score over this side's
    k-th best; ``best``: its best score; ``gap``: the score over its next candidate below (0 for
    its last). ``mutual``: each is the other's best in its group; ``groups``: log of the number
    of groups present. ``state``: ``{"in_point": n bools, "rejections": n counts}`` gives
    ``point`` (the side is in a confirmed point) and ``rejected`` (log(1 + its rejections))."""
    names = names or (FEATURES + (STATE_FEATURES if state is not None else ()))
    return dict(_features(sim, groups, langs, cross, state, set(names)))


def pair_logit(sim, groups, langs, model: dict, cross=None, state=None) -> np.ndarray:
    """The model's log-odds that each pair makes one proposal (``model``: ``{"weights": {name:
    w}, "intercept": b}``, names among ``FEATURES`` and ``STATE_FEATURES``; a state feature
    counts 0 without ``state``). One feature at a time (float32): at 1,000 contributions a
    feature is 4 MB, all of them at once would be 80."""
    weights = {k: w for k, w in model["weights"].items()
               if w and (state is not None or k not in STATE_FEATURES)}
    z = np.full(np.shape(sim), float(model["intercept"]), dtype=np.float32)
    for name, value in _features(sim, groups, langs, cross, state, set(weights)):
        z += np.float32(weights[name]) * value
    return z


def _features(sim, groups, langs, cross, state, names: set):
    """(name, n x n array) for each of ``names``, computed as they are asked for."""
    sim = np.asarray(sim, dtype=np.float32)
    n = sim.shape[0]
    if cross is None:
        cross = matching.other_groups(groups)
    side = {f.rsplit("_", 1)[0] for f in names if f.endswith(("_lo", "_hi"))}
    if "score" in names:
        yield "score", sim
    masked = np.where(cross, sim, -np.inf).astype(np.float32)

    def both(f, v):
        v = np.broadcast_to(v, (n, n))
        if f"{f}_lo" in names:
            yield f"{f}_lo", np.minimum(v, v.T)
        if f"{f}_hi" in names:
            yield f"{f}_hi", np.maximum(v, v.T)

    if side & ({"rank", "gap", "best"} | {f"margin{k}" for k in MARGIN_KS}) and n:
        count = cross.sum(axis=1)
        last = np.maximum(count - 1, 0)
        srt = -np.sort(-masked, axis=1)
        rows = np.arange(n)
        if "best" in side:
            yield from both("best", np.where(count > 0, srt[:, 0], 0.0).astype(np.float32)[:, None])
        for k in MARGIN_KS:
            if f"margin{k}" in side:
                kth = srt[rows, np.minimum(k - 1, last)]
                yield from both(f"margin{k}", sim - np.where(np.isfinite(kth), kth, 0.0)[:, None])
        if side & {"rank", "gap"}:
            # a candidate's place: how many of the side's open candidates score more
            rank = np.empty((n, n), dtype=np.int32)
            rank[rows[:, None], np.argsort(-masked, axis=1)] = np.arange(n, dtype=np.int32)[None, :]
            if "rank" in side:
                yield from both("rank", np.log1p(rank, dtype=np.float32))
            if "gap" in side:
                nxt = np.take_along_axis(srt, np.minimum(rank + 1, n - 1), axis=1)
                ok = ((rank + 1) < count[:, None]) & np.isfinite(nxt)
                yield from both("gap", np.where(ok, sim - np.where(ok, nxt, 0.0), 0.0).astype(np.float32))
    if state is not None:
        yield from both("point", np.asarray(state["in_point"], dtype=np.float32)[:, None])
        yield from both("rejected", np.log1p(np.asarray(state["rejections"], dtype=np.float32))[:, None])
    if "mutual" in names:
        yield "mutual", (matching.mutual_best(masked, groups) & cross).astype(np.float32)
    if "groups" in names:
        yield "groups", np.full((n, n), np.log(max(1, len(set(map(str, groups))))), dtype=np.float32)
    if "same_lang" in names:
        if langs is not None and all(lang for lang in langs):
            lg = np.unique(np.asarray([str(x) for x in langs]), return_inverse=True)[1].reshape(-1)
            yield "same_lang", (lg[:, None] == lg[None, :]).astype(np.float32)
        else:
            yield "same_lang", np.zeros((n, n), dtype=np.float32)


def terms(words_a, words_b, limit: int = 6) -> list[str]:
    """The words two contributions share (``(stem, surface)`` pairs as ``text.analyse_words``
    gives them), as first typed in ``a``: why a pair scored, for the desk. Pairs across
    languages often share none (then the score alone says why)."""
    in_b = {stem for stem, _ in words_b}
    out: list[str] = []
    seen = set()
    for stem, surface in words_a:
        if stem in in_b and stem not in seen:
            seen.add(stem)
            out.append(surface.lower() if not surface.isupper() else surface)
            if len(out) >= limit:
                break
    return out
