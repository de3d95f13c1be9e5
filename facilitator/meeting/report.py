"""The outcome report as data, before any format (pure Python, no Flask).

``build_report(state, synthesis, ballot_results, lang)`` returns one dict that every export
(DOCX, HTML, Markdown, CSV, JSON) renders without looking at the state again:

* ``meeting``: id, title, date (from ``meeting.created_at``), the sessions;
* ``recommendations``: what the chair forwarded to the co-facilitators, in the chair's order,
  each with its wording (the chair's synthesis wording when there is one) and the original
  contributions attached with their provenance (group, original language, original text);
* ``sessions`` → ``questions``: the contributions by group (with kind and level of agreement),
  the converging points (title or shared terms, the groups that raised them), the diverging
  points (reason, members) and the vote results per region of every ballot on that question;
* ``ballots``: every ballot's results, per region;
* ``contributions``: one flat row per live contribution (the CSV).

Every user-typed string goes through ``safe_text``: control characters become visible symbols
and bidi overrides are shown, never obeyed. Escaping for a given format (HTML, Markdown, CSV) is
the exporter's job. Labels come in ar, en, fr and es (``LABELS``).
"""

from __future__ import annotations

import datetime as _dt
import unicodedata

from .agenda import text_in
from .ops import guess_lang
from .state import AGREEMENTS, KINDS, MeetingState
from .usertext import BIDI_MARKERS

RTL_LANGS = {"ar", "fa", "he", "ur", "ps", "sd", "ug", "yi", "dv"}
REPORT_LANGS = ("ar", "en", "fr", "es")

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


def is_rtl(lang: str | None) -> bool:
    return (lang or "").split("-")[0].lower() in RTL_LANGS


def direction(lang: str | None) -> str:
    return "rtl" if is_rtl(lang) else "ltr"


# ----- labels -----------------------------------------------------------------------------------

LABELS: dict[str, dict] = {
    "en": {
        "report": "Outcome report",
        "date": "Date",
        "sessions": "Sessions",
        "meeting_id": "Meeting reference",
        "exported": "Document generated on",
        "recommendations": "Recommendations forwarded to the co-facilitators of the global compact",
        "recommendations_intro": "The following recommendations emerged from the meeting and are referred to the co-facilitators, in the order set by the Chair. Each is followed by the original contributions on which it is based.",
        "no_recommendations": "No recommendation has been forwarded.",
        "recommendation_n": "Recommendation {n}",
        "wording_chair": "Synthesis wording by the Chair",
        "wording_title": "Title of the converging point",
        "sources": "Original contributions",
        "proceedings": "Summary of discussions by session",
        "objectives": "Objectives",
        "question_n": "Guiding question {n}",
        "contributions_by_group": "Contributions by group",
        "no_contributions": "No contributions.",
        "converging": "Converging points",
        "converging_session": "Converging points across the guiding questions of the session",
        "no_converging": "No converging points.",
        "diverging": "Diverging points",
        "no_diverging": "No diverging points.",
        "votes": "Vote results by region",
        "groups": "Groups",
        "group": "Group",
        "terms": "Shared terms",
        "kind": "Type",
        "agreement": "Level of agreement",
        "language": "Original language",
        "text": "Original text",
        "reason": "Reason",
        "forwarded": "Forwarded to the co-facilitators",
        "ballot": "Ballot {id}",
        "prompt": "Question put to the vote",
        "status": "Status",
        "status_open": "open",
        "status_closed": "closed",
        "participants": "Participants who voted",
        "practice": "Practice",
        "region": "Region",
        "total": "All regions",
        "yes": "Yes",
        "no": "No",
        "unsure": "Unsure",
        "dots": "Dots",
        "voters": "voters",
        "supporters": "supporters",
        "agree_rate": "Agreement rate",
        "consensus_score": "Consensus score",
        "divergence_score": "Divergence between regions",
        "withheld": "withheld (fewer than 3 voters)",
        "yes_no_unsure": "Yes / No / Unsure",
        "mode_yes_no": "Yes / no / unsure",
        "mode_dots": "Dot voting ({n} dots per participant)",
        "note_anonymity": "To protect the secrecy of the vote, a region's figures are not shown when fewer than three of its participants voted.",
        "contribution": "Contribution",
        "converging_point": "Converging point",
    },
    "fr": {
        "report": "Rapport sur les résultats",
        "date": "Date",
        "sessions": "Séances",
        "meeting_id": "Référence de la réunion",
        "exported": "Document établi le",
        "recommendations": "Recommandations transmises aux cofacilitateurs du pacte mondial",
        "recommendations_intro": "Les recommandations suivantes sont issues de la réunion et sont transmises aux cofacilitateurs dans l'ordre arrêté par la présidence. Chacune est suivie des contributions originales sur lesquelles elle repose.",
        "no_recommendations": "Aucune recommandation n'a été transmise.",
        "recommendation_n": "Recommandation {n}",
        "wording_chair": "Libellé de synthèse établi par la présidence",
        "wording_title": "Intitulé du point de convergence",
        "sources": "Contributions originales",
        "proceedings": "Résumé des débats par séance",
        "objectives": "Objectifs",
        "question_n": "Question directrice {n}",
        "contributions_by_group": "Contributions par groupe",
        "no_contributions": "Aucune contribution.",
        "converging": "Points de convergence",
        "converging_session": "Points de convergence entre les questions directrices de la séance",
        "no_converging": "Aucun point de convergence.",
        "diverging": "Points de divergence",
        "no_diverging": "Aucun point de divergence.",
        "votes": "Résultats du vote par région",
        "groups": "Groupes",
        "group": "Groupe",
        "terms": "Termes communs",
        "kind": "Type",
        "agreement": "Degré d'accord",
        "language": "Langue originale",
        "text": "Texte original",
        "reason": "Motif",
        "forwarded": "Transmis aux cofacilitateurs",
        "ballot": "Scrutin {id}",
        "prompt": "Question mise aux voix",
        "status": "État",
        "status_open": "en cours",
        "status_closed": "clos",
        "participants": "Participants ayant voté",
        "practice": "Pratique",
        "region": "Région",
        "total": "Ensemble des régions",
        "yes": "Oui",
        "no": "Non",
        "unsure": "Sans avis",
        "dots": "Points",
        "voters": "votants",
        "supporters": "soutiens",
        "agree_rate": "Taux d'adhésion",
        "consensus_score": "Indice de consensus",
        "divergence_score": "Divergence entre les régions",
        "withheld": "non communiqué (moins de 3 votants)",
        "yes_no_unsure": "Oui / Non / Sans avis",
        "mode_yes_no": "Oui / non / sans avis",
        "mode_dots": "Vote par points ({n} points par participant)",
        "note_anonymity": "Afin de préserver le secret du vote, les chiffres d'une région ne sont pas communiqués lorsque moins de trois de ses participants ont voté.",
        "contribution": "Contribution",
        "converging_point": "Point de convergence",
    },
    "es": {
        "report": "Informe de resultados",
        "date": "Fecha",
        "sessions": "Sesiones",
        "meeting_id": "Referencia de la reunión",
        "exported": "Documento generado el",
        "recommendations": "Recomendaciones remitidas a los cofacilitadores del pacto mundial",
        "recommendations_intro": "Las siguientes recomendaciones surgieron de la reunión y se remiten a los cofacilitadores en el orden establecido por la Presidencia. Cada una va seguida de las contribuciones originales en que se basa.",
        "no_recommendations": "No se ha remitido ninguna recomendación.",
        "recommendation_n": "Recomendación {n}",
        "wording_chair": "Redacción de síntesis de la Presidencia",
        "wording_title": "Título del punto de convergencia",
        "sources": "Contribuciones originales",
        "proceedings": "Resumen de los debates por sesión",
        "objectives": "Objetivos",
        "question_n": "Pregunta orientativa {n}",
        "contributions_by_group": "Contribuciones por grupo",
        "no_contributions": "No hay contribuciones.",
        "converging": "Puntos de convergencia",
        "converging_session": "Puntos de convergencia entre las preguntas orientativas de la sesión",
        "no_converging": "No hay puntos de convergencia.",
        "diverging": "Puntos de divergencia",
        "no_diverging": "No hay puntos de divergencia.",
        "votes": "Resultados de la votación por región",
        "groups": "Grupos",
        "group": "Grupo",
        "terms": "Términos comunes",
        "kind": "Tipo",
        "agreement": "Grado de acuerdo",
        "language": "Idioma original",
        "text": "Texto original",
        "reason": "Motivo",
        "forwarded": "Remitido a los cofacilitadores",
        "ballot": "Votación {id}",
        "prompt": "Pregunta sometida a votación",
        "status": "Estado",
        "status_open": "abierta",
        "status_closed": "cerrada",
        "participants": "Participantes que votaron",
        "practice": "Práctica",
        "region": "Región",
        "total": "Todas las regiones",
        "yes": "Sí",
        "no": "No",
        "unsure": "Indeciso",
        "dots": "Puntos",
        "voters": "votantes",
        "supporters": "apoyos",
        "agree_rate": "Tasa de apoyo",
        "consensus_score": "Índice de consenso",
        "divergence_score": "Divergencia entre regiones",
        "withheld": "no se muestra (menos de 3 votantes)",
        "yes_no_unsure": "Sí / No / Indeciso",
        "mode_yes_no": "Sí / no / indeciso",
        "mode_dots": "Votación por puntos ({n} puntos por participante)",
        "note_anonymity": "Para proteger el secreto del voto, no se muestran las cifras de una región cuando votaron menos de tres de sus participantes.",
        "contribution": "Contribución",
        "converging_point": "Punto de convergencia",
    },
    "ar": {
        "report": "تقرير النتائج",
        "date": "التاريخ",
        "sessions": "الجلسات",
        "meeting_id": "مرجع الاجتماع",
        "exported": "أُعدّت هذه الوثيقة في",
        "recommendations": "التوصيات المحالة إلى الميسِّرَين المشاركَين للاتفاق العالمي",
        "recommendations_intro": "انبثقت التوصيات التالية عن الاجتماع، وهي محالة إلى الميسِّرَين المشاركَين وفق الترتيب الذي حدده الرئيس. وتلي كلَّ توصية الإسهاماتُ الأصلية التي تستند إليها.",
        "no_recommendations": "لم تُحَل أي توصية.",
        "recommendation_n": "التوصية {n}",
        "wording_chair": "الصيغة التوليفية التي وضعها الرئيس",
        "wording_title": "عنوان نقطة التقارب",
        "sources": "الإسهامات الأصلية",
        "proceedings": "موجز المناقشات حسب الجلسة",
        "objectives": "الأهداف",
        "question_n": "السؤال التوجيهي {n}",
        "contributions_by_group": "الإسهامات حسب الفريق",
        "no_contributions": "لا توجد إسهامات.",
        "converging": "نقاط التقارب",
        "converging_session": "نقاط التقارب بين الأسئلة التوجيهية للجلسة",
        "no_converging": "لا توجد نقاط تقارب.",
        "diverging": "نقاط الاختلاف",
        "no_diverging": "لا توجد نقاط اختلاف.",
        "votes": "نتائج التصويت حسب المنطقة",
        "groups": "الأفرقة",
        "group": "الفريق",
        "terms": "المصطلحات المشتركة",
        "kind": "النوع",
        "agreement": "درجة التوافق",
        "language": "اللغة الأصلية",
        "text": "النص الأصلي",
        "reason": "السبب",
        "forwarded": "محالة إلى الميسِّرَين المشاركَين",
        "ballot": "الاقتراع {id}",
        "prompt": "المسألة المطروحة للتصويت",
        "status": "الحالة",
        "status_open": "مفتوح",
        "status_closed": "مغلق",
        "participants": "عدد المشاركين المصوِّتين",
        "practice": "الممارسة",
        "region": "المنطقة",
        "total": "جميع المناطق",
        "yes": "نعم",
        "no": "لا",
        "unsure": "غير متأكد",
        "dots": "النقاط",
        "voters": "مصوِّتين",
        "supporters": "مؤيدين",
        "agree_rate": "نسبة التأييد",
        "consensus_score": "مؤشر التوافق",
        "divergence_score": "التباين بين المناطق",
        "withheld": "محجوبة (أقل من 3 مصوِّتين)",
        "yes_no_unsure": "نعم / لا / غير متأكد",
        "mode_yes_no": "نعم / لا / غير متأكد",
        "mode_dots": "التصويت بالنقاط ({n} نقاط لكل مشارك)",
        "note_anonymity": "حفاظاً على سرية التصويت، لا تُعرض أرقام أي منطقة إذا قلّ عدد المصوِّتين من مشاركيها عن ثلاثة.",
        "contribution": "إسهام",
        "converging_point": "نقطة تقارب",
    },
}

KIND_LABELS = {
    "en": {"good_practice": "Good practice", "innovative_solution": "Innovative solution",
           "principle": "Principle or common approach", "recommendation": "Recommendation",
           "gap": "Gap or priority issue", "partnership": "Partnership",
           "commitment": "Actionable commitment", "other": "Other"},
    "fr": {"good_practice": "Bonne pratique", "innovative_solution": "Solution innovante",
           "principle": "Principe ou approche commune", "recommendation": "Recommandation",
           "gap": "Lacune ou question prioritaire", "partnership": "Partenariat",
           "commitment": "Engagement pragmatique", "other": "Autre"},
    "es": {"good_practice": "Buena práctica", "innovative_solution": "Solución innovadora",
           "principle": "Principio o enfoque común", "recommendation": "Recomendación",
           "gap": "Laguna o cuestión prioritaria", "partnership": "Alianza",
           "commitment": "Compromiso viable", "other": "Otro"},
    "ar": {"good_practice": "ممارسة جيدة", "innovative_solution": "حل مبتكر",
           "principle": "مبدأ أو نهج مشترك", "recommendation": "توصية",
           "gap": "ثغرة أو قضية ذات أولوية", "partnership": "شراكة",
           "commitment": "التزام قابل للتنفيذ", "other": "أخرى"},
}

AGREEMENT_LABELS = {
    "en": {"consensus": "Consensus", "majority": "Majority", "divergent": "Divergent views"},
    "fr": {"consensus": "Consensus", "majority": "Majorité", "divergent": "Divergence de vues"},
    "es": {"consensus": "Consenso", "majority": "Mayoría", "divergent": "Opiniones divergentes"},
    "ar": {"consensus": "توافق في الآراء", "majority": "أغلبية", "divergent": "آراء متباينة"},
}

REASON_LABELS = {
    "en": {"divergent_views": "Divergent views within the group",
           "agreement_differs": "The groups differ on the level of agreement",
           "regions_split": "The regions split in the vote"},
    "fr": {"divergent_views": "Divergence de vues au sein du groupe",
           "agreement_differs": "Le degré d'accord diffère d'un groupe à l'autre",
           "regions_split": "Les régions sont partagées lors du vote"},
    "es": {"divergent_views": "Opiniones divergentes dentro del grupo",
           "agreement_differs": "El grado de acuerdo difiere entre los grupos",
           "regions_split": "Las regiones están divididas en la votación"},
    "ar": {"divergent_views": "آراء متباينة داخل الفريق",
           "agreement_differs": "تتباين الأفرقة في درجة التوافق",
           "regions_split": "انقسام المناطق في التصويت"},
}

LANGUAGE_NAMES = {
    "en": {"ar": "Arabic", "en": "English", "fr": "French", "es": "Spanish"},
    "fr": {"ar": "arabe", "en": "anglais", "fr": "français", "es": "espagnol"},
    "es": {"ar": "árabe", "en": "inglés", "fr": "francés", "es": "español"},
    "ar": {"ar": "العربية", "en": "الإنكليزية", "fr": "الفرنسية", "es": "الإسبانية"},
}


def report_lang(lang: str | None, fallback: str = "en") -> str:
    lang = (lang or "").split("-")[0].lower()
    if lang in LABELS:
        return lang
    return fallback if fallback in LABELS else "en"


def format_date(timestamp, lang: str) -> tuple[str, str]:
    """(ISO date, the date written out in ``lang``) of an epoch timestamp, in UTC."""
    try:
        day = _dt.datetime.fromtimestamp(float(timestamp), _dt.timezone.utc).date()
    except (TypeError, ValueError, OverflowError, OSError):
        return "", ""
    try:
        from babel.dates import format_date as babel_format

        text = babel_format(day, "long", locale=lang)
    except Exception:  # babel missing or no data for the locale: ISO is always readable
        text = day.isoformat()
    return day.isoformat(), text


# ----- the report -------------------------------------------------------------------------------


def build_report(state: MeetingState, synthesis: dict | None, ballot_results: dict | None,
                 lang: str) -> dict:
    """The outcome document as data. ``ballot_results``: ballot id → ``live.ballot_results``."""
    meeting = state.meeting or {}
    default_lang = meeting.get("default_language", "en")
    lang = report_lang(lang, "en")
    labels = LABELS[lang]
    kinds = KIND_LABELS[lang]
    agreements = AGREEMENT_LABELS[lang]
    reasons = REASON_LABELS[lang]
    lang_names = LANGUAGE_NAMES[lang]
    synthesis = synthesis or {}
    ballot_results = ballot_results or {}

    def txt(value) -> str:
        return safe_text(text_in(value, lang, default_lang))

    group_names = {g["id"]: txt(g.get("name")) or safe_text(g["id"]) for g in meeting.get("groups", [])}
    region_names = {r["id"]: txt(r.get("name")) or safe_text(r["id"]) for r in meeting.get("regions", [])}

    # Where each question sits: session, number within the session.
    question_info: dict[str, dict] = {}
    for session in meeting.get("sessions", []):
        for n, q in enumerate(session.get("questions", []), start=1):
            question_info[q["id"]] = {"session_id": session["id"], "n": n,
                                      "text": txt(q.get("text")),
                                      "session": txt(session.get("title"))}

    # Clusters from the synthesis: question-level (c-...) and session-level (s-...).
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

    marked = state.outcome.get("marked", {})
    wording = state.outcome.get("wording", {})

    # Votes per contribution, for the provenance rows and the CSV.
    votes_of: dict[str, list[dict]] = {}
    for ballot_id, results in ballot_results.items():
        for row in results.get("results", []):
            entry = {"ballot_id": ballot_id, "mode": results.get("mode")}
            if results.get("mode") == "dots":
                entry["dots"] = row.get("dots", 0)
                entry["turnout"] = row.get("turnout", 0)
            else:
                entry["counts"] = dict(row.get("counts", {}))
                entry["turnout"] = row.get("turnout", 0)
            votes_of.setdefault(row["contribution_id"], []).append(entry)

    def cluster_label(cl: dict | None) -> str:
        if not cl:
            return ""
        return safe_text(cl.get("title")) or ", ".join(safe_text(t) for t in cl.get("terms", []))

    def item(cid: str) -> dict | None:
        c = state.contributions.get(cid)
        if c is None:
            return None
        info = question_info.get(c["question_id"], {})
        cl_id = cluster_of.get(cid)
        return {
            "id": cid,
            "group_id": c["group_id"],
            "group": group_names.get(c["group_id"], safe_text(c["group_id"])),
            "session_id": c.get("session_id") or info.get("session_id"),
            "session": info.get("session", ""),
            "question_id": c["question_id"],
            "question": info.get("text", ""),
            "question_n": info.get("n"),
            "kind": c.get("kind"),
            "kind_label": kinds.get(c.get("kind"), safe_text(c.get("kind"))),
            "agreement": c.get("agreement"),
            "agreement_label": agreements.get(c.get("agreement"), safe_text(c.get("agreement"))),
            "lang": safe_text(c.get("lang")) or default_lang,
            "lang_name": lang_names.get(c.get("lang"), safe_text(c.get("lang"))),
            "dir": direction(c.get("lang")),
            "text": safe_text(c.get("text")),
            "cluster_id": cl_id,
            "cluster": cluster_label(clusters.get(cl_id)),
            "forwarded": bool(marked.get(f"contribution:{cid}")) or bool(cl_id and marked.get(f"cluster:{cl_id}")),
            "deleted": bool(c.get("deleted")),
            "votes": votes_of.get(cid, []),
        }

    def wording_of(ref: str) -> dict | None:
        w = wording.get(ref)
        if not w or not w.get("text"):
            return None
        wl = safe_text(w.get("lang")) or default_lang
        return {"text": safe_text(w["text"]), "lang": wl, "dir": direction(wl), "source": "chair",
                "lang_name": lang_names.get(wl, wl)}

    # ----- forwarded recommendations, in the chair's order -----------------------------------
    recommendations = []
    for n, ref in enumerate(state.outcome.get("order", []), start=1):
        kind, _, target = ref.partition(":")
        rec: dict = {"n": n, "ref": ref, "type": kind, "label": labels["recommendation_n"].format(n=n)}
        if kind == "cluster":
            cl = clusters.get(target)
            anchor = target[2:] if target.startswith(("c-", "s-")) else target
            if cl is not None:
                members = list(cl.get("contributions", []))
            else:  # the cluster has changed since it was marked: keep its anchor and the chair's links
                members = [anchor]
                for a, b in state.curation.get("links", []):
                    for x, y in ((a, b), (b, a)):
                        if x in members and y not in members:
                            members.append(y)
            title = safe_text((cl or {}).get("title") or state.curation.get("titles", {}).get(target))
            rec["cluster_id"] = target
            rec["title"] = title
            rec["terms"] = [safe_text(t) for t in (cl or {}).get("terms", [])]
        else:
            members = [target]
            rec["contribution_id"] = target
            rec["title"] = ""
            rec["terms"] = []
        sources = [x for x in (item(cid) for cid in members) if x is not None and not x["deleted"]]
        rec["sources"] = sources
        rec["groups"] = list(dict.fromkeys(s["group"] for s in sources))
        chair = wording_of(ref)
        if chair:
            rec["wording"] = chair
        elif rec["title"]:
            tl = guess_lang(rec["title"], default_lang)
            rec["wording"] = {"text": rec["title"], "lang": tl, "dir": direction(tl), "source": "title",
                              "lang_name": lang_names.get(tl, tl)}
        elif len(sources) == 1:
            s = sources[0]
            rec["wording"] = {"text": s["text"], "lang": s["lang"], "dir": s["dir"], "source": "original",
                              "lang_name": s["lang_name"]}
        else:
            rec["wording"] = None
        first = sources[0] if sources else {}
        rec["session_id"] = first.get("session_id")
        rec["question_id"] = first.get("question_id")
        rec["question"] = first.get("question", "")
        recommendations.append(rec)

    # ----- ballots ------------------------------------------------------------------------------
    region_order = [r["id"] for r in meeting.get("regions", [])]
    ballots = []
    for ballot_id, ballot in state.ballots.items():
        results = ballot_results.get(ballot_id)
        if results is None:
            continue
        mode = results.get("mode", ballot.get("mode"))
        rows = []
        for row in results.get("results", []):
            source = item(row["contribution_id"])
            if source is None:
                continue
            by_region = []
            regions_seen = list(region_order) + [r for r in row.get("by_region", {}) if r not in region_order]
            for rid in regions_seen:
                if rid not in row.get("by_region", {}):
                    continue
                cell = row["by_region"][rid]
                by_region.append({"region_id": rid, "region": region_names.get(rid, safe_text(rid)),
                                  "cell": dict(cell) if cell else None})
            out = {"contribution": source, "by_region": by_region, "turnout": row.get("turnout", 0),
                   "consensus": row.get("consensus"), "divergence": row.get("divergence")}
            if mode == "dots":
                out["dots"] = row.get("dots", 0)
            else:
                out["counts"] = dict(row.get("counts", {}))
            rows.append(out)
        status = results.get("status", ballot.get("status"))
        ballots.append({
            "id": ballot_id,
            # Ballots are numbered b1, b2…; people read the number.
            "label": labels["ballot"].format(id=ballot_id[1:] if ballot_id[1:].isdigit() else ballot_id),
            "mode": mode,
            "mode_label": labels["mode_dots"].format(n=ballot.get("dots")) if mode == "dots" else labels["mode_yes_no"],
            "prompt": safe_text(results.get("prompt") or ballot.get("prompt")),
            "status": status,
            "status_label": labels.get(f"status_{status}", safe_text(status)),
            "participants": results.get("participants", 0),
            "regions": [{"id": rid, "name": region_names.get(rid, safe_text(rid))}
                        for rid in (results.get("matrix", {}).get("cols") or region_order)],
            "rows": rows,
        })

    # ----- sessions and questions ---------------------------------------------------------------
    synth_q = {q["question_id"]: q for q in synthesis.get("questions", [])}
    synth_s = {s["session_id"]: s for s in synthesis.get("sessions", [])}

    def cluster_entry(cl: dict) -> dict:
        members = [x for x in (item(cid) for cid in cl.get("contributions", [])) if x is not None]
        return {
            "id": cl["id"],
            "title": safe_text(cl.get("title")),
            "terms": [safe_text(t) for t in cl.get("terms", [])],
            "label": cluster_label(cl),
            "group_ids": list(cl.get("groups", [])),
            "groups": [group_names.get(g, safe_text(g)) for g in cl.get("groups", [])],
            "strength": cl.get("strength"),
            "contributions": members,
            "forwarded": bool(marked.get(f"cluster:{cl['id']}")),
        }

    sessions = []
    for session in meeting.get("sessions", []):
        questions = []
        for n, q in enumerate(session.get("questions", []), start=1):
            by_group = []
            count = 0
            for gid in session.get("groups", []):
                ids = state.order.get(f"{gid}|{q['id']}", [])
                entries = [x for x in (item(cid) for cid in ids) if x is not None and not x["deleted"]]
                if entries:
                    by_group.append({"group_id": gid, "group": group_names.get(gid, safe_text(gid)),
                                     "contributions": entries})
                    count += len(entries)
            sq = synth_q.get(q["id"], {})
            converging = [cluster_entry(cl) for cl in sq.get("converging", [])]
            diverging = []
            for d in sq.get("diverging", []):
                members = [x for x in (item(cid) for cid in d.get("contributions", [])) if x is not None]
                gids = d.get("groups") or list(dict.fromkeys(m["group_id"] for m in members))
                entry = {
                    "reason": d.get("reason"),
                    "reason_label": reasons.get(d.get("reason"), safe_text(d.get("reason"))),
                    "group_ids": list(gids),
                    "groups": [group_names.get(g, safe_text(g)) for g in gids],
                    "cluster_id": d.get("cluster_id"),
                    "cluster": cluster_label(clusters.get(d.get("cluster_id"))),
                    "contributions": members,
                }
                if d.get("ballot_id"):
                    entry["ballot_id"] = d["ballot_id"]
                    entry["divergence"] = d.get("divergence")
                diverging.append(entry)
            votes = []
            for b in ballots:
                rows = [r for r in b["rows"] if r["contribution"]["question_id"] == q["id"]]
                if rows:
                    votes.append(dict(b, rows=rows))
            parts = [{"id": p["id"], "text": txt(p.get("text"))} for p in q.get("parts", [])]
            questions.append({
                "id": q["id"], "n": n, "label": labels["question_n"].format(n=n),
                "text": txt(q.get("text")), "parts": parts,
                "groups": by_group, "count": count,
                "converging": converging, "diverging": diverging, "votes": votes,
            })
        cross = [cluster_entry(cl) for cl in synth_s.get(session["id"], {}).get("converging", [])]
        sessions.append({
            "id": session["id"],
            "title": txt(session.get("title")),
            "plenary": bool(session.get("plenary")),
            "objectives": [txt(o) for o in session.get("objectives", [])],
            "questions": questions,
            "converging": cross,
        })

    # ----- one row per contribution (CSV) ---------------------------------------------------
    rows = []
    for session in sessions:
        for question in session["questions"]:
            for group in question["groups"]:
                rows.extend(group["contributions"])

    iso, date_text = format_date(meeting.get("created_at"), lang)
    return {
        "lang": lang,
        "dir": direction(lang),
        "labels": dict(labels),
        "kinds": dict(kinds),
        "agreements": dict(agreements),
        "meeting": {
            "id": safe_text(meeting.get("id")),
            "title": txt(meeting.get("title")),
            "date": iso,
            "date_text": date_text,
            "created_at": meeting.get("created_at"),
            "languages": list(meeting.get("languages", [])),
            "sessions": [{"id": s["id"], "title": s["title"]} for s in sessions],
            "regions": [{"id": rid, "name": region_names[rid]} for rid in region_order],
            "groups": [{"id": gid, "name": name} for gid, name in group_names.items()],
        },
        "recommendations": recommendations,
        "sessions": sessions,
        "ballots": ballots,
        "contributions": rows,
    }


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


__all__ = ["build_report", "safe_text", "vote_summary", "LABELS", "KIND_LABELS", "AGREEMENT_LABELS",
           "REASON_LABELS", "LANGUAGE_NAMES", "REPORT_LANGS", "is_rtl", "direction", "report_lang",
           "KINDS", "AGREEMENTS"]
