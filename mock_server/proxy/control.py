"""The proxy's control endpoints, outside the APIs' paths (never forwarded):

- `GET /__mock/violations?limit=N`: the violating exchanges, newest first (at most the last 1000 are kept).
- `POST /__mock/report`: write junit.xml, summary.md and violations.json to `--report-dir` now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.control_access import CONTROL_PREFIX, is_control_path
from mock_server.error_formats import ErrorFormat, error_reply
from mock_server.errors import InvalidRequest, RequestError, Violation
from mock_server.numbers import integer_or_none, quoted
from mock_server.wire import JSON_HEADER, Reply, Request, dumps, not_allowed, send_reply

from .findings import MAX_KEPT, Findings
from .report import write_report

DEFAULT_LIMIT = 100


class ProxyControl:
    def __init__(self, app: ASGIApp, *, findings: Findings, report_dir: Path | None, errors: ErrorFormat) -> None:
        self.app = app
        self.findings = findings
        self.report_dir = report_dir
        self.errors = errors
        self._endpoints: dict[tuple[str, str], Callable[[dict[str, str]], Any]] = {
            ("GET", "/violations"): self._violations,
            ("POST", "/report"): self._report,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not is_control_path(path):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        name = path[len(CONTROL_PREFIX) :]
        endpoint = self._endpoints.get((request.method, name))
        if endpoint is None:
            allowed = sorted(method for method, known in self._endpoints if known == name)
            if allowed:
                message = not_allowed(request.method, path, ", ".join(allowed))
                allow = (b"allow", ", ".join(allowed).encode())
                reply = error_reply(self.errors, RequestError(405, [Violation(None, message)], headers=[allow]))
            else:
                known = ", ".join(f"{method} {CONTROL_PREFIX}{name}" for method, name in self._endpoints)
                message = f"no control endpoint at {path}; there are {known}"
                reply = error_reply(self.errors, RequestError(404, [Violation(None, message)]))
            await send_reply(send, reply)
            return
        query = {name: values[-1] for name, values in request.query.items()}
        result = endpoint(query)
        if asyncio.iscoroutine(result):
            result = await result
        await send_reply(send, result if isinstance(result, Reply) else Reply(200, dumps(result), [JSON_HEADER]))

    def _violations(self, query: dict[str, str]) -> Reply | dict[str, Any]:
        text = query.get("limit", str(DEFAULT_LIMIT))
        limit = integer_or_none(text)
        if limit is None or not 1 <= limit <= MAX_KEPT:
            message = f"limit must be a whole number from 1 to {MAX_KEPT}, not {quoted(text)}"
            return error_reply(self.errors, InvalidRequest([Violation("limit", message)]))
        return {
            "exchanges": self.findings.exchanges,
            "violating": self.findings.violating,
            "violations": [finding.as_json() for finding in self.findings.recent(limit)],
        }

    async def _report(self, _query: dict[str, str]) -> Reply | dict[str, Any]:
        if self.report_dir is None:
            message = "no report directory: start the proxy with --report-dir DIR to write reports"
            return error_reply(self.errors, RequestError(409, [Violation(None, message)]))
        try:
            written = await asyncio.to_thread(write_report, self.findings, self.report_dir)
        except OSError as error:
            failure = Violation(None, f"the report could not be written: {error}")
            return error_reply(self.errors, RequestError(500, [failure]))
        return {"written": [str(path) for path in written]}
