"""The HTTP side of the mock: a request as read from ASGI, a reply and how it is sent, and the wording they share.

A `Request` is a view of one ASGI scope that parses its headers and query once, when it is made (the raw path
when first asked for); a middleware in front of the pipeline (the control endpoints') shares its view with the
pipeline, so the same headers are never parsed twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.types import Receive, Scope, Send

from mock_server.errors import BodyTimeout, BodyTooLarge, ClientGone
from mock_server.numbers import integer_or_none

JSON_MEDIA_TYPE = "application/json"
JSON_HEADER = (b"content-type", JSON_MEDIA_TYPE.encode())
SESSION_HEADER = "X-Mock-Session"
UNEXPECTED_FAILURE = "the mock failed to answer this request; the traceback is in its log"

Headers = dict[str, list[str]]
_SESSION = SESSION_HEADER.lower()
_SCOPE_KEY = "jobs_mock.request"  # where the view of a request waits for the next middleware


def dumps(value: Any) -> bytes:
    """Compact JSON, as every body the mock builds is written; `ValueError` for a non-finite float, which JSON
    cannot carry (`Infinity` would make the body invalid JSON)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def not_allowed(method: str, path: str, allow: str) -> str:
    """The message of a 405."""
    return f"{method} is not allowed on {path}; allowed: {allow}"


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    example: str | None = None  # the documented example this answer serves, for coverage


async def send_reply(send: Send, reply: Reply) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [*reply.headers, (b"content-length", str(len(reply.body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": reply.body})


def _parse_query(query_string: str) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    return query


class Request:
    """An HTTP request's scope, parsed: header names lower case, headers and query multi-valued."""

    __slots__ = ("headers", "method", "path", "query", "query_string", "scope")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        # Every request the pipeline answers reads its headers (auth, Prefer, the session); parsing them here
        # makes each later read an attribute, not a call.
        headers: Headers = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        self.headers = headers
        raw_query: bytes = scope.get("query_string", b"")
        self.query_string = raw_query.decode("latin-1")
        self.query: dict[str, list[str]] = _parse_query(self.query_string) if raw_query else {}

    @classmethod
    def shared(cls, scope: Scope) -> Request:
        """A view of this request that the middlewares further in reuse (`of`)."""
        view = scope[_SCOPE_KEY] = cls(scope)
        return view

    @classmethod
    def of(cls, scope: Scope) -> Request:
        """The view a middleware further out shared, or a new one."""
        view: Request | None = scope.get(_SCOPE_KEY)
        return view if view is not None else cls(scope)

    @property
    def raw_path(self) -> str:
        """The path as sent (percent-encoded), so an encoded `/` or `:` stays inside its segment."""
        raw = self.scope.get("raw_path")
        if raw:
            return str(raw.decode("latin-1").partition("?")[0])
        return quote(self.scope["path"], safe="/:@!$&'()*+,;=-._~")

    @property
    def target(self) -> str:
        """The path and query as sent (percent-encoded), as a request line carries them."""
        query = self.query_string
        return self.raw_path + (f"?{query}" if query else "")

    def header(self, name: str) -> Sequence[str]:
        """Every value of header `name` (lower case), in the order sent."""
        return self.headers.get(name, ())

    def last_header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[-1] if values else None

    @property
    def session(self) -> str | None:
        """The `X-Mock-Session` header: whose state a stateful mock uses."""
        values = self.headers.get(_SESSION)
        return values[-1] if values else None

    @property
    def content_type(self) -> str | None:
        return self.last_header("content-type")

    async def read_body(self, receive: Receive, limit: int, timeout: float | None = None) -> bytes:
        """The whole body; `BodyTooLarge` past `limit` bytes, `BodyTimeout` when it has not all come within
        `timeout` seconds, `ClientGone` when the client leaves first."""
        length = self.last_header("content-length")
        if length is None and "transfer-encoding" not in self.headers:
            return b""  # HTTP/1.1 (RFC 9112 section 6.3): a request with neither header has no body
        declared = integer_or_none(length)  # None also for one the server let through
        if declared is not None and declared > limit:
            raise BodyTooLarge(limit)
        try:
            async with asyncio.timeout(timeout):
                return await _body(receive, limit)
        except TimeoutError:
            raise BodyTimeout(timeout or 0) from None


async def _body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
