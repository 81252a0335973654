"""The proxy's side of the wire: hop-by-hop headers, and an upstream that refuses, resets or hangs."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

import httpx

from tests.reference_impl.server import serve
from tests.support.proxy import FLATFILE, SIFT, TOKEN, Proxy, tiny_server
from tests.support.servers import ThreadedServer, free_port


async def echo_headers(scope: Any, receive: Any, send: Any) -> None:
    """An upstream that answers with the request line and headers it received, and a hop-by-hop header of its own."""
    if scope["type"] != "http":
        return
    seen = {
        "target": scope["raw_path"].decode() + "?" + scope["query_string"].decode(),
        "headers": [[name.decode(), value.decode()] for name, value in scope["headers"]],
    }
    body = json.dumps(seen).encode()
    headers = [(b"content-type", b"application/json"), (b"x-end-to-end", b"kept"), (b"keep-alive", b"timeout=5")]
    headers.append((b"set-cookie", b"upstream-session=for-one-caller; Path=/"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def test_requests_go_on_as_sent_less_the_hop_by_hop_headers(
    serve: Callable[[Any], ThreadedServer], proxy_to: Callable[..., Proxy]
) -> None:
    upstream = serve(echo_headers)
    proxy = proxy_to(upstream.url + "/prefix")
    headers = {**FLATFILE, "Connection": "keep-alive, X-Hop", "X-Hop": "1", "TE": "trailers", "X-Custom": "a b"}
    answer = proxy.client.get("/v1/jobs/us_jb%2F1?pageSize=2&q=%20x", headers=headers)
    seen = answer.json()
    names = [name for name, _ in seen["headers"]]
    assert seen["target"] == "/prefix/v1/jobs/us_jb%2F1?pageSize=2&q=%20x"
    assert ["authorization", f"Bearer {TOKEN}"] in seen["headers"] and ["x-custom", "a b"] in seen["headers"]
    assert "x-hop" not in names and "te" not in names
    assert dict(seen["headers"])["host"] == f"127.0.0.1:{upstream.port}"
    assert answer.headers["x-end-to-end"] == "kept" and "keep-alive" not in answer.headers


def test_a_request_leaves_with_the_headers_it_brought_and_no_client_defaults(
    serve: Callable[[Any], ThreadedServer], proxy_to: Callable[..., Proxy]
) -> None:
    proxy = proxy_to(serve(echo_headers).url)
    defaults = {"accept", "accept-encoding", "user-agent", "content-type"}
    for name in defaults - {"content-type"}:
        del proxy.client.headers[name]
    bare = proxy.client.post("/v1/jobs", headers=FLATFILE, content=b"{}").json()["headers"]
    own = {"Accept": "application/json", "Accept-Encoding": "identity", "User-Agent": "frontend/1.0"}
    given = proxy.client.post("/v1/jobs", headers={**FLATFILE, **own, "Content-Type": "text/plain"}, content=b"{}")
    assert defaults.isdisjoint(name for name, _ in bare)
    assert [[name.lower(), value] for name, value in [*own.items(), ("Content-Type", "text/plain")]] == [
        pair for pair in given.json()["headers"] if pair[0] in defaults
    ]


def test_the_proxy_keeps_no_cookies_between_callers(
    serve: Callable[[Any], ThreadedServer], proxy_to: Callable[..., Proxy]
) -> None:
    proxy = proxy_to(serve(echo_headers).url)
    first = proxy.client.get("/v1/jobs", headers=FLATFILE)
    proxy.client.cookies.clear()
    second = proxy.client.get("/v1/jobs", headers=FLATFILE)
    assert first.headers["set-cookie"] == "upstream-session=for-one-caller; Path=/"
    assert "cookie" not in [name for name, _ in second.json()["headers"]]


def test_an_upstream_that_refuses_gets_a_502_in_the_apis_error_shape(proxy_to: Callable[..., Proxy]) -> None:
    proxy = proxy_to(f"http://127.0.0.1:{free_port()}")
    flatfile = proxy.client.get("/v1/jobs", headers=FLATFILE)
    assert flatfile.status_code == 502
    [error] = flatfile.json()["errors"]
    assert "could not be reached" in error["message"]
    assert len(flatfile.headers.get_list("date")) == 1  # the proxy's own answer, dated as an origin server's
    sift = proxy.client.get("/api/v1/jobs", headers=SIFT)
    assert sift.status_code == 502 and "could not be reached" in sift.json()["message"]


def reset(connection: socket.socket) -> None:
    """Read the request, then reset the connection (SO_LINGER 0 sends RST) without answering."""
    connection.settimeout(5)
    connection.recv(65536)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def test_an_upstream_that_resets_gets_a_502(proxy_to: Callable[..., Proxy]) -> None:
    with tiny_server(reset) as origin:
        proxy = proxy_to(origin)
        answer = proxy.client.get("/v1/jobs", headers=FLATFILE)
    assert answer.status_code == 502
    assert "broke off the exchange" in answer.json()["errors"][0]["message"]


def test_an_upstream_that_hangs_gets_a_504_and_blocks_no_other_request(proxy_to: Callable[..., Proxy]) -> None:
    released = threading.Event()

    def hang(connection: socket.socket) -> None:
        connection.recv(65536)
        released.wait(10)

    with tiny_server(hang) as hung, serve(token=TOKEN) as reference:
        proxy = proxy_to({"flatfile": hung, "sift": reference.origin}, timeout=1.0)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy.app.asgi), base_url="http://proxy.test")

        async def both() -> tuple[list[str], httpx.Response]:
            finished: list[str] = []

            async def call(name: str, target: str, headers: dict[str, str]) -> httpx.Response:
                response = await client.get(target, headers=headers)
                finished.append(name)
                return response

            slow, fast = await asyncio.gather(
                call("hung flatfile", "/v1/jobs", FLATFILE), call("sift", "/api/v1/jobs", SIFT)
            )
            assert fast.status_code == 200
            await client.aclose()
            return finished, slow

        finished, slow = proxy.client.run(both())
        released.set()
    assert finished == ["sift", "hung flatfile"]
    assert slow.status_code == 504
    assert "did not answer within 1 s" in slow.json()["errors"][0]["message"]
