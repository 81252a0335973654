"""`GET /__mock/coverage`: what a session exercised, in every mode (static, stateful, proxy).

The session is `?session=` or the `X-Mock-Session` header (the default session without either). An HTML page by
default, JSON for `Accept: application/json`. Every other `/__mock/...` path goes on to the mode's own controls.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from mock_server.control_access import CONTROL_PREFIX
from mock_server.coverage_page import coverage_page
from mock_server.error_formats import ErrorFormat, error_reply
from mock_server.errors import RequestError, StateError, Violation
from mock_server.session_coverage import SessionCoverage
from mock_server.state import session_name
from mock_server.wire import JSON_HEADER, SESSION_HEADER, Reply, Request, dumps, not_allowed, send_reply

COVERAGE_PATH = CONTROL_PREFIX + "/coverage"
HTML_HEADER = (b"content-type", b"text/html; charset=utf-8")
NO_STORE = (b"cache-control", b"no-store")


class CoverageControl:
    def __init__(self, app: ASGIApp, *, coverage: SessionCoverage, errors: ErrorFormat) -> None:
        self.app = app
        self.coverage = coverage
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != COVERAGE_PATH:
            await self.app(scope, receive, send)
            return
        try:
            reply = self._answer(Request.of(scope))
        except RequestError as error:
            reply = error_reply(self.errors, error)
        await send_reply(send, reply)

    def _answer(self, request: Request) -> Reply:
        if request.method not in ("GET", "HEAD"):
            violation = Violation(None, not_allowed(request.method, COVERAGE_PATH, "GET"))
            raise RequestError(405, [violation], headers=[(b"allow", b"GET")])
        asked = (request.query.get("session") or [""])[-1]
        try:
            session = session_name(asked or request.session)
        except StateError as error:
            if not asked:
                raise
            raise StateError(error.kind, error.message.replace(SESSION_HEADER, "session"), "session") from None
        report = self.coverage.report(session)
        accept = parse_accept_header(request.last_header("accept"), MIMEAccept)
        if accept.best_match(["text/html", "application/json"], default="text/html") == "application/json":
            return Reply(200, dumps({"session": session, **report.as_json()}), [JSON_HEADER, NO_STORE])
        page = coverage_page(report, session=session, sessions=self.coverage.sessions())
        return Reply(200, page.encode("utf-8"), [HTML_HEADER, NO_STORE])
