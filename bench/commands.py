"""How each server of the benchmark is started: jobs-mock (static, stateful, proxy), Prism, Mockoon, Starlette, the
relay floor."""

import sys
from pathlib import Path

from bench.model import (
    CEILING,
    MOCK,
    MOCK_PROXY,
    MOCK_QUIET,
    MOCKOON,
    PRISM,
    PRISM_PROXY,
    RELAY_FLOOR,
    ServerCommand,
    workers_label,
)

REPO_DIR = Path(__file__).resolve().parent.parent
QUIET = ("--log-level", "warning")


def _jobs_mock(*arguments: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "mock_server", *arguments, "--port", "{port}")


def mock_command(api: str, workers: int = 1, quiet: bool = True) -> ServerCommand:
    """`jobs-mock serve API`, quiet (`--log-level warning`) or at its default level (the access log on)."""
    label = workers_label(workers) if workers != 1 else MOCK_QUIET if quiet else MOCK
    return ServerCommand(label, _jobs_mock("serve", api, "--workers", str(workers), *(QUIET if quiet else ())))


def stateful_command(label: str, api: str, store: tuple[str, ...], workers: int = 1) -> ServerCommand:
    """`jobs-mock serve API --mode stateful` with its store options (none: in memory), quiet."""
    return ServerCommand(
        label,
        _jobs_mock("serve", api, "--mode", "stateful", *store, *QUIET, *(("--workers", str(workers)) * (workers > 1))),
    )


def mock_proxy_command(api: str, upstream: str) -> ServerCommand:
    return ServerCommand(MOCK_PROXY, _jobs_mock("proxy", api, "--upstream", upstream, *QUIET))


def prism_command(prism_bin: Path, spec: Path) -> ServerCommand:
    return ServerCommand(PRISM, (str(prism_bin), "mock", "-h", "127.0.0.1", "-p", "{port}", "-v", "warn", str(spec)))


def prism_proxy_command(prism_bin: Path, spec: Path, upstream: str) -> ServerCommand:
    return ServerCommand(
        PRISM_PROXY, (str(prism_bin), "proxy", "-h", "127.0.0.1", "-p", "{port}", "-v", "warn", str(spec), upstream)
    )


def mockoon_command(mockoon_bin: Path, spec: Path) -> ServerCommand:
    """Mockoon at its default log level (a line per request on stdout); `-X` keeps it from also writing log files
    into the home directory."""
    return ServerCommand(
        MOCKOON, (str(mockoon_bin), "start", "--data", str(spec), "--port", "{port}", "-l", "127.0.0.1", "-X")
    )


def _uvicorn(app: str, *options: str) -> tuple[str, ...]:
    """uvicorn serving `app` as the mock is served: one worker, uvloop, httptools, no access log."""
    return (
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        *options,
    )


def ceiling_command(body_file: Path, path: str, label: str = CEILING) -> ServerCommand:
    """A bare Starlette app answering ``path`` with the bytes of ``body_file``: the ceiling, and the proxies'
    upstream."""
    return ServerCommand(
        label,
        _uvicorn("bench.ceiling:app"),
        {"BENCH_CEILING_BODY": str(body_file), "BENCH_CEILING_PATH": path, "PYTHONPATH": str(REPO_DIR)},
    )


def relay_command(upstream: str) -> ServerCommand:
    """The relay floor (`bench/relay.py`): the proxy's upstream client with nothing checked; like the proxy, it
    leaves Date and Server to the upstream."""
    return ServerCommand(
        RELAY_FLOOR,
        _uvicorn("bench.relay:app", "--no-server-header", "--no-date-header"),
        {"BENCH_RELAY_UPSTREAM": upstream, "PYTHONPATH": str(REPO_DIR)},
    )
