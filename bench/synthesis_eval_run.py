"""``bench_synthesis.py eval``: every setting chosen on development folds, held-out parts once.

Sets (bench/synthesis_sets.py): ``brief`` (5 folds by topic, one held-out part) and ``room``
(writer-free: 4 development questions, one held-out question). Stages, each on the training
folds only (every development fold of both sets but the one scored):

1. scoring and clustering: framing removal, lexical weight, hubness weight, the same-group prior
   and the threshold, by the mean over the two sets of the pooled F1 of the suggested points;
2. the sure rule (``matching.SURE``): the highest mean recall (pooled per set) of what reaches
   the plenary with no person, among the rules whose precision is >= PLENARY_PRECISION on each
   training meeting;
3. the desk's queue (``suggestions.QUEUE``): the fewest decisions of a simulated truthful
   curator to bring the plenary to P >= 0.95 and R >= 0.90, against the minimum.

Nested: each development fold is scored with what was chosen without it (the spread across
folds); the settings chosen on all development folds are then scored once on the held-out parts.
"""
from __future__ import annotations

import itertools
import time

import numpy as np

from facilitator.meeting import matching
from facilitator.meeting.suggestions import QUEUE, suggest_pairs
from facilitator.meeting.synthesis import SEMANTIC_METHOD, Synthesizer, cluster
from tests import synthesis_eval as ev

from . import synthesis_curator as cu
from . import synthesis_measures as sm
from . import synthesis_sets as sets

PLENARY_PRECISION = 0.95
THRESHOLDS = [round(float(x), 3) for x in np.arange(0.30, 0.701, 0.025)]
SCORING = [{"framing": fr, "lexical_weight": lw, "hub_weight": hw, "mutual_weight": mw, "centre": ce,
            "shared": sn}
           for fr in (False, True) for lw in (0.0, 0.25) for hw in (0.0, 0.5)
           for mw in (0.0, 0.1, 0.2) for ce in (0.0, 0.5, 1.0) for sn in (0.0, 0.3)]
PRIORS = (0.0, 0.1, 0.2)
RULES = ([{"confident": c, "margin": None} for c in THRESHOLDS]
         + [{"confident": None, "margin": m, "k": k, "mutual": mu}
            for m in np.round(np.arange(0.0, 0.301, 0.025), 3) for k in (4, 8) for mu in (True, False)]
         + [{"confident": c, "margin": m, "k": 8, "mutual": True, "combine": how}
            for c in THRESHOLDS[::2] for m in (0.0, 0.1, 0.2, 0.25, 0.3) for how in ("all", "any")])
QUEUES = [dict(QUEUE, unit=u, group_prior=0.1, point_bonus=pb, copy_penalty=cp, rejection_decay=rd)
          for u in ("max", "mean") for pb in (0.05,) for cp in (0.0, 0.2)
          for rd in (0.0, 0.03, 0.06)]


class Fold:
    """One meeting (a fold or a held-out part): its items and its score matrices."""

    def __init__(self, set_name: str, name: str, items: list[dict], synths: dict):
        self.set, self.name, self.items = set_name, name, items
        self.groups = [x["group"] for x in items]
        contribs = ev.as_contributions(items)
        # the same-group prior is applied here, per setting (Synthesizer's own is 0 in the bench)
        self.sims = {i: s.score_matrix(contribs) for i, s in synths.items()}
        self._cache: dict = {}

    def sim(self, si: int, prior: float) -> np.ndarray:
        return matching.same_group_prior(self.sims[si], self.groups, prior)

    def clustering(self, si, prior, t):
        key = ("cl", si, prior, t)
        if key not in self._cache:
            self._cache[key] = cluster(self.sim(si, prior), t)
        return self._cache[key]

    def suggested(self, si, prior, t):
        key = ("sug", si, prior, t)
        if key not in self._cache:
            self._cache[key] = ev.count(self.items, self.clustering(si, prior, t)[0])
        return self._cache[key]

    def plenary(self, si, prior, t, rule):
        key = ("plen", si, prior, t, repr(sorted(rule.items())))
        if key not in self._cache:
            self._cache[key] = self._plenary(si, prior, t, rule)
        return self._cache[key]

    def _plenary(self, si, prior, t, rule):
        labels, weakest = self.clustering(si, prior, t)
        sure = matching.sure_points(self.sim(si, prior), self.groups, labels, weakest, rule)
        labels = np.asarray(labels).copy()
        fresh = labels.max() + 1
        for i, lab in enumerate(labels):
            if int(lab) not in sure:
                labels[i], fresh = fresh, fresh + 1
        return ev.count(self.items, labels)


def pooled(folds, fn) -> dict:
    total: dict = {}
    for f in folds:
        ev.add(total, fn(f))
    return total


def by_set(folds):
    out: dict = {}
    for f in folds:
        out.setdefault(f.set, []).append(f)
    return out


def choose(train: list[Fold]) -> dict:
    """Stages 1-3 on the training folds."""
    per_set = by_set(train)

    def mean_over_sets(fn):
        return float(np.mean([fn(fs) for fs in per_set.values()]))

    si, prior, t = max(itertools.product(range(len(SCORING)), PRIORS, THRESHOLDS),
                       key=lambda c: (mean_over_sets(lambda fs: ev.prf(pooled(
                           fs, lambda f: f.suggested(*c))["all"])[2]), c[2]))
    best, best_key = None, None
    for rule in RULES:
        prs = [ev.prf(pooled(fs, lambda f: f.plenary(si, prior, t, rule))["all"])
               for fs in per_set.values()]
        # every training meeting's plenary, not only their pool: a room is one meeting, and a
        # rule right on the pool may still show one meeting a wrong grouping in four
        worst = min(ev.prf(f.plenary(si, prior, t, rule)["all"])[0] for f in train)
        ok = worst >= PLENARY_PRECISION
        key = (ok, float(np.mean([r for _, r, _ in prs])) if ok else worst)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    choice = {"scoring": SCORING[si], "si": si, "group_prior": prior, "threshold": t, "rule": best}
    choice["queue"] = min(QUEUES, key=lambda q: _queue_cost(train, choice, q))
    return choice


def _queue_cost(folds, choice, queue) -> float:
    """Pooled decisions over the pooled minimum; folds that never reach the target count the cap."""
    dec = minimum = 0
    for f in folds:
        res = curate(f, choice, queue)
        dec += res["decisions"] if res["reached"] else 2 * res["decisions"]
        minimum += res["minimum"]
    return dec / max(minimum, 1)


def curate(fold: Fold, choice: dict, queue: dict | None = None) -> dict:
    key = ("cur", choice["si"], choice["group_prior"], choice["threshold"],
           repr(sorted(choice["rule"].items())), repr(sorted((queue or choice["queue"]).items())))
    if key not in fold._cache:
        fold._cache[key] = cu.simulate(fold.sim(choice["si"], choice["group_prior"]), fold.items,
                                       choice["threshold"], choice["rule"], queue or choice["queue"])
    return fold._cache[key]


def queue_hit3(fold: Fold, choice: dict) -> float:
    """Share of the contributions with a twin that have one among their first 3 suggestions."""
    sim = fold.sim(choice["si"], choice["group_prior"])
    n = len(fold.items)
    items = [{"id": x["id"], "group_id": x["group"], "lang": x["lang"]} for x in fold.items]
    pairs = suggest_pairs(sim, items, None, limit=n * (n - 1) // 2, settings=choice["queue"])
    truth, index = sm.truth(fold.items), {x["id"]: i for i, x in enumerate(fold.items)}
    seen: dict[int, list[bool]] = {}
    for a, b, _ in pairs:
        i, j = index[a], index[b]
        for x in (i, j):
            if len(seen.setdefault(x, [])) < 3:
                seen[x].append(bool(truth[i, j]))
    has = np.flatnonzero(truth.any(axis=1))
    return float(np.mean([any(seen.get(int(i), [])) for i in has])) if len(has) else float("nan")


def score(fold: Fold, choice: dict) -> dict:
    si, prior, t = choice["si"], choice["group_prior"], choice["threshold"]
    return {"suggested": fold.suggested(si, prior, t),
            "plenary": fold.plenary(si, prior, t, choice["rule"]),
            "ranking": sm.ranking(fold.sim(si, prior), fold.items),
            "queue_hit@3": queue_hit3(fold, choice),
            "curator": curate(fold, choice)}


def agreement(a_items: list[dict], b_items: list[dict]) -> dict:
    """Pairwise counts of annotator_a's pairs against annotator_b's (F1 is symmetric): a pair of
    different groups is one annotator's when it shares one of that annotator's lists."""
    a_pairs, b_pairs = sm.truth(a_items), sm.truth(b_items)  # same items, same order
    iu = np.triu_indices(len(a_items), 1)
    a, b = a_pairs[iu], b_pairs[iu]
    counts = {"tp": int((a & b).sum()), "fp": int((a & ~b).sum()), "fn": int((~a & b).sum())}
    return {"all": counts}


def _fmt(s):
    p, r, f = ev.prf(s)
    return f"{p:.2f}/{r:.2f}/{f:.2f}"


def _spread(vals):
    vals = [v for v in vals if v == v]
    return f"{np.mean(vals):.2f}±{np.std(vals):.2f}" if vals else "-"


def _prf_spread(rows, key):
    got = [ev.prf(r[key]) for r in rows if r.get(key) and sum(r[key].values())]
    if not got:
        return "-"
    m, sd = np.mean(got, axis=0), np.std(got, axis=0)
    return f"{m[0]:.2f}±{sd[0]:.2f}/{m[1]:.2f}±{sd[1]:.2f}/{m[2]:.2f}±{sd[2]:.2f}"


def _choice_text(c):
    sc, r = c["scoring"], c["rule"]
    rule = (" or " if r.get("combine") == "any" else " & ").join(x for x in (f"weakest>={r['confident']}" if r["confident"] is not None else "",
                                  f"margin(k{r['k']}{',mutual' if r['mutual'] else ''})>={r['margin']}"
                                  if r["margin"] is not None else "") if x)
    q = c["queue"]
    return (f"framing {int(sc['framing'])} lex {sc['lexical_weight']} hub {sc['hub_weight']} "
            f"mutual {sc['mutual_weight']} centre {sc.get('centre', 0)} shared {sc.get('shared', 0)} "
            f"prior {c['group_prior']} t {c['threshold']} | sure: {rule} | queue: {q['unit']} "
            f"pb {q['point_bonus']} cp {q['copy_penalty']} rd {q['rejection_decay']}")


def load_folds(synths) -> tuple[list[Fold], list[Fold]]:
    dev_brief, held_brief = sets.brief_parts()
    dev = [Fold("brief", f"fold {i + 1}", f, synths) for i, f in enumerate(dev_brief)]
    held = [Fold("brief", "held-out", held_brief[0], synths)]
    if sets.room_available():
        dev_room, held_room = sets.room_parts()
        names = [q for q in sorted(sets.room_meetings()) if q != sets.ROOM_HELDOUT]
        dev += [Fold("room", q, f, synths) for q, f in zip(names, dev_room)]
        held += [Fold("room", sets.ROOM_HELDOUT, f, synths) for f in held_room]
    return dev, held


def run_curator(embedder) -> None:
    """``bench_synthesis.py curator``: only the simulated curator, on the eval's folds and
    held-out parts, with the shipped settings (SEMANTIC_METHOD, QUEUE: nothing chosen here),
    with and without `cluster.include`."""
    t0 = time.perf_counter()
    synths = {0: Synthesizer(engine="semantic", embedder=embedder, method=dict(SEMANTIC_METHOD, group_prior=0.0))}
    dev, held = load_folds(synths)
    print(f"folds ready in {time.perf_counter() - t0:.0f} s; shipped settings: threshold "
          f"{SEMANTIC_METHOD['threshold']}, group prior {SEMANTIC_METHOD['group_prior']}, sure "
          f"{SEMANTIC_METHOD['sure']}, queue {QUEUE}")
    print("decisions (confirm incl. includes + reject) to plenary P>=0.95 R>=0.90, against the minimum "
          "(per proposal, groups - 1); ceiling: the recall one point per note can reach")
    for f in dev + held:
        sim = f.sim(0, SEMANTIC_METHOD["group_prior"])
        for include in (False, True):
            res = cu.simulate(sim, f.items, SEMANTIC_METHOD["threshold"], SEMANTIC_METHOD["sure"], QUEUE,
                              include=include)
            part = "held-out" if f in held else "dev"
            print(f"  {f.set:5s} {f.name:10s} {part:8s} include {'on ' if include else 'off'} "
                  f"{res['confirmations']:4d} (incl {res['includes']:3d}) + {res['rejections']:4d} = "
                  f"{res['decisions']:4d} / min {res['minimum']:4d} = {res['decisions'] / max(res['minimum'], 1):.2f}x "
                  f"{'reached' if res['reached'] else 'NOT reached'} (P {res['precision']:.2f} R {res['recall']:.2f}); "
                  f"ceiling {res['ceiling']:.2f}", flush=True)
    print(f"(curator in {time.perf_counter() - t0:.0f} s)")


def run(embedder, held_out: bool = True) -> dict:
    t0 = time.perf_counter()
    synths = {i: Synthesizer(engine="semantic", embedder=embedder,
                             method=dict(SEMANTIC_METHOD, group_prior=0.0, **st))
              for i, st in enumerate(SCORING)}
    dev, held = load_folds(synths)
    print(f"folds ready in {time.perf_counter() - t0:.0f} s: "
          + ", ".join(f"{f.set} {f.name} ({len(f.items)})" for f in dev + held))
    nested = []
    for f in dev:
        c = choose([g for g in dev if g is not f])
        nested.append((f, c, score(f, c)))
    final = choose(dev)
    print(f"\nchosen on every development fold: {_choice_text(final)}")
    # each held-out part scored once, here, with what was chosen without it (``--dev``: not at all)
    outs = [(f, score(f, final)) for f in held] if held_out else []
    for set_name in by_set(dev):
        report(set_name, [x for x in nested if x[0].set == set_name],
               [x for x in outs if x[0].set == set_name])
    print(f"\n(eval in {time.perf_counter() - t0:.0f} s)")
    return final


def report(set_name, nested, held):
    print(f"\n==== {set_name}: {len(nested)} development folds (nested: each scored with settings "
          f"chosen without it), {len(held)} held-out part(s) scored once")
    for f, c, _ in nested:
        print(f"  {f.name:10s} picked: {_choice_text(c)}")
    rows = [s for _, _, s in nested]
    hrows = [s for _, s in held]
    _agreement_line(set_name, [f for f, _, _ in nested], [f for f, _ in held])
    print(f"  {'ranking':22s} {'dev (mean±sd)':16s} held-out")
    for k in ("hit@1", "hit@3", "recall@3", "recall@5", "ap", "best_f1"):
        print(f"  {k:22s} {_spread([r['ranking'][k] for r in rows]):16s} "
              + " ".join(f"{r['ranking'][k]:.2f}" for r in hrows))
    print(f"  {'queue: twin in top 3':22s} {_spread([r['queue_hit@3'] for r in rows]):16s} "
          + " ".join(f"{r['queue_hit@3']:.2f}" for r in hrows))
    print(f"  {'pairs P/R/F1':10s} {'suggested dev':26s} {'held':15s} {'plenary dev':26s} held   (true pairs held)")
    for key in ev.CATEGORIES:
        if not any(sum(r["suggested"].get(key, {}).values()) for r in rows + hrows):
            continue
        h = hrows[0] if hrows else None
        print(f"  {key:10s} {_cat_spread(rows, 'suggested', key):26s} "
              f"{_fmt(h['suggested'][key]) if h else '-':15s} {_cat_spread(rows, 'plenary', key):26s} "
              f"{_fmt(h['plenary'][key]) if h else '-'}   ({h['suggested'][key]['tp'] + h['suggested'][key]['fn'] if h else '-'})")
    _curator_lines(nested, held)


def _cat_spread(rows, level, key):
    return _prf_spread([{level: r[level][key]} for r in rows], level)


def _curator_lines(nested, held):
    print("  simulated curator (truthful, through suggest_pairs): decisions (confirm, includes among them, + reject) to "
          "plenary P>=0.95 R>=0.90, against the minimum (per proposal, groups - 1)")
    for f, res in [(f, s["curator"]) for f, _, s in nested] + [(f, s["curator"]) for f, s in held]:
        ratio = res["decisions"] / max(res["minimum"], 1)
        rel = res.get("relative_at")
        print(f"    {f.name:10s} {res['confirmations']:4d} (incl {res.get('includes', 0)}) + {res['rejections']:4d} = "
              f"{res['decisions']:4d} / min {res['minimum']:4d} = {ratio:.2f}x "
              f"{'reached' if res['reached'] else 'NOT reached'} (P {res['precision']:.2f} R {res['recall']:.2f}); "
              f"one point a note holds R <= {res['ceiling']:.2f}: P>=0.95 R>=0.90 x that after "
              + (f"{rel} = {rel / max(res['minimum'], 1):.2f}x" if rel is not None else "NOT reached"))
    ratios = [s["curator"]["decisions"] / max(s["curator"]["minimum"], 1) for _, _, s in nested]
    rel = [s["curator"]["relative_at"] / max(s["curator"]["minimum"], 1) for _, _, s in nested
           if s["curator"].get("relative_at") is not None]
    print(f"    development folds: {_spread(ratios)}x; to 0.90 of the ceiling: {_spread(rel)}x "
          f"({len(rel)} of {len(ratios)} reached)")


def _agreement_line(set_name, dev, held):
    if set_name != "room":
        print("  annotators' agreement: - (written from briefs: the proposal is the brief)")
        return
    a, b = sets.room_meetings("annotator_a"), sets.room_meetings("annotator_b")
    per = {f.name: agreement(a[f.name], b[f.name])["all"] for f in dev + held}
    dev_f = [ev.prf(per[f.name])[2] for f in dev]
    print(f"  annotators' agreement (pairwise F1, annotator_a vs annotator_b): dev {_spread(dev_f)} "
          f"(pooled {ev.prf(_sum([per[f.name] for f in dev]))[2]:.2f}); held-out "
          + " ".join(f"{ev.prf(per[f.name])[2]:.2f}" for f in held))


def _sum(stats):
    total = {"tp": 0, "fp": 0, "fn": 0}
    for s in stats:
        for k in total:
            total[k] += s[k]
    return total
