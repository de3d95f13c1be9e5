"""Strings of the translator's page (static/js/translate.js), merged into boot["i18n"]."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STRINGS = {
    # the target languages
    "tr_targets": _l("Translate into"),
    "tr_targets_none": _l("Choose at least one language to translate into."),
    # machine drafts
    "tr_machine": _l("Machine drafts:"),
    "tr_machine_off": _l("off (no translation server configured)"),
    "tr_machine_starting": _l("waiting for the first text"),
    "tr_machine_ok": _l("working"),
    "tr_machine_unreachable": _l("the translation server does not answer"),
    "tr_machine_queue_full": _l("too many texts at once: some drafts are skipped"),
    # the queue
    "tr_queue": _l("To translate"),
    "tr_queue_count": _l("Texts left: {n}"),
    "tr_queue_empty": _l("Nothing left to translate into the chosen languages."),
    "tr_reason_ballot": _l("On the phones now"),
    "tr_reason_spotlight": _l("On screen now"),
    "tr_reason_point": _l("In a converging point"),
    "tr_reason_session": _l("Current session"),
    "tr_reason_other": _l("Earlier or later session"),
    "tr_state_missing": _l("Not translated"),
    "tr_state_stale": _l("Original changed: review"),
    "tr_state_machine": _l("Machine draft"),
    "tr_state_conflict": _l("Two versions: choose"),
    "tr_state_done": _l("Translated"),
    "tr_state_leftover": _l("Original now in this language: remove"),
    "tr_into": _l("into {lang}"),
    # the editor
    "tr_editor": _l("Translation"),
    "tr_pick": _l("Pick a text in the list to translate it."),
    "tr_original": _l("Original ({lang})"),
    "tr_target": _l("Translation into {lang}"),
    "tr_from": _l("{group} · {question}"),
    "tr_stale_notice": _l("The original changed after this translation was made. Review it and save it again."),
    "tr_machine_notice": _l("This is a machine draft. Correct it if needed, then save: your version replaces it."),
    "tr_saved_by": _l("Last saved: {source}"),
    "tr_source_human": _l("by a translator"),
    "tr_source_machine": _l("by the machine"),
    "tr_save_next": _l("Save and next"),
    "tr_accept_draft": _l("Accept the draft"),
    "tr_clear": _l("Remove the translation"),
    "tr_previous": _l("Previous"),
    "tr_next": _l("Next"),
    "tr_empty": _l("Type the translation first."),
    "tr_saved": _l("Translation saved."),
    "tr_deleted": _l("The group deleted this contribution."),
    "tr_leftover_notice": _l("The original is now written in this language, so this translation is no longer needed. Remove it."),
    # conflicts
    "tr_conflict_title": _l("Another translator saved this translation while you were working on it."),
    "tr_conflict_cleared": _l("Another translator removed this translation while you were working on it."),
    "tr_conflict_deleted": _l("The group deleted this contribution while you were translating it."),
    "tr_conflict_toast": _l("Two versions of a translation: choose one."),
    "tr_show": _l("Show"),
    # shortcuts
    "tr_shortcuts": _l("Keyboard shortcuts"),
    "tr_key_save": _l("Save and go to the next text"),
    "tr_key_next": _l("Next text"),
    "tr_key_previous": _l("Previous text"),
    "tr_key_accept": _l("Accept the machine draft as it is"),
}
