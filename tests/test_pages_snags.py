"""Page snags of issue 19 #8 through the real server: /favicon.ico is served (an ICO made here, and
the SVG the pages link), and the board's boot data carries the sessions its group works in."""

from __future__ import annotations

import html
import json
import re

import requests

from support import rapporteur_key


def test_the_favicon_is_served_and_linked(live_server):
    icon = requests.get(live_server.url + "/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/vnd.microsoft.icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00" and b"PNG" in icon.content[:64]  # an ICO holding a PNG
    page = requests.get(live_server.url + "/", timeout=10)
    hrefs = re.findall(r'<link rel="icon" href="([^"]+)"', page.text)
    assert len(hrefs) == 2
    svg = requests.get(live_server.url + hrefs[0], timeout=10)
    assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    assert requests.get(live_server.url + hrefs[1], timeout=10).content == icon.content


def boot_of(page_html: str) -> dict:
    found = re.search(r'<script type="application/json" id="boot">(.*?)</script>', page_html, re.S)
    return json.loads(html.unescape(found.group(1)))


def test_the_board_boot_names_the_sessions_its_group_works_in(live_server):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    for group_id, sessions in {"africa": ["s2-groups", "s3-followup"], "plenary": ["s1", "s2-plenary"],
                               "ngo": ["s3-partners"]}.items():
        url = f"{live_server.url}/m/{mid}/board?key={rapporteur_key(links, group_id)}"
        boot = boot_of(requests.get(url, timeout=10).text)  # a new meeting is on Session 1
        assert [s["id"] for s in boot["group_sessions"]] == sessions, group_id
        assert all(s["title"]["en"].startswith("Session") for s in boot["group_sessions"])
