"""The evaluation sets of bench_synthesis.py eval, and an embedder that keeps vectors on disk.

Sets, each as meetings (lists of items ``{"id", "group", "lang", "text", "proposal", "topic"}``,
one meeting = one question, everything in it competes):

* ``brief``: tests/data/synthesis/dev.json (5 folds by topic) and heldout.json (one part).
* ``room``: tests/data/synthesis/room/ (writer-free, see docs/synthesis.md): one meeting per
  question; ``s2-q1`` is the held-out part, each other question a development fold. A
  contribution's ``proposal`` is the index of its list in gold.json (None: in no list).

The disk cache (/tmp/engine-cache) only saves the models' time between bench runs: vectors are
keyed by the engine's fingerprint and the exact text embedded.
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from tests import synthesis_eval as ev

ROOM = os.path.join(ev.DATA, "room")
ROOM_HELDOUT = "s2-q1"
CACHE_DIR = os.environ.get("ENGINE_VECTOR_CACHE", "/tmp/engine-cache")


class DiskCachedEmbedder:
    """An ``Embedder`` whose vectors are also kept in a file per fingerprint."""

    def __init__(self, inner):
        self.inner = inner
        self._path = None
        self._mem: dict[str, np.ndarray] | None = None

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _load(self):
        if self._mem is None:
            self._path = os.path.join(CACHE_DIR, f"{self.inner.fingerprint()}.npz")
            self._mem = {}
            if os.path.exists(self._path):
                with np.load(self._path) as z:
                    self._mem = {k: z[k] for k in z.files}
        return self._mem

    def embed(self, texts, langs=None):
        mem = self._load()
        langs = list(langs or [None] * len(texts))
        keys = [hashlib.sha1(f"{lang}|{t}".encode()).hexdigest() for t, lang in zip(texts, langs)]
        todo = [i for i, k in enumerate(keys) if k not in mem]
        if todo:
            vecs = self.inner.embed([texts[i] for i in todo], [langs[i] for i in todo])
            for i, v in zip(todo, vecs):
                mem[keys[i]] = v
            os.makedirs(CACHE_DIR, exist_ok=True)
            np.savez(self._path, **mem)
        return np.stack([mem[k] for k in keys])


def brief_parts() -> tuple[list[list[dict]], list[list[dict]]]:
    """(development folds, held-out parts) of the brief-based set."""
    return ev.folds(ev.load("dev")), [ev.load("heldout")]


def room_available() -> bool:
    return os.path.exists(os.path.join(ROOM, "items.json"))


def _read(name):
    with open(os.path.join(ROOM, name), encoding="utf-8") as fh:
        return json.load(fh)


def room_meetings(labels: str = "gold") -> dict[str, list[dict]]:
    """Question -> items, ``proposal`` from ``labels`` (gold, annotator_a or annotator_b)."""
    items, marks = _read("items.json"), _read(f"{labels}.json")
    of: dict[str, set] = {}
    for q, lists in marks.items():
        for n, ids in enumerate(lists):
            for cid in ids:  # a note that carries two ideas sits in two lists: keep both
                of.setdefault(str(cid), set()).add(f"{q}#{n}")
    out: dict[str, list[dict]] = {}
    for x in items:
        cid = str(x["id"])
        out.setdefault(x["question"], []).append(
            {"id": cid, "group": x["group"], "lang": x["lang"], "text": x["text"],
             "proposal": frozenset(of[cid]) if cid in of else None, "topic": "other"})
    return out


def room_parts(labels: str = "gold") -> tuple[list[list[dict]], list[list[dict]]]:
    meetings = room_meetings(labels)
    dev = [meetings[q] for q in sorted(meetings) if q != ROOM_HELDOUT]
    return dev, [meetings[ROOM_HELDOUT]] if ROOM_HELDOUT in meetings else []


# The demo's six intended shared themes (docs/synthesis.md, "Limits"), each raised by four
# groups, by position in facilitator/demo/grcp7_contributions.yaml.
DEMO_THEMES = {"remittances": (1, 9, 17, 31), "pre-departure": (2, 15, 26, 30),
               "observatory": (3, 11, 20, 33), "portability": (4, 8, 22, 35),
               "reintegration": (5, 12, 21, 23), "recruitment-fees": (14, 16, 27, 32)}


def demo_meeting() -> list[dict]:
    """The demo's 36 answers pooled in one question (a development check: written blind)."""
    import yaml
    with open(os.path.join(ev.ROOT, "facilitator", "demo", "grcp7_contributions.yaml"),
              encoding="utf-8") as fh:
        rows = yaml.safe_load(fh)
    theme = {i: t for t, idx in DEMO_THEMES.items() for i in idx}
    return [{"id": f"d{i:02d}", "group": r["group"], "lang": r["lang"], "text": r["text"],
             "proposal": theme.get(i), "topic": "other"} for i, r in enumerate(rows)]
