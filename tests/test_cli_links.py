"""The links `make run` and create-meeting print, grouped by the session each group works in
(issue 19 #8): eleven rapporteur links read as a list of sessions, each link once."""

from __future__ import annotations

import json

from test_cli import run


def test_the_printed_links_say_which_session_each_group_works_in(tmp_path):
    out = run("create-meeting", "--agenda", "grcp7", "--data", str(tmp_path), "--base-url", "https://f.example.org")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    boards = [line for line in lines if "/board?key=" in line]
    assert len(boards) == 11 and len({line.split("key=")[1] for line in boards}) == 11
    headers = {i: line.strip() for i, line in enumerate(lines) if line.startswith("  ") and not line.startswith("    ")
               and line.rstrip().endswith(":")}

    def session_of(name: str) -> str:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"rapporteur, {name}:"))
        return headers[max(i for i in headers if i < at)]

    assert session_of("Africa").startswith("Session 2: Contributions and recommendations") and "sub-groups" in session_of("Africa")
    assert session_of("Academia").startswith("Session 3 – Discussion on partner contributions")
    assert session_of("Plenary").startswith("Session 1:")
    follow_up = next(i for i, text in headers.items() if text.startswith("Session 3 – Discussion on the follow-up"))
    assert lines[follow_up + 1].strip().startswith("also, with the links above: Africa, Americas")
    for role in ("chair console:", "plenary dashboard:", "participants join:", "translation desk:"):
        assert any(line.strip().startswith(role) for line in lines), role


def test_the_json_lists_each_session_with_its_groups(tmp_path):
    out = run("create-meeting", "--agenda", "grcp7", "--data", str(tmp_path), "--json")
    links = json.loads(out.stdout)
    sessions = {s["id"]: s for s in links["sessions"]}
    assert sessions["s2-groups"]["groups"] == ["africa", "americas", "asia-pacific", "europe-central-asia", "mena"]
    assert sessions["s1"]["groups"] == ["plenary"] and sessions["s1"]["title"].startswith("Session 1")
    assert {g for s in links["sessions"] for g in s["groups"]} == {g["id"] for g in links["groups"]}
