"""The desk queue's pair model (``suggestions.QUEUE["model"]``): chosen and fitted here.

    nice -n 19 .venv/bin/python bench/synthesis_pair_model.py cv        # leave-one-meeting-out, development only
    nice -n 19 .venv/bin/python bench/synthesis_pair_model.py diagnose  # pairs' AP, where the decisions go (development)
    nice -n 19 .venv/bin/python bench/synthesis_pair_model.py fit CAND      # fit on all development data, print the constants
    nice -n 19 .venv/bin/python bench/synthesis_pair_model.py heldout CAND  # CAND against the shipped queue, held-out parts (once)

CAND: one candidate of ``grid()`` as JSON, e.g. '{"features": "all+state", "C": 0.1, "rows":
"top10", "live": true, "train": "room", "data": "trajectory"}'.

Data: the development meetings of bench_synthesis.py eval, i.e. the 5 folds of
tests/data/synthesis/dev.json (by topic) and the 4 writer-free development questions of
tests/data/synthesis/room/ (every question but ``s2-q1``), scored with the shipped
``SEMANTIC_METHOD``. A row is a pair of contributions of different groups; its label: the two
make one proposal (tests/synthesis_eval.same_proposal). Features: ``suggestions.pair_features``,
before any decision ("static") or at the decisions of a simulated curator ("trajectory"). Logistic regression (sklearn,
L2), the features standardised for the fit and the weights then brought back to raw units, so
suggestions.py holds plain constants.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sklearn.linear_model import LogisticRegression  # noqa: E402

from facilitator.meeting import matching  # noqa: E402
from facilitator.meeting import suggestions as sg  # noqa: E402
from facilitator.meeting.synthesis import SEMANTIC_METHOD, Synthesizer  # noqa: E402

from bench import synthesis_curator as cu  # noqa: E402
from bench import synthesis_eval_run as sr  # noqa: E402
from bench import synthesis_measures as sm  # noqa: E402
from bench import synthesis_sets as sets  # noqa: E402

BASE = ("score", "rank_lo", "rank_hi", "mutual", "best_lo", "best_hi")
MARGINS = tuple(f"margin{k}_{s}" for k in sg.MARGIN_KS for s in ("lo", "hi"))
# "groups" is left out: it is constant within a meeting (no say in its order) and, across
# these sets, names the set (12 groups a brief fold, 10 a room question)
ALL = tuple(k for k in sg.FEATURES if k != "groups")
FEATURE_SETS = {"base": BASE, "base+margins": BASE + MARGINS, "all": ALL,
                "all+state": ALL + sg.STATE_FEATURES}
HEAD = np.log1p(9)  # "top10" rows: among either side's 10 best open candidates


def grid():
    """The candidates: {features, C, rows, live, train, data}. ``data`` "static": one row per
    pair of a meeting before any decision; "trajectory": the open pairs at every third decision
    of the simulated curator following the shipped queue (no model) on the training meetings,
    their features read live and with the state. ``train``: the meetings fitted on, both sets'
    or the writer-free ones only."""
    out = [{"features": fs, "C": c, "rows": "all", "live": live, "train": "room", "data": "static"}
           for fs in ("base", "all") for c in (0.01, 0.1) for live in (False, True)]
    out += [{"features": fs, "C": c, "rows": "top10", "live": True, "train": "room", "data": "trajectory"}
            for fs in ("all", "all+state") for c in (0.01, 0.1)]
    return out


def synth():
    from facilitator.meeting.embedding import Embedder
    # the same-group prior is applied per fold (``sim_of``), as in bench_synthesis.py eval
    return {0: Synthesizer(engine="semantic", embedder=sets.DiskCachedEmbedder(Embedder()),
                           method=dict(SEMANTIC_METHOD, group_prior=0.0))}


def dev_folds(synths) -> list[sr.Fold]:
    folds = [sr.Fold("brief", f"fold {i + 1}", f, synths)
             for i, f in enumerate(sets.brief_parts()[0])]
    names = [q for q in sorted(sets.room_meetings()) if q != sets.ROOM_HELDOUT]
    folds += [sr.Fold("room", q, f, synths) for q, f in zip(names, sets.room_parts()[0])]
    return folds


def held_folds(synths) -> list[sr.Fold]:
    return ([sr.Fold("brief", "held-out", sets.brief_parts()[1][0], synths)]
            + [sr.Fold("room", sets.ROOM_HELDOUT, f, synths) for f in sets.room_parts()[1]])


def sim_of(fold):
    return fold.sim(0, SEMANTIC_METHOD["group_prior"])


def rows_of(fold, names, rows="all", data="static"):
    key = ("rows", tuple(names), rows, data)
    if key not in fold._cache:
        fold._cache[key] = (_static_rows if data == "static" else _trajectory_rows)(fold, names, rows)
    return fold._cache[key]


def _static_rows(fold, names, rows):
    sim = sim_of(fold)
    feats = sg.pair_features(sim, fold.groups, [x["lang"] for x in fold.items], names=set(names) | {"rank_lo"})
    truth = sm.truth(fold.items)
    iu = np.triu_indices(len(fold.items), 1)
    keep = matching.other_groups(fold.groups)[iu]
    if rows == "top10":
        keep &= feats["rank_lo"][iu] <= HEAD
    x = np.stack([feats[k][iu][keep] for k in names], axis=1)
    return x, truth[iu][keep]


def _states(fold) -> list[dict]:
    """The decisions the simulated curator had taken each time it asked the shipped queue."""
    if "states" not in fold._cache:
        seen = []
        real = cu.suggest_pairs

        def record(sim, items, decided, **kw):
            seen.append({k: [list(m) for m in decided[k]] for k in ("points", "rejected")})
            return real(sim, items, decided, **kw)
        cu.suggest_pairs = record
        try:
            cu.simulate(sim_of(fold), fold.items, SEMANTIC_METHOD["threshold"], SEMANTIC_METHOD["sure"],
                        dict(sg.QUEUE, model=None), include=True)
        finally:
            cu.suggest_pairs = real
        fold._cache["states"] = seen
    return fold._cache["states"]


def _trajectory_rows(fold, names, rows):
    sim = sim_of(fold)
    items = [{"id": x["id"], "group_id": x["group"]} for x in fold.items]
    langs = [x["lang"] for x in fold.items]
    truth = sm.truth(fold.items)
    iu = np.triu_indices(len(items), 1)
    xs, ys = [], []
    for decided in _states(fold)[::3]:
        open_, state = sg.decision_state(sim, items, decided)
        feats = sg.pair_features(sim, fold.groups, langs, open_, state, set(names) | {"rank_lo"})
        keep = open_[iu]
        if rows == "top10":
            keep &= feats["rank_lo"][iu] <= HEAD
        xs.append(np.stack([feats[k][iu][keep] for k in names], axis=1))
        ys.append(truth[iu][keep])
    return np.concatenate(xs), np.concatenate(ys)


def fit(folds, names, c, rows="all", data="static") -> dict:
    xs, ys = zip(*(rows_of(f, names, rows, data) for f in folds))
    x, y = np.concatenate(xs), np.concatenate(ys)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    lr = LogisticRegression(C=c, max_iter=2000).fit((x - mu) / sd, y)
    w = lr.coef_[0] / sd
    b = float(lr.intercept_[0] - (w * mu).sum())
    return {"weights": {k: round(float(v), 4) for k, v in zip(names, w)}, "intercept": round(b, 4)}


def fit_cand(folds, cand) -> dict:
    train = [f for f in folds if cand["train"] in ("both", f.set)]
    return fit(train, FEATURE_SETS[cand["features"]], cand["C"], cand["rows"], cand["data"])


def ranking(fold, queue) -> dict:
    """hit@1 and hit@3 (sm.ranking's definitions) of the order the queue's pairs come in for
    one contribution before any decision: the score's, or the model's probability."""
    sim = sim_of(fold)
    if queue.get("model"):
        sim = sg.pair_logit(sim, fold.groups, [x["lang"] for x in fold.items], queue["model"])
    r = sm.ranking(sim, fold.items)
    return {"hit@1": r["hit@1"], "hit@3": r["hit@3"]}


def measure(fold, queue) -> dict:
    choice = {"si": 0, "group_prior": SEMANTIC_METHOD["group_prior"], "queue": queue}
    cur = cu.simulate(sim_of(fold), fold.items, SEMANTIC_METHOD["threshold"],
                      SEMANTIC_METHOD["sure"], queue, include=True)
    return dict(ranking(fold, queue), queue_hit3=sr.queue_hit3(fold, choice), curator=cur)


def cost(results) -> float:
    """_queue_cost's criterion: pooled decisions (doubled where not reached) over the minimum."""
    dec = sum(r["curator"]["decisions"] * (1 if r["curator"]["reached"] else 2) for r in results)
    return dec / max(1, sum(r["curator"]["minimum"] for r in results))


def line(name, r) -> str:
    c = r["curator"]
    return (f"    {name:10s} hit@1 {r['hit@1']:.2f} hit@3 {r['hit@3']:.2f} queue-top3 {r['queue_hit3']:.2f} "
            f"curator {c['confirmations']:3d} (incl {c['includes']:2d}) + {c['rejections']:3d} = "
            f"{c['decisions']:3d} / {c['minimum']:3d} = {c['decisions'] / max(1, c['minimum']):.2f}x "
            f"{'reached' if c['reached'] else 'NOT reached'} (P {c['precision']:.2f} R {c['recall']:.2f})")


def summary(label, folds, results) -> None:
    print(f"  {label}: cost {cost(results):.3f}")
    for f, r in zip(folds, results):
        print(line(f.name, r))
    for s in ("brief", "room"):
        rs = [r for f, r in zip(folds, results) if f.set == s]
        mult = [r["curator"]["decisions"] / max(1, r["curator"]["minimum"]) for r in rs]
        print(f"    {s:5s} mean: hit@1 {sr._spread([r['hit@1'] for r in rs])} hit@3 "
              f"{sr._spread([r['hit@3'] for r in rs])} queue-top3 {sr._spread([r['queue_hit3'] for r in rs])} "
              f"multiple {sr._spread(mult)}x, reached {sum(r['curator']['reached'] for r in rs)}/{len(rs)}",
              flush=True)


def queue_of(model, live):
    return dict(sg.QUEUE, model=model, model_live=live)


def measured(fold, cand, train) -> dict:
    """``fold`` scored with ``cand`` fitted on ``train`` (cached: the nested loops meet the same
    fit again)."""
    key = ("m", repr(sorted(cand.items())), tuple(sorted(g.name for g in train)))
    if key not in fold._cache:
        fold._cache[key] = measure(fold, queue_of(fit_cand(train, cand), cand["live"]))
    return fold._cache[key]


def run_cv() -> None:
    """Per candidate, each development meeting scored with the model fitted without it; then
    the choice itself nested: each meeting scored with the candidate chosen on the 8 others
    (each of those scored with a model fitted without it and without the outer one)."""
    t0 = time.perf_counter()
    folds = dev_folds(synth())
    print(f"{len(folds)} development meetings ready in {time.perf_counter() - t0:.0f} s")
    base = [measure(f, dict(sg.QUEUE, model=None)) for f in folds]
    summary("shipped queue, no model", folds, base)
    cands = grid()
    flat = {}
    for cand in cands:
        res = [measured(f, cand, [g for g in folds if g is not f]) for f in folds]
        flat[repr(cand)] = res
        summary(f"model {cand}", folds, res)
    chosen = min(cands, key=lambda c: cost(flat[repr(c)]))
    print(f"\nlowest pooled cost, one level (each meeting fitted without it): {chosen} "
          f"{cost(flat[repr(chosen)]):.3f} against {cost(base):.3f} with no model "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    nested = []
    for f in folds:
        rest = [g for g in folds if g is not f]
        inner = {repr(c): [measured(g, c, [h for h in rest if h is not g]) for g in rest] for c in cands}
        pick = min(cands, key=lambda c: cost(inner[repr(c)]))
        nested.append(measured(f, pick, rest))
        print(f"  {f.name}: chosen without it {pick} (inner cost {cost(inner[repr(pick)]):.3f}, "
              f"no model {cost([b for g, b in zip(folds, base) if g is not f]):.3f})", flush=True)
    summary("nested: each meeting with the candidate chosen without it", folds, nested)
    print(f"(cv in {time.perf_counter() - t0:.0f} s)")


def run_fit(cand) -> dict:
    folds = dev_folds(synth())
    model = fit_cand(folds, cand)
    print(f"fitted on all {len(folds)} development meetings, {cand}:\n{model}")
    return model


def run_heldout(cand) -> None:
    """``cand`` fitted on every development meeting, then the held-out parts scored once with
    it and with the shipped queue (run only after the choice; docs/synthesis.md says which)."""
    synths = synth()
    dev = dev_folds(synths)
    model = fit_cand(dev, cand)
    print(f"{cand} fitted on all {len(dev)} development meetings:\n{model}")
    res = [measured(f, cand, [g for g in dev if g is not f]) for f in dev]
    summary("the same candidate on the development meetings (each fitted without it)", dev, res)
    held = held_folds(synths)
    summary("held-out parts, shipped queue", held, [measure(f, sg.QUEUE) for f in held])
    summary("held-out parts, the model", held, [measure(f, queue_of(model, cand["live"])) for f in held])


def run_diagnose() -> None:
    """Development only: (1) the average precision of a writer-free question's pairs, by the
    score and by models fitted without it; (2) the shipped queue's confirmations per block of
    25 decisions of the simulated curator (where the rejections go)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score
    folds = dev_folds(synth())
    names = FEATURE_SETS["all"]
    for f in [f for f in folds if f.set == "room"]:
        rest = [g for g in folds if g is not f]
        room = [g for g in rest if g.set == "room"]
        x, y = rows_of(f, names)
        got = [f"score {average_precision_score(y, x[:, 0]):.3f}"]
        for label, train, c in [("both C 0.01", rest, 0.01), ("both C 0.1", rest, 0.1),
                                ("both C 1", rest, 1.0), ("room C 0.1", room, 0.1)]:
            m = fit(train, names, c)
            z = m["intercept"] + x @ np.array([m["weights"][k] for k in names])
            got.append(f"LR {label} {average_precision_score(y, z):.3f}")
        xs, ys = zip(*(rows_of(g, names) for g in room))
        gb = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15)
        gb.fit(np.concatenate(xs), np.concatenate(ys))
        got.append(f"GBM room {average_precision_score(y, gb.predict_proba(x)[:, 1]):.3f}")
        print(f"  {f.name} AP ({len(y)} pairs, {int(y.sum())} true): " + ", ".join(got), flush=True)
    for f in [f for f in folds if f.set == "room"]:
        seq = []
        real = cu._answer

        def record(*a, **k):
            r = real(*a, **k)
            seq.append(r is not None)
            return r
        cu._answer = record
        try:
            cu.simulate(sim_of(f), f.items, SEMANTIC_METHOD["threshold"], SEMANTIC_METHOD["sure"],
                        sg.QUEUE, include=True)
        finally:
            cu._answer = real
        print(f"  {f.name} {len(seq)} decisions, confirmations per 25: "
              f"{[sum(seq[i:i + 25]) for i in range(0, len(seq), 25)]}")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "cv"
    if what == "cv":
        run_cv()
    elif what == "fit":
        import json
        run_fit(json.loads(sys.argv[2]))
    elif what == "diagnose":
        run_diagnose()
    elif what == "heldout":
        import json
        run_heldout(json.loads(sys.argv[2]))
