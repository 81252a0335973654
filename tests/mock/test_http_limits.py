"""HTTP limits (and the README's table of every limit): a header block over --max-header-bytes is a 431 before it is buffered, a header block or body
that stops arriving is a 408 after --body-timeout and its connection is closed; malformed HTTP keeps the
server's plain 400, and whatever the app answers is in the API's error shape."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from mock_server.negotiation import MAX_DELAY_MS
from mock_server.numbers import MAX_DIGITS
from mock_server.proxy.settings import ProxySettings
from mock_server.settings import Limits
from mock_server.state.cel_filter import (
    EVALUATION_COST,
    EVALUATION_SECONDS,
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_NESTING,
    MAX_VALUE_SIZE,
)
from mock_server.state.paging import SCAN_LIMIT
from mock_server.validation import MAX_VIOLATIONS
from tests.support.servers import AsgiClient, MockProcess

FLATFILE = {"Authorization": "Bearer t", "X-Disable-Hooks": "true", "Content-Type": "application/json"}
READ_TIMEOUT = 10.0
README = Path(__file__).resolve().parents[2] / "README.md"
PROXY = ProxySettings(upstreams={"flatfile": "http://127.0.0.1:9", "sift": "http://127.0.0.1:9"})


def _exchange(process: MockProcess, request: bytes) -> bytes:
    """Sends `request` on a connection of its own and reads until the server closes it."""
    received = b""
    with socket.create_connection(("127.0.0.1", process.port), timeout=READ_TIMEOUT) as connection:
        with suppress(ConnectionResetError, BrokenPipeError):  # a server that closes early must not lose it
            connection.sendall(request)
        with suppress(ConnectionResetError):
            while data := connection.recv(65536):
                received += data
    return received


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockProcess]:
    process = MockProcess(["--max-header-bytes", "16384", "--body-timeout", "1"], tmp_path_factory.mktemp("limits"))
    yield process
    process.stop()


@pytest.mark.parametrize("size", [100_000, 20_000_000])
def test_a_header_block_over_the_limit_is_a_431_and_the_connection_closes(mock: MockProcess, size: int) -> None:
    request = b"GET /v1/jobs HTTP/1.1\r\nHost: mock\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    answer = _exchange(mock, request)
    assert _status(answer) == 431
    assert b"connection: close" in answer.lower() and b"16384 bytes" in answer


def test_a_long_target_counts_too_and_a_block_within_the_limit_is_served(mock: MockProcess) -> None:
    long_target = b"GET /v1/jobs?x=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: mock\r\n\r\n"
    assert _status(_exchange(mock, long_target)) == 431
    within = b"GET / HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nX-Big: " + b"a" * 15_000 + b"\r\n\r\n"
    assert _status(_exchange(mock, within)) == 200


def test_a_body_that_stops_arriving_is_a_408_in_the_api_shape(mock: MockProcess) -> None:
    head = b"POST /v1/jobs HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer t\r\nX-Disable-Hooks: true\r\n"
    answer = _exchange(mock, head + b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"type":')
    head_part, _, body = answer.partition(b"\r\n\r\n")
    assert _status(answer) == 408 and b"connection: close" in head_part.lower()
    assert body == b'{"errors":[{"key":"body","message":"the request body did not arrive within 1 seconds"}]}'


def test_a_header_block_that_stops_arriving_is_a_408(mock: MockProcess) -> None:
    answer = _exchange(mock, b"GET /v1/jobs HTTP/1.1\r\nHost: mock\r\nX-Slow: ")
    assert _status(answer) == 408 and b"did not arrive within 1 seconds" in answer


def test_malformed_http_keeps_the_servers_plain_400(mock: MockProcess) -> None:
    answer = _exchange(mock, b"NOT HTTP AT ALL\r\n\r\n")
    assert _status(answer) == 400 and b"text/plain" in answer


async def _stalling_body() -> AsyncIterator[bytes]:
    yield b'{"type":'
    await asyncio.sleep(30)
    yield b"}"


@pytest.mark.parametrize(
    ("settings", "path", "headers"),
    [
        ({}, "/v1/jobs", FLATFILE),
        ({"mode": "stateful"}, "/v1/jobs", FLATFILE),
        ({"proxy": PROXY}, "/api/v1/jobs", {"Authorization": "Bearer t"}),  # the proxy reads every body
    ],
)
def test_the_body_timeout_answers_in_each_api_shape(
    mock_with: Callable[..., AsgiClient], settings: dict[str, object], path: str, headers: dict[str, str]
) -> None:
    client = mock_with(limits=Limits(body_timeout=0.2), **settings)
    response = client.post(path, headers=headers, content=_stalling_body())
    assert response.status_code == 408 and response.headers["connection"] == "close"
    body = response.json()
    if "errors" in body:
        assert body["errors"][0]["key"] == "body"
    else:
        assert body["code"] == 4 and "did not arrive within 0.2 seconds" in body["message"]


def test_the_readme_limits_table_is_the_code() -> None:
    rows = {
        cells[0]: cells[1:]
        for line in README.read_text().splitlines()
        if line.startswith("| ") and len(cells := [cell.strip() for cell in line.strip("|").split("|")]) == 4
    }
    figures = {
        "body": f"{Limits().max_body_bytes // 1_048_576} MiB",
        "header block: request line and headers": f"{Limits().max_header_bytes // 1024} KiB",
        "time for the body to arrive": f"{Limits().body_timeout:g} s",
        "time for the header block to arrive": f"{Limits().body_timeout:g} s",
        "integers (query, headers, body, `Prefer`)": f"{MAX_DIGITS:,} digits",
        "`Prefer: delay`": f"{MAX_DELAY_MS:,} ms",
        "violations listed in a 400": str(MAX_VIOLATIONS),
    }
    for limit, default in figures.items():
        assert rows[limit][0] == default, limit
    size = rows["Sift `filter`: size"][0]
    assert (
        f"{MAX_FILTER_LENGTH:,} characters" in size
        and f"{MAX_NESTING} levels" in size
        and f"{MAX_DEPTH} levels" in size
    )
    cost = rows["Sift `filter`: cost, stateful mode"][0]
    assert f"{EVALUATION_COST:,} evaluation steps" in cost and f"{MAX_VALUE_SIZE:,} characters" in cost
    assert f"{EVALUATION_SECONDS:g} s" in cost and f"{SCAN_LIMIT:,} candidate jobs" in cost
