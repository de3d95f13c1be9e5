"""A simulated curator for bench_synthesis.py eval: it answers the desk's queue truthfully.

The plenary it is measured on is what a meeting's plenary shows: the confirmed points (exactly
their members) plus the engine's points, clustered over the contributions in no point, that
pass the sure rule (``matching.sure_points``). Rejections are cannot-links in that clustering.
"""
from __future__ import annotations

import numpy as np

from facilitator.meeting import matching
from facilitator.meeting.suggestions import suggest_pairs
from facilitator.meeting.synthesis import cluster

from tests import synthesis_eval as ev

from . import synthesis_measures as sm


def engine_labels(sim, items, threshold, rule, exclude=(), cannot=()):
    """Labels of the engine's clustering (rows in ``exclude`` alone) and its sure labels."""
    groups = [x["group"] for x in items]
    fixed = np.zeros(len(items), dtype=bool)
    fixed[list(exclude)] = True
    labels, weakest = cluster(sim, threshold, fixed=fixed, cannot=cannot)
    labels = np.asarray(labels).copy()
    sure = matching.sure_points(sim, groups, labels, weakest, rule)
    sure = {lab for lab in sure if len({groups[i] for i in np.flatnonzero(labels == lab)}) >= 2}
    return labels, sure


def plenary_together(sim, items, threshold, rule, points=(), rejected=()):
    """The pairs the plenary shows together after these decisions (index lists)."""
    n = len(items)
    in_point = sorted({i for p in points for i in p})
    cannot = [(a, b) for r in rejected for a in r for b in r if a < b]
    labels, sure = engine_labels(sim, items, threshold, rule, in_point, cannot)
    together = sm.together_of(labels, sure)
    for p in points:
        together[np.ix_(p, p)] = True
    np.fill_diagonal(together, False)
    return together


def minimum_decisions(items) -> int:
    """Per proposal, the groups raising it minus one."""
    groups: dict = {}
    for x in items:
        for label in ev.labels_of(x["proposal"]):
            groups.setdefault(label, set()).add(x["group"])
    return sum(len(g) - 1 for g in groups.values() if len(g) >= 2)


def simulate(sim, items, threshold, rule, queue=None, target=(0.95, 0.90), cap=None, include=True):
    """Decisions (confirmations, includes, rejections) until the plenary reaches ``target`` P and
    R, or the queue runs dry or ``cap`` decisions. ``include``: the curator may answer "same
    proposal, and this note also carries another" (`cluster.include`), counted as a
    confirmation. Returns a dict of figures."""
    truth = sm.truth(items)
    other = matching.other_groups([x["group"] for x in items])
    ids = [x["id"] for x in items]
    index = {c: i for i, c in enumerate(ids)}
    q_items = [{"id": x["id"], "group_id": x["group"], "lang": x["lang"]} for x in items]
    point_of: dict[int, int] = {}  # primary point
    also: dict[int, list[int]] = {}  # additional points (includes)
    points: dict[int, list[int]] = {}
    rejected: list[list[int]] = []
    conf = rej = inc = 0
    cap = cap or 4 * max(1, minimum_decisions(items)) + 20
    # a point holds a note once: the recall one point per note can reach at all
    ceiling = sm.partition_ceiling(items)
    relative_at = None
    while True:
        p, r = _pr(plenary_together(sim, items, threshold, rule, list(points.values()), rejected),
                   truth, other)
        if relative_at is None and p >= target[0] and r >= target[1] * ceiling:
            relative_at = conf + rej
        if (p >= target[0] and r >= target[1]) or conf + rej >= cap:
            break
        decided = {"points": [[ids[i] for i in m] for m in points.values()],
                   "rejected": [[ids[i] for i in m] for m in rejected], "detached": set()}
        pairs = suggest_pairs(sim, q_items, decided, limit=1, settings=queue)
        if not pairs:
            break
        a, b = index[pairs[0][0]], index[pairs[0][1]]
        answer = _answer(truth, other, points, point_of, a, b, include)
        if answer == "same":
            conf += 1
            _join(points, point_of, also, a, b)
        elif answer is not None:
            conf += 1
            inc += 1
            _include(points, point_of, also, *answer)
        else:
            rej += 1
            rejected.append([a, b])
    reached = p >= target[0] and r >= target[1]
    return {"confirmations": conf, "rejections": rej, "decisions": conf + rej, "reached": reached,
            "includes": inc, "precision": p, "recall": r, "minimum": minimum_decisions(items),
            "ceiling": ceiling, "relative_at": relative_at}


def _join(points, point_of, also, a, b):
    """a and b's primary points become one (the older key stays); b's or a's alone joins."""
    pa, pb = point_of.get(a), point_of.get(b)
    if pa is None and pb is None:
        key = min(a, b)
        points[key] = [a, b]
        point_of[a] = point_of[b] = key
    elif pa is not None and pb is not None:
        keep, gone = min(pa, pb), max(pa, pb)
        for i in points.pop(gone):
            if point_of[i] == gone:
                point_of[i] = keep
                if keep in also.get(i, []):  # an additional member of keep: now its primary
                    also[i].remove(keep)
            else:  # an additional member of gone: of keep now, unless it is in keep already
                also[i].remove(gone)
                if point_of[i] != keep and keep not in also[i]:
                    also[i].append(keep)
            if i not in points[keep]:
                points[keep].append(i)
    else:
        keep = pa if pa is not None else pb
        new = b if pa is not None else a
        points[keep].append(new)
        point_of[new] = keep


def _include(points, point_of, also, x, y):
    """x joins y's point (a new point {y, x} when y is in none) and keeps its own."""
    py = point_of.get(y)
    if py is None:  # a key no contribution's index can take (a plain join keys by those)
        py = max(max(points, default=0), 1 << 20) + 1
        points[py] = [y]
        point_of[y] = py
    points[py].append(x)
    if point_of.get(x) is None:
        point_of[x] = py
    else:
        also.setdefault(x, []).append(py)


def _fits(truth, other, side, x) -> bool:
    """x makes one proposal with every member of ``side`` of another group."""
    return bool(np.all(truth[x, side] | ~other[x, side]))


def _answer(truth, other, points, point_of, a, b, include):
    """A truthful curator's answer: "same", (x, y) for "x joins y's point and keeps its own",
    or None for "different". A note can carry two proposals (overlapping gold lists): "same
    proposal" is said, as a person looking at both points would, when the pair is true and
    joining their points puts no two contributions of different groups together that the gold
    keeps apart (same-group pairs are never true). When it would, and ``include``: a joins b's
    point if a fits every member of it, else b joins a's; else "different"."""
    if not truth[a, b]:
        return None
    side_a = points.get(point_of.get(a), [a])
    side_b = points.get(point_of.get(b), [b])
    block = np.ix_(side_a, side_b)
    if np.all(truth[block] | ~other[block]):
        return "same"
    if not include:
        return None
    if a not in side_b and _fits(truth, other, side_b, a):
        return (a, b)
    if b not in side_a and _fits(truth, other, side_a, b):
        return (b, a)
    return None


def _pr(together, truth, other):
    iu = np.triu_indices(len(truth), 1)
    pred, true = together[iu] & other[iu], truth[iu]  # pairs of different groups only
    tp = int((pred & true).sum())
    fp = int((pred & ~true).sum())
    fn = int((~pred & true).sum())
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)
