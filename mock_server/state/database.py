"""The SQLite database behind the store: opened in memory or from a state file that is checked before use.

A state file is ours when its `application_id` is APPLICATION_ID and its `user_version` is SCHEMA_VERSION.
Anything else (not SQLite, another application's database, another schema version, a corrupt file, a file
in use by another server) is refused with a StateFileError and left untouched: it is inspected through a
read-only connection before a writable one is opened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import StateFileError

APPLICATION_ID = 0x4A4F4253  # "JOBS"
SCHEMA_VERSION = 1
MEMORY = ":memory:"

SCHEMA = """
CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL,
    api TEXT NOT NULL,
    id TEXT NOT NULL,
    status TEXT,
    body TEXT NOT NULL,
    hidden TEXT NOT NULL,
    UNIQUE (session, api, id)
);
CREATE INDEX jobs_by_status ON jobs (api, status);
CREATE TABLE seeded (
    session TEXT NOT NULL,
    api TEXT NOT NULL,
    PRIMARY KEY (session, api)
);
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX journal_by_session ON journal (session, seq);
"""


def open_database(path: str | Path | None) -> sqlite3.Connection:
    """A connection in autocommit mode (the store opens its own transactions), usable from any thread."""
    if path is None or str(path) == MEMORY:
        connection = _connect(MEMORY)
        _create_schema(connection)
        return connection
    file = Path(path)
    check_state_file(file)
    is_new = _is_new(file)
    connection = _connect(str(file))
    # Held for the connection's lifetime: a second server on the same file is refused, not interleaved.
    connection.execute("PRAGMA locking_mode = EXCLUSIVE")
    if is_new:
        _create_schema(connection)
    connection.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now rather than at the first write
    connection.execute("COMMIT")
    return connection


def check_state_file(file: Path) -> None:
    """Raise StateFileError unless `file` is a usable state file or can become one; it only reads the file."""
    if not _is_new(file):
        _check_existing(file)
    elif not file.parent.is_dir():
        raise StateFileError(f"state file {file}: directory {file.parent} does not exist")


def _is_new(file: Path) -> bool:
    return not file.exists() or (file.is_file() and file.stat().st_size == 0)


def _connect(target: str) -> sqlite3.Connection:
    try:
        return sqlite3.connect(target, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as error:
        raise StateFileError(f"state file {target}: cannot be opened ({error})") from error


def _create_schema(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("COMMIT")


def _check_existing(file: Path) -> None:
    if not file.is_file():
        raise StateFileError(f"state file {file} is not a regular file")
    try:
        probe = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
    except sqlite3.Error as error:
        raise StateFileError(f"state file {file} cannot be opened for reading ({error})") from error
    try:
        application_id, version, integrity = _inspect(probe)
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            raise StateFileError(f"state file {file} is in use by another process") from error
        raise StateFileError(
            f"state file {file} is not a readable SQLite database ({error}); refusing to use it"
        ) from error
    except sqlite3.DatabaseError as error:
        raise StateFileError(
            f"state file {file} is not a jobs-mock state file: {error}; refusing to overwrite it"
        ) from error
    finally:
        probe.close()
    if application_id != APPLICATION_ID:
        raise StateFileError(
            f"state file {file} belongs to another application (SQLite application_id {application_id:#x}, "
            f"jobs-mock uses {APPLICATION_ID:#x}); refusing to overwrite it"
        )
    if version != SCHEMA_VERSION:
        raise StateFileError(
            f"state file {file} has schema version {version}; this jobs-mock reads version {SCHEMA_VERSION}"
        )
    if integrity != "ok":
        raise StateFileError(f"state file {file} is corrupt ({integrity}); refusing to use it")


def _inspect(probe: sqlite3.Connection) -> tuple[int, int, str]:
    application_id = probe.execute("PRAGMA application_id").fetchone()[0]
    version = probe.execute("PRAGMA user_version").fetchone()[0]
    rows = probe.execute("PRAGMA quick_check").fetchall()
    return application_id, version, "; ".join(row[0] for row in rows)
