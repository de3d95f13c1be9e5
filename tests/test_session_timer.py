"""The breakout timer belongs to its session (issue 19 #8): a session change ends it, so "Time is
up" does not carry into the next session; re-making the current session current keeps it."""

from __future__ import annotations

from facilitator.meeting.state import fold


def test_a_session_change_ends_the_timer_and_the_fold_agrees(meeting, clock):
    chair = meeting.connect(meeting.chair_key)
    board = meeting.connect(meeting.rapporteur_key("africa"))
    assert chair.op("session.set", session_id="s2-groups")["ok"]
    assert chair.op("timer.start", seconds=60)["ok"]
    clock.advance(61)  # time is up in Session 2
    assert board.view()["timer"]["ends_at"] < clock.now
    assert chair.op("session.set", session_id="s2-groups")["ok"]  # the same session: kept
    assert board.view()["timer"] is not None
    assert chair.op("session.set", session_id="s3-followup")["ok"]
    assert board.view()["timer"] is None and chair.view()["timer"] is None
    assert fold(meeting.hub.store.read(meeting.id)).timer is None  # a restart reads the same
    assert chair.op("timer.start", seconds=600)["ok"]  # the new session's own timer
    assert board.view()["timer"]["seconds"] == 600
