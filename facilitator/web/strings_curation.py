"""Strings of the curation shared by the synthesis desk and the chair's console
(static/js/curation.js): the suggestions queue, the history, asking first. Merged into
boot["i18n"] by strings_synthesis.py and strings_chair.py.

Placeholders are written ``{name}``; counted phrases are written so that no plural form has to
travel to the browser ("Chosen: {n}").
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CURATION_STRINGS = {
    "cq_title": _l("Suggestions to decide"),
    "cq_question": _l("Question"),
    "cq_count": _l("Pairs waiting for a decision: {n}"),
    "cq_loading": _l("Looking for the next pair…"),
    "cq_failed": _l("Could not load the suggestions. They come back with the connection."),
    "cq_prompt": _l("Do these two contributions make the same proposal?"),
    "cq_first": _l("First contribution"),
    "cq_second": _l("Its candidate from another group"),
    "cq_same": _l("Same proposal"),
    "cq_different": _l("Different"),
    "cq_skip": _l("Skip"),
    # the first note makes one proposal with the second and keeps its own point too
    "cq_include": _l("Same proposal, and the first note also carries another"),
    "cq_undo": _l("Undo the last decision"),
    "cq_why": _l("Why suggested:"),
    "cq_score": _l("score {n}"),
    "cq_terms": _l("words in common:"),
    "cq_empty": _l("Nothing left to decide on this question."),
    "cq_only_skipped": _l("Only the pairs you skipped are left."),
    "cq_show_skipped": _l("Show the skipped pairs again"),
    "cq_done_same": _l("Recorded: same proposal."),
    "cq_done_different": _l("Recorded: different proposals."),
    "cq_done_skip": _l("Skipped."),
    "cq_done_include": _l("Recorded: same proposal; the first note stays in its other point too."),
    "cq_not_saved": _l("The decision was not recorded."),
    "cq_nothing_to_undo": _l("Nothing to undo from this page."),
    "cq_keys": _l("Keys: 1 or Y same proposal · 2 or N different · 3 or Space skip · 4 same, the first note carries another too · Ctrl+Z undo"),
    "cq_keys_panel": _l("With the focus in this panel: 1 same proposal · 2 different · 3 skip · 4 same, the first note carries another too · Ctrl+Z undo"),
    # a point people made, whoever made it (the chair or the synthesis desk)
    "cur_confirmed": _l("Confirmed"),
    "cur_ask_title": _l("Before you go ahead"),
    "cur_ask_undo": _l("You can undo it from the history."),
    "cur_ask_reject": _l("The {n} contributions of this point will no longer be one point, and will not be suggested together again."),
    "cur_done_undo": _l("Undone."),
    "cur_done_redo": _l("Done again."),
    "cur_point_empty": _l("(no contribution left)"),
    "cur_refused": _l("Not done: {why}"),
    "hist_title": _l("History of the decisions"),
    "hist_none": _l("No decision yet."),
    "hist_confirmed": _l("Made one point"),
    "hist_rejected": _l("Not one point"),
    "hist_moved": _l("Moved to another point"),
    "hist_detached": _l("Moved out of its point"),
    "hist_merged": _l("Merged two points"),
    "hist_titled": _l("Gave a point a title"),
    "hist_included": _l("Put a note in a second point"),
    "hist_other": _l("Decision"),
    "hist_undone": _l("Undone"),
    "hist_undo": _l("Undo decision"),
    "hist_redo": _l("Redo"),
    "hist_by_chair": _l("Chair"),
    "hist_by_curator": _l("Synthesis desk"),
    "hist_more": _l("and {n} more"),
    "hist_title_cleared": _l("(title removed)"),
}
