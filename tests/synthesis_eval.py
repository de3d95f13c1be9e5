"""Pairwise evaluation of converging points, shared by the tests and bench/bench_synthesis.py.

The data (tests/data/synthesis/): contributions written blind by twelve writers, one per group
(3 Arabic, 3 English, 3 French, 3 Spanish), each from English briefs they phrased their own way.
``proposal`` names the concrete proposal a contribution makes (null: raised by this group only);
``topic`` groups two different proposals on one subject, so same-topic pairs are hard negatives.
``dev.json`` is for choosing; ``heldout.json`` (10 topics never looked at while choosing) is for
the final figures only.

A pair of contributions from two different groups is predicted together when both sit in one
converging point (at the plenary level: one whose confidence reaches the confident level); it is
truly together when both make the same proposal.
"""
from __future__ import annotations

import itertools
import json
import os
import random

import numpy as np

from facilitator.meeting.synthesis import cluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "synthesis")
LANG_ORDER = ["ar", "en", "fr", "es"]
PAIRS = ["ar-en", "ar-fr", "ar-es", "en-fr", "en-es", "fr-es"]
CATEGORIES = ["all", "same", "cross", "arabic", *PAIRS, "same_topic"]


def load(part: str) -> list[dict]:
    with open(os.path.join(DATA, f"{part}.json"), encoding="utf-8") as fh:
        return json.load(fh)


def as_contributions(items: list[dict], question: str = "q1", session: str = "s1") -> list[dict]:
    """The items as a meeting's contributions, in one question (everything competes)."""
    return [{"id": x["id"], "group_id": x["group"], "question_id": question, "session_id": session,
             "kind": "recommendation", "agreement": "consensus", "text": x["text"],
             "lang": x["lang"], "version": 1, "deleted": False} for x in items]


def folds(items: list[dict], n: int = 5, seed: int = 5) -> list[list[dict]]:
    """Folds by topic, so that no proposal is split between choosing and scoring."""
    topics = sorted({x["topic"] for x in items if x["topic"] != "other"})
    random.Random(seed).shuffle(topics)
    of_topic = {t: i % n for i, t in enumerate(topics)}
    out: list[list[dict]] = [[] for _ in range(n)]
    for x in items:
        out[of_topic.get(x["topic"], random.Random(x["id"]).randrange(n))].append(x)
    return out


def same_proposal(a, b) -> bool:
    """Whether two contributions' ``proposal`` say they make one proposal. A label is one
    proposal; a frozenset of labels is a note that carries several (the writer-free set's gold
    lists may overlap), which shares a proposal with any note holding one of them."""
    if a is None or b is None:
        return False
    a = a if isinstance(a, frozenset) else frozenset((a,))
    b = b if isinstance(b, frozenset) else frozenset((b,))
    return bool(a & b)


def labels_of(proposal) -> frozenset:
    """The proposals a contribution makes (none, one, or several)."""
    if proposal is None:
        return frozenset()
    return proposal if isinstance(proposal, frozenset) else frozenset((proposal,))


def pair_category(a: dict, b: dict) -> list[str]:
    la, lb = sorted([a["lang"], b["lang"]], key=LANG_ORDER.index)
    cats = ["all", "same" if la == lb else "cross"]
    if la != lb:
        cats.append(f"{la}-{lb}")
    if "ar" in (la, lb):
        cats.append("arabic")
    return cats


def count(items: list[dict], labels) -> dict[str, dict[str, int]]:
    """True positives, false positives and false negatives per category of pair."""
    stats = {k: {"tp": 0, "fp": 0, "fn": 0} for k in CATEGORIES}
    for i, j in itertools.combinations(range(len(items)), 2):
        a, b = items[i], items[j]
        if a["group"] == b["group"]:
            continue
        pred = labels[i] == labels[j]
        true = same_proposal(a["proposal"], b["proposal"])
        if not (pred or true):
            continue
        kind = "tp" if pred and true else ("fp" if pred else "fn")
        cats = pair_category(a, b)
        if a["topic"] == b["topic"] and a["topic"] != "other":
            cats.append("same_topic")
        for k in cats:
            stats[k][kind] += 1
    return stats


def add(total: dict, stats: dict) -> dict:
    for k, v in stats.items():
        t = total.setdefault(k, {"tp": 0, "fp": 0, "fn": 0})
        for z in v:
            t[z] += v[z]
    return total


def prf(s: dict) -> tuple[float, float, float]:
    tp, fp, fn = s["tp"], s["fp"], s["fn"]
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def f_beta(s: dict, beta: float) -> float:
    p, r, _ = prf(s)
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


def labels_at(sim: np.ndarray, items: list[dict], threshold: float, confident: float | None = None):
    """Cluster labels at ``threshold``; with ``confident``, points whose weakest merge is below it
    are dissolved (what the plenary shows before the chair confirms anything)."""
    labels, weakest = cluster(sim, threshold)
    labels = np.asarray(labels).copy()
    if confident is not None:
        fresh = labels.max() + 1
        for i, lab in enumerate(labels):
            if weakest.get(int(lab), 1.0) < confident:
                labels[i] = fresh
                fresh += 1
    return labels
