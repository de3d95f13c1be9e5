"""The command-line contract that operators, tests and load tests use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_create_meeting_prints_one_json_object(tmp_path):
    out = run("create-meeting", "--agenda", "grcp7", "--data", str(tmp_path),
              "--base-url", "https://facilitator.example.org/", "--json")
    assert out.returncode == 0, out.stderr
    links = json.loads(out.stdout)
    assert set(links) >= {"meeting_id", "chair_url", "plenary_url", "join_url", "join_code", "groups"}
    mid = links["meeting_id"]
    assert links["chair_url"].startswith(f"https://facilitator.example.org/m/{mid}/chair?key=")
    assert links["plenary_url"].startswith(f"https://facilitator.example.org/m/{mid}/plenary?key=")
    assert links["join_url"] == f"https://facilitator.example.org/join?code={links['join_code']}"
    assert len(links["join_code"]) == 6 and not set(links["join_code"]) & set("0O1I")
    ids = [g["id"] for g in links["groups"]]
    assert {"africa", "americas", "asia-pacific", "europe-central-asia", "mena", "plenary",
            "un", "igo", "ngo", "academia", "private-sector"} <= set(ids)
    for g in links["groups"]:
        assert set(g) == {"id", "name", "rapporteur_url"}
        assert g["rapporteur_url"].startswith(f"https://facilitator.example.org/m/{mid}/board?key=")
    keys = [links["chair_url"], links["plenary_url"], *[g["rapporteur_url"] for g in links["groups"]]]
    assert len({k.split("key=")[1] for k in keys}) == len(keys)  # one secret per role and group
    # A second meeting in the same store gets new ids, keys and code.
    again = json.loads(run("create-meeting", "--agenda", "grcp7", "--data", str(tmp_path), "--json").stdout)
    assert again["meeting_id"] != mid and again["join_code"] != links["join_code"]


def test_agenda_by_path_and_bad_agenda(tmp_path):
    good = tmp_path / "mini.yaml"
    good.write_text(
        "title: Mini\nlanguages: [en]\ngroups: [{id: north, name: North}, {id: south, name: South}]\n"
        "sessions:\n  - id: s1\n    title: One\n    questions: [{id: q1, text: \"Why\"}]\n",
        encoding="utf-8",
    )
    out = run("create-meeting", "--agenda", str(good), "--data", str(tmp_path / "d"), "--json")
    assert out.returncode == 0, out.stderr
    assert [g["id"] for g in json.loads(out.stdout)["groups"]] == ["north", "south"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: Bad\ngroups: [{id: north, name: North}]\nsessions:\n  - id: s1\n    title: One\n    questions: [{id: q1}]\n", encoding="utf-8")
    out = run("create-meeting", "--agenda", str(bad), "--data", str(tmp_path / "d"), "--json")
    assert out.returncode != 0
    assert "sessions[0].questions[0].text" in out.stderr
    out = run("create-meeting", "--agenda", "no-such-agenda", "--data", str(tmp_path / "d"), "--json")
    assert out.returncode != 0 and "no-such-agenda" in out.stderr


def test_create_meeting_on_redis(tmp_path, redis_url):
    env_prefix = f"test-cli-{os.getpid()}"
    env = dict(os.environ, FACILITATOR_REDIS_PREFIX=env_prefix)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "create-meeting", "--agenda", "grcp7",
                          "--redis", redis_url, "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    mid = json.loads(out.stdout)["meeting_id"]
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{env_prefix}:*"))
    assert any(mid.encode() in k for k in keys)
    client.delete(*keys)
