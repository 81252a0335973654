"""CORS on every response (errors included) and on preflight; `--cors-origin` restricts origins; the lean CORS
middleware answers exactly as Starlette's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from starlette.middleware.cors import CORSMiddleware

from mock_server.cors import StampedCORSMiddleware
from tests.support.servers import AsgiClient

ORIGIN = {"Origin": "http://app.example:3000"}
FLATFILE = {"Authorization": "Bearer t", "X-Disable-Hooks": "true"}


@pytest.mark.parametrize(
    ("method", "url", "headers", "status"),
    [
        ("GET", "/v1/jobs/us_jb_1", FLATFILE, 200),
        ("GET", "/v1/jobs/us_jb_1", {}, 401),
        ("GET", "/v1/jobs?pageSize=x", FLATFILE, 400),
        ("GET", "/v1/nowhere", FLATFILE, 404),
        ("PUT", "/v1/jobs", FLATFILE, 405),
        ("POST", "/api/v1/jobs/j:retry", {"Authorization": "Bearer t"}, 200),
        ("GET", "/api/v1/jobs", {}, 401),
        ("GET", "/", {}, 200),
    ],
)
def test_every_response_carries_cors_headers(
    mock: AsgiClient, method: str, url: str, headers: dict[str, str], status: int
) -> None:
    response = mock.request(method, url, headers={**headers, **ORIGIN})
    assert response.status_code == status
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = {name.strip().lower() for name in response.headers["access-control-expose-headers"].split(",")}
    assert {"www-authenticate", "allow"} <= exposed


@pytest.mark.parametrize("url", ["/v1/jobs/us_jb_1/complete", "/api/v1/jobs/j1:cancel"])
def test_preflight_allows_the_method_and_the_headers_asked_for(mock: AsgiClient, url: str) -> None:
    response = mock.request(
        "OPTIONS",
        url,
        headers={
            **ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-disable-hooks, content-type, prefer",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {name.strip().lower() for name in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "x-disable-hooks", "content-type", "prefer"} <= allowed


def test_a_configured_origin_is_the_only_one_allowed(mock_with: Callable[..., AsgiClient]) -> None:
    client = mock_with(apis=("flatfile",), cors_origins=("http://app.example:3000",))
    allowed = client.get("/v1/jobs/us_jb_1", headers={**FLATFILE, **ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == "http://app.example:3000"
    other = client.get("/v1/jobs/us_jb_1", headers={**FLATFILE, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


# StampedCORSMiddleware must answer exactly as Starlette's CORSMiddleware does: every policy, request and
# response below goes through both, and the messages sent must be identical.
POLICIES = {
    "any-origin": {"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"], "expose_headers": ["Allow"]},
    "credentials": {"allow_origins": ["*"], "allow_credentials": True, "expose_headers": ["Allow"]},
    "one-origin": {"allow_origins": ["http://app.example:3000"], "allow_methods": ["GET"], "max_age": 600},
}
REQUESTS = {
    "no-origin": [],
    "allowed-origin": [("origin", "http://app.example:3000")],
    "other-origin": [("origin", "http://evil.example")],
    "origin-and-cookie": [("origin", "http://app.example:3000"), ("cookie", "a=1")],
    "preflight": [("origin", "http://app.example:3000"), ("access-control-request-method", "GET")],
}
RESPONSES = {
    "plain": [(b"content-type", b"application/json")],
    "none": [],
    "own-vary": [(b"vary", b"Accept"), (b"content-type", b"application/json")],
    "own-allow-origin": [(b"access-control-allow-origin", b"http://other.example")],
}


def _answer(
    middleware: type[CORSMiddleware],
    policy: dict[str, Any],
    request: list[tuple[str, str]],
    response: list[tuple[bytes, bytes]],
    method: str,
) -> list[dict[str, Any]]:
    async def inner(_scope: Any, _receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(response)})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "http_version": "1.1", "method": method, "scheme": "http", "path": "/v1/jobs",
        "raw_path": b"/v1/jobs", "query_string": b"", "root_path": "", "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000), "headers": [(name.encode(), value.encode()) for name, value in request],
    }  # fmt: skip
    asyncio.run(middleware(inner, **policy)(scope, receive, send))
    return sent


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
@pytest.mark.parametrize("response", RESPONSES)
@pytest.mark.parametrize("request_name", REQUESTS)
@pytest.mark.parametrize("policy", POLICIES)
def test_stamped_cors_answers_as_starlette_does(policy: str, request_name: str, response: str, method: str) -> None:
    arguments = (POLICIES[policy], REQUESTS[request_name], RESPONSES[response], method)
    assert _answer(StampedCORSMiddleware, *arguments) == _answer(CORSMiddleware, *arguments)


def test_the_common_answer_is_stamped_without_starlettes_header_rewrite(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken where it applies (a difference test alone would pass if it never were)."""

    async def unwanted(*_args: Any) -> None:
        raise AssertionError("Starlette's MutableHeaders rewrite ran")

    monkeypatch.setattr(CORSMiddleware, "send", unwanted)
    for request_name in ("no-origin", "allowed-origin", "other-origin"):
        sent = _answer(StampedCORSMiddleware, POLICIES["any-origin"], REQUESTS[request_name], RESPONSES["plain"], "GET")
        assert (b"vary", b"Origin") in sent[0]["headers"]
    with pytest.raises(AssertionError, match="MutableHeaders"):
        _answer(StampedCORSMiddleware, POLICIES["any-origin"], REQUESTS["allowed-origin"], RESPONSES["own-vary"], "GET")
