"""Bearer auth: missing, empty, wrong-scheme and (with --token) wrong tokens are 401 with a challenge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server.app import build_app
from mock_server.settings import Settings
from tests.support.servers import AsgiClient

CASES = [
    ("flatfile", "GET", "/v1/jobs/us_jb_1", "/jobs/{jobId}", {"X-Disable-Hooks": "true"}),
    ("sift", "POST", "/api/v1/jobs/j1:retry", "/api/v1/jobs/{jobId}:retry", {}),
    ("sift", "GET", "/api/v1/jobs", "/api/v1/jobs", {}),
]
BAD_AUTHORIZATION = [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token abc"]


@pytest.fixture(scope="module")
def locked() -> Iterator[AsgiClient]:
    client = AsgiClient(build_app(Settings(token="s3cret")).asgi)
    yield client
    client.close()


def _headers(extra: dict[str, str], authorization: str | None) -> dict[str, str]:
    return {**extra, **({"Authorization": authorization} if authorization is not None else {})}


@pytest.mark.parametrize(("api", "method", "url", "template", "extra"), CASES)
@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION)
def test_unauthenticated_requests_get_401_with_a_bearer_challenge(
    mock: AsgiClient,
    assert_conforms,
    api: str,
    method: str,
    url: str,
    template: str,
    extra: dict[str, str],
    authorization: str | None,
) -> None:
    response = mock.request(method, url, headers=_headers(extra, authorization))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization" in response.text
    assert_conforms(api, method, template, response)


@pytest.mark.parametrize(("api", "method", "url", "template", "extra"), CASES)
def test_with_a_token_set_only_that_token_is_accepted(
    locked: AsgiClient, assert_conforms, api: str, method: str, url: str, template: str, extra: dict[str, str]
) -> None:
    wrong = locked.request(method, url, headers=_headers(extra, "Bearer not-it"))
    assert wrong.status_code == 401
    assert "not accepted" in wrong.text
    assert_conforms(api, method, template, wrong)
    right = locked.request(method, url, headers=_headers(extra, "bearer s3cret"))
    assert right.status_code == 200
    assert_conforms(api, method, template, right)


def test_flatfile_401_body_names_the_header(mock: AsgiClient) -> None:
    body = mock.get("/v1/jobs", headers={"X-Disable-Hooks": "true"}).json()
    assert body == {
        "errors": [{"key": "Authorization", "message": "the Authorization header with a bearer token is required"}]
    }


def test_sift_401_is_unauthenticated_status(mock: AsgiClient) -> None:
    body = mock.get("/api/v1/jobs", headers={"Authorization": "Bearer "}).json()
    assert body["code"] == 16
    assert body["message"] == "the bearer token is empty"
    assert body["details"][0]["fieldViolations"] == [
        {"field": "Authorization", "description": "the bearer token is empty"}
    ]
