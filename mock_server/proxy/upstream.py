"""The upstream: a request forwarded as it came over a pooled keep-alive client, the answer brought back as it was.

Hop-by-hop headers (RFC 9110 section 7.6.1: `Connection` and the headers it names, `Keep-Alive`, `TE`,
`Transfer-Encoding`, `Upgrade`, the `Proxy-*` pair) belong to one connection and are not passed on in either
direction; `Host` names the upstream; lengths are recomputed for the bytes actually sent. Everything else,
`Authorization` included, goes through unchanged, and the body comes back byte for byte (still content-encoded).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authenticate", b"proxy-authorization", b"te"}
    | {b"trailer", b"transfer-encoding", b"upgrade"}
)
_NOT_FORWARDED = frozenset({b"host", b"content-length", b"expect"})
_NOT_RETURNED = frozenset({b"content-length"})
# httpx adds these to every request; a request that came without them must leave without them.
_CLIENT_DEFAULTS = ("accept", "accept-encoding", "user-agent")
Headers = list[tuple[bytes, bytes]]


class UpstreamTrouble(Exception):
    """The upstream gave no answer: refused, reset or too slow. `status` is the gateway status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class UpstreamAnswer:
    status: int
    headers: Headers  # end-to-end headers, as received
    body: bytes  # as received, still content-encoded

    def decoded_body(self) -> bytes:
        """The body without its content encoding; raises httpx.DecodingError when it does not decode."""
        return httpx.Response(self.status, headers=self.headers, content=self.body).content


def end_to_end(headers: Iterable[tuple[bytes, bytes]], dropped: frozenset[bytes] = frozenset()) -> Headers:
    """The headers (names in lower case, as ASGI wants them) without hop-by-hop ones, those `Connection` names
    and `dropped`."""
    pairs = [(name.lower(), name, value) for name, value in headers]
    named = {
        token.strip().lower() for lower, _, value in pairs if lower == b"connection" for token in value.split(b",")
    }
    return [(lower, value) for lower, _, value in pairs if lower not in HOP_BY_HOP | named | dropped]


class Upstream:
    """One upstream URL with its own connection pool, so a hung upstream cannot starve another's requests."""

    def __init__(self, url: str, timeout: float) -> None:
        # httpx logs every request's full URL at INFO (a token in a query string too); the proxy logs its own
        # lines, redacted, so the client's loggers only speak up about trouble.
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._prefix = httpx.URL(self.url).raw_path.rstrip(b"/")
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    def url_for(self, target: str) -> str:
        return self.url + target

    async def send(self, method: str, target: str, headers: Headers, body: bytes) -> UpstreamAnswer:
        """`target` is the path and query as the client sent them; raises UpstreamTrouble without an answer."""
        url = httpx.URL(self.url).copy_with(raw_path=self._prefix + target.encode("latin-1"))
        forwarded = end_to_end(headers, _NOT_FORWARDED)
        request = self._client.build_request(method, url, headers=forwarded, content=body)
        sent = {name.lower() for name, _ in forwarded}
        for name in _CLIENT_DEFAULTS:
            if name.encode() not in sent:
                del request.headers[name]
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._client.send(request, stream=True)
                try:
                    raw = b"".join([chunk async for chunk in response.aiter_raw()])
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            raise UpstreamTrouble(504, f"the upstream {self.url} did not answer within {self.timeout:g} s") from None
        except httpx.ConnectError as error:
            raise UpstreamTrouble(502, f"the upstream {self.url} could not be reached: {error}") from None
        except httpx.TransportError as error:
            reason = str(error) or type(error).__name__
            raise UpstreamTrouble(502, f"the upstream {self.url} broke off the exchange: {reason}") from None
        return UpstreamAnswer(response.status_code, end_to_end(response.headers.raw, _NOT_RETURNED), raw)

    async def close(self) -> None:
        await self._client.aclose()
