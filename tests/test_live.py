"""live.Coalescer: the one 'marked set + background task per meeting' behind the synthesis and
the ballot results. The background tasks run when the test says so; no sleeps, no server."""
from __future__ import annotations

from facilitator.store import StoreUnavailable
from facilitator.web.live import Coalescer


class Tasks:
    """Stands in for socketio's task starter: records tasks, runs them on demand, never sleeps."""

    def __init__(self):
        self.started: list = []
        self.slept: list = []

    def start_background_task(self, fn, *args):
        self.started.append((fn, args))

    def sleep(self, seconds):
        self.slept.append(seconds)

    def run_all(self):
        while self.started:
            fn, args = self.started.pop(0)
            fn(*args)


def test_marks_gather_into_one_run_per_meeting():
    tasks, runs = Tasks(), []
    coalescer = Coalescer(tasks, lambda m, items: runs.append((m, sorted(items))), 0.25,
                          wait_first=False, name="test")
    for item in ("b2", "b1", "b2"):
        coalescer.mark("m1", item)
    coalescer.mark("m2", "b9")
    assert len(tasks.started) == 2  # one task per meeting, however many marks
    tasks.run_all()
    assert runs == [("m1", ["b1", "b2"]), ("m2", ["b9"])]
    assert tasks.slept == [0.25, 0.25]


def test_a_mark_made_while_working_is_taken_by_the_same_task():
    tasks, runs = Tasks(), []

    def work(meeting_id, items):
        runs.append(sorted(items))
        if len(runs) == 1:
            coalescer.mark(meeting_id, "late")

    coalescer = Coalescer(tasks, work, 1.0, wait_first=True, name="test")
    coalescer.mark("m1")
    tasks.run_all()
    assert runs == [[None], ["late"]]
    assert tasks.slept == [1.0, 1.0, 1.0]  # the burst wait, then one interval after each run


def test_items_stay_marked_while_the_store_is_down():
    tasks, runs = Tasks(), []

    def work(meeting_id, items):
        if not runs:
            runs.append("down")
            raise StoreUnavailable("redis down")
        runs.append(sorted(items))

    coalescer = Coalescer(tasks, work, 0.25, wait_first=False, name="test")
    coalescer.mark("m1", "b1")
    tasks.run_all()
    assert runs == ["down", ["b1"]]


def test_a_failed_run_frees_the_meeting_for_the_next_mark():
    tasks, runs = Tasks(), []

    def work(meeting_id, items):
        runs.append(sorted(items))
        if len(runs) == 1:
            raise ValueError("a bug in a recomputation")

    coalescer = Coalescer(tasks, work, 0.25, wait_first=False, name="test")
    coalescer.mark("m1", "b1")
    tasks.run_all()
    coalescer.mark("m1", "b2")
    assert len(tasks.started) == 1
    tasks.run_all()
    assert runs == [["b1"], ["b2"]]


def test_a_long_run_spaces_out_the_next_ones_to_its_share():
    """A synthesis that takes 0.9 s on a huge meeting may use a quarter of the time: it waits
    2.7 s before the next run, not the 1 s debounce; a quick run keeps the debounce."""
    tasks, now = Tasks(), [0.0]
    lengths = iter([0.9, 0.1])

    def work(meeting_id, items):
        now[0] += next(lengths)
        if len(tasks.slept) == 1:
            coalescer.mark(meeting_id, "again")

    coalescer = Coalescer(tasks, work, 1.0, wait_first=True, name="test", share=0.25,
                          clock=lambda: now[0])
    coalescer.mark("m1")
    tasks.run_all()
    assert tasks.slept == [1.0, 0.9 * 3, 1.0]


def test_work_done_elsewhere_waits_the_interval_from_each_runs_start():
    """In the analysis worker (share 1) a run holds nothing here: runs start at most once per
    interval, and a run as long as the interval is its own wait (a contribution made during a
    2 s run of a 3,000-contribution meeting is not held a further second)."""
    tasks, now = Tasks(), [0.0]
    lengths = iter([0.3, 2.0, 0.1])

    def work(meeting_id, items):
        now[0] += next(lengths)
        if len(tasks.slept) <= 2:
            coalescer.mark(meeting_id, "again")

    coalescer = Coalescer(tasks, work, 1.0, wait_first=True, name="test", clock=lambda: now[0],
                          from_start=True)
    coalescer.mark("m1")
    tasks.run_all()
    assert [round(t, 6) for t in tasks.slept] == [1.0, 0.7, 0.0, 0.9]
