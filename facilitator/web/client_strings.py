"""Strings the browser scripts show, translated on the server and passed in ``boot["i18n"]``.

The scripts never hard-code a user-visible string: they look keys up here (static/js/i18n.js).
Placeholders are written ``{name}`` and filled in by the script. Counted phrases are avoided
("Unsent changes: {n}"), so no plural forms have to travel to the browser.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CLIENT_STRINGS = {
    # connection
    "status_connecting": _l("Connecting…"),
    "status_online": _l("Connected. Every change is saved."),
    "status_sending": _l("Connected. Sending your changes…"),
    "status_held": _l("Connected. Your changes wait for the board to be opened again."),
    "status_syncing": _l("Reconnected — catching up with what others did…"),
    "status_offline": _l("Offline — your typing is kept and will be sent when the connection returns."),
    "status_unsent": _l("Unsent changes: {n}"),
    "status_refused": _l("This link is no longer valid. Ask the chair for a new one."),
    "load_failed": _l("Could not load the meeting. Trying again…"),
    # board header
    "timer_left": _l("Time left"),
    "timer_over": _l("Time is up"),
    "presence_label": _l("Connected to this board:"),
    "presence_you": _l("(you)"),
    "presence_anonymous": _l("Rapporteur"),
    "objectives": _l("Objectives"),
    "breaks_out_next": _l(
        "Your group does not break out in the current session. It breaks out next in “{session}”. "
        "Here are the sessions it takes part in."
    ),
    "breakouts_over": _l(
        "Your group does not break out in the current session, nor in any later one. "
        "Here are the sessions it took part in."
    ),
    "no_sessions": _l("Your group has no questions to answer in this meeting."),
    "locked_notice": _l("The chair has locked this board. You can read it but not change it."),
    "locked_held": _l(
        "The board is locked: your unsent changes are kept and will be sent when the chair opens it again."
    ),
    # questions and the add form
    "question_n": _l("Question {n}"),
    "nothing_yet": _l("No contributions yet."),
    "field_text": _l("New contribution"),
    "field_kind": _l("Kind"),
    "field_agreement": _l("Level of agreement"),
    "field_lang": _l("Language of the text"),
    "lang_guessed": _l("Guessed from the words typed; change it if it is wrong."),
    "add": _l("Add"),
    "add_hint": _l("Ctrl+Enter adds it."),
    "chars": _l("{n} of {max} characters"),
    "empty_text": _l("Type the contribution first."),
    # kinds and levels of agreement: looked up as kind_<code> and agreement_<code>
    "kind_good_practice": _l("Good practice"),
    "kind_innovative_solution": _l("Innovative solution"),
    "kind_principle": _l("Principle or common approach"),
    "kind_recommendation": _l("Recommendation"),
    "kind_gap": _l("Gap or priority issue"),
    "kind_partnership": _l("Partnership"),
    "kind_commitment": _l("Actionable commitment"),
    "kind_other": _l("Other"),
    # agreement
    "agreement_consensus": _l("Consensus"),
    "agreement_majority": _l("Majority"),
    "agreement_divergent": _l("Divergent views"),
    # one contribution
    "pending": _l("Not sent yet"),
    "edit": _l("Edit"),
    "save": _l("Save"),
    "cancel": _l("Cancel"),
    "delete": _l("Delete"),
    "move_up": _l("Move up"),
    "move_down": _l("Move down"),
    "actions_for": _l("Actions for contribution {n}"),
    "edit_label": _l("Edit the contribution"),
    "deleted": _l("Contribution deleted."),
    "undo": _l("Undo"),
    "close": _l("Close"),
    "added_by_other": _l("New contribution: {text}"),
    "editing_by": _l("Editing now: {names}"),
    # conflicts and errors
    "conflict_title": _l("Someone else changed this contribution while you were editing it."),
    "conflict_deleted": _l("Someone else deleted this contribution while you were editing it."),
    "conflict_title_by": _l("{name} changed this contribution while you were editing it."),
    "conflict_deleted_by": _l("{name} deleted this contribution while you were editing it."),
    "the_chair": _l("The chair"),
    "conflict_theirs": _l("Their version"),
    "conflict_yours": _l("Your version"),
    # an outcome's wording or a point's title changed by another page meanwhile (issue 20)
    "wording_conflict": _l("Someone else changed this wording while you were writing it."),
    "title_conflict": _l("Someone else changed this title while you were writing it."),
    "conflict_none": _l("(none)"),
    "keep_theirs": _l("Keep theirs"),
    "use_mine": _l("Use mine"),
    "error_not_saved": _l("Not saved: {message}"),
    # one per error code of the wire (docs/protocol.md), for every page
    "error_too_long": _l("Too long: at most {max} characters."),
    "error_forbidden": _l("This link may not do that."),
    "error_not_found": _l("That item no longer exists."),
    "error_invalid": _l("The server did not accept this change."),
    "error_conflict": _l("Someone changed it meanwhile."),
    "error_locked": _l("The board is locked."),
    "error_closed": _l("The vote is already closed."),
    "error_rate_limited": _l("Too many changes at once; try again."),
    "error_unauthorized": _l("The link is no longer valid."),
    "error_curation_full": _l("This meeting's curation has named as many contributions as it keeps: no more points or separations can be made."),
    "error_kept_text": _l("Your text is back in the box below the question."),
    # a contribution shown in the reader's language (issue 12), on every page
    "translated_human": _l("Translation"),
    "translated_machine": _l("Machine translation"),
    "translation_stale": _l("The original has changed since"),
    "original_label": _l("Original:"),
    "show_original": _l("Show the original"),
    # a group's agreement with its answers to one question
    "signed_off": _l("The group agrees"),
    "sign_off_stale": _l("Changed since the group agreed"),
    "sign_off_none": _l("Not agreed yet"),
    "sign_off_action": _l("The group agrees with these answers"),
    "signed_off_at": _l("at {time}"),
    "done_signed_off": _l("Recorded: the group agrees with these answers."),
}


def client_strings() -> dict[str, str]:
    """The client strings in the current request's language."""
    return {key: str(value) for key, value in CLIENT_STRINGS.items()}
