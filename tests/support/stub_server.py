"""A tiny HTTP server for the contract runner's own tests: it answers as a test tells it and records when each
request arrived (server-side timestamps), on 127.0.0.1 and a free port, in a thread, for one `with` block."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (status, JSON body) for a method and path; `None` lets the request go unanswered until the server stops.
Answer = Callable[[str, str], "tuple[int, bytes] | None"]


@dataclass
class StubServer:
    origin: str
    arrivals: list[tuple[float, str, str]] = field(default_factory=list)  # (monotonic time, method, path)
    stopping: threading.Event = field(default_factory=threading.Event)

    def busiest_second(self) -> int:
        """The most requests that arrived within any one-second window."""
        times = sorted(arrival for arrival, _, _ in self.arrivals)
        return max((sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times)), default=0)


def _handler(server: StubServer, answer: Answer, hang_seconds: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Arrivals are recorded, not logged."""

        def _answer(self) -> None:
            server.arrivals.append((time.monotonic(), self.command, self.path))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            reply = (200, b"") if self.command == "HEAD" else answer(self.command, self.path)
            if reply is None:
                server.stopping.wait(hang_seconds)
                self.close_connection = True
                return
            status, body = reply
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = do_HEAD = _answer

    return Handler


@contextmanager
def stub_server(answer: Answer, *, hang_seconds: float = 30.0) -> Iterator[StubServer]:
    stub = StubServer(origin="")
    http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub, answer, hang_seconds))
    http.daemon_threads = True
    stub.origin = f"http://127.0.0.1:{http.server_port}"
    thread = threading.Thread(target=http.serve_forever, name="stub-server", daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.stopping.set()
        http.shutdown()
        http.server_close()
        thread.join(timeout=10)
