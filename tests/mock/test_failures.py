"""A failure of the mock itself is a 500 in the API's own error shape, with CORS and the traceback logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from mock_server.app import StaticMode, build_app
from mock_server.responder import Call, StaticResponder
from mock_server.settings import Settings
from mock_server.wire import UNEXPECTED_FAILURE, Reply
from tests.support.servers import AsgiClient

ORIGIN = {"Origin": "http://app.example:3000"}


class BrokenResponder:
    async def respond(self, call: Call) -> Reply:
        raise RuntimeError(f"the responder broke on {call.operation.operation_id}")


class BrokenMode(StaticMode):
    def responder(self, static: StaticResponder) -> BrokenResponder:
        return BrokenResponder()


@pytest.fixture(scope="module")
def broken() -> Iterator[AsgiClient]:
    app = build_app(Settings(), mode_factory=lambda _apis, _settings: BrokenMode())
    client = AsgiClient(app.asgi)
    yield client
    client.close()


@pytest.mark.parametrize(
    ("method", "url", "headers", "body"),
    [
        ("GET", "/v1/jobs/us_jb_1", {"Authorization": "Bearer t", "X-Disable-Hooks": "true"},
         {"errors": [{"message": UNEXPECTED_FAILURE}]}),
        ("POST", "/api/v1/jobs/j1:retry", {"Authorization": "Bearer t"},
         {"code": 13, "message": UNEXPECTED_FAILURE, "details": []}),
    ],
)  # fmt: skip
def test_a_failing_responder_is_a_500_in_the_api_error_shape(
    broken: AsgiClient, caplog: pytest.LogCaptureFixture, method: str, url: str, headers: dict[str, str], body: Any
) -> None:
    with caplog.at_level(logging.ERROR, logger="mock_server"):
        response = broken.request(method, url, headers={**headers, **ORIGIN})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == body
    assert response.headers["access-control-allow-origin"] == "*"
    [record] = [record for record in caplog.records if record.name == "mock_server.pipeline"]
    assert f"{method} {url.partition('?')[0]}" in record.getMessage()
    assert record.exc_info is not None and "the responder broke" in str(record.exc_info[1])


def test_what_fails_before_the_responder_is_still_answered(broken: AsgiClient) -> None:
    """Errors the pipeline finds itself never reach the broken responder."""
    response = broken.get("/v1/jobs/us_jb_1", headers={"X-Disable-Hooks": "true"})
    assert response.status_code == 401
    assert broken.get("/v1/nowhere").status_code == 404
