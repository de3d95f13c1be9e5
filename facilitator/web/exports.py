"""The outcome report as a file: DOCX, HTML, Markdown, CSV and the JSON archive.

``GET /api/m/<meeting_id>/report.<docx|html|md|csv|json>?key=CHAIR_KEY[&lang=xx]``. Only the chair
exports. Every format renders ``meeting.report.build_report``; the text in it is already inert
(``safe_text``); here each format escapes what is special to it. See docs/report.md.
"""

from __future__ import annotations

import copy
import csv
import datetime as _dt
import io
import json
import re
import secrets as pysecrets

from flask import Blueprint, current_app, make_response, render_template, request, url_for

from ..meeting import roles
from ..meeting.report import LANGUAGE_NAMES, build_report, is_rtl, report_lang, vote_summary
from ..meeting.usertext import without_leading_invisible
from .api import error_response
from .keys import request_actor
from .live import ballot_results

bp = Blueprint("exports", __name__, url_prefix="/api")

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
ARCHIVE_FORMAT = "facilitator-archive"
ARCHIVE_VERSION = 1
READ_PAGE = 1000


def _hub():
    return current_app.extensions["facilitator"]


def _live():
    return current_app.extensions["facilitator.live"]


@bp.route("/m/<meeting_id>/report.<fmt>")
def report(meeting_id, fmt):
    if fmt not in FORMATS:
        return error_response("not_found", f"Unknown format; use one of: {', '.join(FORMATS)}.")
    hub = _hub()
    if not hub.exists(meeting_id):
        return error_response("not_found", "No such meeting.")
    actor = request_actor(meeting_id)
    if actor is None:
        return error_response("unauthorized", "A valid key is needed.")
    if actor.role != roles.CHAIR:
        return error_response("forbidden", "Only the chair exports the outcome report.")

    synthesis = _live().synthesis(meeting_id)  # may yield to the loop: read the state after it
    state = hub.state(meeting_id)
    wanted = request.args.get("lang") or request.cookies.get("lang")
    lang = report_lang(wanted, report_lang(state.meeting.get("default_language"), "en"))
    results = {bid: ballot_results(state, bid) for bid in state.ballots}
    data = build_report(state, copy.deepcopy(synthesis), results, lang)

    if fmt == "docx":
        body = render_docx(data)
    elif fmt == "html":
        body = render_template("report.html", r=data, L=data["labels"],
                               css_url=url_for("static", filename="css/report.css"))
    elif fmt == "md":
        body = render_markdown(data)
    elif fmt == "csv":
        body = render_csv(data)
    else:
        body = json.dumps(archive(meeting_id, data), ensure_ascii=False, indent=1)

    response = make_response(body)
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers["Cache-Control"] = "no-store"
    name = f"outcome-report-{meeting_id}-{lang}.{fmt}"
    if fmt == "json":
        name = f"meeting-{meeting_id}.json"
    disposition = "inline" if fmt == "html" else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


# ----- JSON: the archive ------------------------------------------------------------------------

SECRET_FIELDS = {"key", "keys", "secret", "secrets", "join_code", "password", "token", "chair_key"}


def _without_secrets(value):
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in SECRET_FIELDS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def read_log(store, meeting_id: str) -> list[dict]:
    events, cursor = [], 0
    while True:
        page = store.read(meeting_id, after=cursor, limit=READ_PAGE)
        events.extend(page)
        if len(page) < READ_PAGE:
            return events
        cursor = page[-1]["seq"]


def anonymise_votes(events: list[dict]) -> list[dict]:
    """The log with no vote linkable to a participant, nor one ballot's voter to another's.

    Each (ballot, participant) gets a fresh random token, made at export and kept for the whole
    export, so a re-vote still replaces the earlier one on import. A ballot's votes move, grouped
    by token in random order, to just before the ballot's ``ballot.closed`` (or the end of the log
    if it is open), each token registered there by a ``participant.joined`` with the voter's
    region and language: the tallies per region are unchanged, the timing that could link a
    voter's ballots is gone. People who joined but never voted keep their join, under a fresh
    token. Only the participant count can grow (one voter in two ballots is two tokens).
    """
    rng = pysecrets.SystemRandom()
    joined = {e["participant_id"]: e for e in events if e.get("type") == "participant.joined"}
    voters = {e.get("participant_id") for e in events if e.get("type") == "vote.cast"}
    tokens: dict[tuple[str, str], str] = {}
    by_ballot: dict[str, dict[str, list[dict]]] = {}  # ballot -> token -> votes in log order
    opened_ts: dict[str, float] = {}
    for e in events:
        if e.get("type") == "ballot.opened":
            opened_ts[e["ballot"]["id"]] = e.get("ts")
        elif e.get("type") == "vote.cast":
            key = (e["ballot_id"], e.get("participant_id"))
            token = tokens.setdefault(key, "v" + pysecrets.token_hex(8))
            by_ballot.setdefault(e["ballot_id"], {}).setdefault(token, []).append(e)
    token_owner = {token: pid for (_, pid), token in tokens.items()}

    def block(ballot_id: str) -> list[dict]:
        ts = opened_ts.get(ballot_id)
        groups = list(by_ballot.pop(ballot_id, {}).items())
        rng.shuffle(groups)
        out = []
        for token, votes in groups:
            who = joined.get(token_owner[token], {})
            out.append({"type": "participant.joined", "participant_id": token, "region": who.get("region"),
                        "lang": who.get("lang"), "by": {"role": roles.PARTICIPANT}, "ts": ts})
        for token, votes in groups:
            for v in votes:
                out.append({"type": "vote.cast", "ballot_id": ballot_id, "contribution_id": v["contribution_id"],
                            "value": v["value"], "participant_id": token, "by": {"role": roles.PARTICIPANT},
                            "ts": ts})
        return out

    result = []
    for e in events:
        etype = e.get("type")
        if etype == "vote.cast":
            continue
        if etype == "participant.joined":
            if e["participant_id"] in voters:
                continue
            e = dict(e, participant_id="p" + pysecrets.token_hex(8))
        elif etype == "ballot.closed":
            result.extend(block(e["ballot_id"]))
        result.append(e)
    for ballot_id in list(by_ballot):  # ballots still open at export
        result.extend(block(ballot_id))
    return result


def archive(meeting_id: str, data: dict) -> dict:
    events = read_log(_hub().store, meeting_id)
    cleaned = []
    for seq, e in enumerate(anonymise_votes(events), start=1):
        e = _without_secrets({k: v for k, v in e.items() if k not in ("seq", "prev", "op_id")})
        cleaned.append(dict(e, seq=seq))
    return {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "meeting_id": meeting_id,
        "exported_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "events": cleaned,
        "report": data,
    }


# ----- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = ("contribution_id", "group_id", "group", "session", "question_id", "question", "kind",
               "agreement", "language", "text", "cluster", "votes", "forwarded")
# A spreadsheet runs a cell that starts with one of these as a formula (full-width forms too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # A zero-width space before "=" hides the formula from the eye, not from every spreadsheet.
    if text.startswith(FORMULA_START) or without_leading_invisible(text).startswith(FORMULA_START):
        return "'" + text
    return text


def render_csv(data: dict) -> bytes:
    labels = data["labels"]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for c in data["contributions"]:
        writer.writerow([csv_cell(v) for v in (
            c["id"], c["group_id"], c["group"], c["session"], c["question_id"], c["question"],
            c["kind_label"], c["agreement_label"], c["lang"], c["text"],
            c["cluster"] + (f" [{c['cluster_id']}]" if c["cluster_id"] else ""),
            vote_summary(c["votes"], labels), "yes" if c["forwarded"] else "")])
    # The BOM lets spreadsheet programs read Arabic and accents as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ----- Markdown ---------------------------------------------------------------------------------

_MD_ALWAYS = set("\\`*_{}[]()<>|~&!#:@$^")
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


def md_escape(text: str) -> str:
    """Backslash-escape everything Markdown (CommonMark, GFM) could read as markup or a link."""
    lines = []
    for line in (text or "").split("\n"):
        line = "".join("\\" + ch if ch in _MD_ALWAYS else ch for ch in line)
        m = _MD_LINE_START.match(line)
        if m:  # list markers, setext underlines, quotes at the start of a line
            start = m.end() - 1
            line = line[:start] + "\\" + line[start:]
        lines.append(line.strip())
    return "\n".join(lines)


def md_block(text: str, indent: str) -> str:
    """Escaped text over several lines inside a list item: hard breaks, indented continuation."""
    lines = md_escape(text).split("\n")
    return ("\\\n" + indent).join(lines)


def md_cell(text: str) -> str:
    return md_escape(text).replace("\n", " ")


def _provenance(c: dict, labels: dict) -> str:
    return f"{c['group']} · {c['lang_name']} ({c['lang']}) · {c['kind_label']} · {c['agreement_label']}"



def md_cluster(add, cl: dict, L: dict, forwarded: bool = False) -> None:
    """A converging point in Markdown: its label and groups, then each member with provenance."""
    fwd = f" — {md_cell(L['forwarded'])}" if forwarded else ""
    add(f"- **{md_cell(cl['label'])}** — {md_cell(L['groups'])}: {md_cell(', '.join(cl['groups']))}{fwd}")
    for c in cl["contributions"]:
        add(f"  - {md_block(c['text'], '    ')}  ")
        add(f"    *{md_cell(c['group'])} · {md_cell(c['lang_name'])} ({md_cell(c['lang'])})*")

def render_markdown(data: dict) -> str:
    L = data["labels"]
    m = data["meeting"]
    out: list[str] = []
    add = out.append
    add(f"# {md_cell(m['title'])}")
    add("")
    add(f"**{md_cell(L['report'])}**  ")
    add(f"{md_cell(L['date'])}: {md_cell(m['date_text'])}  ")
    add(f"{md_cell(L['meeting_id'])}: {md_cell(m['id'])}")
    add("")
    add(f"{md_cell(L['sessions'])}:")
    add("")
    for s in m["sessions"]:
        add(f"- {md_cell(s['title'])}")
    add("")

    add(f"## {md_cell(L['recommendations'])}")
    add("")
    if not data["recommendations"]:
        add(md_cell(L["no_recommendations"]))
        add("")
    else:
        add(md_cell(L["recommendations_intro"]))
        add("")
    for rec in data["recommendations"]:
        add(f"### {md_cell(rec['label'])}")
        add("")
        w = rec["wording"]
        if w:
            if w["source"] == "chair":
                add(f"*{md_cell(L['wording_chair'])} ({md_cell(w['lang_name'])})*")
                add("")
            add("> " + md_block(w["text"], "> "))
            add("")
        if rec.get("terms") and rec["type"] == "cluster":
            add(f"{md_cell(L['terms'])}: {md_cell(', '.join(rec['terms']))}")
            add("")
        add(f"**{md_cell(L['sources'])}**")
        add("")
        for c in rec["sources"]:
            add(f"- {md_block(c['text'], '  ')}  ")
            add(f"  *{md_cell(_provenance(c, L))}*")
        add("")

    add(f"## {md_cell(L['proceedings'])}")
    add("")
    for s in data["sessions"]:
        add(f"### {md_cell(s['title'])}")
        add("")
        for q in s["questions"]:
            add(f"#### {md_cell(q['label'])}")
            add("")
            add(md_cell(q["text"]))
            add("")
            for p in q["parts"]:
                add(f"- {md_cell(p['text'])}")
            if q["parts"]:
                add("")
            add(f"**{md_cell(L['contributions_by_group'])}**")
            add("")
            if not q["groups"]:
                add(md_cell(L["no_contributions"]))
                add("")
            for g in q["groups"]:
                add(f"*{md_cell(g['group'])}*")
                add("")
                for c in g["contributions"]:
                    add(f"- {md_block(c['text'], '  ')}  ")
                    add(f"  *{md_cell(c['kind_label'])} · {md_cell(c['agreement_label'])} · "
                        f"{md_cell(c['lang_name'])} ({md_cell(c['lang'])})*")
                add("")
            if q["converging"]:
                add(f"**{md_cell(L['converging'])}**")
                add("")
                for cl in q["converging"]:
                    md_cluster(add, cl, L, forwarded=cl["forwarded"])
                add("")
            if q["diverging"]:
                add(f"**{md_cell(L['diverging'])}**")
                add("")
                for d in q["diverging"]:
                    add(f"- **{md_cell(d['reason_label'])}** — {md_cell(L['groups'])}: {md_cell(', '.join(d['groups']))}")
                    for c in d["contributions"]:
                        add(f"  - {md_block(c['text'], '    ')}  ")
                        add(f"    *{md_cell(c['group'])} · {md_cell(c['agreement_label'])} · {md_cell(c['lang_name'])} ({md_cell(c['lang'])})*")
                add("")
            for b in q["votes"]:
                add(f"**{md_cell(L['votes'])} — {md_cell(b['label'])}**")
                add("")
                if b["prompt"]:
                    add(f"{md_cell(L['prompt'])}: {md_cell(b['prompt'])}  ")
                add(f"{md_cell(b['mode_label'])} · {md_cell(L['status'])}: {md_cell(b['status_label'])} · "
                    f"{md_cell(L['participants'])}: {b['participants']}")
                add("")
                cells = [md_cell(L["practice"])] + [md_cell(r["name"]) for r in b["regions"]] + [md_cell(L["total"])]
                add("| " + " | ".join(cells) + " |")
                add("|" + "---|" * len(cells))
                for row in b["rows"]:
                    line = [f"{md_cell(row['contribution']['text'])} ({md_cell(row['contribution']['group'])})"]
                    line += [md_cell(vote_cell(reg["cell"], b["mode"], L)) for reg in row["by_region"]]
                    line.append(md_cell(vote_total(row, b["mode"], L)))
                    add("| " + " | ".join(line) + " |")
                add("")
                add(f"*{md_cell(L['yes_no_unsure'] if b['mode'] != 'dots' else L['dots'])}. {md_cell(L['note_anonymity'])}*")
                add("")
        if s["converging"]:
            add(f"#### {md_cell(L['converging_session'])}")
            add("")
            for cl in s["converging"]:
                md_cluster(add, cl, L)
            add("")
    return "\n".join(out).rstrip() + "\n"


def vote_cell(cell: dict | None, mode: str, L: dict) -> str:
    """One region's figures: yes / no / unsure (voters), or dots (supporters / voters)."""
    if cell is None:
        return "—"
    if mode == "dots":
        return f"{cell.get('dots', 0)} ({cell.get('supporters', 0)}/{cell.get('voters', 0)})"
    return f"{cell.get('yes', 0)} / {cell.get('no', 0)} / {cell.get('unsure', 0)}"


def vote_total(row: dict, mode: str, L: dict) -> str:
    if mode == "dots":
        return f"{row.get('dots', 0)} ({row.get('turnout', 0)})"
    c = row.get("counts", {})
    return f"{c.get('yes', 0)} / {c.get('no', 0)} / {c.get('unsure', 0)}"


# ----- DOCX -------------------------------------------------------------------------------------

LATIN_FONT = "Times New Roman"
ARABIC_FONT = "Noto Naskh Arabic"  # has Arabic glyphs; Word substitutes a similar face if missing
LANG_TAGS = {"ar": "ar-SA", "en": "en-GB", "fr": "fr-FR", "es": "es-ES"}
# Children of w:rPr in schema order (ECMA-376 CT_RPr): new ones go in the right place.
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
             "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden",
             "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect",
             "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout",
             "specVanish", "oMath")
PPR_AFTER_BIDI = ("adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing",
                  "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
                  "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
SECT_AFTER_BIDI = ("rtlGutter", "docGrid", "printerSettings", "sectPrChange")


def _docx():
    from docx import Document
    from docx.enum.table import WD_TABLE_DIRECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    return Document, WD_TABLE_DIRECTION, WD_ALIGN_PARAGRAPH, OxmlElement, qn, Cm, Pt, RGBColor


def _child(parent, tag: str, order: tuple, prefix: str = "w:"):
    """parent's <w:tag>, created in schema order if missing."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    found = parent.find(qn(prefix + tag))
    if found is not None:
        return found
    element = OxmlElement(prefix + tag)
    if tag in order:
        successors = [prefix + t for t in order[order.index(tag) + 1:]]
        parent.insert_element_before(element, *successors)
    else:
        parent.append(element)
    return element


def _fonts(rPr, lang_code: str | None = None, size_half_points: int | None = None, bold=None) -> None:
    """Latin and complex-script fonts, sizes and languages of one run or style."""
    from docx.oxml.ns import qn

    rfonts = _child(rPr, "rFonts", RPR_ORDER)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        rfonts.attrib.pop(qn("w:" + attr), None)
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:cs"), ARABIC_FONT)
    if bold:
        _child(rPr, "b", RPR_ORDER)
        _child(rPr, "bCs", RPR_ORDER)
    if size_half_points:
        _child(rPr, "sz", RPR_ORDER).set(qn("w:val"), str(size_half_points))
        _child(rPr, "szCs", RPR_ORDER).set(qn("w:val"), str(size_half_points))
    if lang_code is not None:
        lang = _child(rPr, "lang", RPR_ORDER)
        lang.set(qn("w:val"), LANG_TAGS.get(lang_code, lang_code))
        lang.set(qn("w:bidi"), "ar-SA")


class DocxWriter:
    def __init__(self, data: dict):
        (Document, self.TABLE_DIR, self.ALIGN, self.OxmlElement, self.qn, self.Cm, self.Pt,
         self.RGB) = _docx()
        self.data = data
        self.lang = data["lang"]
        self.rtl = is_rtl(self.lang)
        self.L = data["labels"]
        self.doc = Document()
        self._setup()

    # --- document set-up -------------------------------------------------------------------

    def _setup(self) -> None:
        qn = self.qn
        section = self.doc.sections[0]
        section.page_width, section.page_height = self.Cm(21.0), self.Cm(29.7)  # A4
        for side in ("left_margin", "right_margin"):
            setattr(section, side, self.Cm(2.3))
        section.top_margin = section.bottom_margin = self.Cm(2.2)
        if self.rtl:
            _child(section._sectPr, "bidi", ("footnotePr", "endnotePr", "type", "pgSz", "pgMar",
                                             "paperSrc", "pgBorders", "lnNumType", "pgNumType",
                                             "cols", "formProt", "vAlign", "noEndnote", "titlePg",
                                             "textDirection", "bidi") + SECT_AFTER_BIDI)
        styles = self.doc.styles
        sizes = {"Normal": 22, "Title": 32, "Subtitle": 24, "Heading 1": 28, "Heading 2": 25,
                 "Heading 3": 23, "Heading 4": 22, "List Bullet": 22, "List Bullet 2": 22,
                 "Table Grid": 19, "Caption": 18}
        for name, size in sizes.items():
            try:
                style = styles[name]
            except KeyError:
                continue
            rPr = style.element.get_or_add_rPr()
            _fonts(rPr, self.lang if name == "Normal" else None, size,
                   bold=name.startswith("Heading") or name == "Title")
            if name.startswith("Heading") or name in ("Title", "Subtitle"):
                style.font.color.rgb = self.RGB(0, 0, 0)
                style.font.italic = False
                _child(rPr, "iCs", RPR_ORDER).set(qn("w:val"), "0")
        title = styles["Title"]
        title.paragraph_format.alignment = self.ALIGN.CENTER
        for name in ("Heading 1", "Heading 2"):
            styles[name].paragraph_format.space_before = self.Pt(14)
            styles[name].paragraph_format.keep_with_next = True
        styles["Normal"].paragraph_format.space_after = self.Pt(4)
        # Page numbers in the footer.
        footer = section.footer.paragraphs[0]
        footer.alignment = self.ALIGN.CENTER
        field = self.OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = self.OxmlElement("w:r")
        text = self.OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        footer._p.append(field)

    # --- paragraphs and runs ----------------------------------------------------------------

    def direct(self, paragraph, rtl: bool, align=None, cell: bool = False) -> None:
        """Paragraph direction: w:bidi for right-to-left, then the alignment.

        Body text is justified (w:jc both: the last line sits at the start of the paragraph's
        own direction, right for Arabic). Table cells are aligned to their start and never
        stretched: no w:jc in a bidi cell (start = right), left otherwise. w:jc "right" is never
        used for Arabic: in a bidi paragraph Word and LibreOffice read it as the *end*, i.e.
        visually left (checked by rendering with LibreOffice)."""
        if rtl:
            _child(paragraph._p.get_or_add_pPr(), "bidi", ("bidi",) + PPR_AFTER_BIDI)
        if align is not None:
            paragraph.alignment = align
        elif cell:
            paragraph.alignment = None if rtl else self.ALIGN.LEFT
        else:
            paragraph.alignment = self.ALIGN.JUSTIFY

    def run(self, paragraph, text: str, lang: str | None, bold=False, italic=False, size=None):
        run = paragraph.add_run(text)
        rtl = is_rtl(lang) if lang else self.rtl
        rPr = run._r.get_or_add_rPr()
        _fonts(rPr, (lang or self.lang).split("-")[0], size, bold=bold)
        if italic:
            run.italic = True  # w:i only: Latin italics; Arabic script is never slanted (no w:iCs)
        if rtl:
            run.font.rtl = True
        return run

    def para(self, text: str = "", lang: str | None = None, style: str | None = None, bold=False,
             italic=False, align=None, container=None, size=None):
        """A paragraph of one language: its direction comes from that language."""
        container = container if container is not None else self.doc
        paragraph = container.add_paragraph(style=style)
        lang = lang or self.lang
        self.direct(paragraph, is_rtl(lang), align)
        if text:
            self.run(paragraph, text, lang, bold=bold, italic=italic, size=size)
        return paragraph

    def label(self, text: str, style: str | None = None, bold=False, italic=False, align=None):
        return self.para(text, self.lang, style=style, bold=bold, italic=italic, align=align)

    def heading(self, text: str, level: int, lang: str | None = None):
        return self.para(text, lang or self.lang, style=f"Heading {level}")

    def contribution(self, c: dict, style: str = "List Bullet", details: str | None = None):
        """The original text in its own direction, then its provenance in the report's language."""
        p = self.para(c["text"], c["lang"], style=style)
        p.paragraph_format.space_after = self.Pt(1)
        prov = details or f"{c['group']} · {c['lang_name']} · {c['kind_label']} · {c['agreement_label']}"
        q = self.para(prov, self.lang, italic=True, size=18)
        q.paragraph_format.space_after = self.Pt(5)
        return p

    # --- tables ---------------------------------------------------------------------------

    def table(self, headers: list[str], widths: list[float] | None = None):
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = self.doc.styles["Table Grid"]
        if self.rtl:
            table.table_direction = self.TABLE_DIR.RTL
        for i, header in enumerate(headers):
            self.cell(table.rows[0].cells[i], header, self.lang, bold=True)
        _repeat_header(table.rows[0], self.qn, self.OxmlElement)
        self._widths = widths
        if widths:
            table.autofit = False
            for i, w in enumerate(widths):
                table.columns[i].width = self.Cm(w)  # w:gridCol, what LibreOffice reads
                table.rows[0].cells[i].width = self.Cm(w)  # w:tcW, what Word reads
        return table

    def row(self, table, values: list[tuple[str, str | None]]):
        cells = table.add_row().cells
        for i, (text, lang) in enumerate(values):
            self.cell(cells[i], text, lang)
            if self._widths:
                cells[i].width = self.Cm(self._widths[i])
        return cells

    def cell(self, cell, text: str, lang: str | None, bold=False):
        p = cell.paragraphs[0]
        lang = lang or self.lang
        self.direct(p, is_rtl(lang), cell=True)
        p.paragraph_format.space_after = self.Pt(0)
        if text:
            self.run(p, text, lang, bold=bold, size=19)

    # --- the document ---------------------------------------------------------------------

    def build(self) -> bytes:
        d, L, m = self.data, self.L, self.data["meeting"]
        self.para(m["title"], self.lang, style="Title", align=self.ALIGN.CENTER)
        self.para(L["report"], self.lang, style="Subtitle", align=self.ALIGN.CENTER)
        self.para(f"{L['date']}: {m['date_text']}", self.lang, align=self.ALIGN.CENTER)
        self.para(f"{L['meeting_id']}: {m['id']}", self.lang, align=self.ALIGN.CENTER, size=18)
        self.label(L["sessions"], bold=True)
        for s in m["sessions"]:
            self.para(s["title"], self.lang, style="List Bullet")

        self.heading(L["recommendations"], 1)
        self.label(L["recommendations_intro"] if d["recommendations"] else L["no_recommendations"])
        for rec in d["recommendations"]:
            self.heading(rec["label"], 2)
            w = rec["wording"]
            if w:
                if w["source"] == "chair":
                    self.label(f"{L['wording_chair']} ({w['lang_name']})", italic=True)
                self.para(w["text"], w["lang"], bold=True)
            if rec["type"] == "cluster" and rec["terms"]:
                self.label(f"{L['terms']}: {', '.join(rec['terms'])}", italic=True)
            self.label(L["sources"], bold=True)
            table = self.table([L["group"], L["language"], L["text"]], [3.6, 2.6, 10.2])
            for c in rec["sources"]:
                self.row(table, [(c["group"], self.lang), (f"{c['lang_name']} ({c['lang']})", self.lang),
                                 (c["text"], c["lang"])])
            self.para("")

        self.heading(L["proceedings"], 1)
        for s in d["sessions"]:
            self.heading(s["title"], 2)
            for q in s["questions"]:
                self.heading(f"{q['label']}", 3)
                self.para(q["text"], self.lang, italic=True)
                for part in q["parts"]:
                    self.para(part["text"], self.lang, style="List Bullet", italic=True)
                self.heading(L["contributions_by_group"], 4)
                if not q["groups"]:
                    self.label(L["no_contributions"])
                else:
                    table = self.table([L["group"], L["kind"], L["agreement"], L["language"], L["text"]],
                                       [2.8, 2.6, 2.2, 1.8, 7.0])
                    for g in q["groups"]:
                        first = None
                        for c in g["contributions"]:
                            cells = self.row(table, [
                                (g["group"] if first is None else "", self.lang), (c["kind_label"], self.lang),
                                (c["agreement_label"], self.lang), (c["lang_name"], self.lang),
                                (c["text"], c["lang"])])
                            if first is None:
                                first = cells[0]
                            else:
                                first = first.merge(cells[0])
                if q["converging"]:
                    self.heading(L["converging"], 4)
                    for cl in q["converging"]:
                        head = f"{cl['label']} — {L['groups']}: {', '.join(cl['groups'])}"
                        if cl["forwarded"]:
                            head += f" ({L['forwarded']})"
                        self.label(head, bold=True)
                        for c in cl["contributions"]:
                            self.contribution(c, details=f"{c['group']} · {c['lang_name']}")
                if q["diverging"]:
                    self.heading(L["diverging"], 4)
                    for dv in q["diverging"]:
                        self.label(f"{dv['reason_label']} — {L['groups']}: {', '.join(dv['groups'])}", bold=True)
                        for c in dv["contributions"]:
                            self.contribution(c, details=f"{c['group']} · {c['agreement_label']} · {c['lang_name']}")
                for b in q["votes"]:
                    self.votes(b)
            if s["converging"]:
                self.heading(L["converging_session"], 3)
                for cl in s["converging"]:
                    self.label(f"{cl['label']} — {L['groups']}: {', '.join(cl['groups'])}", bold=True)
                    for c in cl["contributions"]:
                        self.contribution(c, details=f"{c['group']} · {c['lang_name']}")
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    def votes(self, b: dict) -> None:
        L = self.L
        self.heading(f"{L['votes']} — {b['label']}", 4)
        if b["prompt"]:
            self.label(f"{L['prompt']}: {b['prompt']}")
        self.label(f"{b['mode_label']} · {L['status']}: {b['status_label']} · {L['participants']}: {b['participants']}",
                   italic=True)
        n = len(b["regions"])
        rest = 16.4 - 5.0
        widths = [5.0] + [rest / (n + 1)] * (n + 1)
        table = self.table([L["practice"]] + [r["name"] for r in b["regions"]] + [L["total"]], widths)
        for row in b["rows"]:
            c = row["contribution"]
            cells = self.row(table, [(c["text"], c["lang"])]
                             # in the report's direction, so the figures read in the legend's order
                             + [(vote_cell(reg["cell"], b["mode"], L), self.lang) for reg in row["by_region"]]
                             + [(vote_total(row, b["mode"], L), self.lang)])
            self.para(c["group"], self.lang, container=cells[0], italic=True, size=16)
        legend = L["yes_no_unsure"] if b["mode"] != "dots" else f"{L['dots']} ({L['supporters']}/{L['voters']})"
        self.label(f"{legend}. — : {L['withheld']}. {L['note_anonymity']}", italic=True).runs[0].font.size = self.Pt(8)


def _repeat_header(row, qn, OxmlElement) -> None:
    trPr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    trPr.append(header)


def render_docx(data: dict) -> bytes:
    return DocxWriter(data).build()


__all__ = ["bp", "render_docx", "render_markdown", "render_csv", "archive", "anonymise_votes",
           "md_escape", "csv_cell", "LANGUAGE_NAMES"]
