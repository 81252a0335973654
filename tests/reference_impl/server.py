"""Serve the reference implementation on a free loopback port, in a thread, for the length of a `with` block."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_app
from .faults import Fault


class QuietHandler(WSGIRequestHandler):
    # Keep-alive: a contract run sends thousands of requests; a connection each would dominate the time.
    protocol_version = "HTTP/1.1"

    def log_request(self, *args: object, **kwargs: object) -> None:
        """Requests are recorded by the app (`requests_seen`), not logged."""


@dataclass
class RunningServer:
    app: Flask
    origin: str

    @property
    def flatfile_url(self) -> str:
        return f"{self.origin}/v1"

    @property
    def sift_url(self) -> str:
        return self.origin

    def url_for(self, api: str) -> str:
        return {"flatfile": self.flatfile_url, "sift": self.sift_url}[api]

    @property
    def requests_seen(self) -> list[tuple[str, str]]:
        return self.app.extensions["requests_seen"]


@contextmanager
def serve(*, token: str, faults: Iterable[Fault] = ()) -> Iterator[RunningServer]:
    app = create_app(token=token, faults=faults)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="reference-impl", daemon=True)
    thread.start()
    try:
        yield RunningServer(app=app, origin=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
