"""The outcome report as data, before any format (pure Python, no Flask).

``build_report(state, synthesis, ballot_results, lang)`` returns one dict that every writer
(DOCX, HTML, Markdown, CSV, the JSON archive) lays out without looking at the state again:

* ``meeting``: id, title, date (from ``meeting.created_at``), the sessions;
* ``recommendations``: what the chair forwarded to the co-facilitators, in the chair's order,
  each with its wording (the chair's synthesis wording when there is one) and the original
  contributions attached with their provenance (group, original language, original text);
* ``sessions`` → ``questions``: the contributions by group (with kind and level of agreement),
  the converging points (title or shared terms, the groups that raised them), the diverging
  points (reason, members) and the vote results per region of every ballot on that question;
* ``ballots``: every ballot's results, per region;
* ``contributions``: one flat row per live contribution (the CSV).

The lines every format shows the same way are written here once: a contribution's
``provenance``, a vote's figures per region (``text``) and overall (``total``), a ballot's
``summary`` and ``legend``, the ``groups_line`` of a point, the CSV's ``votes_line``.

Every user-typed string goes through ``safe_text``: control characters become visible symbols
and bidi overrides are shown, never obeyed. Escaping for a given format (HTML, Markdown, CSV) is
the writer's job. Labels are gettext messages (``LABELS``), translated from the catalogs.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from dataclasses import dataclass

from .agenda import text_in
from .desk import MACHINE, base_language
from .ids import cluster_anchor
from .i18n import N_, direction, gettext, language_name, ui_language
from .ops import guess_lang
from .state import AGREEMENTS, KINDS, MeetingState
from .usertext import BIDI_MARKERS

# Invisible format characters that have no business in a report (zero-width space and friends
# are kept: ZWJ/ZWNJ shape Arabic-script words, LRM/RLM/ALM fix punctuation in mixed text).
_DROP = {"\ufeff", "\ufff9", "\ufffa", "\ufffb"}


def safe_text(value) -> str:
    """User text made inert and readable in every format.

    NFC; line breaks normalised to ``\\n``; tabs kept; other C0/C1 control characters become
    their visible Unicode control pictures (U+2400 block) or ``[U+0085]``; bidi overrides and
    isolates become ``[RLO]``-style markers; lone surrogates become U+FFFD.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif code < 0x20:
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif 0x80 <= code <= 0x9F:
            out.append(f"[U+{code:04X}]")
        elif ch in BIDI_MARKERS:  # shown, never obeyed: they could reorder what follows
            out.append(BIDI_MARKERS[ch])
        elif ch in _DROP:
            continue
        elif 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append("\ufffd")  # not allowed in XML (DOCX) and not text anyway
        else:
            out.append(ch)
    return "".join(out).strip()



# ----- labels: gettext messages, translated from translations/<lang> -----------------------------

LABELS = {
    "report": N_("Outcome report"),
    "date": N_("Date"),
    "sessions": N_("Sessions"),
    "meeting_id": N_("Meeting reference"),
    "recommendations": N_("Recommendations forwarded to the co-facilitators of the global compact"),
    "recommendations_intro": N_("The following recommendations emerged from the meeting and are referred to the co-facilitators, in the order set by the Chair. Each is followed by the original contributions on which it is based."),
    "no_recommendations": N_("No recommendation has been forwarded."),
    "recommendation_n": N_("Recommendation {n}"),
    "wording_chair": N_("Synthesis wording by the Chair"),
    "sources": N_("Original contributions"),
    "proceedings": N_("Summary of discussions by session"),
    "question_n": N_("Guiding question {n}"),
    "contributions_by_group": N_("Contributions by group"),
    "no_contributions": N_("No contributions."),
    "converging": N_("Converging points"),
    "converging_session": N_("Converging points across the guiding questions of the session"),
    "diverging": N_("Diverging points"),
    "votes": N_("Vote results by region"),
    "groups": N_("Groups"),
    "group": N_("Group"),
    "terms": N_("Shared terms"),
    "kind": N_("Type"),
    "agreement": N_("Level of agreement"),
    "language": N_("Original language"),
    "text": N_("Original text"),
    "forwarded": N_("Forwarded to the co-facilitators"),
    "ballot": N_("Ballot {id}"),
    "prompt": N_("Question put to the vote"),
    "status": N_("Status"),
    "status_open": N_("open"),
    "status_closed": N_("closed"),
    "participants": N_("Participants who voted"),
    "practice": N_("Practice"),
    "rank": N_("Rank"),
    "rank_tied": N_("{n} (tie)"),
    "rank_region": N_("rank {n}"),
    "point_on_ballot": N_("Converging point"),
    "total": N_("All regions"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "unsure": N_("Unsure"),
    "dots": N_("Dots"),
    "voters": N_("voters"),
    "supporters": N_("supporters"),
    "withheld": N_("withheld (fewer than 3 voters)"),
    "yes_no_unsure": N_("Yes / No / Unsure"),
    "mode_yes_no": N_("Yes / no / unsure"),
    "mode_dots": N_("Dot voting ({n} dots per participant)"),
    "note_anonymity": N_("To protect the secrecy of the vote, a region's figures are not shown when fewer than three of its participants voted."),
    # issue 12: translations, the groups' sign-offs, how the converging points were computed
    "translation_human": N_("Translation by the secretariat"),
    "translation_machine": N_("Machine translation, not reviewed"),
    "translation_stale": N_("the original changed after this translation"),
    "original": N_("Original"),
    "sign_offs": N_("Agreement of the groups with their answers"),
    "signed_off": N_("{group}: agreed on {date} at {time} UTC"),
    "signed_off_stale": N_("{group}: agreed on {date} at {time} UTC; the answers changed afterwards"),
    "not_signed_off": N_("{group}: no agreement recorded"),
    "method": N_("How the converging points were computed"),
    "method_intro": N_("Converging points are suggested by software and curated by the Chair. They were computed as follows."),
    "method_engine": N_("Engine"),
    "engine_semantic": N_("semantic (multilingual sentence vectors)"),
    "engine_lexical": N_("lexical (shared terms)"),
    "method_models": N_("Models"),
    "method_fingerprint": N_("Model fingerprint"),
    "method_settings": N_("Method settings"),
    "method_threshold": N_("Similarity threshold for a converging point"),
    "method_confident": N_("Score from which a point is marked confident"),
    "method_unknown": N_("No synthesis was computed for this meeting."),
}

KIND_LABELS = {
    "good_practice": N_("Good practice"),
    "innovative_solution": N_("Innovative solution"),
    "principle": N_("Principle or common approach"),
    "recommendation": N_("Recommendation"),
    "gap": N_("Gap or priority issue"),
    "partnership": N_("Partnership"),
    "commitment": N_("Actionable commitment"),
    "other": N_("Other"),
}

AGREEMENT_LABELS = {
    "consensus": N_("Consensus"),
    "majority": N_("Majority"),
    "divergent": N_("Divergent views"),
}

REASON_LABELS = {
    "divergent_views": N_("Divergent views within the group"),
    "agreement_differs": N_("The groups differ on the level of agreement"),
    "regions_split": N_("The regions split in the vote"),
}


def translated(table: dict[str, str], lang: str) -> dict[str, str]:
    """One of the label tables above in ``lang``."""
    return {key: gettext(lang, message) for key, message in table.items()}


def report_lang(lang: str | None, fallback: str = "en") -> str:
    """The language the report is written in: ``lang`` if the catalogs cover it."""
    return ui_language(lang, fallback)


def format_date(timestamp, lang: str) -> tuple[str, str]:
    """(ISO date, the date written out in ``lang``) of an epoch timestamp, in UTC."""
    try:
        day = _dt.datetime.fromtimestamp(float(timestamp), _dt.timezone.utc).date()
    except (TypeError, ValueError, OverflowError, OSError):
        return "", ""
    try:
        from babel.dates import format_date as babel_format

        text = babel_format(day, "long", locale=lang)
    except Exception:  # no data for the locale: ISO is always readable
        text = day.isoformat()
    return day.isoformat(), text


def vote_cell(cell: dict | None, mode: str) -> str:
    """One region's figures: yes / no / unsure, or dots (supporters/voters); — when withheld."""
    if cell is None:
        return "—"
    if mode == "dots":
        return f"{cell.get('dots', 0)} ({cell.get('supporters', 0)}/{cell.get('voters', 0)})"
    return f"{cell.get('yes', 0)} / {cell.get('no', 0)} / {cell.get('unsure', 0)}"


def vote_total(row: dict, mode: str) -> str:
    """All regions together: yes / no / unsure, or dots (turnout)."""
    if mode == "dots":
        return f"{row.get('dots', 0)} ({row.get('turnout', 0)})"
    c = row.get("counts", {})
    return f"{c.get('yes', 0)} / {c.get('no', 0)} / {c.get('unsure', 0)}"


def vote_summary(votes: list[dict], labels: dict) -> str:
    """One line per contribution for the CSV: ``b1: Yes 3 · No 1 · Unsure 0 (4)``."""
    parts = []
    for v in votes:
        if v.get("mode") == "dots":
            parts.append(f"{v['ballot_id']}: {labels['dots']} {v.get('dots', 0)} ({v.get('turnout', 0)})")
        else:
            c = v.get("counts", {})
            parts.append(f"{v['ballot_id']}: {labels['yes']} {c.get('yes', 0)} · {labels['no']} {c.get('no', 0)}"
                         f" · {labels['unsure']} {c.get('unsure', 0)} ({v.get('turnout', 0)})")
    return "; ".join(parts)


# ----- the context: what every step reads, computed once ------------------------------------------


@dataclass(frozen=True)
class ReportContext:
    """The meeting as the report's steps read it, in the report's language."""

    state: MeetingState
    lang: str
    default_lang: str
    labels: dict
    kinds: dict
    agreements: dict
    reasons: dict
    group_names: dict      # group id -> name in the report's language
    region_names: dict     # region id -> name
    region_order: list     # region ids, agenda order
    questions: dict        # question id -> session id, number, text, session title
    clusters: dict         # cluster id (c-… question level, s-… session level) -> cluster
    cluster_of: dict       # contribution id -> its question-level cluster id
    votes_of: dict         # contribution id -> its votes, one entry per ballot
    synthesis: dict
    ballot_results: dict

    def txt(self, value) -> str:
        """Agenda text (a string or one per language) in the report's language, made inert."""
        return safe_text(text_in(value, self.lang, self.default_lang))

    def group(self, gid: str) -> str:
        return self.group_names.get(gid, safe_text(gid))

    def region(self, rid: str) -> str:
        return self.region_names.get(rid, safe_text(rid))

    def lang_name(self, code) -> str:
        return language_name(safe_text(code), self.lang)

    def item(self, cid: str) -> dict | None:
        """One contribution with its provenance, or None if the log has no such contribution."""
        c = self.state.contributions.get(cid)
        if c is None:
            return None
        info = self.questions.get(c["question_id"], {})
        cl_id = self.cluster_of.get(cid)
        marked = self.state.outcome.get("marked", {})
        lang = safe_text(c.get("lang")) or self.default_lang
        out = {
            "id": cid, "group_id": c["group_id"], "group": self.group(c["group_id"]),
            "session_id": c.get("session_id") or info.get("session_id"), "session": info.get("session", ""),
            "question_id": c["question_id"], "question": info.get("text", ""), "question_n": info.get("n"),
            "kind": c.get("kind"), "kind_label": self.kinds.get(c.get("kind"), safe_text(c.get("kind"))),
            "agreement": c.get("agreement"),
            "agreement_label": self.agreements.get(c.get("agreement"), safe_text(c.get("agreement"))),
            "lang": lang, "lang_name": self.lang_name(lang), "dir": direction(c.get("lang")),
            "text": safe_text(c.get("text")),
            "cluster_id": cl_id, "cluster": self.point_label(self.clusters.get(cl_id)),
            "forwarded": bool(marked.get(f"contribution:{cid}")) or bool(cl_id and marked.get(f"cluster:{cl_id}")),
            "deleted": bool(c.get("deleted")),
            "votes": self.votes_of.get(cid, []),
        }
        out["translation"] = self.translation(cid, lang)
        out["origin"] = f"{out['lang_name']} ({lang})"
        out["provenance"] = " · ".join((out["group"], out["origin"], out["kind_label"], out["agreement_label"]))
        out["votes_line"] = vote_summary(out["votes"], self.labels)
        return out

    def point_title(self, cid: str, default) -> str:
        """A converging point's title in the report's language (`cluster.title` with `lang`),
        else its default title: the rule of every page (static/js/model.js clusterTitle)."""
        by_lang = (self.state.curation.get("titles_by_lang") or {}).get(cid) or {}
        code = self.lang if by_lang.get(self.lang) else next(
            (k for k, v in by_lang.items() if v and base_language(k) == base_language(self.lang)), None)
        return safe_text(by_lang[code] if code else default)

    def point_label(self, cl: dict | None) -> str:
        """A point's title in the report's language, else its shared terms."""
        if not cl:
            return ""
        return self.point_title(cl["id"], cl.get("title")) or ", ".join(safe_text(t) for t in cl.get("terms", []))

    def translation(self, cid: str, original_lang: str) -> dict | None:
        """The contribution's translation into the report's language, marked human or machine
        (and stale when the original changed since), or None: when it is written in the
        report's language, or nobody translated it."""
        if base_language(original_lang) == base_language(self.lang):
            return None
        found = self.state.translations_of(cid)
        code = self.lang if self.lang in found else next(
            (k for k in found if base_language(k) == base_language(self.lang)), None)
        if code is None or not found[code].get("text"):
            return None
        tr = found[code]
        source = MACHINE if tr.get("source") == MACHINE else "human"
        label = self.labels["translation_machine" if source == MACHINE else "translation_human"]
        if tr.get("stale"):
            label = f"{label} — {self.labels['translation_stale']}"
        return {"text": safe_text(tr["text"]), "lang": code, "dir": direction(code), "source": source,
                "stale": bool(tr.get("stale")), "label": label,
                "original_label": f"{self.labels['original']} ({self.lang_name(original_lang)})"}

    def items(self, ids, live_only: bool = True) -> list[dict]:
        found = (self.item(cid) for cid in ids)
        return [x for x in found if x is not None and not (live_only and x["deleted"])]

    def wording(self, text: str, lang: str, source: str) -> dict:
        """A recommendation's wording: the text, its language and direction, where it comes from."""
        out = {"text": text, "lang": lang, "dir": direction(lang), "source": source,
               "lang_name": self.lang_name(lang)}
        if source == "chair":
            out["label"] = f"{self.labels['wording_chair']} ({out['lang_name']})"
        return out

    def groups_line(self, gids) -> tuple[list[str], str]:
        names = [self.group(g) for g in gids]
        return names, f"{self.labels['groups']}: {', '.join(names)}"


def _context(state: MeetingState, synthesis: dict, ballot_results: dict, lang: str) -> ReportContext:
    meeting = state.meeting or {}
    default_lang = meeting.get("default_language", "en")

    def txt(value) -> str:
        return safe_text(text_in(value, lang, default_lang))

    questions: dict[str, dict] = {}
    for session in meeting.get("sessions", []):
        for n, q in enumerate(session.get("questions", []), start=1):
            questions[q["id"]] = {"session_id": session["id"], "n": n, "text": txt(q.get("text")),
                                  "session": txt(session.get("title"))}
    clusters: dict[str, dict] = {}
    cluster_of: dict[str, str] = {}
    for q in synthesis.get("questions", []):
        for cl in q.get("converging", []):
            clusters[cl["id"]] = cl
            for cid in cl.get("contributions", []):
                cluster_of.setdefault(cid, cl["id"])
    for s in synthesis.get("sessions", []):
        for cl in s.get("converging", []):
            clusters.setdefault(cl["id"], cl)
    labels = translated(LABELS, lang)
    return ReportContext(
        state=state, lang=lang, default_lang=default_lang, labels=labels,
        kinds=translated(KIND_LABELS, lang), agreements=translated(AGREEMENT_LABELS, lang),
        reasons=translated(REASON_LABELS, lang),
        group_names={g["id"]: txt(g.get("name")) or safe_text(g["id"]) for g in meeting.get("groups", [])},
        region_names={r["id"]: txt(r.get("name")) or safe_text(r["id"]) for r in meeting.get("regions", [])},
        region_order=[r["id"] for r in meeting.get("regions", [])],
        questions=questions, clusters=clusters, cluster_of=cluster_of,
        votes_of=_votes_of(ballot_results), synthesis=synthesis, ballot_results=ballot_results)


def _votes_of(ballot_results: dict) -> dict[str, list[dict]]:
    """Votes per contribution, for the provenance rows and the CSV."""
    votes_of: dict[str, list[dict]] = {}
    for ballot_id, results in ballot_results.items():
        for row in results.get("results", []):
            entry = {"ballot_id": ballot_id, "mode": results.get("mode"), "turnout": row.get("turnout", 0)}
            if results.get("mode") == "dots":
                entry["dots"] = row.get("dots", 0)
            else:
                entry["counts"] = dict(row.get("counts", {}))
            if row.get("contribution_id"):  # a point's votes are its own, not its members'
                votes_of.setdefault(row["contribution_id"], []).append(entry)
    return votes_of


# ----- the steps ---------------------------------------------------------------------------------


def _recommendations(ctx: ReportContext) -> list[dict]:
    """What the chair forwarded, in the chair's order."""
    return [_recommendation(ctx, n, ref) for n, ref in enumerate(ctx.state.outcome.get("order", []), start=1)]


def _cluster_members(ctx: ReportContext, target: str, cl: dict | None) -> list[str]:
    if cl is not None:
        return list(cl.get("contributions", []))
    point = ctx.state.curation.get("points", {}).get(target)
    if point is not None:  # a person's point that is no converging point now: its members
        return list(point["members"])
    # The cluster has changed since it was marked: keep its anchor and the chair's links.
    members = [cluster_anchor(target) or target]
    for a, b in ctx.state.curation.get("links", []):
        for x, y in ((a, b), (b, a)):
            if x in members and y not in members:
                members.append(y)
    return members


def _recommendation(ctx: ReportContext, n: int, ref: str) -> dict:
    kind, _, target = ref.partition(":")
    rec: dict = {"n": n, "ref": ref, "type": kind, "label": ctx.labels["recommendation_n"].format(n=n)}
    if kind == "cluster":
        cl = ctx.clusters.get(target)
        members = _cluster_members(ctx, target, cl)
        rec["cluster_id"] = target
        rec["title"] = ctx.point_title(target, (cl or {}).get("title") or ctx.state.curation.get("titles", {}).get(target))
        rec["terms"] = [safe_text(t) for t in (cl or {}).get("terms", [])]
    else:
        members = [target]
        rec.update(contribution_id=target, title="", terms=[])
    rec["terms_line"] = f"{ctx.labels['terms']}: {', '.join(rec['terms'])}" if kind == "cluster" and rec["terms"] else ""
    sources = ctx.items(members)
    rec["sources"] = sources
    rec["groups"] = list(dict.fromkeys(s["group"] for s in sources))
    chair = ctx.state.outcome.get("wording", {}).get(ref)
    if chair and chair.get("text"):
        rec["wording"] = ctx.wording(safe_text(chair["text"]), safe_text(chair.get("lang")) or ctx.default_lang, "chair")
    elif rec["title"]:
        rec["wording"] = ctx.wording(rec["title"], guess_lang(rec["title"], ctx.default_lang), "title")
    elif len(sources) == 1:
        rec["wording"] = ctx.wording(sources[0]["text"], sources[0]["lang"], "original")
    else:
        rec["wording"] = None
    first = sources[0] if sources else {}
    rec.update(session_id=first.get("session_id"), question_id=first.get("question_id"),
               question=first.get("question", ""))
    return rec


def _ballots(ctx: ReportContext) -> list[dict]:
    """Every ballot with results, its rows per region; figures already written out."""
    ballots = []
    for ballot_id, ballot in ctx.state.ballots.items():
        results = ctx.ballot_results.get(ballot_id)
        if results is not None:
            ballots.append(_ballot(ctx, ballot_id, ballot, results))
    return ballots


def _ballot(ctx: ReportContext, ballot_id: str, ballot: dict, results: dict) -> dict:
    L = ctx.labels
    mode = results.get("mode", ballot.get("mode"))
    status = results.get("status", ballot.get("status"))
    items = {item.get("point_id"): item for item in ballot.get("items") or () if item.get("point_id")}
    # best first, ties under one rank (docs/voting.md: the ranking)
    ranked = sorted(results.get("results", []), key=lambda r: (r.get("rank") is None, r.get("rank") or 0))
    rows = [row for row in (_ballot_row(ctx, r, mode, items) for r in ranked) if row is not None]
    out = {
        "id": ballot_id,
        # Ballots are numbered b1, b2…; people read the number.
        "label": L["ballot"].format(id=ballot_id[1:] if ballot_id[1:].isdigit() else ballot_id),
        "mode": mode,
        "mode_label": L["mode_dots"].format(n=ballot.get("dots")) if mode == "dots" else L["mode_yes_no"],
        # one text as typed, or one per language (the agenda's default prompt): the report's
        "prompt": ctx.txt(results.get("prompt") or ballot.get("prompt")),
        "status": status,
        "status_label": L.get(f"status_{status}", safe_text(status)),
        "participants": results.get("participants", 0),
        "regions": [{"id": rid, "name": ctx.region(rid)}
                    for rid in (results.get("matrix", {}).get("cols") or ctx.region_order)],
        "rows": rows,
    }
    out["heading"] = f"{L['votes']} — {out['label']}"
    out["prompt_line"] = f"{L['prompt']}: {out['prompt']}" if out["prompt"] else ""
    out["summary"] = (f"{out['mode_label']} · {L['status']}: {out['status_label']} · "
                      f"{L['participants']}: {out['participants']}")
    legend = f"{L['dots']} ({L['supporters']}/{L['voters']})" if mode == "dots" else L["yes_no_unsure"]
    out["legend"] = f"{legend}. — : {L['withheld']}. {L['note_anonymity']}"
    return out


def _ballot_row(ctx: ReportContext, row: dict, mode: str, points: dict) -> dict | None:
    if row.get("point_id"):
        source = _ballot_point(ctx, points.get(row["point_id"]) or {"point_id": row["point_id"]})
    else:
        source = ctx.item(row["contribution_id"])
    if source is None:
        return None
    cells = row.get("by_region", {})
    seen = list(ctx.region_order) + [r for r in cells if r not in ctx.region_order]
    ranks = row.get("rank_by_region") or {}
    by_region = [{"region_id": rid, "region": ctx.region(rid), "cell": dict(cells[rid]) if cells[rid] else None,
                  "rank": ranks.get(rid), "text": _ranked_cell(ctx, cells[rid], mode, ranks.get(rid))}
                 for rid in seen if rid in cells]
    rank = row.get("rank")
    out = {"contribution": source, "by_region": by_region, "turnout": row.get("turnout", 0),
           "consensus": row.get("consensus"), "divergence": row.get("divergence"),
           "rank": rank, "tied": bool(row.get("tied")),
           "rank_label": "–" if rank is None else ctx.labels["rank_tied"].format(n=rank) if row.get("tied") else str(rank)}
    if mode == "dots":
        out["dots"] = row.get("dots", 0)
    else:
        out["counts"] = dict(row.get("counts", {}))
    out["total"] = vote_total(out, mode)
    return out


def _ranked_cell(ctx: ReportContext, cell: dict | None, mode: str, rank: int | None) -> str:
    text = vote_cell(cell, mode)
    return text if rank is None else f"{text} · {ctx.labels['rank_region'].format(n=rank)}"


def _ballot_point(ctx: ReportContext, item: dict) -> dict:
    """A converging point on a ballot, shaped as a row's source: its title in the report's
    language, else its title, else its wording (the member it was worded by, translated when it
    is); the groups that raised it."""
    point = (ctx.state.curation.get("points") or {}).get(item.get("point_id")) or {}
    titles = point.get("titles") or item.get("titles") or {}
    code = next((k for k, v in titles.items() if v and base_language(k) == base_language(ctx.lang)), None)
    title = safe_text(titles[code] if code else point.get("title") or item.get("title") or "")
    central = ctx.item(item["central"]) if item.get("central") else None
    worded = central["translation"] or central if central else {"text": "", "lang": ctx.lang}
    gids = item.get("group_ids") or []
    return {"id": item["point_id"], "point_id": item["point_id"], "question_id": item.get("question_id"),
            "kind": "point", "kind_label": ctx.labels["point_on_ballot"],
            "text": title or worded["text"], "lang": ctx.lang if title else worded["lang"],
            "group": ", ".join(ctx.group(g) for g in gids), "group_ids": list(gids)}


def _point(ctx: ReportContext, cl: dict) -> dict:
    """A converging point: its label, the groups that raised it, its members."""
    groups, line = ctx.groups_line(cl.get("groups", []))
    members = [dict(c, provenance=f"{c['group']} · {c['origin']}")
               for c in ctx.items(cl.get("contributions", []), live_only=False)]
    return {
        "id": cl["id"], "title": ctx.point_title(cl["id"], cl.get("title")), "terms": [safe_text(t) for t in cl.get("terms", [])],
        "label": ctx.point_label(cl), "group_ids": list(cl.get("groups", [])), "groups": groups,
        "groups_line": line, "strength": cl.get("strength"), "contributions": members,
        "forwarded": bool(ctx.state.outcome.get("marked", {}).get(f"cluster:{cl['id']}")),
    }


def _divergence(ctx: ReportContext, d: dict) -> dict:
    """A diverging point: why, which groups, the contributions concerned."""
    members = [dict(c, provenance=f"{c['group']} · {c['agreement_label']} · {c['origin']}")
               for c in ctx.items(d.get("contributions", []), live_only=False)]
    gids = d.get("groups") or list(dict.fromkeys(m["group_id"] for m in members))
    groups, line = ctx.groups_line(gids)
    entry = {
        "reason": d.get("reason"), "reason_label": ctx.reasons.get(d.get("reason"), safe_text(d.get("reason"))),
        "group_ids": list(gids), "groups": groups, "groups_line": line,
        "cluster_id": d.get("cluster_id"), "cluster": ctx.point_label(ctx.clusters.get(d.get("cluster_id"))),
        "contributions": members,
    }
    if d.get("ballot_id"):
        entry["ballot_id"] = d["ballot_id"]
        entry["divergence"] = d.get("divergence")
    return entry


def _question(ctx: ReportContext, session: dict, n: int, q: dict, ballots: list[dict]) -> dict:
    by_group = []
    for gid in session.get("groups", []):
        entries = ctx.items(ctx.state.order.get(f"{gid}|{q['id']}", []))
        if entries:
            by_group.append({"group_id": gid, "group": ctx.group(gid), "contributions": entries})
    synth = next((x for x in ctx.synthesis.get("questions", []) if x.get("question_id") == q["id"]), {})
    votes = []
    for b in ballots:
        rows = [r for r in b["rows"] if r["contribution"]["question_id"] == q["id"]]
        if rows:
            votes.append(dict(b, rows=rows))
    return {
        "id": q["id"], "n": n, "label": ctx.labels["question_n"].format(n=n),
        "sign_offs": _sign_offs(ctx, session, q["id"], bool(by_group)),
        "text": ctx.txt(q.get("text")), "parts": [{"id": p["id"], "text": ctx.txt(p.get("text"))}
                                                  for p in q.get("parts", [])],
        "groups": by_group, "count": sum(len(g["contributions"]) for g in by_group),
        "converging": [_point(ctx, cl) for cl in synth.get("converging", [])],
        "diverging": [_divergence(ctx, d) for d in synth.get("diverging", [])],
        "votes": votes,
    }


def _sign_offs(ctx: ReportContext, session: dict, qid: str, answered: bool) -> list[dict]:
    """Each group's sign-off of a question, once some group answered or agreed on it (a question
    nobody touched would only list "no agreement recorded" for every group)."""
    gids = session.get("groups", [])
    if session.get("plenary") or not (answered or any(f"{g}|{qid}" in ctx.state.sign_offs for g in gids)):
        return []
    return [_sign_off(ctx, gid, qid) for gid in gids]


def _sign_off(ctx: ReportContext, gid: str, qid: str) -> dict:
    """Whether and when a group agreed with its answers to a question, and whether they changed
    afterwards (answers.sign_off)."""
    found = ctx.state.sign_offs.get(f"{gid}|{qid}")
    out = {"group_id": gid, "group": ctx.group(gid), "signed": found is not None,
           "stale": bool(found and found.get("stale")), "ts": found.get("ts") if found else None}
    if found is None:
        out["line"] = ctx.labels["not_signed_off"].format(group=out["group"])
        return out
    moment = _dt.datetime.fromtimestamp(float(found["ts"]), _dt.timezone.utc)
    out["iso"] = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    _, date_text = format_date(found["ts"], ctx.lang)
    key = "signed_off_stale" if out["stale"] else "signed_off"
    out["line"] = ctx.labels[key].format(group=out["group"], date=date_text, time=moment.strftime("%H:%M"))
    return out


def _method(ctx: ReportContext) -> dict:
    """How the converging points were computed (synthesis ``method``): engine, models, model
    fingerprint, thresholds and settings, as label/value lines."""
    L = ctx.labels
    method = dict(ctx.synthesis.get("method") or {})
    engine = method.get("engine") or ctx.synthesis.get("engine")
    out = {"heading": L["method"], "intro": L["method_intro"], "engine": engine,
           "fingerprint": method.get("fingerprint"), "settings": method, "lines": []}
    if not engine:
        out["intro"] = L["method_unknown"]
        return out
    threshold = method.get("threshold", ctx.synthesis.get("threshold"))
    lines = [(L["method_engine"], L.get(f"engine_{engine}", safe_text(engine)))]
    if method.get("models"):
        lines.append((L["method_models"], ", ".join(safe_text(m) for m in method["models"])))
    if method.get("fingerprint"):
        lines.append((L["method_fingerprint"], safe_text(method["fingerprint"])))
    if threshold is not None:
        lines.append((L["method_threshold"], f"{float(threshold):g}"))
    if method.get("confident") is not None:
        lines.append((L["method_confident"], f"{float(method['confident']):g}"))
    shown = {"engine", "models", "fingerprint", "threshold", "confident"}
    settings = ", ".join(f"{k} = {method[k]:g}" if isinstance(method[k], (int, float)) else f"{k} = {safe_text(method[k])}"
                         for k in sorted(method) if k not in shown)
    if settings:
        lines.append((L["method_settings"], settings))
    out["lines"] = [{"label": label, "value": value, "line": f"{label}: {value}"} for label, value in lines]
    return out


def _sessions(ctx: ReportContext, ballots: list[dict]) -> list[dict]:
    """Each session's questions with their contributions, points and votes."""
    sessions = []
    for session in (ctx.state.meeting or {}).get("sessions", []):
        synth = next((x for x in ctx.synthesis.get("sessions", []) if x.get("session_id") == session["id"]), {})
        sessions.append({
            "id": session["id"],
            "title": ctx.txt(session.get("title")),
            "plenary": bool(session.get("plenary")),
            "objectives": [ctx.txt(o) for o in session.get("objectives", [])],
            "questions": [_question(ctx, session, n, q, ballots)
                          for n, q in enumerate(session.get("questions", []), start=1)],
            "converging": [_point(ctx, cl) for cl in synth.get("converging", [])],
        })
    return sessions


def _meeting(ctx: ReportContext, sessions: list[dict]) -> dict:
    meeting = ctx.state.meeting or {}
    iso, date_text = format_date(meeting.get("created_at"), ctx.lang)
    out = {
        "id": safe_text(meeting.get("id")),
        "title": ctx.txt(meeting.get("title")),
        "date": iso,
        "date_text": date_text,
        "created_at": meeting.get("created_at"),
        "languages": list(meeting.get("languages", [])),
        "sessions": [{"id": s["id"], "title": s["title"]} for s in sessions],
        "regions": [{"id": rid, "name": ctx.region_names[rid]} for rid in ctx.region_order],
        "groups": [{"id": gid, "name": name} for gid, name in ctx.group_names.items()],
    }
    out["date_line"] = f"{ctx.labels['date']}: {date_text}"
    out["id_line"] = f"{ctx.labels['meeting_id']}: {out['id']}"
    return out


def build_report(state: MeetingState, synthesis: dict | None, ballot_results: dict | None,
                 lang: str) -> dict:
    """The outcome document as data. ``ballot_results``: ballot id → ``live.ballot_results``."""
    ctx = _context(state, synthesis or {}, ballot_results or {}, report_lang(lang, "en"))
    ballots = _ballots(ctx)
    sessions = _sessions(ctx, ballots)
    return {
        "lang": ctx.lang,
        "dir": direction(ctx.lang),
        "labels": dict(ctx.labels),
        "kinds": dict(ctx.kinds),
        "agreements": dict(ctx.agreements),
        "meeting": _meeting(ctx, sessions),
        "recommendations": _recommendations(ctx),
        "sessions": sessions,
        "ballots": ballots,
        "method": _method(ctx),
        # one row per live contribution, in agenda order (the CSV)
        "contributions": [c for s in sessions for q in s["questions"] for g in q["groups"]
                          for c in g["contributions"]],
    }


__all__ = ["build_report", "safe_text", "vote_summary", "vote_cell", "vote_total", "translated", "LABELS",
           "KIND_LABELS", "AGREEMENT_LABELS", "REASON_LABELS", "report_lang", "KINDS", "AGREEMENTS"]
