"""The PostgreSQL database behind a shared store: reached, checked and, when empty, given the schema.

A database is ours when its `jobs_mock_schema` table names this application and a schema version this mock
reads. An empty database (no table in its current schema) gets the schema, one of an older version is brought up
to date (MIGRATIONS); anything else (another application's tables, a version this mock does not know) is refused with a StateFileError and left untouched. Processes
that start together on one empty database take turns (an advisory lock), so the schema is created once.
Messages name the server and the database, never the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from .errors import StateFileError

APPLICATION = "jobs-mock"
SCHEMA_VERSION = 2
CONNECT_TIMEOUT = 3  # seconds; a server that does not answer is reported, not waited for
# Advisory lock keys (class, object) of this application: (SCHEMA_LOCK, 0) guards DDL.
SCHEMA_LOCK = 0x4A4F4253  # "JOBS"
SEEDING_LOCK = SCHEMA_LOCK + 1  # (SEEDING_LOCK, hash of session and API): one process seeds a session
TICKER_LOCK = SCHEMA_LOCK + 2  # (TICKER_LOCK, 0): the process whose clock moves every job
# (JOURNAL_LOCK, 0): one transaction at a time writes to or clears the journal, so the journal writers of several
# processes and a reset take turns instead of deadlocking on the rows each deletes.
JOURNAL_LOCK = SCHEMA_LOCK + 3

# Text columns compare byte by byte ("C"), as SQLite's do, whatever the database's default collation.
SCHEMA = f"""
CREATE TABLE jobs_mock_schema (
    application text NOT NULL,
    version integer NOT NULL
);
INSERT INTO jobs_mock_schema (application, version) VALUES ('{APPLICATION}', {SCHEMA_VERSION});
CREATE TABLE jobs (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session text COLLATE "C" NOT NULL,
    api text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    status text COLLATE "C",
    body json NOT NULL,
    hidden json NOT NULL,
    UNIQUE (session, api, id)
);
CREATE INDEX jobs_by_status ON jobs (api, status);
CREATE TABLE seeded (
    session text COLLATE "C" NOT NULL,
    api text COLLATE "C" NOT NULL,
    PRIMARY KEY (session, api)
);
CREATE TABLE journal (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session text COLLATE "C" NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    status integer NOT NULL,
    at text NOT NULL,
    details json NOT NULL DEFAULT '{{}}'
);
CREATE INDEX journal_by_session ON journal (session, seq);
-- A TIMESTAMP field's value (query.py): the instant an RFC 3339 string names, in whole milliseconds since the
-- epoch; 0 (the epoch) for any other string. Immutable (the time zone is fixed), so indexes can hold it.
CREATE FUNCTION jobs_mock_instant(moment text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET "TimeZone" = 'UTC' AS $$
BEGIN
    IF moment !~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}' THEN
        RETURN 0;
    END IF;
    RETURN floor(extract(epoch FROM moment::timestamptz) * 1000)::bigint;
EXCEPTION WHEN others THEN
    RETURN 0;
END
$$;
"""

# From each older schema version to the next: run under the schema lock when a process finds such a database.
MIGRATIONS = {
    1: "ALTER TABLE journal ADD COLUMN details json NOT NULL DEFAULT '{}'",  # JournalDetails
}


@dataclass(frozen=True)
class Target:
    """Where a URL points, as messages name it (no user, no password)."""

    host: str
    port: str
    database: str

    @classmethod
    def of(cls, url: str) -> Target:
        try:
            parts = conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:
            raise StateFileError(f"state URL is not a PostgreSQL connection URL ({_first_line(error)})") from None
        return cls(str(parts.get("host") or "localhost"), str(parts.get("port") or 5432), str(parts.get("dbname", "")))

    def __str__(self) -> str:
        return f"PostgreSQL database {self.database or '(default)'} at {self.host}:{self.port}"


def connect(url: str, target: Target, **options: Any) -> psycopg.Connection[Any]:
    """A connection, or a StateFileError naming the server when there is none to be had."""
    try:
        return psycopg.connect(url, **{"connect_timeout": CONNECT_TIMEOUT, "application_name": APPLICATION, **options})
    except psycopg.Error as error:
        raise StateFileError(f"cannot connect to the {target}: {reason(error, url)}") from None


def prepare_database(url: str) -> Target:
    """Check that the database is ours (creating the schema in an empty one); raises StateFileError otherwise."""
    target = Target.of(url)
    with connect(url, target) as connection:
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s, 0)", (SCHEMA_LOCK,))
                _check_or_create(connection, target)
        except psycopg.Error as error:
            raise StateFileError(f"the {target} cannot be prepared: {reason(error, url)}") from None
    return target


def _check_or_create(connection: psycopg.Connection[Any], target: Target) -> None:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
        )
    ]
    if not tables:
        connection.execute(SCHEMA)
        return
    if "jobs_mock_schema" not in tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise StateFileError(
            f"the {target} belongs to another application (tables {shown}, no jobs_mock_schema); "
            "refusing to use it: give jobs-mock an empty database of its own"
        )
    found = connection.execute("SELECT application, version FROM jobs_mock_schema").fetchall()
    if [application for application, _ in found] != [APPLICATION]:
        raise StateFileError(f"the {target} has a jobs_mock_schema table this mock did not write; refusing to use it")
    version = found[0][1]
    if version != SCHEMA_VERSION and version not in MIGRATIONS:
        raise StateFileError(
            f"the {target} has jobs-mock schema version {version}; this jobs-mock reads version {SCHEMA_VERSION}"
        )
    for step in range(version, SCHEMA_VERSION):
        connection.execute(MIGRATIONS[step])
    if version != SCHEMA_VERSION:
        connection.execute("UPDATE jobs_mock_schema SET version = %s", (SCHEMA_VERSION,))


def reason(error: psycopg.Error, url: str) -> str:
    """What went wrong, in one line, without the URL's password."""
    text = _first_line(error)
    text = text.rsplit(" failed: ", 1)[-1] if " failed: " in text else text
    password = conninfo_to_dict(url).get("password")
    return text.replace(str(password), "***") if password else text


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
