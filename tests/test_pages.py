"""Pages and HTTP details: compression, caching, keys in cookies, the phone's small first load."""

from __future__ import annotations

import gzip
import re

import requests

from support import key_of


def test_text_is_gzipped_and_static_urls_are_versioned(live_server):
    links = live_server.create_meeting()
    s = requests.Session()
    page = s.get(links["plenary_url"])  # follows the redirect that stores the key
    assert page.status_code == 200 and page.headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in page.headers.get("Vary", "")
    css = re.findall(r'href="(/static/[^"]+\.css\?v=[0-9a-f]+)"', page.text)
    assert css
    asset = s.get(live_server.url + css[0])
    assert asset.headers.get("Content-Encoding") == "gzip"
    assert "max-age=31536000" in asset.headers["Cache-Control"]
    raw = requests.get(live_server.url + css[0], headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in raw.headers and raw.text == asset.text
    assert requests.get(live_server.url + "/vendor/socket.io-client/dist/socket.io.esm.min.js").ok
    assert requests.get(live_server.url + "/vendor/left-pad/index.js").status_code == 404


def test_participant_state_is_small_and_unescaped(live_server):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    r = requests.post(f"{live_server.url}/api/m/{mid}/participants", json={"code": links["join_code"], "region": "mena", "lang": "ar"})
    key = r.json()["key"]
    state = requests.get(f"{live_server.url}/api/m/{mid}/state", params={"key": key}, headers={"Accept-Encoding": "identity"})
    body = state.content.decode("utf-8")
    assert "sessions" not in state.json()["meeting"]
    assert "\\u0" not in body and "أفريقيا" in body
    assert len(state.content) < 8000
    # The vote page without its cookie sends the phone to the join page.
    r = requests.get(f"{live_server.url}/m/{mid}/vote", allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].endswith("/join")
    # ...while a wrong key on a staff page is refused.
    assert requests.get(f"{live_server.url}/m/{mid}/chair?key=nope", allow_redirects=False).status_code == 403
    assert requests.get(f"{live_server.url}/m/{mid}/chair", cookies={f"fk_{mid}_chair": key_of(links['plenary_url'])}).status_code == 403


def test_translator_link_stores_its_cookie_and_opens_only_its_page(live_server):
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    s = requests.Session()
    first = s.get(links["translator_url"], allow_redirects=False)
    assert first.status_code == 303 and first.headers["Location"] == f"/m/{mid}/translate"
    assert f"fk_{mid}_translate" in s.cookies
    page = s.get(f"{live_server.url}/m/{mid}/translate")
    assert page.status_code == 200 and 'id="desk"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # the page's script reads the state with the page's cookie
    state = s.get(f"{live_server.url}/api/m/{mid}/state", headers={"X-Facilitator-Page": "translate"})
    assert state.ok and state.json()["role"] == "translator"
    assert "machine_translation" in state.json() and "ballots" not in state.json()
    # the translator's key opens no other page, and no other key opens this one
    translator = key_of(links["translator_url"])
    assert requests.get(f"{live_server.url}/m/{mid}/chair?key={translator}", allow_redirects=False).status_code == 403
    for url in (links["chair_url"], links["plenary_url"], links["groups"][0]["rapporteur_url"]):
        wrong = f"{live_server.url}/m/{mid}/translate?key={key_of(url)}"
        assert requests.get(wrong, allow_redirects=False).status_code == 403
    assert requests.get(f"{live_server.url}/m/{mid}/translate", allow_redirects=False).status_code == 403


def test_synthesis_desk_opens_with_the_curator_or_the_chair_key_only(live_server):
    """Issue 18: /m/<id>/synthesis is the curator's page; the chair's key opens it too (meetings
    without a curator). Its script reads the state with the page's own cookie."""
    links = live_server.create_meeting()
    mid = links["meeting_id"]
    openers = [links["chair_url"].replace("/chair?", "/synthesis?")]
    if links.get("curator_url"):
        openers.append(links["curator_url"])
    for url in openers:
        s = requests.Session()
        first = s.get(url, allow_redirects=False)
        assert first.status_code == 303 and first.headers["Location"] == f"/m/{mid}/synthesis"
        assert f"fk_{mid}_synthesis" in s.cookies
        page = s.get(f"{live_server.url}/m/{mid}/synthesis")
        assert page.status_code == 200 and 'id="sd"' in page.text
        assert page.headers["Cache-Control"] == "no-store"
        state = s.get(f"{live_server.url}/api/m/{mid}/state", headers={"X-Facilitator-Page": "synthesis"})
        assert state.ok and state.json()["role"] in ("chair", "curator") and "curation" in state.json()
    for url in (links["plenary_url"], links["translator_url"], links["groups"][0]["rapporteur_url"]):
        wrong = f"{live_server.url}/m/{mid}/synthesis?key={key_of(url)}"
        assert requests.get(wrong, allow_redirects=False).status_code == 403
    assert requests.get(f"{live_server.url}/m/{mid}/synthesis", allow_redirects=False).status_code == 403
    if links.get("curator_url"):
        # the curator's key opens no other page
        curator = key_of(links["curator_url"])
        assert requests.get(f"{live_server.url}/m/{mid}/chair?key={curator}", allow_redirects=False).status_code == 403


def test_every_json_answer_is_no_store(live_server):
    """Results, the synthesis, the join lookup: nothing a browser or a proxy may keep (issue 20,
    point 8), the refusals included."""
    from support import Client

    links = live_server.create_meeting()
    mid, chair_key = links["meeting_id"], key_of(links["chair_url"])
    chair = Client(live_server.url, mid, chair_key)
    rapporteur = Client(live_server.url, mid, key_of(links["groups"][0]["rapporteur_url"]))
    try:
        assert chair.op("session.set", session_id="s2-groups")["ok"]
        assert rapporteur.op("contribution.add", id="practice-0001", question_id="s2-q1", text="Skills partnerships",
                             kind="good_practice", agreement="consensus", lang="en")["ok"]
        assert chair.op("ballot.open", contribution_ids=["practice-0001"])["ok"]
    finally:
        chair.close()
        rapporteur.close()
    base = f"{live_server.url}/api"
    answers = [
        requests.get(f"{base}/m/{mid}/synthesis", params={"key": chair_key}),
        requests.get(f"{base}/m/{mid}/ballots/b1", params={"key": chair_key}),
        requests.get(f"{base}/join/{links['join_code']}"),
        requests.get(f"{base}/m/{mid}/state", params={"key": chair_key}),
        requests.get(f"{base}/m/{mid}/ballots/b1", params={"key": "not-a-key"}),  # 401
        requests.get(f"{base}/m/{mid}/nothing-here"),  # 404
        requests.get(f"{live_server.url}/healthz"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 401, 404, 200]
    for r in answers:
        assert r.headers.get("Cache-Control") == "no-store", (r.url, r.headers)


def test_the_csp_lets_sockets_reach_the_pages_own_origin_only(live_server):
    """connect-src names the WebSocket of the Host the browser used, never ws:/wss: to any host
    (issue 20, point 8); behind proxies, the public Host (tests/test_proxy.py)."""
    host = live_server.url.split("//", 1)[1]
    for path in ("/join", "/"):
        policy = requests.get(live_server.url + path).headers["Content-Security-Policy"]
        connect = re.search(r"connect-src ([^;]*)", policy).group(1).split()
        assert connect == ["'self'", f"ws://{host}"], policy
    # A Host that is not a host name gives 'self' alone, and never text of its own in the header.
    policy = requests.get(live_server.url + "/join", headers={"Host": "evil.example; script-src *"}).headers
    assert re.search(r"connect-src ([^;]*)", policy["Content-Security-Policy"]).group(1) == "'self'"
