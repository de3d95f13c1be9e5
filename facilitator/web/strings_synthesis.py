"""Strings of the synthesis desk (static/js/synthesis.js), merged into boot["i18n"] by pages.py:
the curation's shared strings, the few of the chair's the desk shows the same way, and its own.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .strings_chair import STRINGS as CHAIR_STRINGS
from .strings_curation import CURATION_STRINGS

# the chair's words for the same things: one message, one translation
SHARED_WITH_CHAIR = ("clear_selection", "confirm_point", "merge", "merge_into", "no_session", "point_n",
                     "point_title", "point_title_lang", "reject_point", "title_every_language", "done_merged")

STRINGS = {
    **CURATION_STRINGS,
    **{key: CHAIR_STRINGS[key] for key in SHARED_WITH_CHAIR},
    "sd_page_title": _l("Synthesis desk"),
    "sd_points": _l("Points of this question"),
    "sd_points_hint": _l("Tick contributions from different groups, then “Make one point”: with the mouse, or Tab to a box and press Space."),
    "sd_selected": _l("Chosen: {n}"),
    "sd_selected_none": _l("Nothing chosen yet."),
    "sd_make_point": _l("Make one point"),
    "sd_pick": _l("Choose"),
    "sd_pick_two": _l("Choose at least two contributions."),
    "sd_two_groups": _l("A point needs contributions from at least two groups."),
    "sd_made_title": _l("Points made by people"),
    "sd_made_none": _l("No point made yet."),
    "sd_suggested_title": _l("Suggested by the engine, not decided yet"),
    "sd_loose_title": _l("In no point"),
    "sd_loose_none": _l("Every contribution is in a point."),
    "sd_suggested": _l("Suggested"),
    "sd_groups": _l("Groups ({n}): {names}"),
    "sd_add_here": _l("Add the chosen ones here ({n})"),
    "sd_title_add": _l("Give it a title"),
    "sd_title_edit": _l("Change its title"),
    "sd_move_to": _l("Move to"),
    "sd_to_point": _l("Point {n}:"),
    "sd_move_out": _l("Out of any point"),
    "sd_move": _l("Move"),
    # a contribution in a second point (its note carries two proposals)
    "sd_also_in": _l("Also in another point"),
    "sd_out_of_this_point": _l("Out of this point only"),
    "sd_move_out_do": _l("Move it out"),
    "sd_ask_move_out": _l("“{text}” will leave the point “{point}” and stand alone."),
    "sd_ask_merge": _l("The {n} contributions of point {from} will join point {into}; point {from} will be left empty."),
    "sd_done_point": _l("The point is made."),
    "sd_done_added": _l("Added to the point."),
    "sd_done_moved": _l("Moved."),
    "sd_done_moved_out": _l("Moved out of its point."),
    "sd_done_out_of_this_point": _l("Taken out of this point; its other point keeps it."),
    "sd_done_titled": _l("Title saved."),
    "sd_done_rejected": _l("Recorded: not one point."),
}
