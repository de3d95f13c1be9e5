"""Does a slow machine-translation endpoint delay anything else? Prints figures only.

    .venv/bin/python bench/bench_translate.py [--ops 200]

Three runs of a real `run.py serve` (SQLite), each with a fresh GRCP7 meeting: no endpoint; the
stand-in LibreTranslate (tests/standin_translate.py) answering at once; the stand-in holding every
request unanswered (the server gives up after FACILITATOR_TRANSLATE_TIMEOUT, 10 s, per request).
In each, one rapporteur adds `--ops` English contributions one at a time (each asks for three
drafts: ar, fr, es) and the script measures op -> ack at the rapporteur, then reads the drafts'
state (`machine_translation`) from the translator's state endpoint.

Then the hostile endpoint of issue 20 (6), each a fresh server: two meetings on one process, one
adding texts the endpoint answers 400 to (and texts tagged `de`) between the other's `--others`
texts: how many of the other meeting's drafts came (the review saw 123 of 180); and a stand-in
that trickles every reply a byte every 3 s (FACILITATOR_TRANSLATE_TIMEOUT 2): how long each
request held a worker, from the server's own count of errors over the wall clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import HEADER, BenchServer, key_of, machine, row, summary  # noqa: E402
from tests.support import Client  # noqa: E402
from tests.standin_translate import StandInTranslate  # noqa: E402

import requests  # noqa: E402


def run(label: str, ops: int, standin: StandInTranslate | None, hold: bool) -> None:
    env = {}
    if standin is not None:
        env = {"FACILITATOR_TRANSLATE_URL": standin.url, "FACILITATOR_TRANSLATE_TIMEOUT": "10"}
        if hold:
            standin.hold()
    server = BenchServer("sqlite", env=env).start()
    client = None
    try:
        links = server.create_meeting()
        meeting_id = links["meeting_id"]
        rapporteur = next(g for g in links["groups"] if g["id"] == "africa")["rapporteur_url"]
        client = Client(server.url, meeting_id, key_of(rapporteur))
        times = []
        for n in range(ops):
            started = time.perf_counter()
            ack = client.op("contribution.add", question_id="s2-q1", lang="en", kind="good_practice",
                            agreement="consensus", text=f"Portable social protection, point {n}.")
            times.append(time.perf_counter() - started)
            assert ack["ok"], ack
        state = requests.get(f"{server.url}/api/m/{meeting_id}/state",
                             params={"key": key_of(links["translator_url"])}, timeout=30).json()
        print(row(f"{label}: op -> ack", summary(times)))
        drafts = state["machine_translation"]
        print(f"{'':<4}drafts: status {drafts['status']}, drafted {drafts['drafted']}, "
              f"waiting {drafts['pending']}, dropped {drafts['dropped']}")
    finally:
        if client is not None:
            client.close()
        if standin is not None:
            standin.release()
        server.close()


def drafts_of(server, links) -> dict:
    return requests.get(f"{server.url}/api/m/{links['meeting_id']}/state",
                        params={"key": key_of(links["translator_url"])}, timeout=30).json()["machine_translation"]


def wait_drained(server, links, timeout: float = 300) -> dict:
    deadline = time.time() + timeout
    while True:
        status = drafts_of(server, links)
        if status["pending"] == 0 or time.time() > deadline:
            return status
        time.sleep(0.2)


def run_two_meetings(others: int, standin: StandInTranslate) -> None:
    server = BenchServer("sqlite", env={"FACILITATOR_TRANSLATE_URL": standin.url}).start()
    clients = []
    try:
        noisy, quiet = server.create_meeting(), server.create_meeting()
        rapporteur = lambda links: key_of(next(g for g in links["groups"] if g["id"] == "africa")["rapporteur_url"])  # noqa: E731
        bad = Client(server.url, noisy["meeting_id"], rapporteur(noisy))
        good = Client(server.url, quiet["meeting_id"], rapporteur(quiet))
        clients += [bad, good]
        for n in range(others):
            refused = f"A text the endpoint refuses, number {n}."
            standin.refuse.add(refused)
            for client, text, lang in ((bad, refused, "en"), (bad, f"Ein deutscher Text, Nummer {n}.", "de"),
                                       (good, f"The other meeting's point {n}.", "en")):
                assert client.op("contribution.add", question_id="s2-q1", lang=lang, kind="good_practice",
                                 agreement="consensus", text=text)["ok"]
        wait_drained(server, quiet)

        def drafted() -> int:
            state = requests.get(f"{server.url}/api/m/{quiet['meeting_id']}/state",
                                 params={"key": key_of(quiet["translator_url"])}, timeout=30).json()
            return sum(len(c["translations"]) for c in state["contributions"])

        deadline = time.time() + 30  # the queue is empty: the last requests may still be in flight
        while (got := drafted()) < 3 * others and time.time() < deadline:
            time.sleep(0.2)
        status = drafts_of(server, quiet)
        sent_de = sum(1 for r in standin.requests if r["source"] == "de")
        print(f"{'':<4}hostile 4xx in one meeting: the other got {got} of {3 * others} drafts; "
              f"status {status['status']}, errors {status['errors']}, requests from de {sent_de}")
    finally:
        for client in clients:
            client.close()
        server.close()


def run_trickle(texts: int, standin: StandInTranslate) -> None:
    server = BenchServer("sqlite", env={"FACILITATOR_TRANSLATE_URL": standin.url,
                                        "FACILITATOR_TRANSLATE_TIMEOUT": "2"}).start()
    client = None
    standin.misbehave, standin.trickle_every = "trickle", 3.0
    try:
        links = server.create_meeting()
        client = Client(server.url, links["meeting_id"],
                        key_of(next(g for g in links["groups"] if g["id"] == "africa")["rapporteur_url"]))
        started = time.perf_counter()
        for n in range(texts):
            assert client.op("contribution.add", question_id="s2-q1", lang="en", kind="good_practice",
                             agreement="consensus", text=f"Trickled point {n}.")["ok"]
        deadline = time.time() + 120
        while drafts_of(server, links)["errors"] < 3 * texts and time.time() < deadline:
            time.sleep(0.2)
        wall = time.perf_counter() - started
        status = drafts_of(server, links)
        print(f"{'':<4}trickle (1 byte / 3 s, deadline 2 s): {status['errors']} requests given up in "
              f"{wall:.1f} s (2 workers, back-off between failures), status {status['status']}")
    finally:
        standin.misbehave = None
        if client is not None:
            client.close()
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--others", type=int, default=60, help="texts of the quiet meeting in the 4xx run")
    args = parser.parse_args()
    print(f"# {machine()}")
    print(HEADER)
    run("no endpoint", args.ops, None, False)
    standin = StandInTranslate().start()
    try:
        run("stand-in answering", args.ops, standin, False)
        run("stand-in holding every request", args.ops, standin, True)
        standin.requests.clear()
        run_two_meetings(args.others, standin)
        run_trickle(2, standin)
    finally:
        standin.stop()


if __name__ == "__main__":
    main()
