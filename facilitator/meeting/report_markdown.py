"""The outcome report as Markdown (CommonMark, GFM tables): layout only, every text escaped."""

from __future__ import annotations

import re

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


class MarkdownWriter:
    """Appends the report's lines; each method lays out one part of it."""

    def __init__(self, data: dict):
        self.data = data
        self.L = data["labels"]
        self.out: list[str] = []

    def add(self, *lines: str) -> None:
        self.out.extend(lines)

    def item(self, c: dict, indent: str) -> None:
        """A contribution as a list item: its text (its translation into the report's language,
        marked, then the original, when there is one), then its provenance in italics."""
        tr = c.get("translation")
        if tr:
            self.add(f"{indent}- {md_block(tr['text'], indent + '  ')}  ", f"{indent}  *{md_cell(tr['label'])}*  ",
                     f"{indent}  {md_cell(tr['original_label'])}: {md_block(c['text'], indent + '  ')}  ")
        else:
            self.add(f"{indent}- {md_block(c['text'], indent + '  ')}  ")
        self.add(f"{indent}  *{md_cell(c['provenance'])}*")

    def build(self) -> str:
        self.head()
        self.recommendations()
        self.add(f"## {md_cell(self.L['proceedings'])}", "")
        for s in self.data["sessions"]:
            self.session(s)
        self.method()
        return "\n".join(self.out).rstrip() + "\n"

    def head(self) -> None:
        m, L = self.data["meeting"], self.L
        self.add(f"# {md_cell(m['title'])}", "", f"**{md_cell(L['report'])}**  ", f"{md_cell(m['date_line'])}  ",
                 md_cell(m["id_line"]), "", f"{md_cell(L['sessions'])}:", "")
        self.add(*(f"- {md_cell(s['title'])}" for s in m["sessions"]))
        self.add("")

    def recommendations(self) -> None:
        L, recs = self.L, self.data["recommendations"]
        self.add(f"## {md_cell(L['recommendations'])}", "",
                 md_cell(L["recommendations_intro"] if recs else L["no_recommendations"]), "")
        for rec in recs:
            self.add(f"### {md_cell(rec['label'])}", "")
            w = rec["wording"]
            if w and w.get("label"):
                self.add(f"*{md_cell(w['label'])}*", "")
            if w:
                self.add("> " + md_block(w["text"], "> "), "")
            if rec["terms_line"]:
                self.add(md_cell(rec["terms_line"]), "")
            self.add(f"**{md_cell(L['sources'])}**", "")
            for c in rec["sources"]:
                self.item(c, "")
            self.add("")

    def session(self, s: dict) -> None:
        self.add(f"### {md_cell(s['title'])}", "")
        for q in s["questions"]:
            self.question(q)
        if s["converging"]:
            self.add(f"#### {md_cell(self.L['converging_session'])}", "")
            for cl in s["converging"]:
                self.point(cl, forwarded=False)
            self.add("")

    def question(self, q: dict) -> None:
        L = self.L
        self.add(f"#### {md_cell(q['label'])}", "", md_cell(q["text"]), "")
        if q["parts"]:
            self.add(*(f"- {md_cell(p['text'])}" for p in q["parts"]), "")
        self.add(f"**{md_cell(L['contributions_by_group'])}**", "")
        if not q["groups"]:
            self.add(md_cell(L["no_contributions"]), "")
        for g in q["groups"]:
            self.add(f"*{md_cell(g['group'])}*", "")
            for c in g["contributions"]:
                self.item(c, "")
            self.add("")
        if q["sign_offs"]:
            self.add(f"**{md_cell(L['sign_offs'])}**", "")
            self.add(*(f"- {md_cell(so['line'])}" for so in q["sign_offs"]), "")
        if q["converging"]:
            self.add(f"**{md_cell(L['converging'])}**", "")
            for cl in q["converging"]:
                self.point(cl, forwarded=cl["forwarded"])
            self.add("")
        if q["diverging"]:
            self.add(f"**{md_cell(L['diverging'])}**", "")
            for d in q["diverging"]:
                self.add(f"- **{md_cell(d['reason_label'])}** — {md_cell(d['groups_line'])}")
                for c in d["contributions"]:
                    self.item(c, "  ")
            self.add("")
        for b in q["votes"]:
            self.votes(b)

    def method(self) -> None:
        m = self.data["method"]
        self.add(f"## {md_cell(m['heading'])}", "", md_cell(m["intro"]), "")
        if m["lines"]:
            self.add(*(f"- **{md_cell(x['label'])}**: {md_cell(x['value'])}" for x in m["lines"]), "")

    def point(self, cl: dict, forwarded: bool) -> None:
        """A converging point: its label and groups, then each member with its provenance."""
        fwd = f" — {md_cell(self.L['forwarded'])}" if forwarded else ""
        self.add(f"- **{md_cell(cl['label'])}** — {md_cell(cl['groups_line'])}{fwd}")
        for c in cl["contributions"]:
            self.item(c, "  ")

    def votes(self, b: dict) -> None:
        L = self.L
        self.add(f"**{md_cell(b['heading'])}**", "")
        if b["prompt_line"]:
            self.add(f"{md_cell(b['prompt_line'])}  ")
        self.add(md_cell(b["summary"]), "")
        cells = [md_cell(L["rank"]), md_cell(L["practice"])] + [md_cell(r["name"]) for r in b["regions"]] + [md_cell(L["total"])]
        self.add("| " + " | ".join(cells) + " |", "|" + "---|" * len(cells))
        for row in b["rows"]:
            c = row["contribution"]
            line = [md_cell(row["rank_label"]), f"{md_cell(c['text'])} ({md_cell(c['group'])})"]
            line += [md_cell(reg["text"]) for reg in row["by_region"]] + [md_cell(row["total"])]
            self.add("| " + " | ".join(line) + " |")
        self.add("", f"*{md_cell(b['legend'])}*", "")


def render_markdown(data: dict) -> str:
    return MarkdownWriter(data).build()


__all__ = ["md_block", "md_cell", "md_escape", "render_markdown"]
