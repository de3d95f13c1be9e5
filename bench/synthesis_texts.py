"""The meetings of bench/bench_synthesis_fresh.py, and their vectors embedded once.

``meeting_texts(n, length)``: n contributions over the five session-2 groups and three of its
questions, built from the development texts with a clause and a number so that every text is
distinct (``length`` 200: one to two sentences; 2000: several development texts run together).
``cached_vectors(items)``: the vectors of those texts under the engine's fingerprint, embedded
once into ``bench/.cache`` and read back afterwards, so that a run measures a meeting already
embedded (as after a restart) instead of minutes of embedding.
"""
from __future__ import annotations

import os
import random
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests import synthesis_eval as ev  # noqa: E402

CACHE_DIR = os.path.join(ROOT, "bench", ".cache")
GROUPS = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena"]
QUESTIONS = ["s2-q2", "s2-q3", "s2-q4"]
EXTRA = {
    "en": ["This was agreed after a long discussion.", "Several countries already do this.",
           "Pilot projects should be evaluated first.", "Funding remains a challenge."],
    "fr": ["Cela a fait l'objet d'un long débat.", "Plusieurs pays le font déjà.",
           "Des projets pilotes devraient d'abord être évalués.", "Le financement reste un défi."],
    "es": ["Esto se acordó tras un largo debate.", "Varios países ya lo hacen.",
           "Primero deberían evaluarse proyectos piloto.", "La financiación sigue siendo un reto."],
    "ar": ["تم الاتفاق على ذلك بعد نقاش طويل.", "تقوم عدة بلدان بذلك بالفعل.",
           "ينبغي تقييم المشاريع التجريبية أولاً.", "لا يزال التمويل يمثل تحدياً."],
}


def meeting_texts(n: int, length: int = 200, seed: int = 1) -> list[dict]:
    base = ev.load("dev")
    by_lang: dict[str, list[str]] = {}
    for v in base:
        by_lang.setdefault(v["lang"], []).append(v["text"])
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        v = rnd.choice(base)
        text = v["text"] + " " + rnd.choice(EXTRA[v["lang"]])
        while len(text) < length - 10:
            text += " " + rnd.choice(by_lang[v["lang"]])
        text = text[:length - 8].rstrip() + f" ({i})"
        out.append({"group": GROUPS[i % len(GROUPS)], "question": QUESTIONS[i % len(QUESTIONS)],
                    "text": text, "lang": v["lang"], "kind": "recommendation",
                    "agreement": rnd.choice(["consensus", "consensus", "majority", "divergent"])})
    return out


def cached_vectors(items: list[dict]) -> tuple[str, dict[str, bytes]]:
    """(fingerprint, {vector key: float32 bytes}) for the items' texts, embedding what the
    cache file does not hold yet."""
    from facilitator.meeting.synthesis import Synthesizer

    synth = Synthesizer(engine="semantic")
    fingerprint = synth.fingerprint
    path = os.path.join(CACHE_DIR, f"fresh-{fingerprint}.npz")
    mem: dict[str, np.ndarray] = {}
    if os.path.exists(path):
        with np.load(path) as z:
            mem = {k: z[k] for k in z.files}
    contributions = [{"id": str(i), "text": it["text"], "lang": it["lang"]} for i, it in enumerate(items)]
    keys = [synth.vector_key(c) for c in contributions]
    todo = [c for c, k in zip(contributions, keys) if k not in mem]
    for start in range(0, len(todo), 100):  # saved as it goes: an interrupted run keeps its work
        synth.embed_pending(todo[start:start + 100])
        mem.update(synth.take_new_vectors())
        os.makedirs(CACHE_DIR, exist_ok=True)
        np.savez(path, **mem)
        print(f"  embedded {min(start + 100, len(todo))} of {len(todo)} texts", flush=True)
    return fingerprint, {k: mem[k].astype(np.float32).tobytes() for k in keys}


if __name__ == "__main__":  # embed the bench's meetings ahead of a run
    for n, length in ((3000, 200), (300, 2000)):
        fp, vecs = cached_vectors(meeting_texts(n, length))
        print(f"{n} texts of {length} characters: {len(vecs)} vectors under {fp}")
