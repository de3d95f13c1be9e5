"""Issue 20, point 3: one phone guessing join codes behind a venue's NAT. Prints figures.

    .venv/bin/python bench/bench_join.py [--seconds 65] [--guesser phone,script,fresh] [--redis]

A real `run.py serve` (SQLite, or with --redis two processes on the shared Redis, the guesses
and joins alternating between them) with the default join budgets. Everyone is 127.0.0.1, one
address, as a venue behind its NAT is. For `--seconds`:

- the guesser sends 30 wrong codes every 30 s (one burst of 30 lookups as fast as answered, then
  a pause), as issue 20 saw: `phone` keeps the device cookie the join page gave it (a browser),
  `script` sends no cookie at all, `fresh` opens the join page before every guess for a new
  cookie (the worst case: it meets the address's budget);
- other phones join with the right code, about two a second (129 in 65 s in the issue): each a
  new browser that opens the join page, looks the code up and joins, as static/js/join.js does.

Prints, per guesser: correct joins that got in, of how many, and the time each took (lookup +
join, p50 / p95 / max); the guesser's answers (checked wrong, 429 refused) and how long its
attempts were held; the machine's load.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests  # noqa: E402

from common import REDIS_URL, machine, percentile  # noqa: E402
from tests.support import ServerProcess, processes_on_redis  # noqa: E402


def guess(stop_at: float, urls: list[str], wrong: str, kind: str, out: dict) -> None:
    session = requests.Session()
    if kind != "script":
        session.get(urls[0] + "/join", timeout=30)
    n = 0
    while time.time() < stop_at:
        burst_end = time.time() + 30
        for _ in range(30):
            if time.time() >= stop_at:
                return
            url = urls[n % len(urls)]
            n += 1
            if kind == "fresh":
                session = requests.Session()
                session.get(url + "/join", timeout=30)
            started = time.time()
            r = (requests.get if kind == "script" else session.get)(f"{url}/api/join/{wrong}", timeout=60)
            out["held"].append(time.time() - started)
            out[r.status_code] = out.get(r.status_code, 0) + 1
        time.sleep(max(0.0, burst_end - time.time()))


def join(stop_at: float, urls: list[str], meeting_id: str, code: str, out: dict) -> None:
    n = 0
    while time.time() < stop_at:
        url = urls[n % len(urls)]
        n += 1
        started = time.time()
        phone = requests.Session()
        phone.get(url + "/join", timeout=30)
        looked = phone.get(f"{url}/api/join/{code}", timeout=60)
        ok = looked.status_code == 200
        if ok:
            joined = phone.post(f"{url}/api/m/{meeting_id}/participants", json={"code": code, "lang": "en"}, timeout=60)
            ok = joined.status_code == 200
        took = time.time() - started
        out["tried"] += 1
        if ok:
            out["in"] += 1
            out["took"].append(took)
        else:
            out["refused"] += 1
        time.sleep(max(0.0, started + 0.5 - time.time()))


def run(servers: list[ServerProcess], kind: str, seconds: float) -> None:
    links = servers[0].create_meeting()
    code = links["join_code"]
    wrong = "ZZZZZ2" if code != "ZZZZZ2" else "ZZZZZ3"
    urls = [s.url for s in servers]
    stop_at = time.time() + seconds
    guessed = {"held": []}
    joined = {"tried": 0, "in": 0, "refused": 0, "took": []}
    threads = [threading.Thread(target=guess, args=(stop_at, urls, wrong, kind, guessed)),
               threading.Thread(target=join, args=(stop_at, urls, links["meeting_id"], code, joined))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took, held = sorted(joined["took"]), sorted(guessed["held"])
    print(f"guesser {kind}: correct joins {joined['in']} of {joined['tried']} got in "
          f"(lookup + join p50 {percentile(took, 50):.3f} / p95 {percentile(took, 95):.3f} / max {took[-1] if took else float('nan'):.3f} s); "
          f"its {len(held)} guesses: {guessed.get(404, 0)} checked wrong, {guessed.get(429, 0)} refused 429, "
          f"held p50 {percentile(held, 50):.2f} / max {held[-1] if held else float('nan'):.2f} s; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=65)
    parser.add_argument("--guesser", default="phone,script,fresh")
    parser.add_argument("--redis", action="store_true", help="two processes on the shared Redis")
    args = parser.parse_args()
    print(machine())
    import tempfile
    from pathlib import Path

    for kind in args.guesser.split(","):
        tmp = Path(tempfile.mkdtemp(prefix="facjoin-"))
        if args.redis:
            with processes_on_redis(tmp, REDIS_URL, {}) as servers:
                run(servers, kind, args.seconds)
        else:
            server = ServerProcess(str(tmp)).start()
            try:
                run([server], kind, args.seconds)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
