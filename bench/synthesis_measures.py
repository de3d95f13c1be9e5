"""Ranking and pairwise measures for bench_synthesis.py (pure numpy over a score matrix).

A pair is two contributions of different groups; it is true when both make one proposal
(``proposal``, one label or a set of them: tests/synthesis_eval.same_proposal). A contribution "has a twin" when some true pair holds it.
"""
from __future__ import annotations

import numpy as np

from facilitator.meeting import matching
from tests import synthesis_eval as ev


def truth(items: list[dict]) -> np.ndarray:
    p = [x["proposal"] for x in items]
    g = [x["group"] for x in items]
    n = len(items)
    t = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(n):
            t[i, j] = g[i] != g[j] and ev.same_proposal(p[i], p[j])
    return t


def ranking(sim: np.ndarray, items: list[dict], ks=(1, 3, 5)) -> dict:
    """Per contribution with a twin: is a twin its best other-group candidate (hit@1), among its
    top 3 (hit@3); the share of its twins among its top k (twin recall@k). Plus the average
    precision of all pairs ranked by score and the best F1 any one global threshold gives."""
    t = truth(items)
    other = matching.other_groups([x["group"] for x in items])
    out = {f"hit@{k}": [] for k in ks}
    out.update({f"recall@{k}": [] for k in ks})
    for i in np.flatnonzero(t.any(axis=1)):
        cand = np.flatnonzero(other[i])
        order = cand[np.argsort(-sim[i, cand], kind="stable")]
        twins = t[i, order]
        for k in ks:
            out[f"hit@{k}"].append(bool(twins[:k].any()))
            out[f"recall@{k}"].append(twins[:k].sum() / twins.sum())
    res = {k: float(np.mean(v)) if v else float("nan") for k, v in out.items()}
    res["with_twin"] = int(t.any(axis=1).sum())
    iu = np.triu_indices(len(items), 1)
    mask = other[iu]
    s, y = sim[iu][mask], t[iu][mask]
    res["ap"], res["best_f1"] = _ap_and_best_f1(s, y)
    return res


def _ap_and_best_f1(s, y) -> tuple[float, float]:
    if not y.any():
        return float("nan"), float("nan")
    order = np.argsort(-s, kind="stable")
    y = y[order]
    tp = np.cumsum(y)
    prec = tp / np.arange(1, len(y) + 1)
    ap = float((prec * y).sum() / y.sum())
    rec = tp / y.sum()
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0)
    return ap, float(f1.max())


def pair_counts(items: list[dict], together: np.ndarray, categories) -> dict:
    """tp/fp/fn per category for a predicted "together" matrix (pairs of different groups)."""
    t = truth(items)
    stats: dict = {}
    n = len(items)
    iu = np.triu_indices(n, 1)
    for i, j in zip(*iu):
        if items[i]["group"] == items[j]["group"]:
            continue
        pred, true = together[i, j], t[i, j]
        if not (pred or true):
            continue
        kind = "tp" if pred and true else ("fp" if pred else "fn")
        for k in categories(items[i], items[j]):
            stats.setdefault(k, {"tp": 0, "fp": 0, "fn": 0})[kind] += 1
    return stats


def together_of(labels, keep=None) -> np.ndarray:
    """Pairs in one point (of the labels in ``keep``, when given)."""
    labels = np.asarray(labels)
    m = labels[:, None] == labels[None, :]
    if keep is not None:
        kept = np.isin(labels, list(keep))
        m &= kept[:, None] & kept[None, :]
    np.fill_diagonal(m, False)
    return m


def partition_ceiling(items: list[dict]) -> float:
    """The recall a plenary of points can reach at all: a point holds a contribution once, but
    a note that carries two proposals sits in two gold lists, so not every true pair can be
    shown. Each such note is given to one of its proposals (the largest first, then any move
    that covers more true pairs), and the share of the true pairs covered is returned."""
    t = truth(items)
    total = int(np.triu(t, 1).sum())
    if not total:
        return 1.0
    labels = [sorted(ev.labels_of(x["proposal"])) for x in items]
    size = {}
    for ls in labels:
        for lab in ls:
            size[lab] = size.get(lab, 0) + 1
    choice = [max(ls, key=lambda lab: (size[lab], lab)) if ls else None for ls in labels]
    best, improved = _covered(choice, t), True
    while improved:
        improved = False
        for i, ls in enumerate(labels):
            for option in ls if len(ls) > 1 else []:
                if option == choice[i]:
                    continue
                old, choice[i] = choice[i], option
                got = _covered(choice, t)
                if got > best:
                    best, improved = got, True
                else:
                    choice[i] = old
    return best / total


def _covered(choice: list, t: np.ndarray) -> int:
    lab = np.array([c if c is not None else f"_{i}" for i, c in enumerate(choice)], dtype=object)
    return int(np.triu((lab[:, None] == lab[None, :]) & t, 1).sum())
