"""The upstream: a request forwarded as it came over a pooled keep-alive client, the answer brought back as it was.

Hop-by-hop headers (RFC 9110 section 7.6.1: `Connection` and the headers it names, `Keep-Alive`, `TE`,
`Transfer-Encoding`, `Upgrade`, the `Proxy-*` pair) belong to one connection and are not passed on in either
direction; `Host` names the upstream; lengths are recomputed for the bytes actually sent. Everything else,
`Authorization` included, goes through unchanged, and the body comes back byte for byte (still content-encoded).

The client is aiohttp's: its C parser answers about eight times as many exchanges per second on one core as
httpx 0.28 over httpcore 1.0 (pure-Python parsing, and a poll of every pooled connection on each request), which
would make the proxy slower than Prism's. It keeps no cookies: one client serves every caller of the proxy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authenticate", b"proxy-authorization", b"te"}
    | {b"trailer", b"transfer-encoding", b"upgrade"}
)
_NOT_FORWARDED = HOP_BY_HOP | {b"host", b"content-length", b"expect"}
_NOT_RETURNED = HOP_BY_HOP | {b"content-length"}
# aiohttp adds these to a request that has none; a request that came without them must leave without them. Skipped
# for the whole session (aiohttp still sends each one a request brings): per request it costs 6 µs more (measured).
_CLIENT_DEFAULTS = frozenset({"accept", "accept-encoding", "user-agent", "content-type"})
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
        if not any(name == b"content-encoding" for name, _ in self.headers):
            return self.body
        return httpx.Response(self.status, headers=self.headers, content=self.body).content


def end_to_end(headers: Iterable[tuple[bytes, bytes]], dropped: frozenset[bytes]) -> Headers:
    """The headers (names in lower case, as ASGI wants them) without `dropped` (hop-by-hop ones at least) and
    those `Connection` names."""
    pairs = [(name.lower(), value) for name, value in headers]
    named = {token.strip().lower() for name, value in pairs if name == b"connection" for token in value.split(b",")}
    if named:
        dropped = dropped | named
    return [(name, value) for name, value in pairs if name not in dropped]


class Upstream:
    """One upstream URL with its own connection pool, so a hung upstream cannot starve another's requests.

    The pool is opened on the first request, in the event loop that serves it."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def url_for(self, target: str) -> str:
        return self.url + target

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                skip_auto_headers=_CLIENT_DEFAULTS,
            )
        return self._session

    async def send(self, method: str, target: str, headers: Headers, body: bytes) -> UpstreamAnswer:
        """`target` is the path and query as the client sent them; raises UpstreamTrouble without an answer."""
        forwarded = CIMultiDict(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in end_to_end(headers, _NOT_FORWARDED)
        )
        try:
            async with self._client().request(
                method,
                URL(self.url_for(target), encoded=True),
                headers=forwarded,
                data=body or None,
                allow_redirects=False,
            ) as response:
                raw = await response.read()
        except TimeoutError:
            raise UpstreamTrouble(504, f"the upstream {self.url} did not answer within {self.timeout:g} s") from None
        except aiohttp.ClientConnectorError as error:
            raise UpstreamTrouble(502, f"the upstream {self.url} could not be reached: {error.os_error}") from None
        except aiohttp.ClientError as error:
            reason = str(error) or type(error).__name__
            raise UpstreamTrouble(502, f"the upstream {self.url} broke off the exchange: {reason}") from None
        return UpstreamAnswer(response.status, end_to_end(response.raw_headers, _NOT_RETURNED), raw)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
