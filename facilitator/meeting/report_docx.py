"""The outcome report as DOCX (python-docx): layout only, right to left when the report is Arabic.

Each paragraph takes its direction from its own language: an English contribution inside the
Arabic report stays left to right. python-docx is imported when a document is written.
"""

from __future__ import annotations

import io

from .i18n import is_rtl

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

    def contribution(self, c: dict, style: str = "List Bullet"):
        """The text in its own direction (its translation into the report's language, marked,
        then the original, when there is one), then its provenance in the report's language."""
        tr = c.get("translation")
        p = self.para(tr["text"] if tr else c["text"], tr["lang"] if tr else c["lang"], style=style)
        p.paragraph_format.space_after = self.Pt(1)
        if tr:
            self.para(tr["label"], self.lang, italic=True, size=18).paragraph_format.space_after = self.Pt(1)
            o = self.para(f"{tr['original_label']}: ", self.lang, size=18)
            self.run(o, c["text"], c["lang"], size=18)
            o.paragraph_format.space_after = self.Pt(1)
        q = self.para(c["provenance"], self.lang, italic=True, size=18)
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
        _repeat_header(table.rows[0])
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

    def text_cell(self, cell, c: dict) -> None:
        """A contribution's cell: its translation into the report's language, marked, and the
        original beneath; or the original alone."""
        tr = c.get("translation")
        if not tr:
            return
        self.para(tr["label"], self.lang, italic=True, container=cell, size=16)
        o = self.para(f"{tr['original_label']}: ", self.lang, container=cell, size=16)
        self.run(o, c["text"], c["lang"], size=16)

    def shown(self, c: dict) -> tuple[str, str]:
        """(text, language) a contribution's cell opens with."""
        tr = c.get("translation")
        return (tr["text"], tr["lang"]) if tr else (c["text"], c["lang"])

    def cell(self, cell, text: str, lang: str | None, bold=False):
        p = cell.paragraphs[0]
        lang = lang or self.lang
        self.direct(p, is_rtl(lang), cell=True)
        p.paragraph_format.space_after = self.Pt(0)
        if text:
            self.run(p, text, lang, bold=bold, size=19)

    # --- the document ---------------------------------------------------------------------

    def build(self) -> bytes:
        self.head()
        self.recommendations()
        self.heading(self.L["proceedings"], 1)
        for s in self.data["sessions"]:
            self.session(s)
        self.method()
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    def head(self) -> None:
        m, center = self.data["meeting"], self.ALIGN.CENTER
        self.para(m["title"], self.lang, style="Title", align=center)
        self.para(self.L["report"], self.lang, style="Subtitle", align=center)
        self.para(m["date_line"], self.lang, align=center)
        self.para(m["id_line"], self.lang, align=center, size=18)
        self.label(self.L["sessions"], bold=True)
        for s in m["sessions"]:
            self.para(s["title"], self.lang, style="List Bullet")

    def recommendations(self) -> None:
        L, recs = self.L, self.data["recommendations"]
        self.heading(L["recommendations"], 1)
        self.label(L["recommendations_intro"] if recs else L["no_recommendations"])
        for rec in recs:
            self.heading(rec["label"], 2)
            w = rec["wording"]
            if w and w.get("label"):
                self.label(w["label"], italic=True)
            if w:
                self.para(w["text"], w["lang"], bold=True)
            if rec["terms_line"]:
                self.label(rec["terms_line"], italic=True)
            self.label(L["sources"], bold=True)
            table = self.table([L["group"], L["language"], L["text"]], [3.6, 2.6, 10.2])
            for c in rec["sources"]:
                cells = self.row(table, [(c["group"], self.lang), (c["origin"], self.lang), self.shown(c)])
                self.text_cell(cells[2], c)
            self.para("")

    def session(self, s: dict) -> None:
        L = self.L
        self.heading(s["title"], 2)
        for q in s["questions"]:
            self.heading(q["label"], 3)
            self.para(q["text"], self.lang, italic=True)
            for part in q["parts"]:
                self.para(part["text"], self.lang, style="List Bullet", italic=True)
            self.heading(L["contributions_by_group"], 4)
            self.by_group(q)
            if q["sign_offs"]:
                self.heading(L["sign_offs"], 4)
                for so in q["sign_offs"]:
                    self.label(so["line"], style="List Bullet", bold=so["stale"])
            if q["converging"]:
                self.heading(L["converging"], 4)
                for cl in q["converging"]:
                    self.point(cl["label"], cl["groups_line"], cl["contributions"], cl["forwarded"])
            if q["diverging"]:
                self.heading(L["diverging"], 4)
                for dv in q["diverging"]:
                    self.point(dv["reason_label"], dv["groups_line"], dv["contributions"])
            for b in q["votes"]:
                self.votes(b)
        if s["converging"]:
            self.heading(L["converging_session"], 3)
            for cl in s["converging"]:
                self.point(cl["label"], cl["groups_line"], cl["contributions"])

    def method(self) -> None:
        m = self.data["method"]
        self.heading(m["heading"], 1)
        self.label(m["intro"])
        for x in m["lines"]:
            p = self.para(f"{x['label']}: ", self.lang, style="List Bullet", bold=True)
            self.run(p, x["value"], self.lang)

    def by_group(self, q: dict) -> None:
        """The question's contributions in one table, the group's cell merged over its rows."""
        L = self.L
        if not q["groups"]:
            self.label(L["no_contributions"])
            return
        table = self.table([L["group"], L["kind"], L["agreement"], L["language"], L["text"]],
                           [2.8, 2.6, 2.2, 1.8, 7.0])
        for g in q["groups"]:
            first = None
            for c in g["contributions"]:
                cells = self.row(table, [
                    (g["group"] if first is None else "", self.lang), (c["kind_label"], self.lang),
                    (c["agreement_label"], self.lang), (c["lang_name"], self.lang), self.shown(c)])
                self.text_cell(cells[4], c)
                first = cells[0] if first is None else first.merge(cells[0])

    def point(self, label: str, groups_line: str, members: list[dict], forwarded: bool = False) -> None:
        """A converging or diverging point: its head line, then each member with its provenance."""
        head = f"{label} — {groups_line}"
        if forwarded:
            head += f" ({self.L['forwarded']})"
        self.label(head, bold=True)
        for c in members:
            self.contribution(c)

    def votes(self, b: dict) -> None:
        L = self.L
        self.heading(b["heading"], 4)
        if b["prompt_line"]:
            self.label(b["prompt_line"])
        self.label(b["summary"], italic=True)
        n = len(b["regions"])
        rest = 16.4 - 5.0 - 1.2
        widths = [1.2, 5.0] + [rest / (n + 1)] * (n + 1)
        table = self.table([L["rank"], L["practice"]] + [r["name"] for r in b["regions"]] + [L["total"]], widths)
        for row in b["rows"]:
            c = row["contribution"]
            cells = self.row(table, [(row["rank_label"], self.lang), (c["text"], c["lang"])]
                             # in the report's direction, so the figures read in the legend's order
                             + [(reg["text"], self.lang) for reg in row["by_region"]]
                             + [(row["total"], self.lang)])
            self.para(c["group"], self.lang, container=cells[1], italic=True, size=16)
        self.label(b["legend"], italic=True).runs[0].font.size = self.Pt(8)


def _repeat_header(row) -> None:
    """The table's first row repeats on every page."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def render_docx(data: dict) -> bytes:
    return DocxWriter(data).build()


__all__ = ["DocxWriter", "render_docx"]
