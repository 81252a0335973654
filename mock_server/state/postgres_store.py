"""PostgresJobStore: the `JobStore` of stateful mode shared by every process and host that points at one database.

Each transaction is one PostgreSQL transaction on a connection of a pool (psycopg_pool), read committed. A job
is read with `SELECT ... FOR UPDATE`, so requests on one job from any process take turns and none overwrites
another's change; seeding a session takes an advisory lock, so one process seeds it. Lists are SQL over indexed
expressions on the job documents (sql.py, its PostgreSQL dialect). A database that cannot be reached during a
request is a 503 StateError (UNAVAILABLE); the pool checks each connection before lending it and reconnects,
so the store recovers by itself when the database is back.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Json
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from mock_server.errors import ErrorKind

from .errors import StateError, StateFileError
from .postgres_schema import (
    APPLICATION,
    CONNECT_TIMEOUT,
    JOURNAL_LOCK,
    SCHEMA_LOCK,
    SEEDING_LOCK,
    TICKER_LOCK,
    Target,
    connect,
    prepare_database,
    reason,
)
from .query import Condition, Index, JobQuery
from .sql import POSTGRES
from .store import JOURNAL_SIZE, JournalDetails, JournalEntry, Row, StoredJob

# As many connections as threads run requests (the engine's, `threads`), so a request waits for a connection
# only when the database is in trouble; then it is answered 503 after POOL_TIMEOUT seconds.
MAX_CONNECTIONS = min(32, (os.cpu_count() or 1) + 4)
POOL_TIMEOUT = 1.0
# Seconds the pool keeps retrying to replace a lost connection before it gives up on that one; a later request
# asks for a new one, so a long outage ends as soon as the database is back.
RECONNECT_TIMEOUT = 5.0
# A connection notices within seconds that the database's host is gone (instead of waiting on TCP for minutes).
_CLIENT_KEEPALIVE: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 5000,  # milliseconds
}
# And the server notices within seconds that the ticker's host is gone, and frees the ticker's lock.
_SERVER_KEEPALIVE = {"options": "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3"}
log = logging.getLogger(__name__)


class PostgresJobStore:
    def __init__(self, url: str, journal_size: int = JOURNAL_SIZE, max_connections: int = MAX_CONNECTIONS) -> None:
        """Raises StateFileError for a database that cannot be reached or is not this mock's."""
        self.target = prepare_database(url)
        self.threads = max_connections
        self.journal_size = journal_size
        self._url = url
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"connect_timeout": CONNECT_TIMEOUT, "application_name": APPLICATION, **_CLIENT_KEEPALIVE},
            check=ConnectionPool.check_connection,
            timeout=POOL_TIMEOUT,
            reconnect_timeout=RECONNECT_TIMEOUT,
            name=APPLICATION,
            open=False,
        )
        self._pool.open()

    @contextmanager
    def transaction(self) -> Iterator[PostgresTransaction]:
        try:
            with self._pool.connection() as connection, connection.transaction():
                yield PostgresTransaction(connection, self.journal_size)
        # psycopg classes a deadlock as an OperationalError, not a TransactionRollback; both are conflicts.
        except (psycopg.errors.TransactionRollback, psycopg.errors.DeadlockDetected) as error:
            raise StateError(
                ErrorKind.UNAVAILABLE, f"the request conflicted with a concurrent one ({error.sqlstate}); retry it"
            ) from error
        except PoolClosed:
            raise  # the store itself was closed: a mistake of its user, not the database's absence
        except (psycopg.OperationalError, PoolTimeout) as error:
            timed_out = isinstance(error, PoolTimeout)
            detail = f"no working connection within {POOL_TIMEOUT:g} s" if timed_out else reason(error, self._url)
            raise StateError(ErrorKind.UNAVAILABLE, f"the {self.target} is unavailable: {detail}") from error

    def prepare(self, api: str, indexes: Iterable[Index]) -> None:
        with self.transaction() as tx:
            tx.lock(SCHEMA_LOCK, 0)  # processes starting together create each index once
            for index in indexes:
                # Only a missing index is created: CREATE INDEX would hold up every writer while it looks.
                if tx.execute("SELECT to_regclass(%s)", (POSTGRES.index_name(api, index),)).fetchone() == (None,):
                    tx.execute(POSTGRES.create_index(api, index))

    def ticker_lease(self) -> AdvisoryLease:
        return AdvisoryLease(self._url, self.target)

    def close(self) -> None:
        self._pool.close()


class PostgresTransaction:
    def __init__(self, connection: psycopg.Connection[Any], journal_size: int) -> None:
        self._db = connection
        self._journal_size = journal_size
        self._journal_locked = False

    def execute(self, statement: str, parameters: Iterable[Any] = ()) -> psycopg.Cursor[Any]:
        return self._db.execute(statement, tuple(parameters))

    def lock(self, kind: int, key: int) -> None:
        """Wait for, then hold until the end of the transaction, this application's advisory lock (kind, key)."""
        self.execute("SELECT pg_advisory_xact_lock(%s, %s)", (kind, key))

    # --- jobs ------------------------------------------------------------------------------------------------
    def get(self, session: str, api: str, job_id: str, *, lock: bool = True) -> StoredJob | None:
        # FOR UPDATE: whoever reads a job to change it holds it until the end of the transaction. A read only to
        # answer takes no lock: a row lock makes even a read-only transaction wait for the disk at its commit.
        row = self.execute(
            "SELECT id, body, hidden, seq FROM jobs WHERE session = %s AND api = %s AND id = %s"
            + (" FOR UPDATE" if lock else ""),
            (session, api, job_id),
        ).fetchone()
        return _stored(row) if row else None

    def contains(self, session: str, api: str, job_id: str) -> bool:
        query = "SELECT 1 FROM jobs WHERE session = %s AND api = %s AND id = %s"
        return self.execute(query, (session, api, job_id)).fetchone() is not None

    def page(self, session: str, api: str, query: JobQuery, limit: int, offset: int = 0) -> list[Row]:
        statement = POSTGRES.page(session, api, query, limit, offset)
        rows = self.execute(statement.text, statement.parameters).fetchall()
        return [Row(_stored(row[:4]), tuple(row[4:])) for row in rows]

    def count(self, session: str, api: str, where: Condition) -> int:
        statement = POSTGRES.count(session, api, where)
        found = self.execute(statement.text, statement.parameters).fetchone()
        return int(found[0]) if found else 0

    def jobs_in_status(self, api: str, status: str, after: int, limit: int) -> list[tuple[str, StoredJob]]:
        # Locked in storage order, as every other taker of several jobs locks them: no deadlock between them. A job
        # that changed status while this waited for it is left out (read committed reads it again).
        rows = self.execute(
            "SELECT session, id, body, hidden, seq FROM jobs WHERE api = %s AND status = %s AND seq > %s "
            "ORDER BY seq LIMIT %s FOR UPDATE",
            (api, status, after, limit),
        )
        return [(row[0], _stored(row[1:])) for row in rows]

    def insert(self, session: str, api: str, stored: StoredJob, status: str | None) -> StoredJob:
        found = self.execute(
            "INSERT INTO jobs (session, api, id, status, body, hidden) VALUES (%s, %s, %s, %s, %s, %s) RETURNING seq",
            (session, api, stored.id, status, _json(stored.job), _json(stored.hidden)),
        ).fetchone()
        stored.seq = int(found[0]) if found else 0
        return stored

    def update(self, session: str, api: str, stored: StoredJob, status: str | None) -> None:
        self.execute(
            "UPDATE jobs SET status = %s, body = %s, hidden = %s WHERE session = %s AND api = %s AND id = %s",
            (status, _json(stored.job), _json(stored.hidden), session, api, stored.id),
        )

    def delete(self, session: str, api: str, job_id: str) -> None:
        self.execute("DELETE FROM jobs WHERE session = %s AND api = %s AND id = %s", (session, api, job_id))

    # --- sessions --------------------------------------------------------------------------------------------
    def is_seeded(self, session: str, api: str) -> bool:
        if self._seeded(session, api):
            return True
        # Another process may be seeding this session right now: wait for it, then look again.
        self.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (SEEDING_LOCK, f"{api}\n{session}"))
        return self._seeded(session, api)

    def _seeded(self, session: str, api: str) -> bool:
        query = "SELECT 1 FROM seeded WHERE session = %s AND api = %s"
        return self.execute(query, (session, api)).fetchone() is not None

    def mark_seeded(self, session: str, api: str) -> None:
        self.execute("INSERT INTO seeded (session, api) VALUES (%s, %s) ON CONFLICT DO NOTHING", (session, api))

    def sessions(self) -> list[str]:
        rows = self.execute("SELECT session FROM seeded UNION SELECT session FROM journal ORDER BY 1")
        return [row[0] for row in rows]

    def reset(self, session: str | None) -> None:
        self._lock_journal()
        for table in ("jobs", "seeded", "journal"):
            if session is None:
                self.execute(f"DELETE FROM {table}")
            else:
                self.execute(f"DELETE FROM {table} WHERE session = %s", (session,))

    # --- journal ---------------------------------------------------------------------------------------------
    def _lock_journal(self) -> None:
        if not self._journal_locked:
            self.lock(JOURNAL_LOCK, 0)
            self._journal_locked = True

    def record(self, session: str, entries: Sequence[JournalEntry]) -> None:
        self._lock_journal()
        with self._db.cursor() as cursor:  # one round trip for all: psycopg pipelines executemany
            cursor.executemany(
                "INSERT INTO journal (session, method, path, status, at, details) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (session, entry.method, entry.path, entry.status, entry.time, _json(entry.details.as_dict()))
                    for entry in entries[-self._journal_size :]
                ],
            )
        self.execute(
            "DELETE FROM journal WHERE session = %s AND seq <= "
            "(SELECT seq FROM journal WHERE session = %s ORDER BY seq DESC LIMIT 1 OFFSET %s)",
            (session, session, self._journal_size),
        )

    def journal(self, session: str) -> list[JournalEntry]:
        rows = self.execute(
            "SELECT method, path, status, at, details FROM journal WHERE session = %s ORDER BY seq", (session,)
        )
        return [
            JournalEntry(method, path, status, at, JournalDetails.from_dict(details))
            for method, path, status, at, details in rows
        ]


class AdvisoryLease:
    """Held by the one process, among all on the database, whose connection holds the ticker's advisory lock.

    The lock lives as long as that connection: when its process dies, or the database restarts, the server frees
    it and the next process that asks takes it.
    """

    def __init__(self, url: str, target: Target) -> None:
        self._url = url
        self._target = target
        self._connection: psycopg.Connection[Any] | None = None
        self._holding = False

    def held(self) -> bool:
        try:
            if self._connection is None or self._connection.closed:
                self._holding = False
                # The process id in the name tells an operator (pg_stat_activity) which process ticks.
                name = {"application_name": f"{APPLICATION} ticker {os.getpid()}"}
                self._connection = connect(
                    self._url, self._target, autocommit=True, **name, **_CLIENT_KEEPALIVE, **_SERVER_KEEPALIVE
                )
            if self._holding:
                self._connection.execute("SELECT 1")  # still connected, so still holding
            else:
                found = self._connection.execute("SELECT pg_try_advisory_lock(%s, 0)", (TICKER_LOCK,)).fetchone()
                self._holding = bool(found and found[0])
        except (StateFileError, psycopg.Error) as error:  # unreachable or lost: not holding, ask again next time
            log.debug("the ticker's lease is not held: %s", error)
            self.release()
        return self._holding

    def release(self) -> None:
        self._holding = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _json(value: Any) -> Json:
    return Json(value, dumps=lambda document: json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def _stored(row: Any) -> StoredJob:
    return StoredJob(id=row[0], job=row[1], hidden=row[2], seq=row[3])
