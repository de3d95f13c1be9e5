"""Behind a TLS-terminating proxy (issue 13): with FACILITATOR_PROXY_COUNT the public origin comes
from X-Forwarded-Proto/-Host, so links, the QR code, the Socket.IO Origin check and `Secure`
cookies follow it; without it those headers are ignored. Through the real server process."""

from __future__ import annotations

import json
import re

import pytest
import requests
import socketio

from support import ServerProcess, key_of
from facilitator.web.pages import qr_data_uri

PUBLIC = "https://public.example:8443"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example:8443",
             "X-Forwarded-For": "203.0.113.5"}


def boot_of(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>', html, re.S).group(1))


def enter(url: str, page_url: str, headers: dict) -> tuple[requests.Response, dict]:
    """Open a secret link the way a browser does: the key moves into a cookie, then the page."""
    path = page_url[page_url.index("/m/"):]
    first = requests.get(url + path, headers=headers, allow_redirects=False, timeout=30)
    assert first.status_code == 303, first.status_code
    cookie = first.headers["Set-Cookie"]
    name, value = cookie.split(";", 1)[0].split("=", 1)
    page = requests.get(url + path.split("?", 1)[0], headers=headers, cookies={name: value}, timeout=30)
    assert page.status_code == 200
    return first, boot_of(page.text)


def origin_accepted(url: str, origin: str, headers: dict, meeting: str, key: str) -> bool:
    # Polling: the websocket client library adds an Origin of its own to ours.
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, headers={"Origin": origin, **headers}, auth={"meeting": meeting, "key": key},
                       transports=["polling"], wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return False
    client.disconnect()
    return True


@pytest.fixture
def proxied(tmp_path):
    server = ServerProcess(str(tmp_path), env={"FACILITATOR_PROXY_COUNT": "1"}).start()
    yield server
    server.stop()


def test_links_cookies_and_origin_follow_the_forwarded_https_origin(proxied):
    links = proxied.create_meeting()
    first, boot = enter(proxied.url, links["plenary_url"], FORWARDED)
    cookie = first.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie, cookie
    assert boot["join_url"] == f"{PUBLIC}/join?code={boot['join_code']}"
    assert boot["join_qr"] == qr_data_uri(boot["join_url"])
    mid, key = links["meeting_id"], key_of(links["plenary_url"])
    # The page was loaded from the public origin: its socket's Origin is that one.
    assert origin_accepted(proxied.url, PUBLIC, FORWARDED, mid, key)
    assert not origin_accepted(proxied.url, proxied.url, FORWARDED, mid, key)
    # A phone's join cookie, too.
    code = boot["join_code"]
    joined = requests.post(f"{proxied.url}/api/m/{mid}/participants", json={"code": code},
                           headers=FORWARDED, timeout=30)
    assert joined.ok and "Secure" in joined.headers["Set-Cookie"], joined.headers
    # Plain http through the same proxy: no Secure, links on http.
    plain = dict(FORWARDED, **{"X-Forwarded-Proto": "http"})
    first, boot = enter(proxied.url, links["chair_url"], plain)
    assert "Secure" not in first.headers["Set-Cookie"]
    assert boot["join_url"].startswith("http://public.example:8443/join?code=")


def test_forwarded_headers_are_ignored_without_trusted_proxies(live_server):
    links = live_server.create_meeting()
    first, boot = enter(live_server.url, links["plenary_url"], FORWARDED)
    assert "Secure" not in first.headers["Set-Cookie"]
    assert boot["join_url"].startswith(live_server.url + "/join?code=")
    mid, key = links["meeting_id"], key_of(links["plenary_url"])
    # Anyone may send X-Forwarded-*: they must not widen the Origin check.
    assert not origin_accepted(live_server.url, PUBLIC, FORWARDED, mid, key)
    assert origin_accepted(live_server.url, live_server.url, FORWARDED, mid, key)


def test_the_csp_names_the_public_origins_socket(proxied):
    """Behind a TLS terminator the page's sockets go to wss:// of the Host the browser used."""
    policy = requests.get(proxied.url + "/join", headers=FORWARDED, timeout=30).headers["Content-Security-Policy"]
    assert "connect-src 'self' wss://public.example:8443;" in policy, policy
    assert " ws:" not in policy and " wss:;" not in policy

