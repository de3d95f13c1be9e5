"""The analysis behind the synthesis and the desk's queue, wherever it runs.

``Analysis`` holds the synthesizer (its models, its per-text caches), reads and writes the
sentence vectors in the store, and keeps per meeting the semantic scores of every pair of
contributions (``ScoreCache``), so that a new contribution costs its own row, not the whole
question. ``run.py serve`` runs it in a worker process of its own (web/analysis_worker.py):
the server's event loop never embeds or clusters. Tests in process call it directly.

Nothing here decides a rule: the method is meeting/synthesis.py's; this is where and when it runs.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections import OrderedDict

import numpy as np

from ..meeting.synthesis import add_vote_divergence
from . import wire

CACHED_MEETINGS = 8  # meetings whose pair scores are kept (a few megabytes each at 1,000)


def json_body(result: dict) -> bytes:
    """GET /synthesis's body: compact JSON, UTF-8 (Arabic as Arabic)."""
    return json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dot_products(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``rows @ cols.T``, each entry summed in the same order whatever the shapes (einsum's own
    loop; BLAS blocks differently for a row than for a matrix): a row computed on its own is
    bit for bit the row of a full computation. It differs from BLAS by float32 rounding."""
    return np.einsum("ik,jk->ij", rows, cols, optimize=False)


class ScoreCache:
    """One meeting's cosines (before the question's centring and the calibration, which depend
    on the question: Synthesizer.similarity), one row and column per distinct (language, text): the
    vector key. ``scores(synth, items)`` computes the rows of keys it has not seen and returns
    the items' block; ``prune`` drops the rows of texts that are gone (edited, deleted) once
    they are the majority, by copying the rows kept, never by computing them again."""

    def __init__(self) -> None:
        self.computed_rows = 0  # rows computed so far (what the incremental test counts)
        self._reset()

    def _reset(self) -> None:
        self.keys: list[str] = []
        self.vectors = np.zeros((0, 0), np.float32)
        self.matrix = np.zeros((0, 0))
        self.index: dict[str, int] = {}

    def scores(self, synth, items: list[dict]) -> np.ndarray:
        keys = [synth._key(it["text"], it["_lang"]) for it in items]
        new = {}
        for key, it in zip(keys, items):
            if key not in self.index and key not in new:
                new[key] = it
        if new:
            self._add(synth, list(new), [new[k] for k in new])
        rows = np.fromiter((self.index[k] for k in keys), dtype=np.intp, count=len(keys))
        return self.matrix[np.ix_(rows, rows)]

    def _add(self, synth, keys, items) -> None:
        vectors = synth._vectors_for(items).astype(np.float32, copy=False)
        old = len(self.keys)
        all_vectors = np.concatenate([self.vectors, vectors]) if old else vectors
        n = old + len(keys)
        grown = np.empty((n, n))
        grown[:old, :old] = self.matrix
        # the new rows against every column, then the old rows against the new columns
        grown[old:, :] = dot_products(vectors, all_vectors)
        if old:
            grown[:old, old:] = dot_products(self.vectors, vectors)
        self.keys += keys
        self.vectors = all_vectors
        self.matrix = grown
        self.index.update((k, old + i) for i, k in enumerate(keys))
        self.computed_rows += len(keys)

    def prune(self, live_keys: set) -> None:
        """Drop the rows of texts no live contribution has, once they are most of the matrix."""
        keep = [i for i, k in enumerate(self.keys) if k in live_keys]
        if len(keep) * 2 >= len(self.keys):
            return
        idx = np.asarray(keep, dtype=np.intp)
        self.matrix = self.matrix[np.ix_(idx, idx)]
        self.vectors = self.vectors[idx]
        self.keys = [self.keys[i] for i in keep]
        self.index = {k: i for i, k in enumerate(self.keys)}


class Analysis:
    """The synthesizer with its vectors in ``store`` and its pair scores kept per meeting.

    ``synthesizer_factory()`` builds the synthesizer (and loads its models) on first use, in
    whichever process runs this. Not thread-safe: one call at a time (LiveViews serialises)."""

    def __init__(self, synthesizer_factory, store=None) -> None:
        self._factory = synthesizer_factory
        self._synth = None
        self.store = store
        self._caches: OrderedDict[str, ScoreCache] = OrderedDict()
        # (meeting, question) -> (the texts they were computed on, the suggestions' scores)
        self._pair_scores: dict[tuple[str, str], tuple[tuple, dict]] = {}
        self._meeting: str | None = None  # whose cache semantic_scores uses

    @property
    def synthesizer(self):
        if self._synth is None:
            synth = self._factory()
            if getattr(synth, "embedder", None) is not None:
                # the pair scores come from this meeting's cache (same values, see ScoreCache)
                synth.semantic_scores = lambda items: self._cache().scores(synth, items)
            self._synth = synth
        return self._synth

    def _cache(self) -> ScoreCache:
        cache = self._caches.get(self._meeting)
        if cache is None:
            cache = self._caches[self._meeting] = ScoreCache()
            while len(self._caches) > CACHED_MEETINGS:
                self._caches.popitem(last=False)
        self._caches.move_to_end(self._meeting)
        return cache

    def describe(self) -> dict:
        """The method; at start-up it also loads the models (a first text embedded), so that
        the first contribution of the day does not wait for them."""
        synth = self.synthesizer
        if synth.embedder is not None:
            synth.embedder.embed(["warm-up"], ["en"])
        return synth.describe_method()

    def synthesis(self, meeting_id: str, contributions, sessions, groups, curation) -> dict:
        started = time.perf_counter()
        synth = self.synthesizer
        embedded = synth.embedded
        self._read_vectors(contributions)
        self._meeting = meeting_id
        result = synth.analyse(contributions, sessions, groups, curation)
        self._keep_vectors()
        cache = self._caches.get(meeting_id)
        if cache is not None:
            cache.prune({synth.vector_key(c) for c in contributions if not c.get("deleted")})
        logging.getLogger(__name__).debug(
            "synthesis of %s: %d contributions, %d embedded, %.2f s", meeting_id, len(contributions),
            synth.embedded - embedded, time.perf_counter() - started)
        return result

    def publish(self, meeting_id: str, contributions, sessions, groups, curation, splits, seq: int,
                encode: bool) -> dict:
        """The synthesis as the live views serve it: with the regions that split in a ballot
        (``splits``: ``voting.regions_split``'s, taken with the inputs) and the ``seq`` it
        reflects; ``encode``: instead of the result, its JSON (UTF-8, for GET), that JSON
        gzipped, and the push's (wire.dumps), made here rather than in the server's process."""
        result = self.synthesis(meeting_id, contributions, sessions, groups, curation)
        add_vote_divergence(result, splits)
        result["seq"] = seq
        if not encode:
            return {"result": result}
        # only the encodings go back to the server (live.Published): not the result as objects
        body = json_body(result)
        return {"seq": seq, "json": body, "gzip": gzip.compress(body, 6), "wire": wire.dumps(result)}

    def suggestions(self, meeting_id: str, question_id: str, contributions, curation, limit: int) -> list:
        synth = self.synthesizer
        texts = tuple((c["id"], c["group_id"], c.get("lang"), c["text"]) for c in contributions)
        cached = self._pair_scores.get((meeting_id, question_id))
        if cached is not None and cached[0] == texts:
            scored = cached[1]
        else:
            self._read_vectors(contributions)
            self._meeting = meeting_id
            scored = synth.pair_scores(contributions)
            self._keep_vectors()
            self._pair_scores[(meeting_id, question_id)] = (texts, scored)
        return synth.suggestions(contributions, curation, limit, scored)

    # ----- vectors in the store ----------------------------------------------------------------

    def _read_vectors(self, contributions) -> None:
        """Vectors an earlier run of this engine left in the store: a restart need not embed."""
        synth = self.synthesizer
        fingerprint, missing = synth.fingerprint, synth.missing_vectors(contributions)
        if not fingerprint or not missing or self.store is None:
            return
        try:
            stored = self.store.load_vectors(fingerprint, missing)
        except Exception as error:  # derived data: without it the texts are embedded again
            logging.getLogger(__name__).debug("stored vectors not read: %s", error)
            return
        if stored:
            synth.add_vectors(stored)

    def _keep_vectors(self) -> None:
        synth = self.synthesizer
        fresh = synth.take_new_vectors()
        if fresh and synth.fingerprint and self.store is not None:
            try:
                self.store.save_vectors(synth.fingerprint, {k: v.tobytes() for k, v in fresh.items()})
            except Exception as error:  # still in memory; only a restart would embed them again
                logging.getLogger(__name__).debug("%d vectors not stored: %s", len(fresh), error)
