"""Data at rest: the data folder and its files are created private (issue 10, point 11).

The SQLite file holds every meeting's keys, so nobody but the account that runs the server may
read it, nor its -wal and -shm companions, nor the demo marker beside them.
"""

from __future__ import annotations

import os
import stat

import requests

from support import ServerProcess, key_of


class DemoServer(ServerProcess):
    """The server as `make run` starts it: with the demo meeting, on a data folder not yet made."""

    def command(self):
        return super().command() + ["--demo"]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_fresh_data_folder_and_its_files_are_private(tmp_path):
    data = tmp_path / "data" / "store"  # neither exists yet: the server makes them
    server = DemoServer(str(data))
    server.log_path = str(tmp_path / "server.log")  # the harness's log must not sit in the folder
    server.start()
    try:
        links = server.create_meeting()
        mid = links["meeting_id"]
        r = requests.post(f"{server.url}/api/m/{mid}/participants",
                          json={"code": links["join_code"], "region": None, "lang": "en"})
        assert r.status_code == 200, r.text
        # The server wrote through the WAL: the companions exist now, with the file's mode.
        r = requests.get(f"{server.url}/api/m/{mid}/state", params={"key": key_of(links["chair_url"])})
        assert r.status_code == 200
        names = sorted(os.listdir(data))
        assert {"facilitator.sqlite3", "facilitator.sqlite3-wal", "facilitator.sqlite3-shm",
                "demo-meeting.json"} <= set(names), names
        assert mode(data) == 0o700
        for name in names:
            assert mode(data / name) == 0o600, (name, oct(mode(data / name)))
    finally:
        server.stop()


def test_an_existing_folder_keeps_the_mode_its_owner_chose(tmp_path):
    data = tmp_path / "shared"
    data.mkdir()
    os.chmod(data, 0o750)
    server = ServerProcess(str(data))
    server.log_path = str(tmp_path / "server.log")
    server.start()
    try:
        server.create_meeting()
        assert mode(data) == 0o750
        assert mode(data / "facilitator.sqlite3") == 0o600  # the file is new: private
    finally:
        server.stop()
