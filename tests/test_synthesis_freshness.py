"""The synthesis as the live views serve it (web/live.py): requests are answered from the last
result with the seq it reflects and never compute; the debounced run computes, whoever asks;
the report waits for a result that reflects the log. In process, the hub on a real SQLite store,
the lexical engine, background tasks run when the test says so (no sleeps)."""
from __future__ import annotations

from facilitator.meeting.synthesis import Synthesizer
from facilitator.web.live import LiveViews

Q = "s2-q2"


class Tasks:
    """socketio's task starter and sleep: tasks run on demand, or when a request sleeps (the
    report's wait); a task's own sleeps are only recorded."""

    def __init__(self):
        self.started: list = []
        self._running = False

    def start_background_task(self, fn, *args):
        self.started.append((fn, args))

    def sleep(self, seconds):
        if not self._running:
            self.run_all()

    def run_all(self):
        self._running = True
        try:
            while self.started:
                fn, args = self.started.pop(0)
                fn(*args)
        finally:
            self._running = False


class Counted:
    """The in-process analysis, counting its runs."""

    def __init__(self, inner):
        self.inner, self.runs = inner, 0

    def describe(self):
        return self.inner.describe()

    def publish(self, *args):
        self.runs += 1
        return self.inner.publish(*args)

    def suggestions(self, *args):
        return self.inner.suggestions(*args)


def views(meeting):
    tasks = Tasks()
    live = LiveViews(meeting.hub, tasks, lambda: Synthesizer(engine="lexical"))
    live.analysis = Counted(live.analysis)
    return tasks, live


def add(meeting, group, text):
    ack = meeting.connect(meeting.rapporteur_key(group)).op(
        "contribution.add", question_id=Q, text=text, lang="en", kind="recommendation", agreement="consensus")
    assert ack["ok"], ack
    return ack


def test_a_request_gets_the_last_result_and_never_computes(meeting):
    tasks, live = views(meeting)
    first = live.synthesis(meeting.id)
    assert first["pending"] is True and first["seq"] == 0 and first["questions"] == []
    assert live.analysis.runs == 0 and len(tasks.started) == 1  # scheduled, not computed
    add(meeting, "africa", "Bilateral labour agreements that protect migrant workers")
    assert len(tasks.started) == 1  # the same run will take it
    tasks.run_all()
    assert live.analysis.runs == 1
    computed = live.synthesis(meeting.id)
    assert computed["seq"] == meeting.hub.state(meeting.id).seq and "pending" not in computed

    ack = add(meeting, "mena", "Labour agreements between countries protecting migrant workers' rights")
    for _ in range(3):  # asked again and again: the same result, nothing computed
        assert live.synthesis(meeting.id) is computed
    assert live.analysis.runs == 1 and not live.is_fresh(meeting.id)
    tasks.run_all()  # the debounced run the event marked
    assert live.analysis.runs == 2 and live.synthesis(meeting.id)["seq"] == ack["seq"]
    assert live.is_fresh(meeting.id)


def test_the_report_waits_for_a_synthesis_that_reflects_the_log(meeting):
    tasks, live = views(meeting)
    add(meeting, "africa", "Bilateral labour agreements that protect migrant workers")
    tasks.run_all()
    ack = add(meeting, "mena", "Labour agreements between countries protecting migrant workers' rights")
    assert live.synthesis(meeting.id)["seq"] < ack["seq"]
    report = live.fresh_synthesis(meeting.id)
    assert report["seq"] == ack["seq"] and live.analysis.runs == 2
    (question,) = [q for q in report["questions"] if q["question_id"] == Q]
    assert len(question["converging"]) == 1  # the second text is in it


def test_a_chair_decision_and_a_vote_mark_the_synthesis_a_timer_does_not(meeting):
    tasks, live = views(meeting)
    add(meeting, "africa", "Bilateral labour agreements that protect migrant workers")
    tasks.run_all()
    chair = meeting.connect(meeting.chair_key)
    assert chair.op("timer.start", seconds=60)["ok"]
    assert not tasks.started and live.is_fresh(meeting.id)
    assert chair.op("plenary.show_suggestions", shown=True)["ok"]
    assert len(tasks.started) == 1 and not live.is_fresh(meeting.id)


def test_a_pushed_synthesis_is_the_same_bytes_when_encoded_beforehand():
    """The worker encodes the synthesis (wire.RawJSON); the loop splices it into the live
    event, and the Redis queue into its message: the same JSON as encoding the whole payload."""
    import json

    from facilitator.web import wire

    synthesis = {"questions": [{"question_id": "q1", "converging": [{"title": "مرصد", "score": 0.5}]}],
                 "seq": 7}
    payload = {"type": "synthesis.updated", "synthesis": synthesis, "live": True, "seq": 9, "ts": 1.5}
    whole = wire.dumps(payload)
    raw = dict(payload, synthesis=wire.RawJSON(wire.dumps(synthesis)))
    assert wire.dumps(raw) == whole
    assert wire.dumps({"synthesis": "plain text"}) == '{"synthesis":"plain text"}'
    # as a packet's arguments (the library's encode, when the Redis queue delivers in this host)
    assert wire.dumps(["event", raw]) == wire.dumps(["event", payload])
    message = {"method": "emit", "event": "event", "data": [raw], "room": "m:staff"}  # as published
    assert json.loads(wire.QueueJSON.dumps(message)) == dict(message, data=[payload])
    # a text that looks like the queue's mark stays a text
    tricky = {"method": "emit", "data": [{"a": "\u0000raw-0", "b": wire.RawJSON("[1]")}]}
    assert json.loads(wire.QueueJSON.dumps(tricky)) == {"method": "emit", "data": [{"a": "\u0000raw-0", "b": [1]}]}
