"""Does a slow machine-translation endpoint delay anything else? Prints figures only.

    .venv/bin/python bench/bench_translate.py [--ops 200]

Three runs of a real `run.py serve` (SQLite), each with a fresh GRCP7 meeting: no endpoint; the
stand-in LibreTranslate (tests/standin_translate.py) answering at once; the stand-in holding every
request unanswered (the server gives up after FACILITATOR_TRANSLATE_TIMEOUT, 10 s, per request).
In each, one rapporteur adds `--ops` English contributions one at a time (each asks for three
drafts: ar, fr, es) and the script measures op -> ack at the rapporteur, then reads the drafts'
state (`machine_translation`) from the translator's state endpoint.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=200)
    args = parser.parse_args()
    print(f"# {machine()}")
    print(HEADER)
    run("no endpoint", args.ops, None, False)
    standin = StandInTranslate().start()
    try:
        run("stand-in answering", args.ops, standin, False)
        run("stand-in holding every request", args.ops, standin, True)
    finally:
        standin.stop()


if __name__ == "__main__":
    main()
