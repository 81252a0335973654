"""The SQLite database behind the store: opened in memory or from a state file that is checked before use.

A state file is ours when its header carries APPLICATION_ID and a schema version this mock reads. Anything
else (not SQLite, another application's database, an unknown schema version, a corrupt file, a file in use by
another server) is refused with a StateFileError and left untouched: ownership is read from the file's
100-byte header, without SQLite, then its integrity through a read-only connection. A file that is ours but
was left by a writer killed mid-transaction (a hot journal beside it) cannot be read that way: it is recovered
by the writable connection, which rolls the journal back before anything is read, and checked after that.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .errors import StateFileError

APPLICATION_ID = 0x4A4F4253  # "JOBS"
SCHEMA_VERSION = 3
MEMORY = ":memory:"
_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_USER_VERSION_OFFSET = 60
_APPLICATION_ID_OFFSET = 68

_JOB_COUNTS = """
CREATE TABLE job_counts (
    session TEXT NOT NULL,
    api TEXT NOT NULL,
    jobs INTEGER NOT NULL,
    PRIMARY KEY (session, api)
);
CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO job_counts (session, api, jobs) VALUES (new.session, new.api, 1)
    ON CONFLICT (session, api) DO UPDATE SET jobs = jobs + 1;
END;
CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET jobs = jobs - 1 WHERE session = old.session AND api = old.api;
END;
"""

SCHEMA = (
    """
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
    at TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX journal_by_session ON journal (session, seq);
"""
    + _JOB_COUNTS
)

# From each older schema version to the next: run in one transaction when such a file is opened.
MIGRATIONS = {
    1: _JOB_COUNTS
    + "INSERT INTO job_counts (session, api, jobs) SELECT session, api, count(*) FROM jobs GROUP BY session, api;",
    2: "ALTER TABLE journal ADD COLUMN details TEXT NOT NULL DEFAULT '{}';",  # JournalDetails, as JSON
}


def open_database(path: str | Path | None) -> sqlite3.Connection:
    """A connection in autocommit mode (the store opens its own transactions), usable from any thread."""
    if path is None or str(path) == MEMORY:
        connection = _connect(MEMORY)
        _create_schema(connection)
        return connection
    file = Path(path)
    recovering = _inspect(file)
    connection = _connect(str(file))
    try:
        _prepare(connection, file, verify=recovering)
    except BaseException:
        connection.close()
        raise
    return connection


def check_state_file(file: Path) -> None:
    """Raise StateFileError unless `file` is a usable state file or can become one; it only reads the file."""
    _inspect(file)


def _inspect(file: Path) -> bool:
    """Whether `file` needs recovering (its integrity is then checked after that); raises StateFileError."""
    if _is_new(file):
        if not file.parent.is_dir():
            raise StateFileError(f"state file {file}: directory {file.parent} does not exist")
        return False
    _check_header(file)
    return _probe(file)


def _is_new(file: Path) -> bool:
    return not file.exists() or (file.is_file() and file.stat().st_size == 0)


def _connect(target: str) -> sqlite3.Connection:
    try:
        # timeout=0: a file another server holds is refused at once rather than waited for.
        return sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=0)
    except sqlite3.Error as error:
        raise StateFileError(f"state file {target}: cannot be opened ({error})") from error


def _statements(script: str) -> list[str]:
    """The statements of `script`; a trigger's body keeps its own semicolons."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return [statement for statement in statements if statement]


def _create_schema(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    for statement in _statements(SCHEMA):
        connection.execute(statement)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("COMMIT")


def _check_header(file: Path) -> None:
    if not file.is_file():
        raise StateFileError(f"state file {file} is not a regular file")
    try:
        with file.open("rb") as stream:
            header = stream.read(_HEADER_SIZE)
    except OSError as error:
        raise StateFileError(f"state file {file} cannot be opened for reading ({error})") from error
    if len(header) < _HEADER_SIZE or not header.startswith(_MAGIC):
        raise StateFileError(
            f"state file {file} is not a jobs-mock state file: it is not an SQLite database; refusing to overwrite it"
        )
    application_id = int.from_bytes(header[_APPLICATION_ID_OFFSET : _APPLICATION_ID_OFFSET + 4], "big")
    version = int.from_bytes(header[_USER_VERSION_OFFSET : _USER_VERSION_OFFSET + 4], "big")
    if application_id != APPLICATION_ID:
        raise StateFileError(
            f"state file {file} belongs to another application (SQLite application_id {application_id:#x}, "
            f"jobs-mock uses {APPLICATION_ID:#x}); refusing to overwrite it"
        )
    if version != SCHEMA_VERSION and version not in MIGRATIONS:
        raise StateFileError(
            f"state file {file} has schema version {version}; this jobs-mock reads versions "
            f"{', '.join(map(str, [*MIGRATIONS, SCHEMA_VERSION]))}"
        )


def _probe(file: Path) -> bool:
    """Check the file's integrity through a read-only connection; True when it needs recovering first."""
    try:
        probe = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
    except sqlite3.Error as error:
        raise StateFileError(f"state file {file} cannot be opened for reading ({error})") from error
    try:
        return _verify(probe, file)
    except StateFileError as error:
        if "readonly" in str(error):  # a hot journal, which only a writable connection may roll back
            return True
        raise
    finally:
        probe.close()


def _verify(connection: sqlite3.Connection, file: Path) -> bool:
    """Raise StateFileError unless the database passes SQLite's quick check; False (nothing to recover)."""
    integrity = "; ".join(row[0] for row in _read(connection, file, "PRAGMA quick_check"))
    if integrity != "ok":
        raise StateFileError(f"state file {file} is corrupt ({integrity}); refusing to use it")
    return False


def _read(connection: sqlite3.Connection, file: Path, statement: str) -> list[Any]:
    try:
        return connection.execute(statement).fetchall()
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            raise StateFileError(f"state file {file} is in use by another process") from error
        raise StateFileError(f"state file {file} cannot be read ({error}); refusing to use it") from error
    except sqlite3.DatabaseError as error:
        raise StateFileError(f"state file {file} is corrupt ({error}); refusing to use it") from error


def _prepare(connection: sqlite3.Connection, file: Path, *, verify: bool) -> None:
    """Lock the file for this server, recover it (then `verify` it), and bring its schema up to date."""
    # Held for the connection's lifetime: a second server on the same file is refused, not interleaved.
    connection.execute("PRAGMA locking_mode = EXCLUSIVE")
    # Commits hand their pages to the operating system without waiting for the disk: every answered write
    # survives the mock being killed (the rollback journal still guards each transaction); only a crash of the
    # machine itself may lose the last ones. Waiting for the disk cost a mock's request tens of milliseconds.
    connection.execute("PRAGMA synchronous = OFF")
    # The first read takes the lock and rolls back a hot journal a killed writer left.
    pages = _read(connection, file, "PRAGMA page_count")[0][0]
    if verify and pages:
        _verify(connection, file)
    if pages == 0:  # a new file, or one whose first transaction a crash rolled back
        _create_schema(connection)
        return
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    connection.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now rather than at the first write
    if version != SCHEMA_VERSION:
        for step in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[step]):
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("COMMIT")
