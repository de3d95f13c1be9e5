"""Evaluation and timing of facilitator/meeting/synthesis.py.

    .venv/bin/python bench/bench_synthesis.py eval     # cross-validated choice, then held-out figures
    .venv/bin/python bench/bench_synthesis.py time     # cost for 1,000 contributions
    .venv/bin/python bench/bench_synthesis.py restart  # a restart on 1,000 embedded contributions
    .venv/bin/python bench/bench_synthesis.py curator  # the simulated curator only, shipped settings
    .venv/bin/python bench/bench_synthesis.py          # both

``eval``: bench/synthesis_eval_run.py (the sets, the nested choice on development folds, the
held-out parts scored once; ``eval --dev`` leaves the held-out parts out); docs/synthesis.md,
"Relative decisions", has what it prints.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


from tests import synthesis_eval as ev  # noqa: E402
from facilitator.meeting.embedding import Embedder  # noqa: E402
from facilitator.meeting.synthesis import Synthesizer  # noqa: E402
from bench.synthesis_texts import EXTRA  # noqa: E402

GROUPS = [f"g{i}" for i in range(1, 9)]
SESSIONS = [{"id": "s1", "questions": [{"id": "q1"}, {"id": "q2"}, {"id": "q3"}]}]
# -- timing ------------------------------------------------------------------------------------
def synthetic_meeting(n=1000, seed=1):
    """n contributions over 3 questions and 8 groups, built from the development texts plus clauses so
    that texts are distinct (realistic length: one to two sentences)."""
    base = ev.load("dev")
    extra = EXTRA
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
        figures[f"{engine}_queue"] = time_queue(synth, contributions)
    return figures


def time_queue(synth, contributions) -> float:
    """The desk's queue on all the contributions as one question, with 50 points and 100
    rejections decided: what GET /suggestions costs once the scores are cached."""
    scored = synth.pair_scores(contributions)
    ids = [it["id"] for it in scored["items"]]
    curation = {"points": {f"p-{i}": {"id": f"p-{i}", "members": [ids[i], ids[i + 1]]}
                           for i in range(0, 100, 2)},
                "rejected_sets": [[ids[i], ids[i + 3]] for i in range(200, 400, 2)]}
    dt, got = timed(lambda: synth.suggestions(contributions, curation, 20, scored))
    print(f"  the desk's queue over {len(ids)} contributions (50 points, 100 rejections, scores "
          f"cached): {dt:.3f} s for {len(got)} pairs")
    return dt


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
    if what == "curator":
        from bench import synthesis_eval_run
        from bench.synthesis_sets import DiskCachedEmbedder
        synthesis_eval_run.run_curator(DiskCachedEmbedder(Embedder()))
