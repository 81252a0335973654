"""JobStore: jobs of every API and session, a record of which sessions were seeded, and the request journal.

Every read and write goes through `transaction()`, which serializes callers with a lock and wraps them in one
SQLite transaction: a handler's reads and writes are atomic, and concurrent handlers never interleave.
Jobs are JSON documents; `hidden` holds per-job data that is not part of the job (a plan, internal progress).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .database import open_database

JOURNAL_SIZE = 200


@dataclass
class StoredJob:
    id: str
    job: dict[str, Any]
    hidden: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True)
class JournalEntry:
    method: str
    path: str
    status: int
    time: str

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "status": self.status, "time": self.time}


class JobStore:
    def __init__(self, path: str | Path | None = None, journal_size: int = JOURNAL_SIZE) -> None:
        self._connection = open_database(path)
        self._lock = threading.Lock()
        self.journal_size = journal_size

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._connection, self.journal_size)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Transaction:
    def __init__(self, connection: sqlite3.Connection, journal_size: int) -> None:
        self._db = connection
        self._journal_size = journal_size

    # --- jobs ------------------------------------------------------------------------------------------------
    def get(self, session: str, api: str, job_id: str) -> StoredJob | None:
        row = self._db.execute(
            "SELECT id, body, hidden, seq FROM jobs WHERE session = ? AND api = ? AND id = ?", (session, api, job_id)
        ).fetchone()
        return _stored(row) if row else None

    def jobs(self, session: str, api: str) -> list[StoredJob]:
        """The session's jobs in the order they were stored."""
        rows = self._db.execute(
            "SELECT id, body, hidden, seq FROM jobs WHERE session = ? AND api = ? ORDER BY seq", (session, api)
        )
        return [_stored(row) for row in rows]

    def jobs_in_status(self, api: str, statuses: Iterable[str]) -> list[tuple[str, StoredJob]]:
        """(session, job) for every job of the API, in any session, whose status is one of `statuses`."""
        wanted = tuple(statuses)
        marks = ",".join("?" * len(wanted))
        rows = self._db.execute(
            f"SELECT session, id, body, hidden, seq FROM jobs WHERE api = ? AND status IN ({marks}) ORDER BY seq",
            (api, *wanted),
        )
        return [(row[0], _stored(row[1:])) for row in rows]

    def contains(self, session: str, api: str, job_id: str) -> bool:
        query = "SELECT 1 FROM jobs WHERE session = ? AND api = ? AND id = ?"
        return self._db.execute(query, (session, api, job_id)).fetchone() is not None

    def insert(self, session: str, api: str, stored: StoredJob, status: str | None) -> StoredJob:
        cursor = self._db.execute(
            "INSERT INTO jobs (session, api, id, status, body, hidden) VALUES (?, ?, ?, ?, ?, ?)",
            (session, api, stored.id, status, _dumps(stored.job), _dumps(stored.hidden)),
        )
        stored.seq = cursor.lastrowid or 0
        return stored

    def update(self, session: str, api: str, stored: StoredJob, status: str | None) -> None:
        self._db.execute(
            "UPDATE jobs SET status = ?, body = ?, hidden = ? WHERE session = ? AND api = ? AND id = ?",
            (status, _dumps(stored.job), _dumps(stored.hidden), session, api, stored.id),
        )

    def delete(self, session: str, api: str, job_id: str) -> None:
        self._db.execute("DELETE FROM jobs WHERE session = ? AND api = ? AND id = ?", (session, api, job_id))

    # --- sessions --------------------------------------------------------------------------------------------
    def is_seeded(self, session: str, api: str) -> bool:
        query = "SELECT 1 FROM seeded WHERE session = ? AND api = ?"
        return self._db.execute(query, (session, api)).fetchone() is not None

    def mark_seeded(self, session: str, api: str) -> None:
        self._db.execute("INSERT INTO seeded (session, api) VALUES (?, ?)", (session, api))

    def sessions(self) -> list[str]:
        rows = self._db.execute("SELECT session FROM seeded UNION SELECT session FROM journal ORDER BY 1")
        return [row[0] for row in rows]

    def reset(self, session: str | None) -> None:
        """Forget one session (or all): its jobs, its journal, and that it was seeded."""
        for table in ("jobs", "seeded", "journal"):
            if session is None:
                self._db.execute(f"DELETE FROM {table}")
            else:
                self._db.execute(f"DELETE FROM {table} WHERE session = ?", (session,))

    # --- journal ---------------------------------------------------------------------------------------------
    def record(self, session: str, entry: JournalEntry) -> None:
        """Append to the session's journal, keeping only its most recent `journal_size` entries."""
        self._db.execute(
            "INSERT INTO journal (session, method, path, status, at) VALUES (?, ?, ?, ?, ?)",
            (session, entry.method, entry.path, entry.status, entry.time),
        )
        self._db.execute(
            "DELETE FROM journal WHERE session = ? AND seq <= "
            "(SELECT seq FROM journal WHERE session = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (session, session, self._journal_size),
        )

    def journal(self, session: str) -> list[JournalEntry]:
        """The session's journal, oldest first."""
        rows = self._db.execute(
            "SELECT method, path, status, at FROM journal WHERE session = ? ORDER BY seq", (session,)
        )
        return [JournalEntry(*row) for row in rows]


def _stored(row: tuple[Any, ...]) -> StoredJob:
    return StoredJob(id=row[0], job=json.loads(row[1]), hidden=json.loads(row[2]), seq=row[3])
