"""Fixtures every group of tests shares; the helpers behind them are in `tests/support/`.

`pytest_plugins` makes the state engine's and the proxy's fixtures available to every test module."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from jobs_openapi import spec_path
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.servers import AsgiClient, MockProcess, ThreadedServer

# Fixtures of the state engine (clock, stores, engine) and of the proxy (proxy_to), for every test module.
pytest_plugins = ("tests.support.state", "tests.support.proxy")


@pytest.fixture
def serve() -> Iterator[Callable[[Any], ThreadedServer]]:
    """`serve(app)` starts a ThreadedServer; every server started is stopped when the test ends."""
    servers: list[ThreadedServer] = []

    def start(app: Any) -> ThreadedServer:
        servers.append(ThreadedServer(app).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


_CONFORMANCE_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="session")
def assert_conforms() -> Callable[[str, str, str, httpx.Response], None]:
    """`assert_conforms(api, method, path_template, response)`: the status, content type, headers and body of
    `response` are as the spec (`flatfile`, `sift` or a path) documents them; path_template as the spec writes it."""
    schemas: dict[str, Any] = {}

    def check(api: str, method: str, path: str, response: httpx.Response) -> None:
        if api not in schemas:
            schemas[api] = schemathesis.openapi.from_path(spec_path(api))
        # Path parameter values only place the request URL; any value of the right shape does.
        names = re.findall(r"\{([^}]+)\}", path)
        case = schemas[api][path][method].Case(path_parameters={name: "x" for name in names})
        case.validate_response(response, checks=_CONFORMANCE_CHECKS)

    return check


@pytest.fixture
def mock_process(tmp_path: Path) -> Iterator[Callable[[list[str]], MockProcess]]:
    """`mock_process(args)` runs `jobs-mock serve` for the test; every process it starts is stopped after."""
    processes: list[MockProcess] = []

    def start(args: list[str]) -> MockProcess:
        processes.append(MockProcess(args, tmp_path))
        return processes[-1]

    yield start
    for process in processes:
        process.stop()


SCHEMATHESIS_TIMEOUT = 300


@pytest.fixture
def run_schemathesis(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_schemathesis(name, api, url, token, config, *options)`: `st run` of a bundled spec against `url` with
    a bearer token, seed 1, 10 examples and 2 workers, configured by the TOML text `config`; the test fails
    unless Schemathesis exits 0. It runs in a directory named `name` under pytest's cache, where Schemathesis
    keeps its own cache between runs."""
    cache = getattr(pytestconfig, "cache", None)  # None under `-p no:cacheprovider`

    def run(name: str, api: str, url: str, token: str, config: str, *options: str) -> subprocess.CompletedProcess[str]:
        workdir = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
        (workdir / "schemathesis.toml").write_text(config)
        command = [
            sys.executable, "-m", "schemathesis.cli", "--config-file", str(workdir / "schemathesis.toml"),
            "run", str(spec_path(api)),
            "--url", url,
            "--header", f"Authorization: Bearer {token}",
            "--max-examples", "10",
            "--seed", "1",
            "--workers", "2",
            "--request-timeout", "10",
            "--no-color",
            *options,
        ]  # fmt: skip
        result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=SCHEMATHESIS_TIMEOUT)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        return result

    return run


@pytest.fixture(scope="session")
def mock_app() -> Any:
    """The mock serving both bundled APIs with default settings (any non-empty bearer token)."""
    from mock_server.app import build_app

    return build_app()


@pytest.fixture
def mock(mock_app: Any) -> Iterator[AsgiClient]:
    client = AsgiClient(mock_app.asgi)
    yield client
    client.close()


@pytest.fixture
def mock_with() -> Iterator[Callable[..., AsgiClient]]:
    """`mock_with(**settings)`: an in-process client of a mock built with these `Settings`, closed after the test."""
    from mock_server.app import build_app
    from mock_server.settings import Settings

    clients: list[AsgiClient] = []

    def build(**settings: Any) -> AsgiClient:
        clients.append(AsgiClient(build_app(Settings(**settings)).asgi))
        return clients[-1]

    yield build
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A PostgreSQL server of the tests' own (postgres_cluster.py), for the whole session; skipped where there
    is no PostgreSQL installed."""
    from tests.support.postgres_cluster import MISSING, PostgresCluster, server_binaries

    binaries = server_binaries()
    if binaries is None:
        pytest.skip(MISSING)
    cluster = PostgresCluster(binaries).start()
    yield cluster
    cluster.remove()
