"""SqliteJobStore: the `JobStore` of stateful mode, in memory or in a state file (see database.py).

One connection serves every thread; a lock serializes transactions, and each is one SQLite transaction.
Lists are answered by SQL over indexed expressions on the job documents (sql.py, its SQLite dialect): a page reads its own rows,
and an unfiltered count is read from `job_counts`, which triggers keep up to date.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .database import open_database
from .query import EVERY_JOB, Condition, Index, JobQuery
from .sql import SQLITE
from .store import JOURNAL_SIZE, JournalDetails, JournalEntry, Row, StoredJob


class SqliteJobStore:
    threads = 1  # one connection behind one lock: more threads would only queue on it

    def __init__(self, path: str | Path | None = None, journal_size: int = JOURNAL_SIZE) -> None:
        self._connection = open_database(path)
        self._lock = threading.Lock()
        self.journal_size = journal_size

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection itself, for instruments that watch the work a query does (tests count it)."""
        return self._connection

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTransaction(self._connection, self.journal_size)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def prepare(self, api: str, indexes: Iterable[Index]) -> None:
        with self.transaction():
            for index in indexes:
                self._connection.execute(SQLITE.create_index(api, index))

    def ticker_lease(self) -> SoleLease:
        return SoleLease()

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class SoleLease:
    """The lease of a store no other process opens (memory, or a file this process locks): always held."""

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class SqliteTransaction:
    def __init__(self, connection: sqlite3.Connection, journal_size: int) -> None:
        self._db = connection
        self._journal_size = journal_size

    # --- jobs ------------------------------------------------------------------------------------------------
    def get(self, session: str, api: str, job_id: str, *, lock: bool = True) -> StoredJob | None:
        row = self._db.execute(
            "SELECT id, body, hidden, seq FROM jobs WHERE session = ? AND api = ? AND id = ?", (session, api, job_id)
        ).fetchone()
        return _stored(row) if row else None

    def contains(self, session: str, api: str, job_id: str) -> bool:
        query = "SELECT 1 FROM jobs WHERE session = ? AND api = ? AND id = ?"
        return self._db.execute(query, (session, api, job_id)).fetchone() is not None

    def page(self, session: str, api: str, query: JobQuery, limit: int, offset: int = 0) -> list[Row]:
        statement = SQLITE.page(session, api, query, limit, offset)
        rows = self._db.execute(statement.text, statement.parameters)
        return [Row(_stored(row[:4]), tuple(row[4:])) for row in rows]

    def count(self, session: str, api: str, where: Condition) -> int:
        if where == EVERY_JOB:
            query = "SELECT jobs FROM job_counts WHERE session = ? AND api = ?"
            found = self._db.execute(query, (session, api)).fetchone()
            return int(found[0]) if found else 0
        statement = SQLITE.count(session, api, where)
        return int(self._db.execute(statement.text, statement.parameters).fetchone()[0])

    def jobs_in_status(self, api: str, status: str, after: int, limit: int) -> list[tuple[str, StoredJob]]:
        rows = self._db.execute(
            "SELECT session, id, body, hidden, seq FROM jobs WHERE api = ? AND status = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (api, status, after, limit),
        )
        return [(row[0], _stored(row[1:])) for row in rows]

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
        for table in ("jobs", "seeded", "journal", "job_counts"):
            if session is None:
                self._db.execute(f"DELETE FROM {table}")
            else:
                self._db.execute(f"DELETE FROM {table} WHERE session = ?", (session,))

    # --- journal ---------------------------------------------------------------------------------------------
    def record(self, session: str, entries: Sequence[JournalEntry]) -> None:
        self._db.executemany(
            "INSERT INTO journal (session, method, path, status, at, details) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (session, entry.method, entry.path, entry.status, entry.time, _dumps(entry.details.as_dict()))
                for entry in entries[-self._journal_size :]
            ],
        )
        self._db.execute(
            "DELETE FROM journal WHERE session = ? AND seq <= "
            "(SELECT seq FROM journal WHERE session = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (session, session, self._journal_size),
        )

    def journal(self, session: str) -> list[JournalEntry]:
        rows = self._db.execute(
            "SELECT method, path, status, at, details FROM journal WHERE session = ? ORDER BY seq", (session,)
        )
        return [
            JournalEntry(method, path, status, at, JournalDetails.from_dict(json.loads(details)))
            for method, path, status, at, details in rows
        ]


def _stored(row: tuple[Any, ...]) -> StoredJob:
    return StoredJob(id=row[0], job=json.loads(row[1]), hidden=json.loads(row[2]), seq=row[3])
