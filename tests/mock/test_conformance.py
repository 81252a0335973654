"""Every response the mock sends for an operation conforms to the spec: each documented status and
example, forced through `Prefer`, plus generated data, for every operation of both APIs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from jobs_openapi import spec_path
from schemathesis.core.failures import FailureGroup
from starlette.responses import JSONResponse

from mock_server.spec import load_api
from tests.support.servers import AsgiClient

HEADERS = {"flatfile": {"Authorization": "Bearer t", "X-Disable-Hooks": "true"}, "sift": {"Authorization": "Bearer t"}}


def _request_examples(api: str) -> dict[str, Any]:
    """The first request-body example of each operation, by operationId."""
    document = yaml.safe_load(spec_path(api).read_text())

    def deref(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = document
            for token in node["$ref"][2:].split("/"):
                target = target[token]
            node = target
        return node

    found = {}
    for item in document["paths"].values():
        for method, operation in item.items():
            body = deref(operation.get("requestBody")) if method != "parameters" else None
            if body:
                examples = body["content"]["application/json"].get("examples", {})
                found[operation["operationId"]] = deref(next(iter(examples.values())))["value"]
    return found


def _cases() -> list[Any]:
    cases = []
    for api_name in ("flatfile", "sift"):
        api = load_api(api_name)
        bodies = _request_examples(api_name)
        for operation in api.operations:
            choices = [
                f"code={status}, example={name}"
                for status, response in operation.responses.items()
                for name in response.examples
            ]
            choices += [f"code={status}, dynamic=true" for status in operation.responses]
            for prefer in choices:
                cases.append(
                    pytest.param(
                        api_name,
                        operation.method,
                        operation.path,
                        operation.url_path,
                        bodies.get(operation.operation_id),
                        prefer,
                        id=f"{api_name}-{operation.operation_id}-{prefer}",
                    )
                )
    return cases


@pytest.mark.parametrize(("api", "method", "template", "url_path", "body", "prefer"), _cases())
def test_every_documented_response_conforms(
    mock: AsgiClient, assert_conforms, api: str, method: str, template: str, url_path: str, body: Any, prefer: str
) -> None:
    url = url_path.replace("{jobId}", "us_jb_77")
    response = mock.request(method, url, headers={**HEADERS[api], "Prefer": prefer}, json=body)
    assert response.status_code == int(prefer.split(",")[0].removeprefix("code=")), response.text
    assert_conforms(api, method, template, response)


@pytest.mark.parametrize(("status", "body"), [(200, {"data": {"id": 42}}), (418, {"errors": [{"message": "teapot"}]})])
def test_the_conformance_check_catches_what_the_spec_does_not_allow(assert_conforms, status: int, body: Any) -> None:
    async def liar(scope: Any, receive: Any, send: Any) -> None:
        await JSONResponse(body, status_code=status)(scope, receive, send)

    client = AsgiClient(liar)
    try:
        with pytest.raises(FailureGroup):
            assert_conforms("flatfile", "GET", "/jobs/{jobId}", client.get("/v1/jobs/us_jb_1"))
    finally:
        client.close()
