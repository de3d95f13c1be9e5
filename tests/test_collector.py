"""web/collector.py: what survives is frozen out of the cyclic collector's sight, and a full
collection now and then frees the cycles among it. No sleeps: the ticks are called here."""
from __future__ import annotations

import gc
import weakref

import pytest

from facilitator.web.collector import CollectorPolicy


class Recorder:
    """The gc functions the policy calls, recorded (the schedule, not the collector, is tested)."""

    def __init__(self):
        self.calls: list[str] = []

    def collect(self):
        self.calls.append("collect")
        return 0

    def freeze(self):
        self.calls.append("freeze")

    def unfreeze(self):
        self.calls.append("unfreeze")

    def get_freeze_count(self):
        return 0


def test_each_tick_freezes_and_a_full_collection_comes_once_per_period():
    now, recorder = [0.0], Recorder()
    policy = CollectorPolicy(freeze_every=10, full_every=60, clock=lambda: now[0], collector=recorder)
    policy.start()
    assert recorder.calls == ["collect", "freeze"]
    recorder.calls.clear()
    for t in (10, 20, 30, 40, 50):
        now[0] = t
        policy.tick()
    assert recorder.calls == ["freeze"] * 5 and policy.fulls == 0
    now[0] = 60
    policy.tick()
    assert recorder.calls[5:] == ["unfreeze", "collect", "freeze"] and policy.fulls == 1
    now[0] = 70
    policy.tick()  # the period counts from that full collection
    assert recorder.calls[8:] == ["freeze"] and policy.fulls == 1


class Node:
    def __init__(self):
        self.other = None


@pytest.fixture
def thawed():
    yield
    gc.unfreeze()  # the test process's collector as it was


def test_a_frozen_cycle_is_freed_by_the_next_full_collection(thawed):
    now = [0.0]
    policy = CollectorPolicy(freeze_every=10, full_every=60, clock=lambda: now[0])
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: its reference counts never reach zero
    gone = weakref.ref(a)
    now[0] = 10
    policy.tick()  # frozen while still in use
    del a, b
    gc.collect()
    assert gone() is not None, "a frozen cycle is out of the automatic collections' sight"
    assert gc.get_freeze_count() > 0
    now[0] = 60
    policy.tick()
    assert gone() is None and policy.fulls == 1
