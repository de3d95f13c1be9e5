"""Strings of the plenary dashboard (static/js/plenary.js), merged into boot["i18n"] by pages.py.

Placeholders are written ``{name}``; counted phrases are written so that no plural form has to
travel to the browser ("Groups: {n}", not "{n} groups").
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STRINGS = {
    # the top bar
    "session_none": _l("No session is running yet."),
    "question_of": _l("Question {n} of {total}"),
    # during a general discussion, the screen shows the answers of the sub-groups' session before it
    "answers_from": _l("Answers from: {session}"),
    "across_questions": _l("Across the questions of this session"),
    "vote_results": _l("Vote results"),
    "join_title": _l("Vote from your phone"),
    "join_scan": _l("Scan the code, or go to {url} and type:"),
    "join_qr_alt": _l("QR code of the link to join the vote"),
    "participants_n": _l("Participants: {n}"),
    # the answers of the groups
    "group_letter": _l("Group {letter}"),
    # Letters used for the anonymous groups, in order (Arabic: أ ب ج د ...).
    "group_letters": _l("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    "no_answers": _l("No answers yet."),
    "no_contributions": _l("The groups have not written anything on this question yet."),
    "continued": _l("Continued"),
    "card_converging": _l("Converging: {k} of {m} groups"),
    "card_unique": _l("Only this group"),
    # short words on a card's one-line badges (the full words above are read by screen readers)
    "card_unique_short": _l("Only here"),
    "kind_short_good_practice": _l("Good practice"),
    "kind_short_innovative_solution": _l("Innovation"),
    "kind_short_principle": _l("Principle"),
    "kind_short_recommendation": _l("Recommendation"),
    "kind_short_gap": _l("Gap"),
    "kind_short_partnership": _l("Partnership"),
    "kind_short_commitment": _l("Commitment"),
    "kind_short_other": _l("Other"),
    "agreement_short_consensus": _l("Consensus"),
    "agreement_short_majority": _l("Majority"),
    "agreement_short_divergent": _l("Divergent"),
    "spotlight_label": _l("In focus"),
    "new_label": _l("New"),
    # the synthesis
    "converging_title": _l("Converging points"),
    "converging_none": _l("No idea has been raised by more than one group yet."),
    "raised_by": _l("Raised by {k} of {m} groups"),
    "point_n": _l("Point {n}"),
    "shared_terms": _l("Shared terms:"),
    "diverging_title": _l("Diverging points"),
    "diverging_none": _l("No diverging point so far."),
    "reason_divergent_views": _l("The group recorded divergent views"),
    "reason_agreement_differs": _l("Groups agree on the idea with different levels of agreement"),
    "reason_regions_split": _l("Regions split in the vote"),
    "unique_title": _l("Raised by one group only"),
    "unique_count": _l("{group}: {n}"),
    "unique_none": _l("Every idea was raised by several groups."),
    "questions_label": _l("Questions:"),
    "more_members": _l("More: {n}"),
    # vote results
    "ballot_prompt_default": _l("Could this practice work in other regions and at the global level?"),
    "ballot_open": _l("Voting is open"),
    "ballot_closed": _l("Voting is closed"),
    "voters_n": _l("Voters: {n}"),
    "vote_open_now": _l("Vote open"),
    "paused_vote_open": _l("Showing the vote that is open"),
    "have_voted": _l("have voted"),
    "vote_open_how": _l("Vote on your phone. The results are shown when the chair reveals them."),
    "rank_tied": _l("{n} (tie)"),
    "rank_tied_long": _l("Tied: the same result as another item, so the same rank"),
    "rank_none": _l("No votes: not ranked"),
    "region_rank": _l("rank {n}"),
    "point_raised_by": _l("Raised by: {groups}"),
    "choice_yes": _l("Yes"),
    "choice_no": _l("No"),
    "choice_unsure": _l("Not sure"),
    "dots_n": _l("Dots: {n}"),
    "by_region": _l("Agreement by region"),
    "region_rate": _l("{rate} ({yes} of {votes})"),
    "region_hidden": _l("too few voters to show"),
    "from_group": _l("From: {group}"),
    "consensus_score": _l("Consensus across regions: {score}"),
    # the footer
    "paused_spotlight": _l("The chair has put an item in focus"),
    "paused_ballot": _l("Showing the vote the chair revealed"),
    "paused_key": _l("Paused"),
    "page_of": _l("Page {n} of {total}"),
    "keys_hint": _l("Arrow keys: previous or next · Space: pause"),
    "offline_marker": _l("Offline — reconnecting. The screen catches up by itself."),
    "syncing_marker": _l("Catching up…"),
    "view_answers": _l("Answers"),
    "view_synthesis": _l("Synthesis"),
    # the chair holds the screen still while speaking to it (plenary.freeze)
    "plenary_frozen": _l("Paused by the chair"),
}
