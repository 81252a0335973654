"""The control endpoints: the token when one is set, open without one, and never changed by a page of a
foreign origin (nor asked to by its preflight), in stateful, proxy and static mode."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mock_server.proxy.settings import ProxySettings
from tests.support.servers import AsgiClient

FLATFILE = {"Authorization": "Bearer S", "X-Disable-Hooks": "true"}
TOKEN = {"Authorization": "Bearer S"}
FOREIGN = {"Origin": "https://evil.example"}
LISTED = {"Origin": "http://app.example:3000"}
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}
CONTROLS = [
    ("POST", "/__mock/reset"),
    ("GET", "/__mock/journal?session=anyone"),
    ("GET", "/__mock/sessions"),
    ("POST", "/__mock/advance?seconds=1"),
]
PROXY = ProxySettings(upstreams={"flatfile": "http://127.0.0.1:9", "sift": "http://127.0.0.1:9"})


def _job_count(client: AsgiClient) -> int:
    return int(client.get("/v1/jobs", headers=FLATFILE).json()["pagination"]["totalCount"])


def _error(response) -> tuple[str | None, str]:
    [error] = response.json()["errors"]
    return error.get("key"), error["message"]


@pytest.mark.parametrize(("method", "path"), CONTROLS)
def test_with_a_token_every_control_endpoint_requires_it(
    mock_with: Callable[..., AsgiClient], method: str, path: str
) -> None:
    client = mock_with(mode="stateful", token="S")
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        refused = client.request(method, path, headers=headers)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert _error(refused)[0] == "Authorization"
    assert client.request(method, path, headers=TOKEN).status_code == 200


def test_a_reset_without_the_token_wipes_nothing(mock_with: Callable[..., AsgiClient]) -> None:
    client = mock_with(mode="stateful", token="S")
    client.post("/v1/jobs", json=NEW_JOB, headers=FLATFILE)
    before = _job_count(client)
    assert client.post("/__mock/reset").status_code == 401
    assert _job_count(client) == before


@pytest.mark.parametrize(("method", "path"), CONTROLS)
def test_without_a_token_the_control_endpoints_stay_open(
    mock_with: Callable[..., AsgiClient], method: str, path: str
) -> None:
    assert mock_with(mode="stateful").request(method, path).status_code == 200


@pytest.mark.parametrize("token", [None, "S"])
def test_a_foreign_page_cannot_wipe_the_mock_under_the_default_cors(
    mock_with: Callable[..., AsgiClient], token: str | None
) -> None:
    client = mock_with(mode="stateful", token=token)
    client.post("/v1/jobs", json=NEW_JOB, headers=FLATFILE)
    before = _job_count(client)
    for headers in (FOREIGN, {**FOREIGN, **TOKEN}, {"Origin": "null"}):
        refused = client.post("/__mock/reset", headers=headers)
        assert refused.status_code == 403
        key, message = _error(refused)
        assert key == "Origin" and "--cors-origin" in message
    assert client.post("/__mock/advance?seconds=5", headers=FOREIGN).status_code == 403
    assert _job_count(client) == before
    # Reading stays as open as the APIs are: the default CORS lets any page read.
    assert client.get("/__mock/sessions", headers={**FOREIGN, **TOKEN}).status_code == 200


def test_an_origin_listed_with_cors_origin_may_change_state(mock_with: Callable[..., AsgiClient]) -> None:
    client = mock_with(mode="stateful", token="S", cors_origins=(LISTED["Origin"],))
    allowed = client.post("/__mock/reset", headers={**LISTED, **TOKEN})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == LISTED["Origin"]
    assert client.post("/__mock/reset", headers=LISTED).status_code == 401  # the token is still needed
    assert client.post("/__mock/reset", headers={**FOREIGN, **TOKEN}).status_code == 403
    assert client.get("/__mock/sessions", headers={**FOREIGN, **TOKEN}).status_code == 403


def _preflight(client: AsgiClient, origin: dict[str, str], method: str, path: str = "/__mock/reset"):
    return client.request(
        "OPTIONS",
        path,
        headers={**origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "authorization"},
    )


def test_the_preflight_of_a_state_change_from_a_foreign_page_is_refused(mock_with: Callable[..., AsgiClient]) -> None:
    client = mock_with(mode="stateful", token="S", cors_origins=("*", LISTED["Origin"]))
    refused = _preflight(client, FOREIGN, "POST")
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    assert _error(refused)[0] == "Origin"
    allowed = _preflight(client, LISTED, "POST")
    assert allowed.status_code == 200 and "access-control-allow-origin" in allowed.headers
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert _preflight(client, FOREIGN, "GET", "/__mock/journal").status_code == 200
    # The APIs' own preflights are CORS's alone, from any origin.
    assert _preflight(client, FOREIGN, "POST", "/v1/jobs").status_code == 200


def test_the_proxy_controls_are_guarded_alike(mock_with: Callable[..., AsgiClient]) -> None:
    client = mock_with(proxy=PROXY, token="S")
    assert client.get("/__mock/violations").status_code == 401
    assert client.get("/__mock/violations", headers=TOKEN).json()["violations"] == []
    assert client.post("/__mock/report", headers={**FOREIGN, **TOKEN}).status_code == 403
    assert client.post("/__mock/report", headers=TOKEN).status_code == 409  # no --report-dir: reached, refused
    assert mock_with(proxy=PROXY).get("/__mock/violations").status_code == 200


def test_static_mode_guards_its_coverage_and_asks_the_same_before_it_says_there_is_nothing(
    mock_with: Callable[..., AsgiClient],
) -> None:
    client = mock_with(token="S")
    assert client.post("/__mock/reset").status_code == 401
    assert client.post("/__mock/reset", headers={**FOREIGN, **TOKEN}).status_code == 403
    assert client.post("/__mock/reset", headers=TOKEN).status_code == 404
    assert client.get("/__mock/coverage").status_code == 401  # the one control endpoint of every mode
    assert client.get("/__mock/coverage", headers=TOKEN).status_code == 200
