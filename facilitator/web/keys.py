"""Secret links: a key arrives once in the URL, then lives in an HttpOnly cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, request

from ..meeting.roles import Actor

PAGES = ("chair", "plenary", "board", "vote", "translate", "synthesis")
COOKIE_MAX_AGE = 14 * 24 * 3600


def cookie_name(meeting_id: str, page: str) -> str:
    return f"fk_{meeting_id}_{page}"


def request_actor(meeting_id: str, page: str | None = None) -> Actor | None:
    """The actor of an HTTP request: ?key= first, else the cookie of the page (or any page).

    A page's scripts name their page in X-Facilitator-Page: one browser may hold several roles
    of a meeting (the chair trying the vote page), and each page must act as its own role.
    """
    return request_key_and_actor(meeting_id, page)[1]


def request_key_and_actor(meeting_id: str, page: str | None = None) -> tuple[str | None, Actor | None]:
    """(the key, its actor) of an HTTP request, as request_actor finds them; (None, None)."""
    hub = current_app.extensions["facilitator"]
    key = request.args.get("key") or request.headers.get("X-Facilitator-Key")
    if key:
        actor = hub.authenticate(meeting_id, key)
        return (key, actor) if actor is not None else (None, None)
    if page is None and request.headers.get("X-Facilitator-Page") in PAGES:
        page = request.headers["X-Facilitator-Page"]
    for candidate in (page,) if page else PAGES:
        cookie = request.cookies.get(cookie_name(meeting_id, candidate))
        if cookie:
            actor = hub.authenticate(meeting_id, cookie)
            if actor is not None:
                return cookie, actor
    return None, None


# ----- the join page's device cookie (docs/protocol.md, "Joining") ---------------------------

DEVICE_COOKIE = "fac_device"


def _device_mac(device_id: str) -> str:
    secret = str(current_app.secret_key or "").encode()
    return hmac.new(secret, b"device:" + device_id.encode(), hashlib.sha256).hexdigest()[:16]


def request_device() -> str | None:
    """The id of the browser's device cookie, if it is one this server signed (a made-up one
    counts as none: its failures are the address's cookieless ones)."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    device_id, _, mac = value.partition(".")
    if len(device_id) != 16 or not device_id.isalnum():
        return None
    return device_id if hmac.compare_digest(mac, _device_mac(device_id)) else None


def give_device(response) -> None:
    """Set a device cookie on a browser that has none: its wrong join codes are then its own."""
    if request_device() is not None:
        return
    device_id = secrets.token_hex(8)
    response.set_cookie(DEVICE_COOKIE, f"{device_id}.{_device_mac(device_id)}", max_age=COOKIE_MAX_AGE,
                        httponly=True, samesite="Lax", path="/", secure=request.is_secure)
