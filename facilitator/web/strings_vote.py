"""Strings of the participant's vote page (static/js/vote.js), merged into boot["i18n"]."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STRINGS = {
    # connection
    "vote_status_offline": _l("Offline — your votes are kept and will be sent when the connection returns."),
    "vote_status_unsent": _l("Votes waiting to be sent: {n}"),
    "vote_loading": _l("Loading…"),
    # who you are
    "vote_you_region": _l("Your region: {region}"),
    "vote_region_none": _l("Prefer not to say"),
    # waiting
    "vote_waiting_title": _l("Waiting for the next vote"),
    "vote_waiting_text": _l("No vote is open right now. Keep this page open: a vote appears here as soon as the chair opens it."),
    # a ballot
    "vote_open_title": _l("Vote now"),
    "vote_earlier": _l("Earlier votes"),
    "vote_prompt_yes_no": _l("Which of these practices could work in your region?"),
    "vote_prompt_dots": _l("Spread your dots over the practices that matter most at the global level."),
    "vote_practice_n": _l("Practice {n} of {total}"),
    "vote_from_group": _l("From: {group}"),
    "vote_point_n": _l("Point {n} of {total}"),
    "vote_raised_by": _l("Raised by: {groups}"),
    "vote_prompt_other_language": _l("This question has not been given in your language; it is shown in {language}."),
    "vote_question": _l("Could this work in your region?"),
    "vote_yes": _l("Yes"),
    "vote_no": _l("No"),
    "vote_unsure": _l("Not sure"),
    "vote_dots_left": _l("{left} of {total} dots left"),
    "vote_dots_on": _l("Dots on this practice"),
    "vote_dot_add": _l("Add a dot to practice {n}"),
    "vote_dot_remove": _l("Take a dot from practice {n}"),
    "vote_no_dots_left": _l("You have no dots left. Take one from another practice first."),
    "vote_sending": _l("Sending…"),
    "vote_queued": _l("Not sent yet — it will be sent when the connection returns."),
    "vote_recorded": _l("Vote recorded"),
    "vote_recorded_for": _l("Vote recorded for practice {n}."),
    "vote_change_hint": _l("You can change your vote until the chair closes the vote."),
    "vote_closed": _l("This vote is closed. Thank you for taking part."),
    "vote_closed_announce": _l("The chair closed the vote."),
    "vote_opened_announce": _l("A new vote is open."),
    "vote_your_vote": _l("Your vote: {choice}"),
    "vote_your_dots": _l("Your dots: {n}"),
    "vote_not_voted": _l("You did not vote on this practice."),
    "vote_error_closed": _l("Not recorded: the vote closed before your vote reached the server."),
    "vote_error_too_many": _l("Not recorded: that would use more dots than you have."),
    "vote_error_other": _l("Not recorded. Try again."),
    # results
    "vote_results": _l("Results"),
    "vote_results_hidden": _l("The chair will show the results on the main screen."),
    "vote_votes_total": _l("Votes: {n}"),
    "vote_dots": _l("Dots"),
    "vote_supporters": _l("People who gave dots: {n}"),
    "vote_region_agree": _l("Yes in your region: {rate}"),
}
