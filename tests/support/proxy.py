"""Shared by the proxy tests: a proxy built in-process in front of an upstream, and tiny misbehaving upstreams."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mock_server.app import build_app
from mock_server.proxy.mode import ProxyMode
from mock_server.proxy.settings import ProxySettings
from mock_server.settings import Settings
from tests.support.servers import AsgiClient

TOKEN = "s3cr3t-proxy-token-0451"
FLATFILE = {"Authorization": f"Bearer {TOKEN}", "X-Disable-Hooks": "true"}
SIFT = {"Authorization": f"Bearer {TOKEN}"}
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}
TINY_SERVER_TIMEOUT = 5.0


class Proxy:
    """An in-process `jobs-mock proxy` (both APIs) and the client that talks to it."""

    def __init__(self, upstream: str | dict[str, str], token: str | None = TOKEN, **options: Any) -> None:
        upstreams = upstream if isinstance(upstream, dict) else {"flatfile": upstream, "sift": upstream}
        settings = Settings(apis=tuple(upstreams), token=token, proxy=ProxySettings(upstreams=upstreams, **options))
        self.app = build_app(settings)
        self.client = AsgiClient(self.app.asgi)
        # With a token the control endpoints need it too (tests/mock/test_control_access.py).
        self.control_headers = {"Authorization": f"Bearer {token}"} if token else {}

    def violations(self) -> dict[str, Any]:
        response = self.client.get("/__mock/violations", headers=self.control_headers)
        assert response.status_code == 200, response.text
        return response.json()

    def found(self) -> set[tuple[str, str, str]]:
        """(api, operation, direction) of every violation reported."""
        return {
            (entry["api"], entry["operation"], violation["direction"])
            for entry in self.violations()["violations"]
            for violation in entry["violations"]
        }

    def close(self) -> None:
        """What the lifespan's shutdown does: the upstream connections closed, the report written."""
        mode = self.app.mode
        assert isinstance(mode, ProxyMode)
        self.client.run(mode.aclose())
        self.client.close()


@pytest.fixture
def proxy_to() -> Iterator[Callable[..., Proxy]]:
    """`proxy_to(upstream, **ProxySettings options)`; every proxy built is closed after the test."""
    proxies: list[Proxy] = []

    def build(upstream: str | dict[str, str], **options: Any) -> Proxy:
        proxies.append(Proxy(upstream, **options))
        return proxies[-1]

    yield build
    for proxy in proxies:
        proxy.close()


@contextmanager
def tiny_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that gives each connection to `handle` in a thread; yields its origin."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stopping = threading.Event()
    connections: list[socket.socket] = []

    def accept() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(connection)
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join(TINY_SERVER_TIMEOUT)
        listener.close()
        for connection in connections:
            connection.close()
