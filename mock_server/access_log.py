"""The access log of `jobs-mock serve`: one line per request, whoever answered it, written in batches.

uvicorn's access logger builds a `LogRecord` per request and writes it through the logging machinery on the
event loop; that cost half the mock's throughput. Here the outermost middleware (`AccessLogged`) formats a
line from the request view and the status sent and appends it to a queue; a background thread writes what
has queued every `interval_s` (and at shutdown) in one call, so the event loop never waits on the terminal
or the pipe.

A line: ``2026-12-01T23:50:01.123Z GET /v1/jobs?pageSize=10 200 0.42ms session=-`` (UTC time the request
arrived, method, path with its query as sent, status, time taken until the answer was sent, the
`X-Mock-Session` header or ``-``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.wire import Request

DEFAULT_INTERVAL_S = 0.2
NO_SESSION = "-"


def access_line(at: float, method: str, target: str, status: int, seconds: float, session: str | None) -> str:
    """The line for one request (``at`` in seconds since the epoch), newline included."""
    return _Timestamps().of(at) + _rest(method, target, status, seconds, session)


def _rest(method: str, target: str, status: int, seconds: float, session: str | None) -> str:
    return f" {method} {target} {status} {seconds * 1000:.2f}ms session={session or NO_SESSION}\n"


class _Timestamps:
    """ISO 8601 UTC with milliseconds; the part down to the second is formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def of(self, at: float) -> str:
        second = int(at)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((at - second) * 1000):03d}Z"


class AccessLog:
    def __init__(
        self,
        stream: TextIO | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stream = stream
        self._interval_s = interval_s
        self.clock = clock
        self._lines: deque[str] = deque()  # appends and pops are atomic: the writer needs no lock
        self._timestamps = _Timestamps()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._closed = False

    def record(self, at: float, method: str, target: str, status: int, seconds: float, session: str | None) -> None:
        self._lines.append(self._timestamps.of(at) + _rest(method, target, status, seconds, session))
        if self._closed:
            self.flush()
        elif self._writer is None:
            self._writer = threading.Thread(target=self._write_periodically, name="jobs-mock access log", daemon=True)
            self._writer.start()

    def flush(self) -> None:
        """Write every queued line now, in one call."""
        lines = self._lines
        batch = [lines.popleft() for _ in range(len(lines))]
        if batch:
            stream = self._stream or sys.stdout  # looked up late: tests and uvicorn may swap sys.stdout
            stream.write("".join(batch))
            stream.flush()

    def close(self) -> None:
        """Stop the writer and write what is left; lines recorded afterwards are written at once."""
        self._closed = True
        self._wake.set()
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        self.flush()

    def _write_periodically(self) -> None:
        while not self._wake.wait(self._interval_s):
            self.flush()


class AccessLogged:
    """Outermost: a line for every request answered, by the pipeline, a CORS preflight or a control endpoint;
    none for a client that left before an answer."""

    def __init__(self, app: ASGIApp, log: AccessLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request.shared(scope)
        at, started = self.log.clock(), time.perf_counter()
        status = 0

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, noting)
        if status:
            elapsed = time.perf_counter() - started
            self.log.record(at, request.method, request.target, status, elapsed, request.session)
