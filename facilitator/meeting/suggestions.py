"""The pairs worth a person's decision next, best first (the synthesis desk's queue, issue 18).

Minimal: the best-scoring pairs from two groups that no decision has settled. The engine branch
replaces the body (an order that learns from the decisions); the signature stays.
"""

from __future__ import annotations

import numpy as np


def suggest_pairs(sim: np.ndarray, items: list[dict], decided: dict, limit: int) -> list[tuple[str, str, float]]:
    """``sim``: the score matrix of ``items`` (``[{"id", "group_id"}]``, matrix order);
    ``decided``: ``{"points": [[ids]], "rejected": [[ids]], "detached": set(ids)}``. Returns
    ``[(a_id, b_id, score)]``, best first, at most ``limit``: no pair of one group, none a
    cannot-link set holds, none a point already holds."""
    point_of = {cid: n for n, ids in enumerate(decided.get("points") or []) for cid in ids}
    sets_of: dict[str, set[int]] = {}
    for n, ids in enumerate(decided.get("rejected") or []):
        for cid in ids:
            sets_of.setdefault(cid, set()).add(n)
    n = len(items)
    if n < 2 or limit < 1:
        return []
    rows, cols = np.triu_indices(n, 1)
    scores = np.asarray(sim, dtype=np.float64)[rows, cols]
    pairs = []
    for k in np.argsort(-scores, kind="stable"):
        a, b = items[rows[k]], items[cols[k]]
        if a["group_id"] == b["group_id"]:
            continue
        if a["id"] in point_of and point_of[a["id"]] == point_of.get(b["id"]):
            continue
        if sets_of.get(a["id"], set()) & sets_of.get(b["id"], set()):
            continue
        pairs.append((a["id"], b["id"], float(scores[k])))
        if len(pairs) >= limit:
            break
    return pairs
