"""Appends per second for each event store (bounded: N appends, one meeting).

    .venv/bin/python bench/bench_store.py [N] [--redis URL]

SQLite runs in a temporary directory; Redis (default redis://127.0.0.1:6379/0)
under a throw-away key prefix that is deleted afterwards. Skipped if unreachable.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from facilitator.store import open_store  # noqa: E402

EVENT = {"type": "contribution.added", "ts": 0.0, "group_id": "g1", "question_id": "q1",
         "text": "تعزيز التعاون الإقليمي في مجال الهجرة الآمنة والمنظمة والنظامية " * 2,
         "kind": "good_practice", "agreement": "consensus", "lang": "ar"}


def bench(store, n: int) -> tuple[float, float]:
    store.create_meeting("bench", {"join_code": "BENCH"}, [{"type": "meeting.created"}])
    seq = 1
    t0 = time.perf_counter()
    for i in range(n):
        seq, _ = store.append("bench", f"op-{i}", EVENT, seq)
    appends = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    got = 0
    after = 0
    while True:
        page = store.read("bench", after=after, limit=1000)
        if not page:
            break
        got += len(page)
        after = page[-1]["seq"]
    reads = got / (time.perf_counter() - t0)
    assert got == n + 1
    return appends, reads


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=2000)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp, None)
        a, r = bench(store, args.n)
        store.close()
        print(f"sqlite (WAL, synchronous=FULL): {a:10.0f} appends/s  {r:10.0f} events read/s")

    try:
        import redis
        client = redis.Redis.from_url(args.redis, socket_connect_timeout=1)
        client.ping()
        fsync = client.config_get("appendfsync").get("appendfsync", "?")
        aof = client.config_get("appendonly").get("appendonly", "?")
    except Exception as e:  # noqa: BLE001
        print(f"redis: skipped ({e})")
        return
    prefix = f"facbench-{uuid.uuid4().hex[:8]}"
    store = open_store(None, args.redis, prefix)
    try:
        a, r = bench(store, args.n)
        print(f"redis (appendonly={aof}, appendfsync={fsync}): {a:10.0f} appends/s  "
              f"{r:10.0f} events read/s")
    finally:
        store.close()
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


if __name__ == "__main__":
    main()
