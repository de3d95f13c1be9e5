"""SQLite event store: one file for all meetings, WAL, synchronous=FULL.

An append commits (and so fsyncs the WAL) before it returns. Appends run
inside ``BEGIN IMMEDIATE`` so that several processes on one file serialise;
inside one process a lock serialises threads / green threads sharing the
writer connection. ``append_many`` commits several events in one transaction,
one fsync (group commit). Reads use a second connection and never wait for a
write in progress.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time

from .base import (DuplicateOps, EventStore, JoinCodeTaken, MeetingExists, SeqConflict,
                   StoreError, UnknownMeeting, check_new_meeting, check_secret_path,
                   dump_event, load_event, with_secret)

BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meetings (
    ord        INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id TEXT NOT NULL UNIQUE,
    secrets    TEXT NOT NULL,
    created    REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS join_codes (
    code       TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    meeting_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    op_id      TEXT,
    json       TEXT NOT NULL,
    PRIMARY KEY (meeting_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS events_op
    ON events (meeting_id, op_id) WHERE op_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS vectors (
    fingerprint TEXT NOT NULL,
    key         TEXT NOT NULL,
    vec         BLOB NOT NULL,
    PRIMARY KEY (fingerprint, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reads (
    meeting_id TEXT NOT NULL,
    reader     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, reader)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS participants (
    meeting_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    json       TEXT NOT NULL,
    PRIMARY KEY (meeting_id, key)
) WITHOUT ROWID;
"""


class SQLiteStore(EventStore):
    # Disk full, file unwritable or locked past the busy timeout: the store is not there.
    UNAVAILABLE = (sqlite3.OperationalError,)
    GROUP_COMMIT = True

    def __init__(self, path: str, offload=None):
        """``offload(fn, *args)`` runs a write transaction (and so its fsync) somewhere other than
        the caller's thread: run.py passes eventlet's thread pool, so that the event loop serves
        other clients while the WAL is synced. The locks are taken on the caller's side, never in
        the worker thread (a green lock taken there could hang it)."""
        self.path = path
        self.offload = offload or (lambda fn, *args: fn(*args))
        self._lock = threading.Lock()  # the writer connection
        create_private(path)
        self._db = self._connect(path)
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"could not switch {path} to WAL (got {mode!r})")
        self._db.execute("PRAGMA synchronous=FULL")
        self._write(self._create_schema)
        # Reads go through their own connection: under WAL they see the last commit and never
        # wait for a write in progress. An in-memory database is one connection's own.
        if path == ":memory:":
            self._rdb, self._rlock = self._db, self._lock
        else:
            self._rdb, self._rlock = self._connect(path), threading.Lock()

    @staticmethod
    def _connect(path: str) -> sqlite3.Connection:
        # Autocommit mode (isolation_level=None): transactions are explicit.
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000,
                             isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return db

    @staticmethod
    def _create_schema(db) -> None:
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                db.execute(stmt)

    # -- plumbing ---------------------------------------------------------
    def _write(self, work, *args):
        """``work(db, *args)`` in one ``BEGIN IMMEDIATE`` transaction, committed (fsynced)
        before this returns; rolled back if it raises."""
        with self._lock:
            return self.offload(self._transaction, work, args)

    def _transaction(self, work, args):
        db = self._db
        if db.in_transaction:
            db.execute("ROLLBACK")  # a ROLLBACK that failed during an outage left this one open
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db, *args)
        except BaseException:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the first error says more; the next transaction retries the rollback
            raise
        db.execute("COMMIT")
        return result

    def _query(self, sql: str, params=()):
        with self._rlock:
            return self._rdb.execute(sql, params).fetchall()

    @staticmethod
    def _exists(db, meeting_id: str) -> bool:
        return db.execute("SELECT 1 FROM meetings WHERE meeting_id=?",
                          (meeting_id,)).fetchone() is not None

    @staticmethod
    def _last(db, meeting_id: str) -> int:
        row = db.execute("SELECT MAX(seq) FROM events WHERE meeting_id=?",
                         (meeting_id,)).fetchone()
        return int(row[0] or 0)

    # -- interface --------------------------------------------------------
    def create_meeting(self, meeting_id: str, secrets: dict, events: list[dict]) -> int:
        secrets_json, code, rows = check_new_meeting(secrets, events)
        self._write(self._insert_meeting, meeting_id, secrets_json, code, rows)
        return len(rows)

    def _insert_meeting(self, db, meeting_id, secrets_json, code, rows) -> None:
        if self._exists(db, meeting_id):
            raise MeetingExists(meeting_id)
        if code is not None and db.execute(
                "SELECT 1 FROM join_codes WHERE code=?", (code,)).fetchone():
            raise JoinCodeTaken(code)
        db.execute("INSERT INTO meetings (meeting_id, secrets, created) VALUES (?,?,?)",
                   (meeting_id, secrets_json, time.time()))
        if code is not None:
            db.execute("INSERT INTO join_codes (code, meeting_id) VALUES (?,?)",
                       (code, meeting_id))
        db.executemany(
            "INSERT INTO events (meeting_id, seq, op_id, json) VALUES (?,?,?,?)",
            [(meeting_id, i, op_id, text) for i, (op_id, text) in enumerate(rows, 1)])

    def meeting_ids(self) -> list[str]:
        return [r[0] for r in self._query("SELECT meeting_id FROM meetings ORDER BY ord")]

    def secrets(self, meeting_id: str) -> dict | None:
        rows = self._query("SELECT secrets FROM meetings WHERE meeting_id=?", (meeting_id,))
        return json.loads(rows[0][0]) if rows else None

    def meeting_for_join_code(self, code: str) -> str | None:
        rows = self._query("SELECT meeting_id FROM join_codes WHERE code=?", (code,))
        return rows[0][0] if rows else None

    def set_secret(self, meeting_id: str, path: tuple[str, ...], value: str) -> None:
        self._write(self._update_secret, meeting_id, check_secret_path(path), value)

    @staticmethod
    def _update_secret(db, meeting_id, path, value) -> None:
        # read and written in one BEGIN IMMEDIATE transaction: no other writer in between
        row = db.execute("SELECT secrets FROM meetings WHERE meeting_id=?", (meeting_id,)).fetchone()
        if row is None:
            raise UnknownMeeting(meeting_id)
        changed = with_secret(json.loads(row[0]), path, value)
        db.execute("UPDATE meetings SET secrets=? WHERE meeting_id=?",
                   (json.dumps(changed, ensure_ascii=False), meeting_id))

    def append(self, meeting_id: str, op_id: str | None, event: dict,
               expected_seq: int) -> tuple[int, bool]:
        # COMMIT with synchronous=FULL has fsynced the WAL before _write returns: durable.
        return self._write(self._append_one, meeting_id, op_id, dump_event(event),
                           int(expected_seq))

    def _append_one(self, db, meeting_id, op_id, text, expected_seq) -> tuple[int, bool]:
        if not self._exists(db, meeting_id):
            raise UnknownMeeting(meeting_id)
        if op_id is not None:
            row = db.execute("SELECT seq FROM events WHERE meeting_id=? AND op_id=?",
                             (meeting_id, op_id)).fetchone()
            if row is not None:
                return int(row[0]), True
        last = self._last(db, meeting_id)
        if last != expected_seq:
            raise SeqConflict(last)
        db.execute("INSERT INTO events (meeting_id, seq, op_id, json) VALUES (?,?,?,?)",
                   (meeting_id, last + 1, op_id, text))
        return last + 1, False

    def append_many(self, meeting_id: str, items: list[tuple[str | None, dict]],
                    expected_seq: int) -> int:
        rows = [(op_id, dump_event(event)) for op_id, event in items]
        return self._write(self._append_rows, meeting_id, rows, int(expected_seq))

    def _append_rows(self, db, meeting_id, rows, expected_seq) -> int:
        if not self._exists(db, meeting_id):
            raise UnknownMeeting(meeting_id)
        last = self._last(db, meeting_id)
        op_ids = [op_id for op_id, _ in rows if op_id is not None]
        recorded: dict[str, int] = {}
        for start in range(0, len(op_ids), 500):  # SQLite caps the number of bound parameters
            chunk = op_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            recorded.update(db.execute(
                f"SELECT op_id, seq FROM events WHERE meeting_id=? AND op_id IN ({marks})",
                (meeting_id, *chunk)).fetchall())
        if recorded:  # retransmissions: answered from their seqs, never written again
            raise DuplicateOps(last, recorded)
        if last != expected_seq:
            raise SeqConflict(last)
        db.executemany("INSERT INTO events (meeting_id, seq, op_id, json) VALUES (?,?,?,?)",
                       [(meeting_id, seq, op_id, text)
                        for seq, (op_id, text) in enumerate(rows, expected_seq + 1)])
        return expected_seq + len(rows)

    def read(self, meeting_id: str, after: int = 0, limit: int | None = None) -> list[dict]:
        if limit is not None and limit <= 0:
            return []
        sql = "SELECT seq, json FROM events WHERE meeting_id=? AND seq>? ORDER BY seq"
        params: tuple = (meeting_id, int(after))
        if limit is not None:
            sql += " LIMIT ?"
            params += (int(limit),)
        return [load_event(text, seq) for seq, text in self._query(sql, params)]

    def last_seq(self, meeting_id: str) -> int:
        with self._rlock:
            return self._last(self._rdb, meeting_id)

    def seq_of_op(self, meeting_id: str, op_id: str) -> int | None:
        rows = self._query("SELECT seq FROM events WHERE meeting_id=? AND op_id=?",
                           (meeting_id, op_id))
        return int(rows[0][0]) if rows else None

    def add_participant(self, meeting_id: str, key: str, record: dict) -> None:
        self._write(self._insert_participant, meeting_id, key,
                    json.dumps(record, ensure_ascii=False))

    def _insert_participant(self, db, meeting_id, key, text) -> None:
        if not self._exists(db, meeting_id):
            raise UnknownMeeting(meeting_id)
        db.execute("INSERT OR REPLACE INTO participants (meeting_id, key, json) "
                   "VALUES (?,?,?)", (meeting_id, key, text))

    def participant(self, meeting_id: str, key: str) -> dict | None:
        rows = self._query("SELECT json FROM participants WHERE meeting_id=? AND key=?",
                           (meeting_id, key))
        return json.loads(rows[0][0]) if rows else None

    def note_read(self, meeting_id: str, reader: str, seq: int) -> None:
        self._write(self._upsert_read, meeting_id, reader, int(seq))

    @staticmethod
    def _upsert_read(db, meeting_id, reader, seq) -> None:
        db.execute("INSERT INTO reads (meeting_id, reader, seq) VALUES (?, ?, ?) "
                   "ON CONFLICT (meeting_id, reader) DO UPDATE SET seq=MAX(seq, excluded.seq)",
                   (meeting_id, reader, seq))

    def last_read(self, meeting_id: str, reader: str) -> int:
        rows = self._query("SELECT seq FROM reads WHERE meeting_id=? AND reader=?", (meeting_id, reader))
        return int(rows[0][0]) if rows else 0

    def load_vectors(self, fingerprint: str, keys: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):  # SQLite caps the number of bound parameters
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(f"SELECT key, vec FROM vectors WHERE fingerprint = ? AND key IN ({marks})",
                               (fingerprint, *chunk))
            out.update({k: bytes(v) for k, v in rows})
        return out

    def save_vectors(self, fingerprint: str, vectors: dict[str, bytes]) -> None:
        if not vectors:
            return
        rows = [(fingerprint, k, bytes(v)) for k, v in vectors.items()]
        self._write(lambda db: db.executemany(
            "INSERT OR REPLACE INTO vectors (fingerprint, key, vec) VALUES (?, ?, ?)", rows))

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._rdb is not self._db:
            with self._rlock:
                self._rdb.close()


def create_private(path: str) -> None:
    """Create ``path`` empty and readable by its owner only, unless it exists.

    The file holds every meeting's keys. SQLite gives its -wal and -shm files the mode of the
    database file, so they are private too. An existing file keeps the mode its owner chose.
    """
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def sqlite_path(data_dir: str) -> str:
    # Private (0700) when we create it: the store inside holds every key.
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    return os.path.join(data_dir, "facilitator.sqlite3")
