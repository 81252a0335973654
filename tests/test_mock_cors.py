"""CORS on every response (errors included) and on preflight; `--cors-origin` restricts origins."""

from __future__ import annotations

import pytest

from mock_server.app import Settings, build_app
from tests.conftest import AsgiClient

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


def test_a_configured_origin_is_the_only_one_allowed() -> None:
    client = AsgiClient(build_app(Settings(apis=("flatfile",), cors_origins=("http://app.example:3000",))).asgi)
    try:
        allowed = client.get("/v1/jobs/us_jb_1", headers={**FLATFILE, **ORIGIN})
        assert allowed.headers["access-control-allow-origin"] == "http://app.example:3000"
        other = client.get("/v1/jobs/us_jb_1", headers={**FLATFILE, "Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    finally:
        client.close()
