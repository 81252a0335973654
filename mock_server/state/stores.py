"""Where stateful mode keeps its jobs: a PostgreSQL database (a URL), a SQLite file (a path), or memory (neither)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .database import check_state_file
from .errors import StateFileError
from .sqlite_store import SqliteJobStore
from .store import JOURNAL_SIZE, JobStore

STATE_URL_ENV = "JOBS_MOCK_STATE_URL"
URL_SCHEMES = ("postgresql://", "postgres://")
POSTGRES_EXTRA = "pip install 'jobs-contract-kit[postgres]'"


def open_store(
    state_file: str | Path | None = None, state_url: str | None = None, journal_size: int = JOURNAL_SIZE
) -> JobStore:
    """Raises StateFileError for a store that cannot be used (it is left untouched)."""
    if state_url is not None and state_file is not None:
        raise StateFileError("give a state file or a state URL, not both")
    if state_url is None:
        return SqliteJobStore(state_file, journal_size)
    with _psycopg():
        from .postgres_store import PostgresJobStore
    return PostgresJobStore(state_url, journal_size)


@contextmanager
def _psycopg() -> Iterator[None]:
    """Around the import of the PostgreSQL store, done only for a state URL: psycopg is an optional dependency."""
    try:
        yield
    except ImportError as error:
        raise StateFileError(f"a PostgreSQL state URL needs psycopg ({error}): {POSTGRES_EXTRA}") from None


def check_store(state_file: str | Path | None = None, state_url: str | None = None) -> None:
    """What `open_store` would refuse, found without keeping it open (a database may get its schema)."""
    if state_url is not None:
        with _psycopg():
            from .postgres_schema import prepare_database
        prepare_database(state_url)
    elif state_file is not None:
        check_state_file(Path(state_file))
