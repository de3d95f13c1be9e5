"""Strings of the participant's join page (static/js/join.js), merged into boot["i18n"]."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STRINGS = {
    "join_intro": _l("Vote from your phone on the practices the chair selects. No account needed."),
    "join_code": _l("Join code"),
    "join_code_hint": _l("The 6 letters and digits shown on the screen or under the QR code."),
    "join_check": _l("Continue"),
    "join_checking": _l("Checking the code…"),
    "join_meeting": _l("Meeting"),
    "join_change_code": _l("Use another code"),
    "join_language": _l("Language of this page"),
    "join_region": _l("Your region"),
    "join_region_hint": _l("Results are shown per region. No one sees how you voted."),
    "join_region_choose": _l("Choose your region…"),
    "join_region_none": _l("Prefer not to say"),
    "join_submit": _l("Join the vote"),
    "join_joining": _l("Joining…"),
    "join_already": _l("You already joined this meeting on this phone."),
    "join_continue": _l("Go to the vote"),
    "join_error_empty": _l("Type the join code first."),
    "join_error_length": _l("A join code has 6 letters and digits. Check the screen and try again."),
    "join_error_chars": _l("Join codes never contain 0, O, 1 or I. Check the screen and try again."),
    "join_error_not_found": _l("No meeting has this code. Check the code on the screen and try again."),
    "join_error_region": _l("Choose your region, or “Prefer not to say”."),
    "join_error_network": _l("Could not reach the server. Check your connection and try again."),
    "join_error_server": _l("The server could not add you. Try again in a moment."),
    "join_error_wait": _l("Too many wrong codes were tried from this phone or network. Wait {n} seconds and try again."),
    "join_error_full": _l("This meeting is full and cannot take more participants. Tell the organisers."),
}
