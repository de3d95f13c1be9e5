"""Evaluation and timing of facilitator/meeting/synthesis.py.

    .venv/bin/python bench/bench_synthesis.py eval     # precision/recall, threshold sweep
    .venv/bin/python bench/bench_synthesis.py time     # cost for 1,000 contributions
    .venv/bin/python bench/bench_synthesis.py          # both

Evaluation: tests/data/synthesis_eval.yaml holds "ideas", each written by 2-5 groups in
different languages/paraphrases, and distractors written by one group. All of them are put in one
question (the hardest case: everything competes with everything). A pair of contributions is
predicted "together" when both sit in the same converging point; it is truly together when both
express the same idea. Pairwise precision and recall are reported for all pairs, same-language
pairs and cross-language pairs, for each engine and threshold.
"""
from __future__ import annotations

import itertools
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import yaml  # noqa: E402

from facilitator.meeting.synthesis import Synthesizer  # noqa: E402

EVAL_PATH = os.path.join(ROOT, "tests", "data", "synthesis_eval.yaml")
GROUPS = [f"g{i}" for i in range(1, 9)]


def load_eval(path: str = EVAL_PATH, ideas_filter=None):
    """Contributions (one question ``q1`` of session ``s1``) and the true idea of each."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    contributions, truth = [], {}
    n = 0
    for k, idea in enumerate(data["ideas"]):
        if ideas_filter and not ideas_filter(k):
            continue
        for v in idea["variants"]:
            n += 1
            cid = f"e{n:03d}"
            contributions.append(_contribution(cid, v))
            truth[cid] = idea["id"]
    for k, v in enumerate(data["distractors"]):
        n += 1
        cid = f"e{n:03d}"
        contributions.append(_contribution(cid, v))
        truth[cid] = f"distractor-{k}"
    # interleave as in a live meeting (deterministic), creation order = list order
    random.Random(7).shuffle(contributions)
    return contributions, truth


def _contribution(cid, v, question="q1", session="s1"):
    return {"id": cid, "group_id": v["group"], "question_id": question, "session_id": session,
            "kind": "recommendation", "agreement": "consensus", "text": v["text"],
            "lang": v["lang"], "version": 1, "deleted": False}


SESSIONS = [{"id": "s1", "questions": [{"id": "q1"}, {"id": "q2"}, {"id": "q3"}]}]


def pairwise(result, contributions, truth):
    lang = {c["id"]: c["lang"] for c in contributions}
    cluster_of = {}
    for q in result["questions"]:
        for cl in q["converging"]:
            for cid in cl["contributions"]:
                cluster_of[cid] = cl["id"]
    stats = {k: {"tp": 0, "fp": 0, "fn": 0} for k in ("all", "same", "cross")}
    ids = [c["id"] for c in contributions]
    for a, b in itertools.combinations(ids, 2):
        pred = a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        true = truth[a] == truth[b]
        kind = "same" if lang[a] == lang[b] else "cross"
        for k in ("all", kind):
            if pred and true:
                stats[k]["tp"] += 1
            elif pred:
                stats[k]["fp"] += 1
            elif true:
                stats[k]["fn"] += 1
    out = {}
    for k, s in stats.items():
        p = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        r = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[k] = {"p": p, "r": r, "f1": f, "pairs": s["tp"] + s["fn"]}
    return out


def idea_recall(result, truth):
    """Share of ideas found as one converging point holding all their variants and nothing else."""
    ideas = defaultdict_list(truth)
    exact = 0
    for q in result["questions"]:
        for cl in q["converging"]:
            members = set(cl["contributions"])
            tids = {truth[c] for c in members}
            if len(tids) == 1 and members == set(ideas[next(iter(tids))]):
                exact += 1
    n = sum(1 for k, v in ideas.items() if len(v) > 1)
    return exact, n


def defaultdict_list(truth):
    d = {}
    for cid, t in truth.items():
        d.setdefault(t, []).append(cid)
    return d


def sweep(engine, thresholds, contributions, truth, synth=None):
    synth = synth or Synthesizer(engine=engine)
    rows = []
    for t in thresholds:
        synth.threshold = t
        res = synth.analyse(contributions, SESSIONS, {"s1": GROUPS[:6]})
        m = pairwise(res, contributions, truth)
        exact, n = idea_recall(res, truth)
        rows.append((t, m, exact, n))
    return rows


def fmt_row(t, m, exact, n):
    return (f"  t={t:.3f}  all P={m['all']['p']:.3f} R={m['all']['r']:.3f} F1={m['all']['f1']:.3f}"
            f" | same-lang P={m['same']['p']:.3f} R={m['same']['r']:.3f}"
            f" | cross-lang P={m['cross']['p']:.3f} R={m['cross']['r']:.3f}"
            f" | ideas exact {exact}/{n}")


def run_eval():
    contributions, truth = load_eval()
    n_ideas = len({t for t in truth.values() if not t.startswith("distractor")})
    print(f"eval set: {len(contributions)} contributions, {n_ideas} ideas, "
          f"{sum(1 for t in truth.values() if t.startswith('distractor'))} distractors")
    m0 = pairwise({"questions": []}, contributions, truth)
    print(f"  true pairs: same-language {m0['same']['pairs']}, cross-language {m0['cross']['pairs']}")
    grids = {"lexical": [0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45],
             "semantic": [0.35, 0.40, 0.45, 0.475, 0.50, 0.525, 0.55, 0.575, 0.60, 0.65]}
    chosen = {}
    for engine, grid in grids.items():
        try:
            synth = Synthesizer(engine=engine)
        except RuntimeError as exc:
            print(f"{engine}: unavailable ({exc})")
            continue
        print(f"{engine} engine (default threshold {synth.threshold:.2f}):")
        rows = sweep(engine, grid, contributions, truth, synth)
        for row in rows:
            print(fmt_row(*row))
        best = max(rows, key=lambda r: (r[1]["all"]["f1"], r[0]))
        chosen[engine] = best[0]
        print(f"  best F1 at t={best[0]:.2f}")
        # 2-fold check against over-fitting the threshold: pick on half the ideas, test on the rest
        for fold in (0, 1):
            dev = load_eval(ideas_filter=lambda k, f=fold: k % 2 == f)
            test = load_eval(ideas_filter=lambda k, f=fold: k % 2 != f)
            dev_rows = sweep(engine, grid, *dev, synth=synth)
            t_best = max(dev_rows, key=lambda r: (r[1]["all"]["f1"], r[0]))[0]
            (_, m, exact, n), = sweep(engine, [t_best], *test, synth=synth)
            print(f"  fold {fold}: threshold picked on half the ideas = {t_best:.2f}; other half: "
                  f"P={m['all']['p']:.3f} R={m['all']['r']:.3f} F1={m['all']['f1']:.3f} "
                  f"(cross-lang P={m['cross']['p']:.3f} R={m['cross']['r']:.3f})")
        synth.threshold = synth.__class__(engine=engine).threshold
    return chosen


# -- timing ------------------------------------------------------------------------------------
def synthetic_meeting(n=1000, seed=1):
    """n contributions over 3 questions and 8 groups, built from the eval texts plus clauses so
    that texts are distinct (realistic length: one to two sentences)."""
    with open(EVAL_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    base = [v for idea in data["ideas"] for v in idea["variants"]] + data["distractors"]
    extra = {
        "en": ["This was agreed after a long discussion.", "Several countries already do this.",
               "Pilot projects should be evaluated first.", "Funding remains a challenge."],
        "fr": ["Cela a fait l'objet d'un long débat.", "Plusieurs pays le font déjà.",
               "Des projets pilotes devraient d'abord être évalués.", "Le financement reste un défi."],
        "es": ["Esto se acordó tras un largo debate.", "Varios países ya lo hacen.",
               "Primero deberían evaluarse proyectos piloto.", "La financiación sigue siendo un reto."],
        "ar": ["تم الاتفاق على ذلك بعد نقاش طويل.", "تقوم عدة بلدان بذلك بالفعل.",
               "ينبغي تقييم المشاريع التجريبية أولاً.", "لا يزال التمويل يمثل تحدياً."],
    }
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        v = rnd.choice(base)
        text = v["text"] + " " + rnd.choice(extra[v["lang"]]) + f" ({i})"
        out.append({"id": f"b{i:04d}", "group_id": GROUPS[i % 8], "question_id": f"q{1 + i % 3}",
                    "session_id": "s1", "kind": "good_practice",
                    "agreement": rnd.choice(["consensus", "consensus", "majority", "divergent"]),
                    "text": text, "lang": v["lang"], "version": 1, "deleted": False})
    return out


def timed(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), res


def run_time(n=1000):
    contributions = synthetic_meeting(n)
    groups = {"s1": GROUPS}
    figures = {}
    for engine in ("semantic", "lexical"):
        t0 = time.perf_counter()
        try:
            synth = Synthesizer(engine=engine)
        except RuntimeError as exc:
            print(f"{engine}: unavailable ({exc})")
            continue
        t_construct = time.perf_counter() - t0
        print(f"{engine} engine, {n} contributions (3 questions x ~{n // 3}, session-level over all {n}):")
        if engine == "semantic":
            emb = synth.embedder
            t = time.perf_counter()
            emb.embed(["warm up"], ["en"])  # model load + language means (once per process)
            print(f"  model load + language means (once per process): "
                  f"{t_construct + time.perf_counter() - t:.2f} s")
            t = time.perf_counter()
            synth.embed_pending(contributions)
            dt = time.perf_counter() - t
            figures["embed_all"] = dt
            print(f"  embedding {n} new contributions (one batch): {dt:.2f} s = {1000 * dt / n:.1f} ms each")
            t = time.perf_counter()
            for c in contributions[:20]:
                emb.embed([c["text"]], [c["lang"]])
            dt1 = (time.perf_counter() - t) / 20
            figures["embed_one"] = dt1
            print(f"  embedding one contribution on its own: {1000 * dt1:.1f} ms")
        else:
            t = time.perf_counter()
            synth.analyse(contributions, SESSIONS, groups)
            print(f"  first analyse (tokenising + stemming {n} texts, then clustering): "
                  f"{time.perf_counter() - t:.2f} s")
        dt, res = timed(lambda: synth.analyse(contributions, SESSIONS, groups))
        figures[f"{engine}_cluster"] = dt
        nconv = sum(len(q["converging"]) for q in res["questions"])
        print(f"  analyse with every text cached (similarity + clustering + description): "
              f"{dt:.2f} s  [{nconv} converging points]")
        new = dict(contributions[0], id="b-new", text="Cut the fees migrants pay to send money home "
                   "to under three per cent.", lang="en", group_id="g3")
        t = time.perf_counter()
        synth.analyse(contributions + [new], SESSIONS, groups)
        dt_inc = time.perf_counter() - t
        figures[f"{engine}_incremental"] = dt_inc
        print(f"  one contribution added to {n} cached ones (embed it + full re-analysis): {dt_inc:.2f} s")
        one_q = [c for c in contributions if c["question_id"] == "q1"]
        dt_q, _ = timed(lambda: synth.analyse(one_q, [{"id": "s1", "questions": [{"id": "q1"}]}], groups))
        print(f"  analyse of one question alone ({len(one_q)} contributions): {dt_q:.3f} s")
    return figures


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("eval", "all"):
        run_eval()
    if what in ("time", "all"):
        run_time()
