"""Evaluation and timing of facilitator/meeting/synthesis.py.

    .venv/bin/python bench/bench_synthesis.py eval     # cross-validated choice, then held-out figures
    .venv/bin/python bench/bench_synthesis.py time     # cost for 1,000 contributions
    .venv/bin/python bench/bench_synthesis.py restart  # a restart on 1,000 embedded contributions
    .venv/bin/python bench/bench_synthesis.py          # both

``eval``: the data and the pairwise measure are described in tests/synthesis_eval.py. Every
setting of the method is chosen by cross-validation on the development set, five folds by topic:
first the scoring steps and the threshold (best F1 of the suggested points), then the confident
score (the lowest at which what reaches the plenary unconfirmed was right 90% of the time). Nested: for each fold the settings are
chosen on the four others and scored on it, which gives the spread across folds. Last, the
settings chosen on the whole development set are scored once on the held-out set.
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

import numpy as np  # noqa: E402

from tests import synthesis_eval as ev  # noqa: E402
from facilitator.meeting.embedding import Embedder  # noqa: E402
from facilitator.meeting.synthesis import SEMANTIC_METHOD, Synthesizer  # noqa: E402

GROUPS = [f"g{i}" for i in range(1, 9)]
SESSIONS = [{"id": "s1", "questions": [{"id": "q1"}, {"id": "q2"}, {"id": "q3"}]}]
THRESHOLDS = [round(float(x), 3) for x in np.arange(0.35, 0.701, 0.025)]
PLENARY_PRECISION = 0.90
STEPS = [{"calibration": c, "lexical_weight": lw, "hub_weight": hw}
         for c in (0.0, 0.5, 1.0) for lw in (0.0, 0.25) for hw in (0.0, 0.5, 1.0)]
APPROACHES = {  # what each family of settings may use, for the table of what was tried
    "raw cosine": lambda st: not any(st.values()),
    "+ per-pair calibration": lambda st: not st["lexical_weight"] and not st["hub_weight"],
    "+ hubness (CSLS)": lambda st: not st["calibration"] and not st["lexical_weight"],
    "+ lexical (same language)": lambda st: not st["calibration"] and not st["hub_weight"],
    "all steps": lambda st: True,
}


class Grid:
    """Pairwise counts for every setting, threshold and fold, computed once."""

    def __init__(self, synth: Synthesizer, fold_items: list[list[dict]]):
        self.fold_items = fold_items
        self.suggested: dict = {}   # (step index, threshold, fold) -> counts
        self.sims: dict = {}
        for si, step in enumerate(STEPS):
            synth.method.update(step)
            for fi, items in enumerate(fold_items):
                sim = synth.score_matrix(ev.as_contributions(items))
                self.sims[(si, fi)] = sim
                for t in THRESHOLDS:
                    self.suggested[(si, t, fi)] = ev.count(items, ev.labels_at(sim, items, t))

    def pooled(self, si, t, fis, confident=None):
        total: dict = {}
        for fi in fis:
            if confident is None:
                ev.add(total, self.suggested[(si, t, fi)])
            else:
                items = self.fold_items[fi]
                ev.add(total, ev.count(items, ev.labels_at(self.sims[(si, fi)], items, t, confident)))
        return total

    def choose(self, fis, allowed=lambda st: True):
        """Scoring steps and threshold by F1, then the confident score by F0.5, on folds ``fis``."""
        si, t = max(((si, t) for si, st in enumerate(STEPS) if allowed(st) for t in THRESHOLDS),
                    key=lambda p: (ev.prf(self.pooled(p[0], p[1], fis)["all"])[2], p[1]))
        # the plenary shows unconfirmed points from the lowest score at which they were right
        # PLENARY_PRECISION of the time on these folds (the room should not be shown wrong things)
        above = [c for c in THRESHOLDS if c >= t]
        conf = next((c for c in above
                     if ev.prf(self.pooled(si, t, fis, c)["all"])[0] >= PLENARY_PRECISION), above[-1])
        return si, t, conf


def fmt(s: dict) -> str:
    p, r, f = ev.prf(s)
    return f"P {p:.2f} R {r:.2f} F1 {f:.2f}"


def spread(rows: list[dict], key: str) -> str:
    vals = np.array([ev.prf(r[key]) for r in rows if r[key]["tp"] + r[key]["fp"] + r[key]["fn"]])
    if not len(vals):
        return "-"
    m, sd = vals.mean(axis=0), vals.std(axis=0)
    return f"P {m[0]:.2f}±{sd[0]:.2f} R {m[1]:.2f}±{sd[1]:.2f} F1 {m[2]:.2f}±{sd[2]:.2f}"


def nested(grid: Grid, allowed=lambda st: True):
    n = len(grid.fold_items)
    sug, plen, picks = [], [], []
    for fo in range(n):
        si, t, conf = grid.choose([f for f in range(n) if f != fo], allowed)
        picks.append((STEPS[si], t, conf))
        sug.append(grid.pooled(si, t, [fo]))
        plen.append(grid.pooled(si, t, [fo], conf))
    return sug, plen, picks


def run_eval(models_to_compare=(("use", "e5"), ("use",), ("e5",))):
    dev, held = ev.load("dev"), ev.load("heldout")
    fold_items = ev.folds(dev)
    print(f"development set: {len(dev)} contributions, {len({x['proposal'] for x in dev if x['proposal']})}"
          f" proposals, {len({x['group'] for x in dev})} groups; held-out: {len(held)} contributions,"
          f" {len({x['proposal'] for x in held if x['proposal']})} proposals; 5 folds by topic")
    final = None
    for models in models_to_compare:
        emb = Embedder(models=models)
        if not emb.available() or emb.models != list(models):
            print(f"\n{'+'.join(models)}: unavailable ({emb.unavailable_reason})")
            continue
        synth = Synthesizer(engine="semantic", embedder=emb)
        t0 = time.perf_counter()
        grid = Grid(synth, fold_items)
        print(f"\n== {'+'.join(models)} (grid in {time.perf_counter() - t0:.0f} s). Nested CV, "
              "mean ± sd over the 5 development folds:")
        for name, allowed in APPROACHES.items():
            sug, plen, picks = nested(grid, allowed)
            print(f"  {name:28s} suggested: all {spread(sug, 'all')} | cross {spread(sug, 'cross')}")
            print(f"  {'':28s} plenary:   all {spread(plen, 'all')} | cross {spread(plen, 'cross')}"
                  f" | arabic {spread(plen, 'arabic')}")
        sug, plen, picks = nested(grid)
        print("  all steps, per category (nested CV):")
        for key in ev.CATEGORIES:
            print(f"    {key:10s} suggested {spread(sug, key):34s} plenary {spread(plen, key)}")
        print("  settings picked per fold:", "; ".join(
            f"cal {st['calibration']} lex {st['lexical_weight']} hub {st['hub_weight']} t {t} conf {c}"
            for st, t, c in picks))
        si, t, conf = grid.choose(list(range(len(fold_items))))
        chosen = dict(STEPS[si], threshold=t, confident=conf, hub_k=SEMANTIC_METHOD["hub_k"])
        print(f"  chosen on the whole development set: {chosen}")
        if final is None:
            final = (models, chosen)
    if final is None:
        return None
    models, chosen = final
    print(f"\n== held-out set, scored once with {'+'.join(models)} and {chosen}:")
    synth = Synthesizer(engine="semantic", embedder=Embedder(models=models), method=chosen)
    sim = synth.score_matrix(ev.as_contributions(held))
    sug = ev.count(held, ev.labels_at(sim, held, chosen["threshold"]))
    plen = ev.count(held, ev.labels_at(sim, held, chosen["threshold"], chosen["confident"]))
    print(f"  {'pairs':10s} {'suggested (chair)':28s} {'plenary (confident)':28s} true pairs")
    for key in ev.CATEGORIES:
        print(f"  {key:10s} {fmt(sug[key]):28s} {fmt(plen[key]):28s} {sug[key]['tp'] + sug[key]['fn']}")
    print("  (same_topic: pairs of one topic; true when the same proposal. Its precision is how often"
          " a proposal is told from its same-topic opposite.)")
    return chosen


# -- timing ------------------------------------------------------------------------------------
def synthetic_meeting(n=1000, seed=1):
    """n contributions over 3 questions and 8 groups, built from the development texts plus clauses so
    that texts are distinct (realistic length: one to two sentences)."""
    base = ev.load("dev")
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


# -- restart ------------------------------------------------------------------------------------
def run_restart(n=1000):
    """A server with n contributions already embedded once is killed (-9) and started again: how
    long until the first synthesis request is answered with converging points."""
    import requests

    from bench.common import BenchServer, machine
    from tests.support import key_of
    from facilitator import provisioning
    from facilitator.store import open_store

    server = BenchServer("sqlite")
    try:
        links = server.create_meeting()
        mid, chair = links["meeting_id"], key_of(links["chair_url"])
        s2 = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena"]
        items = [{"group": s2[i % 5], "question": ["s2-q2", "s2-q3", "s2-q4"][i % 3],
                  "text": c["text"], "lang": c["lang"], "kind": "recommendation", "agreement": "consensus"}
                 for i, c in enumerate(synthetic_meeting(n))]
        store = open_store(server.data_dir, None)
        provisioning.seed_contributions(store, mid, items)
        store.close()
        url = f"{server.url}/api/m/{mid}/synthesis"
        print(f"restart with {n} contributions, SQLite; {machine()}")
        server.start(timeout=120)
        t = time.perf_counter()
        first = requests.get(url, params={"key": chair}, timeout=900).json()
        print(f"  first synthesis, every text embedded: {time.perf_counter() - t:.1f} s "
              f"({sum(len(q['converging']) for q in first['questions'])} converging points)")
        for run in range(3):
            server.kill()
            t0 = time.perf_counter()
            server.start(timeout=120)
            up = time.perf_counter() - t0
            t = time.perf_counter()
            again = requests.get(url, params={"key": chair}, timeout=900).json()
            dt = time.perf_counter() - t
            print(f"  run {run + 1}: after kill -9, /healthz answered in {up:.2f} s; the first synthesis "
                  f"request then took {dt:.2f} s "
                  f"({sum(len(q['converging']) for q in again['questions'])} converging points)")
    finally:
        server.close()


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("eval", "all"):
        from bench import synthesis_eval_run
        from bench.synthesis_sets import DiskCachedEmbedder
        synthesis_eval_run.run(DiskCachedEmbedder(Embedder()), held_out="--dev" not in sys.argv)
    if what in ("time", "all"):
        run_time()
    if what == "restart":
        run_restart()
