"""Shared by the tests/test_state_*.py files: an engine on a fake clock whose answers are checked against the spec.

The engine keeps its jobs in each store in turn (`store_factory`): SQLite in memory, and a PostgreSQL database
of the tests' own server (skipped where PostgreSQL is not installed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from mock_server.state import StateEngine, StateError, StateRequest
from mock_server.state.engine import bundled_rules
from mock_server.state.rules import ApiRules
from mock_server.state.spec_data import SpecData
from mock_server.state.sqlite_store import SqliteJobStore
from mock_server.state.store import JOURNAL_SIZE, JobStore

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
STORES = ("sqlite", "postgres")
StoreFactory = Callable[..., JobStore]


class FakeClock:
    """Each reading is one millisecond after the previous one, so timestamps are distinct and predictable."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def move(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@cache
def spec(api: str) -> SpecData:
    return SpecData.load(api)


@cache
def rules() -> tuple[ApiRules, ...]:
    return bundled_rules()


def open_engine(clock: FakeClock, state_file: Path | None = None, journal_size: int = 200) -> StateEngine:
    return StateEngine(SqliteJobStore(state_file, journal_size), rules(), clock)


@cache
def response_validator(api: str, operation_id: str, status: str = "200") -> OAS30Validator:
    data = spec(api)
    response = data.resolve(data.operation(operation_id)["responses"][status])
    schema = response["content"]["application/json"]["schema"]
    return OAS30Validator({**schema, "components": data.document["components"]}, format_checker=oas30_format_checker)


class Client:
    """Calls the engine as the pipeline will, and fails the test when a 2xx body does not validate."""

    def __init__(self, engine: StateEngine, api: str, session: str | None = None) -> None:
        self.engine = engine
        self.api = api
        self.session = session

    def call(self, operation_id: str, job_id: str | None = None, *, body: Any = None, **query: Any) -> Any:
        request = StateRequest(
            session=self.session or "default",
            path={"jobId": job_id} if job_id is not None else {},
            query=query,
            body=body,
        )
        response = self.engine.handle(self.api, operation_id, request)
        assert response.status == 200
        errors = [error.message for error in response_validator(self.api, operation_id).iter_errors(response.body)]
        assert errors == [], f"{self.api} {operation_id} answered a body the spec rejects: {errors}"
        return response.body

    def refused(self, operation_id: str, job_id: str | None = None, *, body: Any = None, **query: Any) -> StateError:
        with pytest.raises(StateError) as raised:
            self.call(operation_id, job_id, body=body, **query)
        return raised.value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def postgres_suite(postgres: Any) -> str:
    """The URL of one database, with the schema, that the tests' PostgreSQL stores share (one at a time)."""
    from mock_server.state.postgres_schema import prepare_database

    url: str = postgres.create_database("suite")
    prepare_database(url)
    return url


def stores_of(kind: str, request: pytest.FixtureRequest) -> StoreFactory:
    """`make(journal_size=...)`: a new store of `kind`, SQLite in memory or the PostgreSQL suite database, which
    is emptied here (every store made by the factory sees what the ones before it wrote)."""
    if kind == "sqlite":
        return lambda journal_size=JOURNAL_SIZE: SqliteJobStore(None, journal_size)
    import psycopg

    from mock_server.state.postgres_store import PostgresJobStore

    url = request.getfixturevalue("postgres_suite")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE jobs, seeded, journal")
    return lambda journal_size=JOURNAL_SIZE: PostgresJobStore(url, journal_size)


@pytest.fixture(params=STORES)
def store_factory(request: pytest.FixtureRequest) -> StoreFactory:
    return stores_of(request.param, request)


@pytest.fixture
def engine(clock: FakeClock, store_factory: StoreFactory) -> Iterator[StateEngine]:
    opened = StateEngine(store_factory(), rules(), clock)
    yield opened
    opened.close()


@pytest.fixture
def flatfile(engine: StateEngine) -> Client:
    return Client(engine, "flatfile")


@pytest.fixture
def sift(engine: StateEngine) -> Client:
    return Client(engine, "sift")


def new_job(client: Client, **fields: Any) -> dict[str, Any]:
    body = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1", **fields}
    return client.call("createJob", body=body)["data"]


def job_ids(jobs: list[Mapping[str, Any]], field: str = "id") -> list[str]:
    return [job[field] for job in jobs]
