"""The mock's request path, as one ASGI middleware: route → auth → controls + validation → respond.

Fixed pages (`GET /`, the specs) are answered from bytes built at start-up; requests under the Swagger UI
prefixes go on to the next app (Swagger UI, then `not_found`). A failure of the mock
itself is answered here too, as a 500 in the API's error shape, so no generic error middleware sits on the
request path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.auth import CHALLENGE, BearerAuth
from mock_server.docs import Pages
from mock_server.errors import Violation
from mock_server.negotiation import parse_controls
from mock_server.responder import SESSION_HEADER, Call, Forwarded, Forwarder, Reply, Responder, error_reply
from mock_server.router import Match, PathItem, Router
from mock_server.spec import Api, Operation
from mock_server.validation import RawRequest, validate

Headers = dict[str, list[str]]
UNEXPECTED_FAILURE = "the mock failed to answer this request; the traceback is in its log"
logger = logging.getLogger(__name__)
_SESSION = SESSION_HEADER.lower()


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1_048_576


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


def _headers(scope: Scope) -> Headers:
    headers: Headers = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
    return headers


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if raw:
        return raw.decode("latin-1").partition("?")[0]
    return quote(scope["path"], safe="/:@!$&'()*+,;=-._~")


def _query(scope: Scope) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    raw = scope.get("query_string", b"")
    if raw:
        for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            query.setdefault(name, []).append(value)
    return query


async def _read_body(receive: Receive, headers: Headers, limit: int) -> bytes:
    length = headers.get("content-length")
    if length and length[-1].isdigit() and int(length[-1]) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_reply(send: Send, reply: Reply) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [*reply.headers, (b"content-length", str(len(reply.body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": reply.body})


def api_for_path(apis: list[Api], path: str) -> Api:
    """The API whose URL namespace holds `path` (longest first), for errors outside any operation."""
    owners = [api for api in apis if path == api.namespace or path.startswith(api.namespace.rstrip("/") + "/")]
    return max(owners, key=lambda api: len(api.namespace), default=apis[0])


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
    ) -> None:
        self.app = app
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
        match = self.router.match(_raw_path(scope))
        if self.forwarder is not None:
            await self._forward(self.forwarder, match, scope, receive, send)
            return
        if match is None:
            await self._unrouted(scope, receive, send)
            return
        operation = match.item.methods.get(scope["method"])
        if operation is None:
            await send_reply(send, _no_such_method(match.item, scope["method"]))
            return
        try:
            reply = await self._answer(operation, match, scope, receive)
        except Exception:
            logger.exception("jobs-mock failed to answer %s %s", scope["method"], scope["path"])
            reply = error_reply(match.item.api.errors, 500, [Violation(None, UNEXPECTED_FAILURE)])
        if reply is not None:
            await send_reply(send, reply)

    async def _unrouted(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        page = self.pages.get(path) if scope["method"] == "GET" else None
        if page is not None:
            await send_reply(send, page)
        elif path.startswith(self.docs_prefixes):
            await self.app(scope, receive, send)
        else:
            await send_reply(send, not_found_reply(self.apis, path))

    async def _answer(self, operation: Operation, match: Match, scope: Scope, receive: Receive) -> Reply | None:
        """Auth, then controls and validation together, then the responder; None when the client left."""
        api = match.item.api
        headers = _headers(scope)
        if operation.secured:
            problem = self.auth.check(headers.get("authorization", ()))
            if problem is not None:
                return error_reply(api.errors, 401, [problem], [CHALLENGE])
        query = _query(scope)
        controls = parse_controls(headers.get("prefer", ()), query)
        body = b""
        if operation.body is not None:
            try:
                body = await _read_body(receive, headers, self.limits.max_body_bytes)
            except BodyTooLarge:
                return self._too_large(api)
            except ClientGone:
                return None
        content_type = headers.get("content-type")
        request = RawRequest(match.path_params, query, headers, content_type[-1] if content_type else None, body)
        valid = validate(operation, request)
        if isinstance(controls, list) or isinstance(valid, list):
            problems = [*(controls if isinstance(controls, list) else ()), *(valid if isinstance(valid, list) else ())]
            return error_reply(api.errors, 400, problems)
        request_key = f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"
        session = headers.get(_SESSION, [None])[-1]
        call = Call(api, operation, match.path_params, valid.parameters, valid.body, controls, request_key, session)
        reply = await self.responder.respond(call)
        if controls.delay_ms:
            await asyncio.sleep(controls.delay_ms / 1000)
        return reply

    def _too_large(self, api: Api) -> Reply:
        message = f"the request body is larger than {self.limits.max_body_bytes} bytes"
        return error_reply(api.errors, 413, [Violation("body", message)])

    async def _forward(
        self, forwarder: Forwarder, match: Match | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Proxy mode: every request goes to the forwarder with its violations and the answer the mock would give."""
        api = match.item.api if match is not None else api_for_path(self.apis, scope["path"])
        headers = _headers(scope)
        try:
            body = await _read_body(receive, headers, self.limits.max_body_bytes)
        except BodyTooLarge:
            await send_reply(send, self._too_large(api))
            return
        except ClientGone:
            return
        operation = match.item.methods.get(scope["method"]) if match is not None else None
        violations: list[Violation] = []
        refusal: Reply | None = None
        if match is None:
            violations = [Violation(None, f"no operation at {scope['path']} in the spec")]
            refusal = error_reply(api.errors, 404, violations)
        elif operation is None:
            refusal = _no_such_method(match.item, scope["method"])
            violations = [] if scope["method"] == "OPTIONS" else [_method_not_allowed(match.item, scope["method"])]
        else:
            problem = self.auth.check(headers.get("authorization", ())) if operation.secured else None
            content_type = headers.get("content-type")
            request = RawRequest(
                match.path_params, _query(scope), headers, content_type[-1] if content_type else None, body
            )
            valid = validate(operation, request)
            violations = [*([problem] if problem else ()), *(valid if isinstance(valid, list) else ())]
            if problem is not None:
                refusal = error_reply(api.errors, 401, violations, [CHALLENGE])
            elif violations:
                refusal = error_reply(api.errors, 400, violations)
        query = scope.get("query_string", b"").decode("latin-1")
        target = _raw_path(scope) + (f"?{query}" if query else "")
        path_params = match.path_params if match is not None else {}
        forwarded = Forwarded(
            api, operation, scope["method"], target, scope["headers"], body, path_params, violations, refusal
        )
        try:
            reply = await forwarder.forward(forwarded)
        except Exception:
            logger.exception("jobs-mock failed to forward %s %s", scope["method"], scope["path"])
            reply = error_reply(api.errors, 500, [Violation(None, UNEXPECTED_FAILURE)])
        await send_reply(send, reply)


def _method_not_allowed(item: PathItem, method: str) -> Violation:
    return Violation(None, f"{method} is not allowed on {item.template}; allowed: {item.allow}")


def _no_such_method(item: PathItem, method: str) -> Reply:
    """OPTIONS: 204 with `Allow`; any other method the spec does not declare: 405 with the same `Allow`."""
    allow = (b"allow", item.allow.encode())
    if method == "OPTIONS":
        return Reply(204, b"", [allow])
    return error_reply(item.api.errors, 405, [_method_not_allowed(item, method)], [allow])


def not_found_reply(apis: list[Api], path: str) -> Reply:
    """A 404 in the error shape of the API whose namespace holds the path."""
    message = f"no operation at {path}; GET / lists what this mock serves"
    return error_reply(api_for_path(apis, path).errors, 404, [Violation(None, message)])


def not_found(apis: list[Api]) -> Callable[[Scope, Receive, Send], object]:
    """The last app (after Swagger UI): a 404 for what no one serves (the lifespan is answered further out)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send_reply(send, not_found_reply(apis, scope["path"]))

    return app
