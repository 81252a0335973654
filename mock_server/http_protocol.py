"""The HTTP/1.1 protocol the mock serves with: uvicorn's httptools protocol, with the header block bounded in size
and in time.

httptools (llhttp) has no limit of its own: a 100 MB header is buffered whole (and copied on every chunk) before
the app sees the request, and a header block that stops arriving holds its connection forever. uvicorn's h11
protocol has a size limit (`h11_max_incomplete_event_size`) but answers it with a 400, and h11 is pure Python,
slower on every request. So the limits are kept here, as the bytes arrive:

- the header block (request line and headers) may not exceed `max_header_bytes`: past it the connection gets a
  431 and is closed, before more is buffered than the limit and one read;
- it must be complete within `header_timeout` seconds of its first read: otherwise a 408, and the connection
  is closed.

Both answers are plain text, as the server's own 400 for malformed HTTP is: no request reached the app, so there
is no API whose error shape they could take. A body that stops arriving is the app's to time out
(`wire.Request.read_body`), which answers in the API's shape.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

# After a refusal the connection reads (and drops) what the client still sends for this long before closing:
# closed at once with unread bytes, it would be reset, and a client still sending would lose the answer.
LINGER_SECONDS = 2.0


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        *args: Any,
        max_header_bytes: int,
        header_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._max_header_bytes = max_header_bytes
        self._header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_header = False  # a message has begun and its header block is not complete
        self._began_in_chunk = False
        self._spanned = 0  # bytes of whole reads that fell inside the header block
        self._parsed = 0  # bytes of the target and the headers parsed so far
        self._refused = False
        self._lingering = False

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        self._began_in_chunk = False
        super().data_received(data)
        if self._in_header:
            if not self._began_in_chunk:
                self._spanned += len(data)  # the whole read came after the block began, and it is not over
            if self._header_timer is None and self._header_timeout is not None:
                # Armed only for a block that spans reads: most arrive in one, and cost no timer.
                self._header_timer = self.loop.call_later(self._header_timeout, self._header_timed_out)
        if self._refused or max(self._spanned, self._parsed) > self._max_header_bytes:
            self._refuse(431, f"The request's header block is larger than {self._max_header_bytes} bytes.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_header = self._began_in_chunk = True
        self._spanned = self._parsed = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._parsed += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._parsed += len(name) + len(value)

    def on_headers_complete(self) -> None:
        self._in_header = False
        self._cancel_header_timer()
        if self._parsed > self._max_header_bytes:
            self._refused = True  # answered once the parser returns; the app never sees the request
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self._in_header:
            self._refuse(408, f"The request's header block did not arrive within {self._header_timeout:g} seconds.")

    def _refuse(self, status: int, message: str) -> None:
        """A plain-text answer, then the connection closed (what the client still sends is dropped unread)."""
        self._in_header = False
        if self.transport.is_closing() or self._lingering:
            return
        self.logger.warning(message)
        body = message.encode("ascii")
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._lingering = True
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def protocol(max_header_bytes: int, header_timeout: float) -> type[asyncio.Protocol]:
    """What uvicorn's `http` option takes: the protocol with these limits (a partial, which pickles for workers)."""
    limited = partial(LimitedHttpToolsProtocol, max_header_bytes=max_header_bytes, header_timeout=header_timeout)
    return cast(type[asyncio.Protocol], limited)
