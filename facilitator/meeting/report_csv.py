"""The outcome report as CSV: one row per live contribution, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from .usertext import without_leading_invisible

CSV_COLUMNS = ("contribution_id", "group_id", "group", "session", "question_id", "question", "kind",
               "agreement", "language", "text", "cluster", "votes", "forwarded",
               "translation_language", "translation", "translation_source", "translation_stale")
# A spreadsheet runs a cell that starts with one of these as a formula (full-width forms too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # A zero-width space before "=" hides the formula from the eye, not from every spreadsheet.
    if text.startswith(FORMULA_START) or without_leading_invisible(text).startswith(FORMULA_START):
        return "'" + text
    return text


def _translation_cells(tr: dict | None) -> tuple:
    """The contribution's translation into the report's language, when there is one."""
    if not tr:
        return ("", "", "", "")
    return (tr["lang"], tr["text"], tr["source"], "yes" if tr["stale"] else "")


def render_csv(data: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for c in data["contributions"]:
        writer.writerow([csv_cell(v) for v in (
            c["id"], c["group_id"], c["group"], c["session"], c["question_id"], c["question"],
            c["kind_label"], c["agreement_label"], c["lang"], c["text"],
            c["cluster"] + (f" [{c['cluster_id']}]" if c["cluster_id"] else ""),
            c["votes_line"], "yes" if c["forwarded"] else "",
            *_translation_cells(c.get("translation")))])
    # The BOM lets spreadsheet programs read Arabic and accents as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


__all__ = ["CSV_COLUMNS", "csv_cell", "render_csv"]
