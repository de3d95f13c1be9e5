"""Joining with the public code (issue 10, point 6; issue 20, point 3).

- failed code attempts count per device (the join page's cookie at one address) and per
  address; past a budget the attempts are spaced out, never refused while the wait is short, and
  one phone's wrong codes never stop another phone with the right one (a venue is one address
  behind its NAT); successful joins are never counted;
- with several processes the budgets are shared, in Redis;
- a browser that already joined a meeting gets the same participant back (its vote cookie);
- a meeting takes at most MAX_PARTICIPANTS participants, then answers `meeting_full`.

The guard's clock is tested in process; everything else through a real server over HTTP.
"""

from __future__ import annotations

import uuid

import pytest
import redis
import requests

from support import ServerProcess, key_of, processes_on_redis
from facilitator.meeting.errors import OpError
from facilitator.meeting.joining import JoinGuard, SharedJoinGuard, check_room
from facilitator.meeting.state import MeetingState


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def refused(guard, address, device):
    with pytest.raises(OpError) as error:
        guard.admit(address, device)
    assert error.value.code == "rate_limited"
    return error.value.extra["retry_after"]


def test_past_its_budget_a_device_is_spaced_out_and_another_device_is_not():
    clock = Clock()
    guard = JoinGuard(failures=3, address_failures=100, window=30, max_wait=10, clock=clock)
    for _ in range(3):
        assert guard.admit("10.0.0.1", "phone-a") == 0
        guard.failed("10.0.0.1", "phone-a")
    # Past its budget: one turn every window / budget = 10 s, each attempt waiting for its own.
    assert guard.admit("10.0.0.1", "phone-a") == 0
    assert guard.admit("10.0.0.1", "phone-a") == 10
    assert refused(guard, "10.0.0.1", "phone-a") == 20  # its turn is further off than max_wait
    # Another phone behind the same address, and the address's cookieless attempts, never wait.
    for _ in range(5):
        assert guard.admit("10.0.0.1", "phone-b") == 0
        assert guard.admit("10.0.0.1", None) == 0
    clock.now += 30  # the window is over: the count starts again
    assert guard.admit("10.0.0.1", "phone-a") == 0
    assert guard.admit("10.0.0.1", "phone-a") == 0


def test_an_address_past_its_larger_budget_spaces_every_device_out():
    clock = Clock()
    guard = JoinGuard(failures=2, address_failures=6, window=60, max_wait=10, clock=clock)
    for device in ("a", "b", "c"):  # a client that drops its cookie: a new device each time
        for _ in range(2):
            guard.failed("10.0.0.1", device)
    # Six failures at the address: every device of it gets a turn every 60 / 6 = 10 s.
    assert guard.admit("10.0.0.1", "new-phone") == 0
    assert guard.admit("10.0.0.1", "other-phone") == 10
    assert refused(guard, "10.0.0.1", "third-phone") == 20
    assert guard.admit("10.0.0.2", "elsewhere") == 0  # another address is not concerned
    clock.now += 20
    assert guard.admit("10.0.0.1", "third-phone") == 0


def test_the_guard_forgets_old_addresses_when_it_is_full():
    clock = Clock()
    guard = JoinGuard(failures=5, window=60, clock=clock, max_keys=100)
    for i in range(1000):
        guard.failed(f"10.0.{i // 256}.{i % 256}", None)
        clock.now += 1
    assert len(guard._failed) <= 100


def test_the_shared_guard_keeps_the_same_budgets_in_redis(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    prefix = f"test-join-{uuid.uuid4().hex[:10]}"
    one, two = (SharedJoinGuard(client, prefix, failures=2, address_failures=100, window=60, max_wait=40)
                for _ in range(2))
    try:
        one.failed("10.0.0.1", "phone-a")
        two.failed("10.0.0.1", "phone-a")  # another process: the same count
        assert one.admit("10.0.0.1", "phone-a") == 0
        assert 29 <= two.admit("10.0.0.1", "phone-a") <= 30  # the next turn, 60 / 2 s on
        with pytest.raises(OpError) as error:
            one.admit("10.0.0.1", "phone-a")
        assert error.value.code == "rate_limited" and 59 <= error.value.extra["retry_after"] <= 60
        assert two.admit("10.0.0.1", "phone-b") == 0 and one.admit("10.0.0.1", None) == 0
        # The keys go away by themselves.
        assert all(0 < client.pttl(k) <= 130_000 for k in client.scan_iter(f"{prefix}:*"))
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def test_the_room_holds_its_ceiling():
    state = MeetingState()
    state.participants = {f"p{i}": {} for i in range(3)}
    check_room(state, 4)
    with pytest.raises(OpError) as full:
        check_room(state, 3)
    assert full.value.code == "meeting_full" and full.value.extra["limit"] == 3


# ----- through the real server -------------------------------------------------------------------

# No wait is held here (JOIN_MAX_WAIT 0): an attempt past a budget is checked if its turn is now,
# else answered 429 at once, so that what each phone gets is decided, never timed.
STRICT = {"FACILITATOR_JOIN_FAILURES": "3", "FACILITATOR_JOIN_ADDRESS_FAILURES": "10",
          "FACILITATOR_JOIN_WINDOW": "3600", "FACILITATOR_JOIN_MAX_WAIT": "0"}


@pytest.fixture
def server(tmp_path):
    # One trusted proxy: X-Forwarded-For tells the test's "addresses" apart on 127.0.0.1.
    env = dict(STRICT, FACILITATOR_MAX_PARTICIPANTS="40", FACILITATOR_PROXY_COUNT="1")
    server = ServerProcess(str(tmp_path), env=env).start()
    yield server
    server.stop()


def post_join(session, url, mid, code, address, region=None):
    return session.post(f"{url}/api/m/{mid}/participants", json={"code": code, "region": region, "lang": "en"},
                        headers={"X-Forwarded-For": address})


def phone(url, address) -> requests.Session:
    """A phone's browser: it opened the join page, which gave it its device cookie."""
    session = requests.Session()
    page = session.get(f"{url}/join", headers={"X-Forwarded-For": address})
    assert page.status_code == 200 and "fac_device" in session.cookies
    return session


def participants(url, links):
    r = requests.get(f"{url}/api/m/{links['meeting_id']}/state", params={"key": key_of(links["chair_url"])})
    return r.json()["participants"]


def wrong_code(code):
    return "ZZZZZ2" if code != "ZZZZZ2" else "ZZZZZ3"


def test_one_phones_wrong_codes_never_stop_another_phone_with_the_right_one(server):
    url = server.url
    links = server.create_meeting()
    mid, code = links["meeting_id"], links["join_code"]
    wrong = wrong_code(code)
    venue = "203.0.113.7"

    # A whole room behind one address joins: no limit on success.
    for _ in range(30):
        r = post_join(phone(url, venue), url, mid, code, venue)
        assert r.status_code == 200, r.text
        assert requests.get(f"{url}/api/join/{code}", headers={"X-Forwarded-For": venue}).status_code == 200

    # One phone of the venue guesses. Wrong codes, by lookup or by join, and a meeting that does
    # not exist, count together: three, then one turn, then it must wait, told how long.
    clumsy = phone(url, venue)
    attempts = [
        lambda: clumsy.get(f"{url}/api/join/{wrong}", headers={"X-Forwarded-For": venue}),
        lambda: post_join(clumsy, url, mid, wrong, venue),
        lambda: post_join(clumsy, url, "nosuchmeeting", code, venue),
        lambda: clumsy.get(f"{url}/api/join/{wrong}", headers={"X-Forwarded-For": venue}),
    ]
    for attempt in attempts:
        r = attempt()
        assert r.status_code in (401, 404), r.text
        assert r.json()["error"]["code"] in ("unauthorized", "not_found")
    for r in (post_join(clumsy, url, mid, code, venue),
              clumsy.get(f"{url}/api/join/{code}", headers={"X-Forwarded-For": venue})):
        assert r.status_code == 429, r.text
        error = r.json()["error"]
        assert error["code"] == "rate_limited" and 0 < error["retry_after"] <= 3600
        assert 0 < int(r.headers["Retry-After"]) <= 3600

    # Every other phone of the venue still gets in at once, and so do cookieless clients (the
    # address's own device), and other addresses.
    for _ in range(5):
        assert post_join(phone(url, venue), url, mid, code, venue).status_code == 200
    assert requests.get(f"{url}/api/join/{code}", headers={"X-Forwarded-For": venue}).status_code == 200
    assert post_join(phone(url, "192.0.2.44"), url, mid, code, "192.0.2.44").status_code == 200
    assert participants(url, links) == 36

    # A made-up device cookie is no new device: it counts with the address's cookieless ones.
    forged = requests.Session()
    forged.cookies.set("fac_device", "0123456789abcdef.0000000000000000")
    for _ in range(3):
        assert forged.get(f"{url}/api/join/{wrong}", headers={"X-Forwarded-For": venue}).status_code == 404
    assert forged.get(f"{url}/api/join/{wrong}", headers={"X-Forwarded-For": venue}).status_code == 404  # its turn
    assert requests.get(f"{url}/api/join/{code}", headers={"X-Forwarded-For": venue}).status_code == 429

    # A client that takes a new cookie for every guess reaches the address's budget (10 failures:
    # 8 so far): then every device of the address is spaced out, a turn at a time, the right code
    # included.
    for _ in range(2):
        assert post_join(phone(url, venue), url, mid, wrong, venue).status_code == 401
    first, second = phone(url, venue), phone(url, venue)
    assert post_join(first, url, mid, code, venue).status_code == 200  # the address's turn
    r = post_join(second, url, mid, code, venue)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited", r.text
    assert post_join(phone(url, "192.0.2.45"), url, mid, code, "192.0.2.45").status_code == 200


def test_join_answers_are_never_cached(server):
    links = server.create_meeting()
    for r in (requests.get(f"{server.url}/api/join/{links['join_code']}"),
              requests.get(f"{server.url}/api/join/{wrong_code(links['join_code'])}"),
              post_join(requests.Session(), server.url, links["meeting_id"], links["join_code"], "192.0.2.9")):
        assert r.headers["Cache-Control"] == "no-store", r.headers


def test_processes_on_one_redis_share_the_budget(tmp_path, redis_url):
    """Behind a balancer a guesser meets one budget, not one per process (issue 20, point 3)."""
    with processes_on_redis(tmp_path, redis_url, dict(STRICT, FACILITATOR_PROXY_COUNT="1")) as (a, b):
        links = a.create_meeting()
        wrong, venue = wrong_code(links["join_code"]), "203.0.113.70"
        guesser = phone(a.url, venue)
        for server in (a, b, a):
            assert guesser.get(f"{server.url}/api/join/{wrong}", headers={"X-Forwarded-For": venue}).status_code == 404
        assert guesser.get(f"{b.url}/api/join/{wrong}", headers={"X-Forwarded-For": venue}).status_code == 404
        for server in (a, b):  # past its budget on both: its next turn is far off
            r = guesser.get(f"{server.url}/api/join/{links['join_code']}", headers={"X-Forwarded-For": venue})
            assert r.status_code == 429, r.text
        for server in (a, b):
            assert post_join(phone(server.url, venue), server.url, links["meeting_id"], links["join_code"],
                             venue).status_code == 200


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
    env = {"FACILITATOR_JOIN_FAILURES": "2", "FACILITATOR_JOIN_WINDOW": "3600", "FACILITATOR_JOIN_MAX_WAIT": "0",
           "FACILITATOR_MAX_PARTICIPANTS": "1"}
    server = ServerProcess(str(tmp_path), env=env).start()
    context = browser.new_context(viewport={"width": 360, "height": 740})
    other_phone = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        links = server.create_meeting()
        assert post_join(requests.Session(), server.url, links["meeting_id"], links["join_code"], "127.0.0.1").status_code == 200

        # The meeting is full: a new phone is told so, in its language.
        page = context.new_page()
        page.goto(f"{server.url}/join?code={links['join_code']}&lang=fr")
        page.locator("#join-region").select_option("none")
        page.locator("#join-submit").click()
        expect(page.locator("#join-error")).to_contain_text("Cette réunion est complète")

        # This phone tries wrong codes (its device cookie goes with them): two, then its one
        # turn; then even the right code must wait, and the page says how long.
        wrong = wrong_code(links["join_code"])
        for _ in range(3):
            assert context.request.get(f"{server.url}/api/join/{wrong}").status == 404
        page = context.new_page()
        page.goto(f"{server.url}/join?code={links['join_code']}&lang=en")
        expect(page.locator("#join-error")).to_contain_text("Too many wrong codes were tried from this phone or network. Wait")
        expect(page.locator("#join-error")).to_contain_text(" seconds and try again.")

        # Another phone on the same network is not held up: it reaches the meeting (full).
        page = other_phone.new_page()
        page.goto(f"{server.url}/join?code={links['join_code']}&lang=en")
        page.locator("#join-region").select_option("none")
        page.locator("#join-submit").click()
        expect(page.locator("#join-error")).to_contain_text("This meeting is full")
    finally:
        context.close()
        other_phone.close()
        server.stop()
