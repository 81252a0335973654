"""Date and Server in proxy mode: the upstream's pass through as they came; the proxy dates only its own answers.

uvicorn stamps every answer with its own `date` and `server: uvicorn`. In front of an upstream that sends both, a
client would see each twice (Date is a singleton field) and a Server that is not the upstream's. So the proxy
turns uvicorn's off (`SERVER_OPTIONS`), and `DatedAnswers`, outermost, gives an answer without a Date one: the
proxy's refusals and 502/504s, its control endpoints and CORS preflights (RFC 9110 section 6.6.1: an origin
server with a clock sends a Date).
"""

from __future__ import annotations

import time
from email.utils import formatdate

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVER_OPTIONS = {"server_header": False, "date_header": False}  # uvicorn.Config's


class _HttpDate:
    """The IMF-fixdate of now, formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def now(self) -> bytes:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._value = formatdate(second, usegmt=True).encode("ascii")
        return self._value


class DatedAnswers:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._date = _HttpDate()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if not any(name.lower() == b"date" for name, _ in headers):
                    message["headers"] = [*headers, (b"date", self._date.now())]
            await send(message)

        await self.app(scope, receive, dated)
