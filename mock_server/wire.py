"""The HTTP side of the mock: a request as read from ASGI, a reply and how it is sent, and the wording they share.

A `Request` is a view of one ASGI scope that parses what is asked of it (headers, query, raw path, session) at
most once; the middlewares of one request share a single view, so the control endpoints' middleware and the
pipeline never parse the same headers twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.types import Receive, Scope, Send

from mock_server.errors import BodyTooLarge, ClientGone

JSON_MEDIA_TYPE = "application/json"
JSON_HEADER = (b"content-type", JSON_MEDIA_TYPE.encode())
SESSION_HEADER = "X-Mock-Session"
UNEXPECTED_FAILURE = "the mock failed to answer this request; the traceback is in its log"

Headers = dict[str, list[str]]
_SESSION = SESSION_HEADER.lower()
_SCOPE_KEY = "jobs_mock.request"  # where the view of a request waits for the next middleware


def dumps(value: Any) -> bytes:
    """Compact JSON, as every body the mock builds is written."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def not_allowed(method: str, path: str, allow: str) -> str:
    """The message of a 405."""
    return f"{method} is not allowed on {path}; allowed: {allow}"


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


async def send_reply(send: Send, reply: Reply) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [*reply.headers, (b"content-length", str(len(reply.body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": reply.body})


class Request:
    """An HTTP request's scope, read lazily: header names lower case, headers and query multi-valued."""

    __slots__ = ("_headers", "_query", "scope")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._headers: Headers | None = None
        self._query: dict[str, list[str]] | None = None

    @classmethod
    def of(cls, scope: Scope) -> Request:
        """The view of this request, made by the first middleware that asks for it."""
        view: Request | None = scope.get(_SCOPE_KEY)
        if view is None:
            view = scope[_SCOPE_KEY] = cls(scope)
        return view

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    @property
    def raw_path(self) -> str:
        """The path as sent (percent-encoded), so an encoded `/` or `:` stays inside its segment."""
        raw = self.scope.get("raw_path")
        if raw:
            return str(raw.decode("latin-1").partition("?")[0])
        return quote(self.scope["path"], safe="/:@!$&'()*+,;=-._~")

    @property
    def query_string(self) -> str:
        return str(self.scope.get("query_string", b"").decode("latin-1"))

    @property
    def headers(self) -> Headers:
        headers = self._headers
        if headers is None:
            headers = self._headers = {}
            for name, value in self.scope["headers"]:
                headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        return headers

    @property
    def query(self) -> dict[str, list[str]]:
        query = self._query
        if query is None:
            query = self._query = {}
            raw = self.scope.get("query_string", b"")
            if raw:
                for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
                    query.setdefault(name, []).append(value)
        return query

    def header(self, name: str) -> Sequence[str]:
        """Every value of header `name` (lower case), in the order sent."""
        return self.headers.get(name, ())

    def last_header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[-1] if values else None

    @property
    def session(self) -> str | None:
        """The `X-Mock-Session` header: whose state a stateful mock uses."""
        return self.last_header(_SESSION)

    @property
    def content_type(self) -> str | None:
        return self.last_header("content-type")

    async def read_body(self, receive: Receive, limit: int) -> bytes:
        """The whole body; `BodyTooLarge` past `limit` bytes, `ClientGone` when the client leaves first."""
        length = self.last_header("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise BodyTooLarge(limit)
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
