"""The analysis runs in a worker process `run.py serve` starts (web/analysis_worker.py): while it
embeds a large meeting, the server acks ops and answers GET /synthesis from what it has; the
result then comes with the seq it reflects. A real server process, SQLite, the semantic engine."""
from __future__ import annotations

import os
import sqlite3

import pytest
import requests

import synthesis_eval as ev
from support import ServerProcess, key_of, synthesis_at, wait_until
from facilitator import provisioning
from facilitator.meeting.embedding import shared_embedder
from facilitator.store import open_store
from facilitator.store.sqlite import sqlite_path

SEEDED = 120  # texts the worker must embed before its first result: seconds of work


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def the_worker(server) -> int | None:
    found = [p for p in children(server.proc.pid) if "facilitator.web.analysis_worker" in cmdline(p)]
    return found[0] if found else None


def seed(server, meeting_id: str) -> None:
    texts = ev.load("dev")
    groups = ["africa", "americas", "asia-pacific", "europe-central-asia", "mena"]
    items = [{"group": groups[i % 5], "question": ["s2-q2", "s2-q3", "s2-q4"][i % 3],
              "text": f"{texts[i % len(texts)]['text']} ({i})", "lang": texts[i % len(texts)]["lang"],
              "kind": "recommendation", "agreement": "consensus"} for i in range(SEEDED)]
    store = open_store(server.data_dir, None)
    try:
        provisioning.seed_contributions(store, meeting_id, items)
    finally:
        store.close()


def test_ops_are_acked_while_the_worker_embeds_a_large_meeting(tmp_path, connect):
    if not shared_embedder().available():
        pytest.skip("semantic engine unavailable")
    server = ServerProcess(str(tmp_path))
    links = server.create_meeting()
    mid, chair = links["meeting_id"], key_of(links["chair_url"])
    seed(server, mid)
    server.start(timeout=60)
    try:
        worker = wait_until(lambda: the_worker(server), "the analysis worker process")
        # the synthesis as it is: nothing computed yet for this meeting, and that is said at once
        first = requests.get(f"{server.url}/api/m/{mid}/synthesis", params={"key": chair}, timeout=10).json()
        assert first["pending"] is True and first["seq"] == 0 and first["questions"] == []
        busy_from = cpu_seconds(worker)
        wait_until(lambda: cpu_seconds(worker) > busy_from + 1.0, "the worker at work", timeout=60)

        rap = connect(server.url, mid, key_of(next(g for g in links["groups"] if g["id"] == "africa")["rapporteur_url"]))
        ack = rap.op("contribution.add", question_id="s2-q2", text="Portable social protection for migrant workers",
                     lang="en", kind="recommendation", agreement="consensus")
        assert ack["ok"], ack
        during = requests.get(f"{server.url}/api/m/{mid}/synthesis", params={"key": chair}, timeout=10).json()
        # acked and answered while the analysis of the seeded texts had not finished
        assert during["pending"] is True, "the analysis finished before the op: no proof of anything"
        assert the_worker(server) == worker  # one worker, the same one, still at work

        result = synthesis_at(server.url, mid, chair, ack["seq"], timeout=600)
        assert result["seq"] >= ack["seq"] and result["method"]["engine"] == "semantic"
        assert sum(len(q["unique"]) + sum(len(p["contributions"]) for p in q["converging"])
                   for q in result["questions"]) == SEEDED + 1
        # the worker wrote the vectors into the server's store, for the next start to read back
        db = sqlite3.connect(sqlite_path(server.data_dir))
        try:
            (stored,) = db.execute("SELECT count(*) FROM vectors WHERE fingerprint = ?",
                                   (result["method"]["fingerprint"],)).fetchone()
        finally:
            db.close()
        assert stored == SEEDED + 1
    finally:
        server.kill()  # kill -9: the worker must not outlive its server
    wait_until(lambda: not os.path.exists(f"/proc/{worker}") or "analysis_worker" not in cmdline(worker),
               "the worker gone with its server")
