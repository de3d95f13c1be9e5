"""HTML pages. Each page is server-rendered and boots one ES module with a JSON block."""

from __future__ import annotations

import importlib
import os
import re
from urllib.parse import urlencode

import segno
from flask import (Blueprint, abort, current_app, g, make_response, redirect, render_template,
                   request, send_from_directory, url_for)
from flask_babel import get_locale, gettext as _

from ..meeting import roles
from ..meeting.i18n import direction, native_name
from ..meeting.roles import Actor
from ..meeting.ops import MAX_TEXT
from ..meeting.state import AGREEMENTS, KINDS
from ..meeting.text import ARABIC_SHARE, detection_rule
from .client_strings import client_strings
from .keys import COOKIE_MAX_AGE, PAGES, cookie_name, give_device, request_actor

bp = Blueprint("pages", __name__)

# A Host the page may name in its CSP: a name or address, with a port (a Host with anything else
# gets 'self' alone rather than text of its own in the header).
HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def csp(frame_ancestors: str = "'none'") -> str:
    """The pages' policy. Sockets go to the page's own origin only: the WebSocket of the Host the
    browser used (behind trusted proxies, the public one: proxy.py), not ws:/wss: to any host."""
    connect = "'self'"
    host = request.host
    if HOST.fullmatch(host):
        connect += f" {'wss' if request.is_secure else 'ws'}://{host}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {connect}; frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'self'")


# Front-end packages fetched from the npm registry at set-up; served locally (no CDN).
VENDOR_PACKAGES = ("socket.io-client", "axe-core")


def qr_data_uri(text: str) -> str:
    """A QR code drawn here, not fetched: the venue may have no internet."""
    qr = segno.make(text, error="m")
    return qr.svg_data_uri(scale=8, border=2, dark="#000", light="#fff")


def page_strings(page: str) -> dict:
    """The shared client strings plus the page's own (module strings_<page>.py, if any)."""
    strings = client_strings()
    try:
        module = importlib.import_module(f"{__package__}.strings_{page}")
    except ModuleNotFoundError:
        return strings
    strings.update({key: str(value) for key, value in module.STRINGS.items()})
    return strings


def page_context(page_title: str, boot: dict) -> dict:
    lang = str(get_locale())
    boot = dict(boot, lang=lang, i18n=page_strings(boot.get("page", "")))
    return {
        "lang": lang,
        "dir": direction(lang),
        "languages": [
            {"code": code, "name": native_name(code), "dir": direction(code)}
            for code in current_app.config["LANGUAGES"]
        ],
        "page_title": page_title,
        "boot": boot,
    }


@bp.after_app_request
def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", csp())
    if request.path.startswith("/api/") or response.mimetype == "application/json":
        # answers about a meeting, its links and the join code: never kept by a browser or a proxy
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure)
    return response


@bp.route("/healthz")
def healthz():
    return {"ok": True}


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for it whatever the page says; drawn from static/favicon.svg."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=7 * 24 * 3600,
                               mimetype="image/vnd.microsoft.icon")


@bp.route("/")
def index():
    return render_template("index.html", **page_context(_("Facilitator"), {"page": "index"}))


@bp.route("/vendor/<package>/<path:path>")
def vendor(package, path):
    if package not in VENDOR_PACKAGES:
        abort(404)
    root = os.path.join(current_app.root_path, os.pardir, "node_modules", package)
    response = send_from_directory(os.path.abspath(root), path, max_age=3600)
    return response


def _without_key_url() -> str:
    args = [(k, v) for k, values in request.args.lists() for v in values if k != "key"]
    return request.path + ("?" + urlencode(args) if args else "")


# Pages a role may open besides its own: the chair runs the synthesis desk in meetings that have
# no curator (issue 18).
ALSO_OPENS = {"synthesis": {roles.CHAIR}}


def _opens(actor: Actor | None, page: str) -> bool:
    if actor is None:
        return False
    return roles.PAGE_OF_ROLE.get(actor.role) == page or actor.role in ALSO_OPENS.get(page, ())


def _enter(meeting_id: str, page: str):
    """The actor this page is for, or a redirect to follow first.

    On first visit the key moves from the URL into an HttpOnly cookie.
    """
    hub = current_app.extensions["facilitator"]
    key = request.args.get("key")
    if key:
        actor = hub.authenticate(meeting_id, key)
        if not _opens(actor, page):
            abort(403)
        response = redirect(_without_key_url(), code=303)
        response.set_cookie(
            cookie_name(meeting_id, page),
            key,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            path="/",
            secure=request.is_secure,
        )
        return response
    actor = request_actor(meeting_id, page)
    if actor is None and page == "vote" and hub.exists(meeting_id):
        # A phone without its cookie (another browser, cleared data) joins again.
        return redirect(url_for("pages.join"), code=303)
    if not _opens(actor, page):
        abort(403)
    return actor


def group_sessions(meeting: dict, group_id: str) -> list[dict]:
    """The sessions a group works in, in agenda order ({id, title} as the agenda gives the title):
    a board opened in another session can say when the group's turn comes."""
    return [{"id": s["id"], "title": s["title"]} for s in meeting.get("sessions", [])
            if group_id in s.get("groups", [])]


@bp.route("/m/<meeting_id>/<page>")
def meeting_page(meeting_id, page):
    if page not in PAGES:
        abort(404)
    actor = _enter(meeting_id, page)
    if not isinstance(actor, Actor):
        return actor  # the redirect that stores the key, or sends a phone to /join
    hub = current_app.extensions["facilitator"]
    g.meeting_language = hub.state(meeting_id).meeting.get("default_language")
    boot = {
        "meeting_id": meeting_id,
        "page": page,
        "role": actor.role,
        "group_id": actor.group_id,
        "limits": {"text": MAX_TEXT},
        "kinds": list(KINDS),
        # the pages with forms guess a text's language as it is typed, by the server's rule
        "script": detection_rule() if page in ("board", "chair") else {"arabic_share": ARABIC_SHARE},
        "agreements": list(AGREEMENTS),
    }
    if page in ("chair", "plenary"):
        join_code = hub.store.secrets(meeting_id)["join_code"]
        join_url = f"{request.host_url.rstrip('/')}/join?code={join_code}"
        boot.update(join_code=join_code, join_url=join_url, join_qr=qr_data_uri(join_url))
    if page == "board":
        boot["group_sessions"] = group_sessions(hub.state(meeting_id).meeting, actor.group_id)
    if page in ("translate", "synthesis"):
        # each text box takes its direction from its language, as the server decides it
        languages = hub.state(meeting_id).meeting.get("languages", [])
        boot["directions"] = {code: direction(code) for code in languages}
    titles = {
        "chair": _("Chair console"),
        "plenary": _("Plenary dashboard"),
        "board": _("Group board"),
        "vote": _("Vote"),
        "translate": _("Translation desk"),
        "synthesis": _("Synthesis desk"),
    }
    response = make_response(render_template(f"{page}.html", **page_context(titles[page], boot)))
    response.headers["Cache-Control"] = "no-store"
    if page == "chair":
        _preview_plenary(response, meeting_id)
    if page == "plenary":
        # the chair's console shows it in a frame; no other site may
        response.headers["Content-Security-Policy"] = csp(frame_ancestors="'self'")
    return response


def _preview_plenary(response, meeting_id: str) -> None:
    """The chair's console previews the plenary screen in a frame, as the plenary's view key
    sees it: the console hands its browser that key's cookie (a key re-issued since reaches it
    with the next load of the console)."""
    key = (current_app.extensions["facilitator"].store.secrets(meeting_id) or {}).get("plenary")
    if key:
        response.set_cookie(cookie_name(meeting_id, "plenary"), key, max_age=COOKIE_MAX_AGE, httponly=True,
                            samesite="Lax", path="/", secure=request.is_secure)


@bp.app_errorhandler(403)
def forbidden(_error):
    context = page_context(_("Link not valid"), {"page": "error"})
    return render_template("error.html", message=_("This link is not valid for this page. Ask the chair for a new one."), **context), 403


@bp.app_errorhandler(404)
def not_found(_error):
    if request.path.startswith("/api/"):
        return {"ok": False, "error": {"code": "not_found", "message": "Not found."}}, 404
    context = page_context(_("Not found"), {"page": "error"})
    return render_template("error.html", message=_("There is nothing at this address."), **context), 404


@bp.route("/join")
def join():
    """Participants arrive here from the QR code or type the short code themselves."""
    boot = {"page": "join", "code": request.args.get("code", "")[:20]}
    response = make_response(render_template("join.html", **page_context(_("Join the vote"), boot)))
    give_device(response)  # this phone's wrong codes are its own (docs/protocol.md, "Joining")
    return response
