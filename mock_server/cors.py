"""Starlette's CORS policy, with its most common answer stamped from header bytes computed once.

Starlette's `CORSMiddleware` wraps every response in a `MutableHeaders` rewrite (about a tenth of the mock's
time per request under load). When every origin is allowed without credentials, and the response sets none
of the headers CORS adds, that rewrite always comes to the same thing: the simple headers (only when the
request has an `Origin`) and then `Vary: Origin`. That case appends the precomputed pairs; preflights,
explicit origins, credentials and responses that set those headers themselves stay with Starlette's code.

`preflight_refusal` answers a preflight the mock refuses whatever the CORS policy says (a control request
from an origin that may not send it: `mock_server/control_access.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.wire import Reply, send_reply

_VARY = (b"vary", b"Origin")


class StampedCORSMiddleware(CORSMiddleware):
    def __init__(
        self, app: ASGIApp, *, preflight_refusal: Callable[[Scope], Reply | None] | None = None, **options: Any
    ) -> None:
        super().__init__(app, **options)
        self._preflight_refusal = preflight_refusal
        simple = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.simple_headers.items()
        ]
        self._with_origin = [*simple, _VARY]
        self._without_origin = [_VARY]
        self._added_names = frozenset(name for name, _ in self._with_origin)
        self._stamps = self.allow_all_origins and not self.allow_credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS" and self._preflight_refusal is not None:
            refusal = self._preflight_refusal(scope)
            if refusal is not None:
                await send_reply(send, refusal)
                return
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not self._stamps:
            await super().__call__(scope, receive, send)
            return
        request_headers = scope["headers"]
        stamp = self._with_origin if any(name == b"origin" for name, _ in request_headers) else self._without_origin

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if any(name.lower() in self._added_names for name, _ in headers):
                    await self.send(message, send, Headers(scope=scope))
                    return
                message["headers"] = [*headers, *stamp]
            await send(message)

        await self.app(scope, receive, stamped)
