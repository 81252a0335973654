"""The mock's request path, as one ASGI middleware: route → auth → controls + validation → respond.

Fixed pages (`GET /`, the specs) are answered from bytes built at start-up; requests under the Swagger UI
prefixes go on to the next app (Swagger UI, then `not_found`). A failure of the mock
itself is answered here too, as a 500 in the API's error shape, so no generic error middleware sits on the
request path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.auth import BearerAuth
from mock_server.docs import Pages
from mock_server.error_formats import error_reply
from mock_server.errors import BodyTimeout, BodyTooLarge, ClientGone, InvalidRequest, RequestError, Violation
from mock_server.negotiation import APPLIED_HEADER, NO_CONTROLS, Preferences, parse_controls, read_preferences
from mock_server.responder import Call, Forwarded, Forwarder, Responder
from mock_server.router import Match, PathItem, Router, api_for_path
from mock_server.session_coverage import SessionCoverage
from mock_server.settings import Limits
from mock_server.spec import Api, Operation
from mock_server.validation import json_body, split_content_type, validate
from mock_server.wire import JSON_MEDIA_TYPE, UNEXPECTED_FAILURE, Reply, Request, not_allowed, send_reply

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Sent:
    """What coverage counts of a request beyond its view, learnt while it is answered."""

    body: Any = None  # the JSON body as parsed, once valid


class MockPipeline:
    def __init__(
        self,
        app: ASGIApp,
        *,
        apis: list[Api],
        auth: BearerAuth,
        responder: Responder,
        pages: Pages,
        docs_prefixes: tuple[str, ...],
        limits: Limits = Limits(),
        forwarder: Forwarder | None = None,
        coverage: SessionCoverage | None = None,
    ) -> None:
        self.app = app
        self.coverage = coverage
        self.forwarder = forwarder
        self.docs_prefixes = docs_prefixes
        self.apis = apis
        self.router = Router(apis)
        self.auth = auth
        self.responder = responder
        self.pages = pages
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._handle(Request.of(scope), receive, send)

    async def _handle(self, request: Request, receive: Receive, send: Send) -> None:
        match = self.router.match(request.raw_path)
        if self.forwarder is not None:
            await self._forward(self.forwarder, match, request, receive, send)
            return
        if match is None:
            await self._unrouted(request, receive, send)
            return
        operation = match.item.methods.get(request.method)
        if operation is None:
            reply = _no_such_method(match.item, request.method)
            self._count(request, None, reply)
            await send_reply(send, reply)
            return
        preferences = read_preferences(request.header("prefer"))
        sent = Sent()
        try:
            reply = await self._answer(operation, match, request, preferences, receive, sent)
        except ClientGone:
            return
        except RequestError as error:
            reply = error_reply(match.item.api.errors, error)
        except Exception:
            logger.exception("jobs-mock failed to answer %s %s", request.method, request.path)
            reply = error_reply(match.item.api.errors, RequestError(500, [Violation(None, UNEXPECTED_FAILURE)]))
        self._count(request, operation, reply, sent.body)
        ignored = preferences.ignored_header()
        if ignored is not None:
            reply.headers.append(ignored)
        await send_reply(send, reply)

    def _count(self, request: Request, operation: Operation | None, reply: Reply, body: Any = None) -> None:
        if self.coverage is not None:
            self.coverage.record(
                request.session, operation, reply.status, example=reply.example, query=request.query, body=body
            )

    async def _unrouted(self, request: Request, receive: Receive, send: Send) -> None:
        path = request.path
        page = self.pages.get(path) if request.method == "GET" else None
        if page is None and path.startswith(self.docs_prefixes):
            await self.app(request.scope, receive, send)  # Swagger UI
            return
        reply = page or not_found_reply(self.apis, path)
        if page is None:
            self._count(request, None, reply)
        await send_reply(send, reply)

    async def _answer(
        self,
        operation: Operation,
        match: Match,
        request: Request,
        preferences: Preferences,
        receive: Receive,
        sent: Sent,
    ) -> Reply:
        """Auth, then controls and validation together, then the responder; each refuses with a `RequestError`."""
        headers = request.headers
        if operation.secured:
            self.auth.check(headers.get("authorization", ()))
        bad_controls: Sequence[Violation] = ()
        try:
            controls = parse_controls(preferences, request.query)
        except InvalidRequest as error:
            controls, bad_controls = NO_CONTROLS, error.violations
        body = (
            await request.read_body(receive, self.limits.max_body_bytes, self.limits.body_timeout)
            if operation.body is not None
            else b""
        )
        try:
            valid = validate(operation, match.path_params, request, body)
        except InvalidRequest as error:
            raise InvalidRequest([*bad_controls, *error.violations]) from None
        if bad_controls:
            raise InvalidRequest(bad_controls)
        sent.body = valid.body
        request_key = f"{request.method} {request.path}?{request.query_string}"
        call = Call(
            match.item.api,
            operation,
            match.path_params,
            valid.parameters,
            valid.body,
            controls,
            request_key,
            request.session,
        )
        try:
            reply = await self.responder.respond(call)
        except RequestError:
            if controls.delay_ms:  # a response the responder refuses comes as late as one it gives
                await asyncio.sleep(controls.delay_ms / 1000)
            raise
        if controls.delay_ms:
            await asyncio.sleep(controls.delay_ms / 1000)
            reply.headers = [_with_delay(header, controls.delay_ms) for header in reply.headers]
        return reply

    async def _forward(
        self, forwarder: Forwarder, match: Match | None, request: Request, receive: Receive, send: Send
    ) -> None:
        """Proxy mode: every request goes to the forwarder with its violations and the answer the mock would give."""
        api = match.item.api if match is not None else api_for_path(self.apis, request.path)
        try:
            body = await request.read_body(receive, self.limits.max_body_bytes, self.limits.body_timeout)
        except (BodyTooLarge, BodyTimeout) as error:
            unread = error_reply(api.errors, error)
            await send_reply(send, unread)
            return
        except ClientGone:
            return
        method = request.method
        operation = match.item.methods.get(method) if match is not None else None
        violations: list[Violation] = []
        refusal: Reply | None = None
        if match is None:
            refused: RequestError | None = RequestError(
                404, [Violation(None, f"no operation at {request.path} in the spec")]
            )
        elif operation is None:
            refused = None
            refusal = _no_such_method(match.item, method)
            violations = [] if method == "OPTIONS" else [_method_not_allowed(match.item, method)]
        else:
            refused = self._refusal(operation, match, request, body)
        if refused is not None:
            violations, refusal = refused.violations, error_reply(api.errors, refused)
        target = request.target
        path_params = match.path_params if match is not None else {}
        forwarded = Forwarded(
            api, operation, method, target, request.scope["headers"], body, path_params, violations, refusal
        )
        try:
            reply = await forwarder.forward(forwarded)
        except Exception:
            logger.exception("jobs-mock failed to forward %s %s", method, request.path)
            reply = error_reply(api.errors, RequestError(500, [Violation(None, UNEXPECTED_FAILURE)]))
        self._count(request, operation, reply, _json_or_none(body, request) if operation else None)
        await send_reply(send, reply)

    def _refusal(self, operation: Operation, match: Match, request: Request, body: bytes) -> RequestError | None:
        """Why the mock would refuse a request it forwards: a 401 or a 400 naming every violation of both."""
        unauthorized: RequestError | None = None
        if operation.secured:
            try:
                self.auth.check(request.header("authorization"))
            except RequestError as error:
                unauthorized = error
        invalid: list[Violation] = []
        try:
            validate(operation, match.path_params, request, body)
        except InvalidRequest as error:
            invalid = error.violations
        if unauthorized is not None:
            return RequestError(401, [*unauthorized.violations, *invalid], headers=unauthorized.headers)
        return InvalidRequest(invalid) if invalid else None


def _json_or_none(body: bytes, request: Request) -> Any:
    """A forwarded JSON body as a value, for coverage; None for any other body."""
    media_type, options = split_content_type(request.content_type)
    if not body or media_type != JSON_MEDIA_TYPE:
        return None
    value, problems = json_body(body, options)
    return None if problems else value


def _with_delay(header: tuple[bytes, bytes], delay_ms: int) -> tuple[bytes, bytes]:
    name, value = header
    return (name, value + f", delay={delay_ms}".encode()) if name == APPLIED_HEADER else header


def _method_not_allowed(item: PathItem, method: str) -> Violation:
    return Violation(None, not_allowed(method, item.template, item.allow))


def _no_such_method(item: PathItem, method: str) -> Reply:
    """OPTIONS: 204 with `Allow`; any other method the spec does not declare: 405 with the same `Allow`."""
    allow = (b"allow", item.allow.encode())
    if method == "OPTIONS":
        return Reply(204, b"", [allow])
    return error_reply(item.api.errors, RequestError(405, [_method_not_allowed(item, method)], headers=[allow]))


def not_found_reply(apis: list[Api], path: str) -> Reply:
    """A 404 in the error shape of the API whose namespace holds the path."""
    message = f"no operation at {path}; GET / lists what this mock serves"
    return error_reply(api_for_path(apis, path).errors, RequestError(404, [Violation(None, message)]))


def not_found(apis: list[Api]) -> Callable[[Scope, Receive, Send], object]:
    """The last app (after Swagger UI): a 404 for what no one serves (the lifespan is answered further out)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send_reply(send, not_found_reply(apis, scope["path"]))

    return app
