"""Joining with the public code (issue 10, point 6).

- failed code attempts from one address put it in a short back-off; successful joins never do
  (a whole room joins through one NAT address within a minute);
- a browser that already joined a meeting gets the same participant back (its vote cookie);
- a meeting takes at most MAX_PARTICIPANTS participants, then answers `meeting_full`.

The guard's clock is tested in process; everything else through a real server over HTTP.
"""

from __future__ import annotations

import pytest
import requests

from support import ServerProcess, key_of
from facilitator.meeting.errors import OpError
from facilitator.meeting.joining import JoinGuard, check_room
from facilitator.meeting.state import MeetingState


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def refused(guard, address):
    with pytest.raises(OpError) as error:
        guard.check(address)
    assert error.value.code == "rate_limited"
    return error.value.extra["retry_after"]


def test_the_guard_counts_failures_per_address_within_a_window():
    clock = Clock()
    guard = JoinGuard(failures=3, window=60, backoff=30, clock=clock)
    for _ in range(2):
        guard.check("10.0.0.1")
        guard.failed("10.0.0.1")
    clock.now += 61  # those two are forgotten
    for _ in range(2):
        guard.failed("10.0.0.1")
    guard.check("10.0.0.1")
    guard.failed("10.0.0.1")  # the third within the window
    assert refused(guard, "10.0.0.1") == 30
    guard.check("10.0.0.2")  # another address is not concerned
    clock.now += 29.5
    assert refused(guard, "10.0.0.1") == 1
    clock.now += 0.5
    guard.check("10.0.0.1")  # the back-off is over, and the count starts again
    guard.failed("10.0.0.1")
    guard.check("10.0.0.1")


def test_the_guard_forgets_old_addresses_when_it_is_full():
    clock = Clock()
    guard = JoinGuard(failures=5, window=60, backoff=30, clock=clock, max_addresses=100)
    for i in range(1000):
        guard.failed(f"10.0.{i // 256}.{i % 256}")
        clock.now += 1
    assert len(guard._failed) <= 100


def test_the_room_holds_its_ceiling():
    state = MeetingState()
    state.participants = {f"p{i}": {} for i in range(3)}
    check_room(state, 4)
    with pytest.raises(OpError) as full:
        check_room(state, 3)
    assert full.value.code == "meeting_full" and full.value.extra["limit"] == 3


# ----- through the real server -------------------------------------------------------------------


@pytest.fixture
def server(tmp_path):
    # One trusted proxy: X-Forwarded-For tells the test's "addresses" apart on 127.0.0.1.
    env = {"FACILITATOR_JOIN_FAILURES": "5", "FACILITATOR_JOIN_BACKOFF": "3600",
           "FACILITATOR_MAX_PARTICIPANTS": "40", "FACILITATOR_PROXY_COUNT": "1"}
    server = ServerProcess(str(tmp_path), env=env).start()
    yield server
    server.stop()


def post_join(session, url, mid, code, address, region=None):
    return session.post(f"{url}/api/m/{mid}/participants", json={"code": code, "region": region, "lang": "en"},
                        headers={"X-Forwarded-For": address})


def participants(url, links):
    r = requests.get(f"{url}/api/m/{links['meeting_id']}/state", params={"key": key_of(links["chair_url"])})
    return r.json()["participants"]


def test_wrong_codes_back_off_one_address_and_right_ones_never_do(server):
    url = server.url
    links = server.create_meeting()
    mid, code = links["meeting_id"], links["join_code"]
    wrong = "ZZZZZ2" if code != "ZZZZZ2" else "ZZZZZ3"

    # A whole room behind one address joins: no limit on success.
    for _ in range(30):
        r = post_join(requests.Session(), url, mid, code, "203.0.113.7")
        assert r.status_code == 200, r.text
        assert requests.get(f"{url}/api/join/{code}", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200

    # Wrong codes, by lookup or by join, and a meeting that does not exist, count together.
    attempts = [
        lambda: requests.get(f"{url}/api/join/{wrong}", headers={"X-Forwarded-For": "198.51.100.9"}),
        lambda: post_join(requests.Session(), url, mid, wrong, "198.51.100.9"),
        lambda: post_join(requests.Session(), url, "nosuchmeeting", code, "198.51.100.9"),
        lambda: requests.get(f"{url}/api/join/{wrong}", headers={"X-Forwarded-For": "198.51.100.9"}),
        lambda: post_join(requests.Session(), url, mid, wrong, "198.51.100.9"),
    ]
    for attempt in attempts:
        r = attempt()
        assert r.status_code in (401, 404), r.text
        assert r.json()["error"]["code"] in ("unauthorized", "not_found")

    # Backing off: refused unchecked, even the right code, with how long to wait.
    for r in (post_join(requests.Session(), url, mid, code, "198.51.100.9"),
              requests.get(f"{url}/api/join/{code}", headers={"X-Forwarded-For": "198.51.100.9"})):
        assert r.status_code == 429, r.text
        error = r.json()["error"]
        assert error["code"] == "rate_limited" and 0 < error["retry_after"] <= 3600
        assert 0 < int(r.headers["Retry-After"]) <= 3600

    # Every other address still joins, the one that joined 30 times too.
    for address in ("203.0.113.7", "192.0.2.44"):
        assert post_join(requests.Session(), url, mid, code, address).status_code == 200
    assert participants(url, links) == 32


def test_a_browser_that_joined_gets_the_same_participant_back(server):
    url = server.url
    links = server.create_meeting()
    mid, code = links["meeting_id"], links["join_code"]
    phone = requests.Session()  # keeps the vote cookie, as a phone's browser does
    first = post_join(phone, url, mid, code, "203.0.113.8", region="africa")
    assert first.status_code == 200 and first.json()["rejoined"] is False
    again = post_join(phone, url, mid, code, "203.0.113.8", region="americas")
    assert again.status_code == 200 and again.json()["rejoined"] is True
    assert again.json()["key"] == first.json()["key"]
    assert participants(url, links) == 1

    # One voter, one vote: the second join did not make a second voter.
    chair_key = key_of(links["chair_url"])
    from support import Client

    chair = Client(url, mid, chair_key)
    rapporteur = Client(url, mid, key_of(next(g for g in links["groups"] if g["id"] == "africa")["rapporteur_url"]))
    voter = Client(url, mid, first.json()["key"])
    try:
        assert chair.op("session.set", session_id="s2-groups")["ok"]
        assert rapporteur.op("contribution.add", id="practice-0001", question_id="s2-q1", text="Skills partnerships",
                             kind="good_practice", agreement="consensus", lang="en")["ok"]
        assert chair.op("ballot.open", contribution_ids=["practice-0001"])["ok"]
        assert voter.op("vote.cast", ballot_id="b1", contribution_id="practice-0001", choice="yes")["ok"]
        rejoined = Client(url, mid, again.json()["key"])
        assert rejoined.op("vote.cast", ballot_id="b1", contribution_id="practice-0001", choice="yes")["ok"]
        rejoined.close()
        results = requests.get(f"{url}/api/m/{mid}/ballots/b1", params={"key": chair_key}).json()
        assert results["participants"] == 1, results  # people who voted
        # The region chosen first stays: a second join changes nothing.
        state = requests.get(f"{url}/api/m/{mid}/state", params={"key": first.json()["key"]}).json()
        assert state["participant"]["region"] == "africa"
    finally:
        for client in (chair, rapporteur, voter):
            client.close()

    # The cookie of another meeting, or a made-up one, is no shortcut: a new participant.
    other = server.create_meeting()
    r = post_join(phone, url, other["meeting_id"], other["join_code"], "203.0.113.8")
    assert r.status_code == 200 and r.json()["rejoined"] is False and r.json()["key"] != first.json()["key"]
    stranger = requests.Session()
    stranger.cookies.set(f"fk_{mid}_vote", "made-up-key")
    r = post_join(stranger, url, mid, code, "203.0.113.9")
    assert r.status_code == 200 and r.json()["key"] != "made-up-key"
    # And the right cookie does not stand in for the code.
    r = post_join(phone, url, mid, "WRONG2", "203.0.113.8")
    assert r.status_code == 401
    assert participants(url, links) == 2


def test_a_full_meeting_says_so(server):
    url = server.url
    links = server.create_meeting()
    mid, code = links["meeting_id"], links["join_code"]
    phones = [requests.Session() for _ in range(40)]
    for i, phone in enumerate(phones):
        r = post_join(phone, url, mid, code, f"203.0.113.{i}")
        assert r.status_code == 200, (i, r.text)
    r = post_join(requests.Session(), url, mid, code, "203.0.113.99")
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "meeting_full" and error["limit"] == 40 and "full" in error["message"]
    assert participants(url, links) == 40
    # Someone who is in stays in: re-joining a full meeting still works.
    r = post_join(phones[0], url, mid, code, "203.0.113.0")
    assert r.status_code == 200 and r.json()["rejoined"] is True
    # A full meeting is not a wrong code: the address is not backing off.
    for _ in range(6):
        assert post_join(requests.Session(), url, mid, code, "203.0.113.99").status_code == 409


@pytest.mark.browser
def test_the_join_page_says_when_to_wait_and_when_the_meeting_is_full(tmp_path, browser, expect):
    env = {"FACILITATOR_JOIN_FAILURES": "2", "FACILITATOR_JOIN_BACKOFF": "3600",
           "FACILITATOR_MAX_PARTICIPANTS": "1"}
    server = ServerProcess(str(tmp_path), env=env).start()
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        links = server.create_meeting()
        assert post_join(requests.Session(), server.url, links["meeting_id"], links["join_code"], "127.0.0.1").status_code == 200

        # The meeting is full: a new phone is told so, in its language.
        page = context.new_page()
        page.goto(f"{server.url}/join?code={links['join_code']}&lang=fr")
        page.locator("#join-region").select_option("none")
        page.locator("#join-submit").click()
        expect(page.locator("#join-error")).to_contain_text("Cette réunion est complète")

        # Two wrong codes from this address, then even the right one must wait, and says how long.
        wrong = "ZZZZZ2" if links["join_code"] != "ZZZZZ2" else "ZZZZZ3"
        for _ in range(2):
            assert requests.get(f"{server.url}/api/join/{wrong}").status_code == 404
        page = context.new_page()
        page.goto(f"{server.url}/join?code={links['join_code']}&lang=en")
        expect(page.locator("#join-error")).to_contain_text("Too many wrong codes were tried from this network. Wait")
        expect(page.locator("#join-error")).to_contain_text(" seconds and try again.")
    finally:
        context.close()
        server.stop()
