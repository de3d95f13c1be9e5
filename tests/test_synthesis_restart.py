"""Sentence vectors outlive a restart: the live views read them back from the store (SQLite and
Redis) instead of embedding every contribution again. In process, real stores, no sleeps."""
import itertools

import pytest

from facilitator import provisioning
from facilitator.meeting import roles
from facilitator.meeting.agenda import load_agenda
from facilitator.meeting.embedding import shared_embedder
from facilitator.meeting.synthesis import Synthesizer
from facilitator.store import open_store
from facilitator.web.hub import Hub
from facilitator.web.live import LiveViews

TEXTS = [
    ("africa", "fr", "Créer un observatoire régional des données sur les migrations de travail."),
    ("mena", "ar", "إنشاء مرصد إقليمي مشترك للبيانات حول هجرة اليد العاملة"),
    ("asia-pacific", "en", "Establish a shared regional labour-migration data observatory"),
    ("americas", "es", "Orientación previa a la partida para los trabajadores migrantes."),
    ("europe-central-asia", "en", "Pre-departure orientation for migrant workers reduces exploitation"),
]


class NoSockets:
    """The live push loop is not under test here: compute() (its run) is called directly."""

    def start_background_task(self, fn, *args):
        pass


@pytest.fixture(params=["sqlite", "redis"])
def store_args(request, tmp_path):
    if request.param == "redis":
        redis_url = request.getfixturevalue("redis_url")
        prefix = f"test-vec-{tmp_path.name[-12:]}"
        yield (None, redis_url, prefix)
        import redis
        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(match=f"{prefix}:*"))
        if keys:
            r.delete(*keys)
        r.close()
    else:
        yield (str(tmp_path / "data"), None, "fac")


def live_views(store):
    if not shared_embedder().available():
        pytest.skip("semantic engine unavailable")
    hub = Hub(store, emit=lambda room, payload: None)
    synthesizers = []

    def factory():
        synthesizers.append(Synthesizer(engine="semantic", embedder=shared_embedder()))
        return synthesizers[-1]

    return hub, LiveViews(hub, NoSockets(), factory), synthesizers


def test_vectors_are_read_back_after_a_restart(store_args):
    store = open_store(*store_args)
    meeting_id, _ = provisioning.create_meeting(store, load_agenda("grcp7"))
    hub, live, synths = live_views(store)
    for n, (group, lang, text) in enumerate(TEXTS):
        ack = hub.submit(meeting_id, roles.Actor(roles.RAPPORTEUR, group_id=group),
                         {"op_id": f"op-{n:05d}", "type": "contribution.add", "question_id": "s2-q2",
                          "text": text, "lang": lang, "kind": "good_practice", "agreement": "consensus"})
        assert ack["ok"], ack
    first = live.compute(meeting_id)
    assert synths[0].embedded == len(TEXTS)
    store.close()

    store = open_store(*store_args)  # a new process: new store object, new synthesizer
    hub, live, synths = live_views(store)
    second = live.compute(meeting_id)
    assert synths[0].embedded == 0
    question = lambda r: next(q for q in r["questions"] if q["question_id"] == "s2-q2")  # noqa: E731
    assert question(second)["converging"] == question(first)["converging"]
    assert len(question(second)["converging"]) == 2
    store.close()
