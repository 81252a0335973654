"""Shared fixtures: free ports, an in-process ASGI client, a uvicorn server in a thread, spec conformance."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from jobs_openapi import spec_path
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SERVER_START_TIMEOUT = 30.0  # an upper bound: a loaded 2-core CI machine can take seconds to start a server


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class AsgiClient:
    """A synchronous httpx client that calls an ASGI app in-process (no sockets, no lifespan)."""

    def __init__(self, app: Any, base_url: str = "http://mock.test") -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def run(self, awaitable: Any) -> Any:
        """Await something on this client's event loop (where the app's own connections live)."""
        return self._loop.run_until_complete(awaitable)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


class ThreadedServer:
    """uvicorn serving `app` on 127.0.0.1 and a free port, in a daemon thread, until `stop()`."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(SERVER_START_TIMEOUT)


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


class MockProcess:
    """`python -m mock_server serve ARGS --port <free>` in a subprocess, ready once `GET /` answers."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "mock_server",
            "serve",
            *args,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        self.output = cwd / f"jobs-mock-{self.port}.log"
        with self.output.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"jobs-mock did not start on {self.url}:\n{self.output.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(SERVER_START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
    from mock_server.app import Settings, build_app

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
    from postgres_cluster import MISSING, PostgresCluster, server_binaries

    binaries = server_binaries()
    if binaries is None:
        pytest.skip(MISSING)
    cluster = PostgresCluster(binaries).start()
    yield cluster
    cluster.remove()
