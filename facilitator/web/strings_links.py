"""Strings of the chair's list of links (static/js/links.js), merged into the chair's strings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STRINGS = {
    "links_title": _l("Links"),
    "links_hint": _l("Each link opens one role's page: hand it to that person only. If a link "
                     "leaked, re-issue it: the old one stops working at once and the screens "
                     "opened with it are closed."),
    "links_loading": _l("Loading the links…"),
    "links_failed": _l("The links could not be loaded. They are tried again when the connection is back."),
    "link_role_plenary": _l("Plenary screen"),
    "link_role_translator": _l("Translation desk"),
    "link_role_curator": _l("Synthesis desk (curator)"),
    "link_role_rapporteur": _l("Rapporteur, {group}"),
    "link_works_in": _l("Works in: {sessions}"),
    "link_works_in_none": _l("Works in no session of the agenda"),
    "link_show": _l("QR code and link"),
    "link_qr_alt": _l("QR code of the link: {what}"),
    "link_address": _l("Address of the link"),
    "link_copy": _l("Copy"),
    "link_copied": _l("The link is copied."),
    "link_reissue": _l("Re-issue"),
    "link_reissue_ask": _l("Re-issue this link? The old one stops working now, and its open screens are closed."),
    "link_reissue_yes": _l("Yes, re-issue"),
    "link_cancel": _l("Cancel"),
    "link_reissued": _l("New link for {what}: hand it over. The old one no longer works."),
    "op_link_reissue": _l("re-issue the link"),
}
